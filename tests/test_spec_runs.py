"""Property test: every spec that compiles also loads, and each of its tools can be called without an internal error.

A compile with exit 0 promises a working build. Specs are drawn from parts chosen to meet the traps that once
compiled and then failed at load or on every call: names equal after case folding (entities, fields, struct
fields, tools), names starting with `_`, a tool named like an entity, `unique` list fields, int defaults outside
64 bits, defaults that break their own `check` or `pattern`, writes after a `delete` of the same row, and `sql:`
tools comparing a list parameter with a single value; and newer parts: seeded draws (one avoiding an int-keyed
entity's keys), a `sql:` write with `RETURNING *`, a write that fails after its effects. Each spec either fails to compile with located errors
(never E9xx), or its build loads into an `Environment` and each tool answers one call with a value or a
structured error other than `internal`; `add_row`, which inserts a new row with every field given or defaulted,
must succeed (a default that breaks its own check refuses it), and `touch_then_fail` must keep its write. The default run is small; `ASCC_SPEC_RUNS` or the slow test runs more.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ascc.compiler.build import compile_file
from ascc.diagnostics import SourceCache, render_all
from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment

EXAMPLES = int(os.environ.get("ASCC_SPEC_RUNS", "12"))
WORK = Path(tempfile.mkdtemp(prefix="ascc-spec-runs-"))
_serial = itertools.count()

# field types with a valid literal for seed rows, inserts and call arguments
TYPES = {"int": 3, "str": "abc", "float": 1.5, "bool": True, "date": "2025-01-02", "decimal(10,2)": 4.25,
         "list[str]": ["a"], "list[int]": [1], "map[str, int]": {"k": 1}, "point": {"x": 1, "y": 2}}
ENTITIES = ["note", "item", "order", "group", "class"]
FIELD_NAMES = ["title", "count", "tags", "limit", "from", "value"]
CHECKS = {"int": "{f} >= 0", "decimal(10,2)": "{f} >= 0", "float": "{f} > 0", "str": "{f} != 'x'"}
# one trap per spec at most: each once compiled and then failed at load or on every call
TRAPS = ["case_entity", "case_field", "case_struct", "reserved_entity", "reserved_field", "reserved_struct_field",
         "tool_is_entity", "tools_differ_in_case", "unique_list", "int_default_too_big", "default_fails_check",
         "default_fails_pattern", "write_after_delete", "sql_list_vs_value"]


@st.composite
def fields(draw) -> list[dict]:
    names = draw(st.lists(st.sampled_from(FIELD_NAMES), min_size=1, max_size=4, unique=True))
    out = []
    for name in names:
        t = draw(st.sampled_from(list(TYPES)))
        unique = t not in ("list[str]", "list[int]", "map[str, int]", "point") and draw(st.booleans()) \
            and draw(st.booleans())
        out.append({"name": name, "type": t, "unique": unique,  # two rows taking one default are not unique
                    "default": TYPES[t] if not unique and draw(st.booleans()) else None,
                    "check": CHECKS.get(t) if draw(st.booleans()) else None,
                    "pattern": "^[a-z]+$" if t == "str" and draw(st.booleans()) else None})
    return out


def specs() -> st.SearchStrategy[str]:
    """Specs without a trap (a little under half) or with one of `TRAPS`."""
    return st.sampled_from([None] * 10 + TRAPS).flatmap(specs_with)


@st.composite
def specs_with(draw, trap: str | None) -> str:
    entity = draw(st.sampled_from(ENTITIES))
    fs = draw(fields())
    f = fs[0]
    if trap in ("case_field", "reserved_field"):
        fs.append({**f, "name": f["name"].capitalize() if trap == "case_field" else "_score", "unique": False})
    elif trap == "unique_list":
        fs.append({"name": "labels", "type": "list[str]", "unique": True, "default": None, "check": None,
                   "pattern": None})
    elif trap in ("int_default_too_big", "default_fails_check", "default_fails_pattern"):
        bad = {"int_default_too_big": ("int", 2 ** 63, None, None), "default_fails_check": ("int", 0, "{f} > 0", None),
               "default_fails_pattern": ("str", "x1", None, "^[a-z]+$")}[trap]
        fs.append({"name": "extra", "type": bad[0], "unique": False, "default": bad[1], "check": bad[2],
                   "pattern": bad[3]})
    if trap in ("case_struct", "reserved_struct_field"):
        fs.append({"name": "spot", "type": "point", "unique": False, "default": None, "check": None, "pattern": None})
    struct = [("x", "int"), ("y", "int")] + {"case_struct": [("X", "int")], "reserved_struct_field": [("_z", "int")]}.get(
        trap, [])
    lines = [f"domain: runs{next(_serial)}", "description: Generated.", "types:", "  point:"]
    lines += [f"    {n}: {{type: {t}, default: 0}}" for n, t in struct]
    lines += ["entities:", *_entity(entity, fs)]
    second = {"case_entity": entity.capitalize(), "reserved_entity": "_ascc_seed"}.get(trap)
    if second is None and draw(st.booleans()):
        second = "tally"  # an entity with nothing but an int key (its digest once failed at load)
    if second:
        lines += _entity(second, [])
    lines += ["tools:"] + _tools(draw, entity, fs, trap) + _newer_tools(draw, entity, second)
    row = {"id": 1, **{x["name"]: TYPES[x["type"]] for x in fs if x["default"] is None or x["name"] == "extra"}}
    lines += ["seed:", "  rows:", f"    {entity}:", f"      - {json.dumps(row)}"]
    if second == "tally":
        lines += ["    tally:", "      - {id: 7}"]
    return "\n".join(lines) + "\n"


def _entity(name: str, fs: list[dict]) -> list[str]:
    return [f"  {name}:", "    key: id", "    fields:", "      id: int",
            *(f"      {x['name']}: {_field_text(x)}" for x in fs)]


def _field_text(f: dict) -> str:
    parts = [f"type: {json.dumps(f['type'])}"]
    if f["unique"]:
        parts.append("unique: true")
    if f["default"] is not None:
        parts.append(f"default: {json.dumps(f['default'])}")
    if f["check"]:
        parts.append(f"check: {json.dumps(f['check'].format(f=f['name']))}")
    if f["pattern"]:
        parts.append(f"pattern: {json.dumps(f['pattern'])}")
    return "{" + ", ".join(parts) + "}"


def _tools(draw, entity: str, fs: list[dict], trap: str | None) -> list[str]:
    get_name = {"tool_is_entity": entity, "tools_differ_in_case": "Add_Row"}.get(trap, "get_row")
    out = [f"  {get_name}:", "    kind: read", "    description: One row.", "    params:",
           f"      id: {{ref: {entity}}}", "    let:", f"      r: {entity}[$id] else \"Not found\"", "    returns: r"]
    # the seed row holds TYPES' values: the new row differs from it in every field, for `unique`; the trap's
    # `extra` field is left to its default, which must then hold
    values = ", ".join(f"{x['name']}: {_expr(x['type'])}" for x in fs
                       if x["name"] != "extra" and (draw(st.booleans()) or x["default"] is None))
    out += ["  add_row:", "    kind: write", "    description: Add a row.", "    params:", "      id: int",
            "    effects:", f"      - insert {entity}: {{id: $id{', ' if values else ''}{values}}}"]
    lists = [x for x in fs if x["type"].startswith("list")]
    verbs = ["update", "append" if lists else "update", "delete"]
    if trap == "write_after_delete":
        verbs = ["delete", "update"]
    out += ["  change_row:", "    kind: write", "    description: Change a row.", "    params:",
            f"      id: {{ref: {entity}}}", "    let:", f"      r: {entity}[$id] else \"Not found\"", "    effects:"]
    for verb in verbs:
        out.append({"delete": "      - delete r", "update": f"      - update {entity}[$id]: {{id: $id}}",
                    "append": f"      - append r.{lists[0]['name'] if lists else ''}: r.{lists[0]['name'] if lists else ''}"}[verb])
    column = draw(st.sampled_from(fs))
    shape = column["type"] if column["type"] in ("int", "str", "list[int]", "list[str]") else None
    if shape is not None:
        param = {"int": "list[int]", "str": "list[str]", "list[int]": "int", "list[str]": "str"}[shape] \
            if trap == "sql_list_vs_value" else shape
        out += ["  find_rows:", "    kind: read", "    description: Find rows.", "    params:",
                f"      p: {json.dumps(param)}", f'    sql: SELECT id FROM "{entity}" WHERE "{column["name"]}" = $p']
    elif trap == "sql_list_vs_value":
        out += ["  find_rows:", "    kind: read", "    description: Find rows.", "    params:",
                "      p: \"list[int]\"", f'    sql: SELECT id FROM "{entity}" WHERE id = $p']
    return out


def _newer_tools(draw, entity: str, second: str | None) -> list[str]:
    """Some of: seeded draws (one avoiding the keys of the int-keyed `tally`), a `sql:` write with `RETURNING *`
    (every column type comes back as JSON), and a write whose `fails_after_effects` condition fails."""
    out = []
    if second == "tally" and draw(st.booleans()):
        out += ["  count_one:", "    kind: write", "    description: Count one.", "    let:",
                "      n: random_int(1, 5, tally)", "    effects:", "      - insert tally: {id: n}", "    returns: n"]
    if draw(st.booleans()):
        out += ["  draw_some:", "    kind: read", "    description: Draw values.",
                "    returns: {f: random_float(0, 1), c: \"random_choice(['a', 'b'])\"}"]
    if draw(st.booleans()):
        out += ["  touch_rows:", "    kind: write", "    description: Touch rows.", "    params:", "      id: int",
                f'    sql: UPDATE "{entity}" SET id = id WHERE id = $id RETURNING *']
    if draw(st.booleans()):
        out += ["  touch_then_fail:", "    kind: write", "    description: Touch a row, then fail.", "    params:",
                f"      id: {{ref: {entity}}}", "    effects:", f"      - update {entity}[$id]: {{id: $id}}",
                "    fails_after_effects:", "      - $id < 0 else \"kept\"", "    returns: $id"]
    return out


def _expr(t: str) -> str:
    """A value of type `t` other than TYPES' (for `unique`), as an expression inside a YAML flow map."""
    return {"int": "4", "str": "\"'abd'\"", "float": "2.5", "bool": "false", "date": "\"date('2025-01-03')\"",
            "decimal(10,2)": "5.25", "list[str]": "\"['a']\"", "list[int]": "\"[1]\"",
            "map[str, int]": "\"{'k': 1}\"", "point": "\"{x: 1, y: 2}\""}[t]


