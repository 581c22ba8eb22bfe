"""A `!= null` test narrows a nullable value for the code it guards: `and`, `or`, `if … else`, comprehension
conditions, effect `if`s and the preconditions before effects."""

from __future__ import annotations

from pathlib import Path

from ascc.compiler.build import compile_file
from ascc.diagnostics import SourceCache, render_all
from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment

SPEC = Path(__file__).parent / "specs" / "narrowing.env.yaml"


def test_guarded_uses_of_nullable_values_compile_and_run(tmp_path: Path) -> None:
    result = compile_file(SPEC, tmp_path)
    assert result.ok, render_all(result.diagnostics, SourceCache())
    with Environment(load_domain(str(result.out_dir))) as env:
        ok = env.call("touch", {"id": "a", "note": "new"})
        assert ok.value == {"n": 3, "big": True, "s": ["NEW"]}
        assert env.rows("item") == [{"id": "a", "note": "NEW", "qty": 6}]
        refused = env.call("touch", {"id": "a"})
        assert refused.value["error"]["message"] == "a note is needed"


def test_unguarded_use_is_still_an_error(tmp_path: Path) -> None:
    spec = tmp_path / "bad.env.yaml"
    spec.write_text(SPEC.read_text().replace('- $note != null else "a note is needed"',
                                             '- $note != "" else "a note is needed"'))
    result = compile_file(spec, None)
    assert [d.code for d in result.diagnostics if d.severity == "error"] == ["E237"]
