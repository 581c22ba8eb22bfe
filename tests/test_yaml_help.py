"""YAML that looks right: the E001/E005/E013 helps say what YAML read and show the line quoted."""

from __future__ import annotations

from ascc.diagnostics import DiagnosticBag
from ascc.dsl.reader import read_spec
from ascc.dsl.yamlhelp import quoted_line

HEAD = "domain: d\nentities: {t: {key: id, fields: {id: str}}}\ntools:\n  get:\n    kind: read\n" \
       "    description: Get.\n    params: {id: str}\n"


def diags(text: str):
    bag = DiagnosticBag()
    read_spec("d.env.yaml", text, bag)
    return bag.sorted()


def test_quoted_line_keeps_the_key_and_dash_and_drops_a_comment():
    assert quoted_line('      t: x else "A: b"  # note') == """      t: 'x else "A: b"'"""
    assert quoted_line("  - $a != '' else \"A: b\"") == """  - '$a != '''' else "A: b"'"""
    assert quoted_line('  t: "x else "A: b""') == """  t: 'x else "A: b"'"""
    assert quoted_line("  t: 'done'") is None


def test_a_colon_in_an_else_message():
    [d] = diags(HEAD + '    let:\n      r: t[$id] else "Thing: not found"\n    returns: r\n')
    assert d.code == "E001" and d.span.line == 9
    assert d.help == """quote the whole value with '…': `r: 't[$id] else "Thing: not found"'`"""


def test_an_error_noticed_on_a_blank_line_points_at_the_line_with_text():
    [d] = diags(HEAD + '    returns: {a: "open\n\n\n')
    assert d.code == "E001" and d.span.line == 8  # not the blank line after it, where the snippet was empty


def test_a_hole_at_the_start_of_an_error_message():
    [d] = diags(HEAD + "    requires:\n      - check: $id != ''\n        error: {id} is empty\n    returns: 1\n")
    assert d.code == "E001" and d.help.endswith("`error: '{id} is empty'`")


def test_a_comma_in_a_flow_map_description():
    [d] = diags(HEAD.replace("params: {id: str}", "params: {id: {type: str, description: An id, as printed}}")
                + "    returns: 1\n")
    assert d.code == "E005" and d.help == 'quote the value: `description: "An id, as printed"`'


def test_an_unknown_key_without_a_comma_cut_keeps_its_suggestion():
    [d] = diags(HEAD.replace("params: {id: str}", "params: {id: {type: str, descripton: An id}}") + "    returns: 1\n")
    assert d.code == "E005" and d.help == "did you mean `description`?"


def test_a_hole_or_colon_inside_a_flow_map_value():
    for value, want in [("need {n} items", '`error: "need {n} items"`'), ("Id: empty", '`error: "Id: empty"`')]:
        [d] = diags(HEAD + "    requires:\n      - {check: $id != '', error: " + value + "}\n    returns: 1\n")
        assert d.code == "E001" and d.help == f"quote the value: {want}", d.help
