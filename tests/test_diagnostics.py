"""Golden diagnostic tests, the rustc `tests/ui` way.

Each bad spec `tests/diagnostics/<stage>/<name>.env.yaml` sits next to `<name>.stderr`: exactly what `ascc check`
prints for it, with the folder written as `$DIR`. Specs named `warn_*` compile, with warnings only. `pytest
tests/test_diagnostics.py --bless` rewrites them. The folders are the compiler's stages, as the codes' ranges are
(ascc/codes.py `STAGES`): `e0_shape` (YAML and the spec's shape), `e1_expressions` (expression syntax), `e2_types`
(names and types), `e3_sql`, `e4_seed` (seed data); a spec sits in the folder of the earliest stage it is annotated
with, so a change to one pass is tested by one folder (`pytest tests/test_diagnostics.py -k e3_sql`), and
`test_cases_sit_in_their_stage` keeps it so.

The spec states its intent itself, as rustc's UI tests do: a YAML comment `# ~ E247` at the end of the line a
diagnostic points at (`# ~ E247 W259` for several). Inside a block scalar, where a comment would be text, the
annotation sits on the block's header line with one `v` per line down (`sql: |  # ~vv E310`); `# ~^ E247` points
one line up per `^`; `# ~? E410` is a diagnostic with no line in the spec. Every diagnostic must be annotated and
every annotation met, checked before the golden text and before `--bless` writes it, so a blessed `.stderr`
cannot change a code or a line unnoticed. `tests/annotate_diagnostics.py` writes the annotations of a new spec.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from ascc import codes
from ascc.compiler.build import compile_file
from ascc.diagnostics import SourceCache, render_all

HERE = Path(__file__).parent / "diagnostics"
CASES = sorted(HERE.glob("*/*.env.yaml"))
STAGE_FOLDERS = {"0": "e0_shape", "1": "e1_expressions", "2": "e2_types", "3": "e3_sql", "4": "e4_seed"}
SOURCE = Path(__file__).parents[1] / "ascc"


def case_name(path: Path) -> str:
    return path.name.removesuffix(".env.yaml")


def case_id(path: Path) -> str:
    return f"{path.parent.name}/{case_name(path)}"


def case(name: str) -> Path:
    """The spec of the case `name`, whichever stage's folder holds it."""
    found = list(HERE.glob(f"*/{name}.env.yaml"))
    assert len(found) == 1, f"{name}: {len(found)} cases of that name"
    return found[0]


def check_output(spec: Path) -> tuple[str, list]:
    """What `ascc check` writes to stderr for `spec`, with its folder as `$DIR`; and the diagnostics."""
    result = compile_file(spec, None)
    display = lambda f: f.replace(str(spec.parent), "$DIR")  # noqa: E731
    text = render_all(result.diagnostics, SourceCache(), display_path=display) + "\n"
    # notes may name files too (E410's "looked at ..."): the checkout's folder must not reach the golden text
    return text.replace(str(spec.parent), "$DIR"), result.diagnostics


ANNOTATION = re.compile(r"#\s*~(\^+|v+|\?)?((?:[ \t]+[EW]\d{3}\b)+)")
MORE = re.compile(r"\s*~(\^+|v+|\?)?((?:[ \t]+[EW]\d{3}\b)+)")  # a further group after the first: `# ~ E001 ~v E307`


def annotations(text: str) -> Counter:
    """(line, code) of every `# ~` annotation in a spec's text; line None for `# ~?`."""
    found: Counter = Counter()
    for n, line in enumerate(text.split("\n"), start=1):
        m = ANNOTATION.search(line)
        while m:
            where, codes_ = m.group(1) or "", m.group(2).split()
            at = None if where == "?" else n - where.count("^") + where.count("v")
            found.update((at, c) for c in codes_)
            m = MORE.match(line, m.end())
    return found


def reported(spec: Path, diags: list) -> Counter:
    """(line, code) of every diagnostic; line None when it has no position in the spec itself."""
    return Counter((d.span.line if d.span is not None and d.span.file == str(spec) else None, d.code)
                   for d in diags)


