"""Builtins for strings and paths, list and map order, grouping, and JSON values (issue #12, items 2, 4, 5, 6).

Each entry types its call like those in `builtins.py`, whose table imports these at its end. They run as the
functions of the same names in `ascc.lang.builtins`.
"""

from __future__ import annotations

from ascc.compiler import types as T
from ascc.compiler.builtins import Builtin, _args, _arity, _map_part, _nonnull, _want
from ascc.compiler.types import Type
from ascc.dsl import ast

_TEXT = ("str", "enum")


def _text(t: Type) -> bool:
    return t.kind in _TEXT


def _strings(result: Type, lo: int, hi: int):
    """A function of 1..n strings (`replace(s, old, new)`, `rstrip(s)`, `rstrip(s, "/")`)."""

    def check(c, n, scope, expected):
        types = _args(c, n, scope, lo, hi)
        if types and _nonnull(c, n, types):
            for a, t in zip(n.args, types):
                _want(c, n, a, t, _text, "a string")
        return result

    return check


def _split(c, n, scope, expected):
    types = _args(c, n, scope, 2, 2)
    if types and _nonnull(c, n, types):
        for a, t in zip(n.args, types):
            _want(c, n, a, t, _text, "a string")
        sep = n.args[1]
        if isinstance(sep, ast.Literal) and sep.kind == "str" and sep.value == "":
            c.err("E253", "the separator of `split()` cannot be empty", sep.span,
                  help="split on a character, as in split($path, \"/\")")
    return T.list_of(T.STR)


def _slice(c, n, scope, expected):
    """`slice(x, start)` / `slice(x, start, end)`: Python's `x[start:end]` of a string or a list."""
    types = _args(c, n, scope, 2, 3)
    if not types or not _nonnull(c, n, types):
        return None
    for a, t in zip(n.args[1:], types[1:]):
        _want(c, n, a, t, lambda x: x.kind == "int", "a whole-number position")
    t = types[0]
    if not _want(c, n, n.args[0], t, lambda x: x.kind in ("str", "enum", "list"), "a string or a list"):
        return None
    return T.STR if t.kind == "enum" else t


def _list_and_item(c, n, scope):
    """(list type, item type) of `f(list, item)`, or None after an error."""
    if not _arity(c, n, 2, 2, scope):
        return None
    lt = c.check(n.args[0], scope)
    it = c.check(n.args[1], scope, lt.elem if lt.kind == "list" else None)
    if lt.kind == "any" or not _nonnull(c, n, [lt]):
        return None
    if not _want(c, n, n.args[0], lt, lambda x: x.kind == "list", "a list"):
        return None
    if lt.elem is not None and it.kind != "any" and not T.comparable(lt.elem, it):
        c.err("E248", f"cannot look for {it} in {lt}", n.args[1].span)
        return None
    return lt, it


def _index_of(c, n, scope, expected):
    _list_and_item(c, n, scope)
    return T.INT


def _remove_first(c, n, scope, expected):
    got = _list_and_item(c, n, scope)
    return got[0] if got is not None else None


def _group_by(c, n, scope, expected):
    """`group_by(records, "field")`: map[str, list[record]], groups and their records in first-seen order."""
    if not _arity(c, n, 2, 2, scope):
        return None
    t = c.check(n.args[0], scope)
    key = n.args[1]
    c.check(key, scope)
    if not (isinstance(key, ast.Literal) and key.kind == "str"):
        c.err("E253", "the field of `group_by()` is a string literal, as in group_by(messages, \"receiver\")",
              key.span)
        return None
    if t.kind == "any":
        return T.map_of(T.list_of(T.ANY))
    if not _nonnull(c, n, [t]) or not _want(c, n, n.args[0], t, lambda x: x.kind == "list" and x.elem is not None
                                            and x.elem.is_record, "a list of records"):
        return None
    f = c.domain.record_fields(t.elem).get(key.value)
    if f is None or f.type.kind not in _TEXT or f.type.nullable:
        c.err("E252", f"`group_by()` needs a string field of the records; `{key.value}` is not one", key.span)
        return None
    return T.map_of(T.list_of(t.elem))


def _merge(c, n, scope, expected):
    """`merge(a, b, …)`: the entries of maps, later maps winning; a key keeps its first position."""
    types = _args(c, n, scope, 2, 8, expected)
    if not types or not _nonnull(c, n, types):
        return None
    out = None
    for a, t in zip(n.args, types):
        if not _want(c, n, a, t, lambda x: x.kind == "map", "maps"):
            return None
        if t.kind == "any":
            continue
        u = t if out is None else T.unify(out, t)
        if u is None:
            c.err("E249", f"`merge()` maps differ in their values: {out} and {t}", a.span,
                  help="maps of different value types do not merge; a literal such as {\"a\": json(x)} is a "
                       "`map[str, json]`, which takes any values")
            return None
        out = u
    return out or T.map_of(T.ANY)