def argument(schema: dict, key: int):
    """A value of a JSON-schema type, as a model would send it; `key` for references."""
    t = schema.get("type")
    t = next((x for x in t if x != "null"), "string") if isinstance(t, list) else t
    if t == "integer":
        return key
    if t == "number":
        return 1.5
    if t == "boolean":
        return True
    if t == "array":
        return [argument(schema.get("items") or {}, key)]
    if t == "object":
        props = schema.get("properties") or {}
        return {k: argument(v, key) for k, v in props.items()}
    if schema.get("enum"):
        return schema["enum"][0]
    return "2025-01-02" if schema.get("format") == "date" else "abc"


def check_runs(text: str) -> None:
    folder = WORK / f"case{next(_serial)}"
    folder.mkdir()
    spec = folder / "gen.env.yaml"
    spec.write_text(text, encoding="utf-8")
    result = compile_file(spec, folder / "build")
    shown = render_all(result.diagnostics, SourceCache())
    assert not any(d.code.startswith("E9") for d in result.diagnostics), f"{shown}\n--- spec ---\n{text}"
    if not result.ok:
        assert all(d.span is not None for d in result.diagnostics if d.severity == "error"), shown
        return
    domain = load_domain(str(result.out_dir))
    env = Environment(domain)
    try:
        for tool in domain.schemas:
            fn = tool.get("function", tool)
            props = fn["parameters"].get("properties", {})
            args = {name: argument(schema, 1) for name, schema in props.items()}
            if fn["name"] in ("add_row", "touch_then_fail"):  # touch_then_fail: add_row's row, which stays
                args["id"] = 2  # a new row: with every field given or defaulted, nothing may refuse it
            r = env.call(fn["name"], args)
            assert r.ok or r.error_code != "internal", f"{fn['name']}({args}): {r.content}\n--- spec ---\n{text}"
            if fn["name"] == "touch_then_fail":
                assert r.error_code == "failed_with_changes" and r.wrote, r.content
            assert r.ok or fn["name"] != "add_row", f"{fn['name']}({args}): {r.content}\n--- spec ---\n{text}"
        assert env.digest() == env.full_digest()
    finally:
        env.close()


