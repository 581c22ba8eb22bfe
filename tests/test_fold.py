"""Folding the generated module's long lines: the code means the same (equal ASTs), lines shrink to the limit where
a bracket allows, and a string is only ever cut into adjacent literals between words (its value unchanged)."""

from __future__ import annotations

import ast
import io
import tokenize
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


def _literals(text: str) -> list[list[str]]:
    """The string literals of some code, each as the values of its adjacent pieces (implicit concatenation)."""
    out: list[list[str]] = []
    last = None
    for t in tokenize.generate_tokens(io.StringIO(text).readline):
        if t.type == tokenize.STRING:
            if last == tokenize.STRING:
                out[-1].append(ast.literal_eval(t.string))
            else:
                out.append([ast.literal_eval(t.string)])
        if t.type not in (tokenize.NL, tokenize.COMMENT):
            last = t.type
    return out


def _assert_cut_between_words(before: str, after: str) -> None:
    """Every string of `before` is in `after` with the same value, cut only right after a line break or a run of
    spaces, and after every line break inside it; a string already cut in `before` is only cut further."""
    old, new = _literals(before), _literals(after)
    assert len(old) == len(new)
    for was, now in zip(old, new):
        value = "".join(was)
        assert "".join(now) == value
        cuts, kept, at = set(), set(), 0
        for piece in now[:-1]:
            at += len(piece)
            cuts.add(at)
        at = 0
        for piece in was[:-1]:
            at += len(piece)
            kept.add(at)
        assert kept <= cuts
        assert all(value[k - 1] in " \n" and value[k] != " " for k in cuts - kept), (value, sorted(cuts - kept))
        if len(now) > len(was):
            assert {k for k in range(1, len(value)) if value[k - 1] == "\n"} <= cuts, (value, now)


STRING_ITEMS = [
    "        'SELECT \"id\", \"name\"\\nFROM \"ticket\"\\nWHERE (\"status\" = ?) AND (\"priority\" IN (?, ?, ?)) "
    "AND (\"assignee\" IS NOT DISTINCT FROM ?)\\nORDER BY \"id\"',",
    "        \"A description of the tool's purpose, long enough that it cannot stay on one line: it says what the "
    "tool does, when to call it and what it returns to the agent\",",
    "        'a_single_word_far_too_long_to_fit_on_any_line_at_all_" + "x" * 100 + "'",
]


@pytest.mark.parametrize("line", STRING_ITEMS)
def test_a_string_item_is_cut_only_between_words(line: str) -> None:
    folded = fold_line(line, inside=True)
    before, after = "x = [\n" + line + "\n]\n", "x = [\n" + "\n".join(folded) + "\n]\n"
    assert ast.dump(ast.parse(after)) == ast.dump(ast.parse(before))
    _assert_cut_between_words(before, after)
    if "a_single_word" in line:
        assert folded == [line]  # one word: nothing to cut
    else:
        assert len(folded) > 1 and all(len(x) <= LIMIT for x in folded)
        assert all(x.lstrip()[:1] in "'\"" and x.rstrip(",")[-1:] in "'\"" for x in folded)  # plain literals only


def test_a_string_argument_is_cut_but_not_one_outside_brackets_or_with_a_prefix() -> None:
    line = LINES[-1].replace("'a (very", "'a (very " + "long " * 20)
    folded = fold_line(line)  # the string becomes an argument on a line of its own, so it may be cut
    assert ast.dump(ast.parse("\n".join(folded).strip())) == ast.dump(ast.parse(line.strip()))
    _assert_cut_between_words(line, "\n".join(folded))
    assert len(_literals("\n".join(folded))[0]) > 1 and all(len(x) <= LIMIT for x in folded)
    for item in ("f'" + "word " * 30 + "',", "b'" + "word " * 30 + "',", "r'" + "word " * 30 + "',",
                 "'''" + "word " * 30 + "''',", "'" + "word " * 30 + "'.upper(),"):
        assert fold_line("        " + item, inside=True) == ["        " + item]
    statement = "    x = '" + "word " * 30 + "'"
    assert fold_line(statement) == [statement]


def test_lines_inside_a_multiline_statement_fold_and_docstrings_stay() -> None:
    item = ("        B.format('{} and {}', r['first_name_of_the_customer'], r['last_name_of_the_customer'], "
            "r['zip_code_of_the_customer'])")
    doc = "    " + "A docstring line that is much too long, " * 4
    ends = "    ) + " + item.strip().replace("B.format", "g") + " + 'x' + ("  # closes one bracket, opens another
    closes = "    ) + " + item.strip().replace("B.format", "h") + ")) + y,"  # closes three brackets opened above
    kept = ends.replace("g(", "k(") + "  # a comment"
    text = ("def f(r):\n    \"\"\"Doc.\n\n" + doc + "\n    \"\"\"\n    return [\n" + item + ",\n"
            + "        ('SELECT 1 ' + (\n        'a'\n" + ends + "\n        'b'\n" + kept + "\n        'c'\n"
            + "    ) + ((\n        'd'\n" + closes + "\n    ]\n")
    folded = fold_module(text)
    assert ast.dump(ast.parse(folded)) == ast.dump(ast.parse(text))
    lines = folded.split("\n")
    assert doc in lines  # inside a multi-line string nothing moves
    assert item + "," not in lines and ends not in lines and closes not in lines
    assert [x for x in lines if len(x) > LIMIT] == [doc, kept]  # a line with a comment is left as it is
    assert "    ) + g(" in lines and "    ) + h(" in lines  # the closing brackets lead the first line
    assert lines[lines.index("    ) + g(") + 5] == "    ) + 'x' + ("  # the opening one ends the last
    assert lines[lines.index("    ) + h(") + 5] == "    ))) + y,"


@pytest.mark.parametrize("golden", GOLDEN, ids=lambda p: p.name)
def test_golden_modules_are_folded_once(golden: Path) -> None:
    text = golden.read_text(encoding="utf-8")
    assert fold_module(text) == text
    assert ast.parse(text)


@pytest.mark.parametrize("golden", GOLDEN[::5], ids=lambda p: p.name)
def test_golden_modules_fold_tighter_into_the_same_code(golden: Path) -> None:
    text = golden.read_text(encoding="utf-8")
    tight = fold_module(text, limit=60)
    assert ast.dump(ast.parse(tight)) == ast.dump(ast.parse(text))
    _assert_cut_between_words(text, tight)


def test_the_longest_balanced_run_of_a_line_between_outside_brackets_is_opened() -> None:
    call = "B.entry_or_none(u['payment_methods_of_the_user'], p['payment_id_of_the_payment_method'])"
    line = "        ) is not None) and (" + call + "['source'] == 'certificate'):"
    text = "def f(u, p):\n    if (B.entry_or_none(\n        u,\n" + line + "\n        return 1\n"
    folded = fold_module(text)
    assert len(line) > LIMIT and ast.dump(ast.parse(folded)) == ast.dump(ast.parse(text))
    assert all(len(x) <= LIMIT for x in folded.split("\n"))
    assert "        ) is not None) and (B.entry_or_none(" in folded.split("\n")  # what comes before leads it


def test_a_comprehension_with_a_tuple_target_is_split_at_its_clauses() -> None:
    line = ("    used = {tc.get('id') for _, m in ep.user_side_of_the_conversation_with_all_its_messages "
            "for tc in m.get('tool_calls') or []}")
    folded = fold_line(line)
    assert ast.dump(ast.parse("\n".join(folded).strip())) == ast.dump(ast.parse(line.strip()))
    assert "        for _, m in ep.user_side_of_the_conversation_with_all_its_messages" in folded