def check_annotations(spec: Path, diags: list) -> None:
    want = annotations(spec.read_bytes().decode("utf-8", errors="replace"))  # not_utf8 holds a bad byte on purpose
    got = reported(spec, diags)
    assert want, f"{spec.name} states no `# ~ CODE` annotation; see tests/annotate_diagnostics.py"
    shown = lambda c: ", ".join(f"{code} at line {line}" if line else f"{code} (no line)"  # noqa: E731
                                 for (line, code) in sorted(c.elements(), key=lambda x: (x[0] or 0, x[1])))
    assert got == want, (f"{spec.name}: reported but not annotated: {shown(got - want) or '-'}; "
                         f"annotated but not reported: {shown(want - got) or '-'}")


def test_there_are_many_cases():
    assert len(CASES) >= 45


def test_annotations_are_read_as_written():
    text = "a: 1  # ~ E001\nsql: |  # ~v E301 ~vv E310 W271\n  x\n  y\nb: 2\n# ~^ E247\n# ~? E410 E411\n"
    assert annotations(text) == Counter({(1, "E001"): 1, (3, "E301"): 1, (4, "E310"): 1, (4, "W271"): 1,
                                         (5, "E247"): 1, (None, "E410"): 1, (None, "E411"): 1})
    assert annotations("description: a # tilde ~ is text E001\n") == Counter()


def test_cases_sit_in_their_stage():
    """A case's folder is the stage of the earliest code it is annotated with (E2xx and W2xx: e2_types)."""
    assert not list(HERE.glob("*.env.yaml")), "a case belongs in its stage's folder (see this module's docstring)"
    misplaced = []
    for spec in CASES:
        stage = min(int(code[1:]) for _, code in annotations(spec.read_bytes().decode("utf-8", errors="replace")))
        if spec.parent.name != STAGE_FOLDERS[str(stage // 100)]:
            misplaced.append(f"{case_id(spec)} -> {STAGE_FOLDERS[str(stage // 100)]}")
    assert not misplaced, misplaced


@pytest.mark.parametrize("spec", CASES, ids=case_id)
def test_golden(spec: Path, bless: bool):
    got, diags = check_output(spec)
    expected = spec.with_name(case_name(spec) + ".stderr")
    check_annotations(spec, diags)  # first: what the spec says it must give holds whatever --bless would write
    if bless:
        expected.write_text(got, encoding="utf-8")
    assert "Traceback" not in got
    if spec.name.startswith("warn_"):  # a spec that compiles, with warnings
        assert diags and all(d.severity == "warning" for d in diags)
    else:
        assert any(d.severity == "error" for d in diags), "a bad spec must fail"
    assert not any(d.code.startswith("E9") for d in diags), "internal compiler error"
    assert {d.code for d in diags} <= set(codes.CODES)
    assert expected.exists(), f"no {expected.name}; run pytest {Path(__file__).name} --bless"
    assert got == expected.read_text(encoding="utf-8")


def test_cli_exits_1():
    """The real command line, for a few cases: exit status 1 and the golden text on stderr."""
    picks = [case(n) for n in ("yaml_syntax", "unknown_field_typo", "sql_read_csv")]
    for spec in picks:
        proc = subprocess.run([sys.executable, "-c", "from ascc.cli import main; main()", "check", spec.name],
                              cwd=spec.parent, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        golden = spec.with_name(case_name(spec) + ".stderr").read_text(encoding="utf-8")
        assert proc.stderr == golden.replace("$DIR/", "")


def codes_in_source() -> set[str]:
    found = set()
    for py in SOURCE.rglob("*.py"):
        if py.name != "codes.py":
            found |= set(re.findall(r"\"([EW]\d{3})\"", py.read_text(encoding="utf-8")))
    return found


def test_every_emitted_code_is_registered():
    missing = codes_in_source() - set(codes.CODES)
    assert not missing, f"add these codes to ascc/codes.py: {sorted(missing)}"


def test_every_registered_code_is_explained():
    for code, entry in codes.CODES.items():
        text = codes.explain(code)
        assert text and entry.title in text
        assert code[0] in "EW" and len(code) == 4
    assert codes.explain("E999") is None


def test_docs_table_is_up_to_date(bless: bool):
    doc = Path(__file__).parents[1] / "docs" / "diagnostics.md"
    want = codes.markdown()
    if bless:
        doc.write_text(want, encoding="utf-8")
    assert doc.read_text(encoding="utf-8") == want, "run pytest tests/test_diagnostics.py --bless"