def _settings(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@_settings(EXAMPLES)
@given(text=specs())
def test_compiled_specs_load_and_every_tool_answers(text: str):
    check_runs(text)


@pytest.mark.slow  # tests/conftest.py runs it only with ASCC_SLOW=1
@_settings(400)
@given(text=specs())
def test_compiled_specs_load_and_every_tool_answers_many(text: str):
    check_runs(text)


def test_the_generator_makes_specs_that_compile():
    """The property must not hold only because nothing compiles: the plainest draw compiles and runs."""
    text = """\
domain: runs_plain
description: Generated.
types:
  point:
    x: int
entities:
  note:
    key: id
    fields:
      id: int
      title: {type: "str", default: "abc", pattern: "^[a-z]+$"}
      tags: {type: "list[str]"}
tools:
  get_row:
    kind: read
    description: One row.
    params:
      id: {ref: note}
    let:
      r: note[$id] else "Not found"
    returns: r
  find_rows:
    kind: read
    description: Find rows.
    params:
      p: "list[str]"
    sql: SELECT id FROM "note" WHERE "tags" = $p
seed:
  rows:
    note:
      - {"id": 1, "title": "abc", "tags": ["a"]}
"""
    spec = WORK / "plain.env.yaml"
    spec.write_text(text, encoding="utf-8")
    assert compile_file(spec, None).ok
    check_runs(text)


def test_values_named_like_parameters_stay_apart(tmp_path):
    """`$text` and a `let` value `text` are two names in the spec, and one Python function holds both: the value
    must not overwrite the parameter (nor `_b` and `v_b` share `v_b`, nor a loop variable the value)."""
    spec = tmp_path / "apart.env.yaml"
    spec.write_text("""\
domain: apart
description: Names apart.
entities:
  note:
    key: id
    fields: {id: int, text: str, tags: "list[str]"}
tools:
  shout:
    kind: read
    description: The text, loud and as given.
    params:
      text: str
      _b: int
    let:
      text: upper($text)
      again: $text
      v_b: $_b + 1
    returns: "[text, again, $text, str(v_b), str($_b), [text for text in ['q']][0], $text]"
  tag_all:
    kind: write
    description: Tag every note.
    params:
      tag: str
    effects:
      - for tag in note.all(true):
          - append tag.tags: $tag
    returns: "[n.tags for n in note.all(true)]"
seed:
  rows:
    note:
      - {id: 1, text: a, tags: []}
""", encoding="utf-8")
    result = compile_file(spec, tmp_path / "build")
    assert result.ok, render_all(result.diagnostics, SourceCache())
    with Environment(load_domain(str(result.out_dir))) as env:
        assert env.call("shout", {"text": "x", "_b": 1}).value == ["X", "x", "x", "2", "1", "q", "x"]
        assert env.call("tag_all", {"tag": "red"}).value == [["red"]]
