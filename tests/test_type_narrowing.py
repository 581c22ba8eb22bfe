"""A `type_of()` test narrows a json or union value for the code it guards, like a `!= null` test does: `and`,
`if … else` (both branches), comprehension conditions, effect `if`s and the preconditions before effects; an effect
that writes the field ends the narrowing."""

from __future__ import annotations

from pathlib import Path

from ascc.compiler.build import compile_file
from ascc.diagnostics import SourceCache, render_all
from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment

SPEC = """
domain: kinds
entities:
  box:
    key: id
    fields:
      id: str
      v: "int | str"
      data: json
      n: {type: int, default: 0}
tools:
  bump:
    kind: write
    description: Add to a box's number, from its value and data.
    params: {id: str, items: "list[json]"}
    let:
      b: box[$id] else "no box"
      ints: '[x * 2 for x in $items if type_of(x) == "int"]'
      size: 'len(b.data) if type_of(b.data) == "list" else (len(b.data["k"]) if type_of(b.data) == "map" and
        type_of(b.data["k"]) == "str" else 0)'
    effects:
      - if type_of(b.v) == "int":
          - update b: {n: "n + b.v + sum(ints) + size"}
        else:
          - update b: {n: "len(b.v)"}
    returns: b.n
  text_only:
    kind: write
    description: Store a number where text was.
    params: {id: str}
    let:
      b: box[$id] else "no box"
    requires:
      - type_of(b.v) == "str" else "text only"
    effects:
      - update b: {v: 7}
    returns: upper(b.v)
seed:
  rows:
    box:
      - {id: a, v: 2, data: [1, 2, 3]}
      - {id: b, v: hello, data: {k: abcd}}
"""


GUARDED = SPEC.replace("    returns: upper(b.v)\n", "    returns: b.v\n")


def _compile(tmp_path: Path, text: str):
    spec = tmp_path / "kinds.env.yaml"
    spec.write_text(text)
    return compile_file(spec, tmp_path / "out")


def test_guarded_uses_compile_and_run(tmp_path: Path) -> None:
    result = _compile(tmp_path, GUARDED)
    assert result.ok, render_all(result.diagnostics, SourceCache())
    with Environment(load_domain(str(result.out_dir))) as env:
        assert env.call("bump", {"id": "a", "items": [1, "x", 4, None]}).value == 0 + 2 + 10 + 3
        assert env.call("bump", {"id": "b", "items": []}).value == 5  # len("hello")
        assert env.call("text_only", {"id": "b"}).value == 7
        assert env.call("text_only", {"id": "b"}).value["error"]["message"] == "text only"


def test_a_write_ends_the_narrowing(tmp_path: Path) -> None:
    result = _compile(tmp_path, SPEC)
    errors = [(d.code, d.span.line) for d in result.diagnostics if d.severity == "error"]
    assert errors == [("E226", SPEC[:SPEC.index("upper(b.v)")].count("\n") + 1)]


def test_unguarded_use_is_an_error(tmp_path: Path) -> None:
    result = _compile(tmp_path, GUARDED.replace('if type_of(x) == "int"]', ']'))
    assert [d.code for d in result.diagnostics if d.severity == "error"] == ["E226"]
