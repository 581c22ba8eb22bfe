"""Folding the generated module's long lines: the code means the same (equal ASTs), lines shrink to the limit where
a bracket allows, and nothing inside a string moves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ascc.compiler.fold import LIMIT, fold_line, fold_module

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.tools.py"))

LINES = [
    "    return {'data': B.from_json(t['data']), 'priority': B.from_json(t['priority']), 'same': (t['x'] == value)}",
    "    xs = [{'id': r['id'], 'name': r['name']} for r in ctx.all('ticket', '(\"status\" = ?)', [status]) if r['open']]"
    "  # spec: x.env.yaml:3",
    "    if (B.len(below) == 0) and (n['kind'] == 'file') and (B.startswith(s['cwd'] + '/', p + '/') or recursive):",
    "    y = (B.lower(t['priority']) if (B.type_of(t['priority']) == 'str') else B.str(t['priority'] + 1000000000))",
    "    z = B.format('a (very, long) [message] {} that only a string holds, with brackets, and commas, and more', x)",
]


@pytest.mark.parametrize("line", LINES)
def test_a_long_line_folds_into_the_same_code(line: str) -> None:
    folded = fold_line(line)
    body = "\n        pass\n" if line.endswith(":") else "\n"
    text = "def f():\n" + "\n".join(folded) + body
    assert ast.dump(ast.parse(text)) == ast.dump(ast.parse("def f():\n" + line + body))
    assert all(len(x) <= LIMIT for x in folded) or len(folded) == 1 or "'a (very" in line
    if "# spec:" in line:
        assert folded[0].strip().startswith("# spec:")


def test_a_string_is_never_cut() -> None:
    line = LINES[-1]
    assert "'a (very, long) [message] {} that only a string holds, with brackets, and commas, and more'" in \
        "\n".join(fold_line(line))


@pytest.mark.parametrize("golden", GOLDEN[:6], ids=lambda p: p.name)
def test_golden_modules_are_folded_once(golden: Path) -> None:
    text = golden.read_text(encoding="utf-8")
    assert fold_module(text) == text
    assert ast.parse(text)