def _path_fn(result: Type, lo: int, hi: int):
    return _strings(result, lo, hi)


DATA_BUILTINS = [
    Builtin("split", _split, "the parts of a string between the separator (a non-empty string)",
            sql="string_split"),
    Builtin("replace", _strings(T.STR, 3, 3), "a string with every occurrence of the second string replaced by the "
            "third", sql="replace"),
    Builtin("lstrip", _strings(T.STR, 1, 2), "a string without leading white space (or leading characters of the "
            "second string)", sql="ltrim"),
    Builtin("rstrip", _strings(T.STR, 1, 2), "a string without trailing white space (or trailing characters of "
            "the second string)", sql="rtrim"),
    Builtin("slice", _slice, "part of a string or list: Python's `x[start:end]` (negative positions count from "
            "the end)"),
    Builtin("normpath", _path_fn(T.STR, 1, 1), "a `/` path with `.`, `..` and repeated `/` resolved (`..` stops at "
            "the root)"),
    Builtin("join_path", _path_fn(T.STR, 2, 2), "the second path taken from the first (an absolute second path "
            "wins), normalised"),
    Builtin("basename", _path_fn(T.STR, 1, 1), "the last part of a `/` path"),
    Builtin("dirname", _path_fn(T.STR, 1, 1), "a `/` path without its last part (`/` for a top-level path)"),
    Builtin("index_of", _index_of, "the position of the first item equal to a value, or -1"),
    Builtin("remove_first", _remove_first, "a list without its first item equal to a value (unchanged if none)"),
    Builtin("keys_in_order", _map_part("keys"), "the keys of a map in the order they were first put"),
    Builtin("values_in_order", _map_part("values"), "the values of a map in the order their keys were first put"),
    Builtin("group_by", _group_by, "a map from a string field's values to the records that have them, in the "
            "order first seen"),
    Builtin("merge", _merge, "the entries of several maps in one; a later map's value wins"),
]


def check_descendants(c, n: ast.Method, ent, scope) -> Type | None:
    """`node.descendants(parent, key)`: the rows below the row `key` in the tree that the reference field `parent`
    (to the same entity) makes: its children, their children, …, level by level, each level by key."""
    row = T.row(ent.name)
    if len(n.args) != 2 or not isinstance(n.args[0], ast.Name):
        c.err("E251", "`descendants` takes a reference field and a key, as in "
                      f"{ent.name}.descendants(parent, $id)", n.span)
        for a in n.args[1:]:
            c.check(a, scope)
        return T.list_of(row)
    field = ent.fields.get(n.args[0].name)
    n.args[0].type = T.ANY
    if field is None or field.ref != ent.name:
        refs = [f.name for f in ent.fields.values() if f.ref == ent.name]
        c.err("E224", f"`{n.args[0].name}` is not a field of `{ent.name}` that refers to `{ent.name}`",
              n.args[0].span, help=f"fields that do: {', '.join(refs)}" if refs else
              f"give `{ent.name}` a field such as `parent: {{ref: {ent.name}, nullable: true}}`")
    c.expect(n.args[1], scope, ent.key_field.type.nonnull(), f"the key of `{ent.name}`")
    c.reads.add(ent.name)
    n.ref = ast.EntityQuery(entity=ent.name, op="descendants")
    return T.list_of(row)


def _json(c, n, scope, expected):
    """`json(x)`: `x` as a json value, so lists and maps may mix it with values of other types."""
    types = _args(c, n, scope, 1, 1)
    if types and not T.jsonable(types[0]):
        c.err("E252", f"`json()` needs a value JSON can hold, found {types[0]}", n.args[0].span,
              help="pick the row's fields into a record: {id: r.id, …}")
    return T.JSON


def _more_dynamic() -> list[Builtin]:
    from ascc.compiler.dynamic import check_type_of

    return [
        Builtin("type_of", check_type_of, "what a json or union value holds: `null`, `bool`, `int`, `float`, `str`, "
                "`list` or `map`; a test `type_of(x) == \"int\"` narrows `x`"),
        Builtin("json", _json, "a value as a json value (a list of json values may mix types: "
                "`[json(1), \"a\"]`)"),
    ]


DATA_BUILTINS += _more_dynamic()
