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


NESTED = """
domain: nested
types:
  line: {sku: str, qty: int}
entities:
  cart:
    key: id
    fields:
      id: str
      owner: str
      lines: list[line]
tools:
  skus_of:
    kind: read
    description: Every sku in an owner's carts with a quantity above a floor, and their total quantity.
    params: {owner: str, floor: int}
    let:
      carts: cart.all(owner == $owner)
    returns:
      skus: "[l.sku for c in carts for l in c.lines if l.qty > $floor]"
      total: "sum(l.qty for c in carts if c.id != 'z' for l in c.lines)"
seed:
  rows:
    cart:
      - {id: a, owner: ann, lines: [{sku: s1, qty: 1}, {sku: s2, qty: 5}]}
      - {id: b, owner: ann, lines: [{sku: s3, qty: 7}]}
      - {id: c, owner: bob, lines: [{sku: s4, qty: 9}]}
"""


def test_comprehensions_with_several_for_clauses(tmp_path: Path) -> None:
    spec = tmp_path / "nested.env.yaml"
    spec.write_text(NESTED)
    result = compile_file(spec, tmp_path / "out")
    assert result.ok and not result.diagnostics, render_all(result.diagnostics, SourceCache())
    with Environment(load_domain(str(result.out_dir))) as env:
        assert env.call("skus_of", {"owner": "ann", "floor": 1}).value == {"skus": ["s2", "s3"], "total": 13}
