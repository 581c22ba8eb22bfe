"""Small language features checked end to end: they compile and do what the spec says at run time."""

from __future__ import annotations

from pathlib import Path

from ascc.compiler.build import compile_file
from ascc.diagnostics import SourceCache, render_all
from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment

SPEC = """
domain: extras
entities:
  loan:
    key: id
    fields:
      id: str
      tags: "map[str, int]"
      note: {type: str, nullable: true}
tools:
  clear_tags:
    kind: write
    description: Clear a loan's tags.
    params: {id: str}
    let:
      l: loan[$id] else "no loan"
    requires:
      - l.note is not null else "only annotated loans"
    effects:
      - update l: {tags: "{}"}
    returns: {tags: l.tags, note: "upper(l.note)", ranks: "[{c: 'a', n: 1}, {c: 'b', n: 2}][1].n"}
seed:
  rows:
    loan:
      - {id: a, tags: {x: 1, y: 2}, note: hi}
      - {id: b, tags: {x: 1}}
"""


def test_empty_map_literal_is_null_and_record_literal_fields_run(tmp_path: Path) -> None:
    spec = tmp_path / "extras.env.yaml"
    spec.write_text(SPEC)
    result = compile_file(spec, tmp_path / "out")
    assert result.ok and not result.diagnostics, render_all(result.diagnostics, SourceCache())
    with Environment(load_domain(str(result.out_dir))) as env:
        assert env.call("clear_tags", {"id": "a"}).value == {"tags": {}, "note": "HI", "ranks": 2}
        assert env.rows("loan")[0]["tags"] == {}
        before = env.digest()
        assert env.call("clear_tags", {"id": "b"}).value["error"]["message"] == "only annotated loans"
        assert env.digest() == before
