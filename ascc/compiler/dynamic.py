"""Untyped (`json`) and union (`int | str`) values: their types, where they may be stored, and how generated code
moves them in and out of rows.

A `json` or union field is a text column holding the value as JSON. Generated code decodes it where an expression
reads the field (`B.from_json(o['data'])`) and encodes it where an effect writes it (`B.to_json(...)`), so rows,
state digests and diffs see plain text while expressions see the value as given: `7423` or `"ticket_001"`.
A value of such a type is used as one of its members only after a test, `type_of(x) == "int"`, which narrows it.
"""

from __future__ import annotations

from ascc.compiler import types as T
from ascc.compiler.types import Type
from ascc.dsl import ast
from ascc.lang.values import _check_json, _kind, convert_dynamic  # noqa: F401 - their names here too

KINDS = ("null", "bool", "int", "float", "str", "list", "map")  # what `type_of()` answers
KIND_TYPE = Type("enum", values=KINDS)


def resolve_dynamic(r, t: ast.TypeExpr) -> Type | None:
    """`json`, or a union of the types in `t.args` (E225 for a member JSON cannot hold exactly)."""
    if t.name == "json":
        if t.args:
            r.bag.error("E202", "type `json` takes no arguments", t.span)
            return None
        return T.JSON
    members = []
    for a in t.args:
        m = r.type_expr(a)
        if m is None:
            return None
        if m.kind not in T.UNION_MEMBERS and m.kind != "union" or (m.kind in ("list", "map") and not _exact(m)):
            r.bag.error("E225", f"a union cannot hold {m}", a.span,
                        help="union members are str, int, float, bool, and lists or maps of them (values JSON "
                             "holds exactly); use `json` for anything")
            return None
        members.append(m)
    return T.union(members)


def _exact(t: Type) -> bool:
    if t.kind in ("list", "map"):
        return t.elem is not None and _exact(t.elem)
    return t.kind in T.UNION_MEMBERS or t.kind in ("json", "union")


def decode_spec(t: Type | None, domain, depth: int = 0):
    """How to turn a value of type `t` as rows hold it into the value as given: None when nothing in it is JSON
    text; else ("row", names) for a row's json fields, ("list", s), ("map", s), ("rec", ((name, s), …))."""
    if t is None or depth > 20:
        return None
    if t.kind == "row":
        names = tuple(f.name for f in domain.entities[t.name].fields.values() if T.is_dynamic(f.type))
        return ("row", names) if names else None
    if t.kind in ("list", "map"):
        inner = decode_spec(t.elem, domain, depth + 1)
        return (t.kind, inner) if inner is not None else None
    if t.kind == "struct" and not t.name:
        parts = tuple((n, s) for n, ft in t.fields if (s := decode_spec(ft, domain, depth + 1)) is not None)
        return ("rec", parts) if parts else None
    return None


def kind_facts(cond: ast.Node, when: bool) -> set[str]:
    """`path#kind` facts (`path#~kind` for excluded kinds) that hold whenever `cond` evaluates to `when`:
    `type_of(x) == "int"` narrows `x` to int where it is true, and away from int where it is false."""
    from ascc.compiler.scope import null_path

    match cond:
        case ast.Compare(op=op, left=ast.Call(func="type_of", args=[arg]), right=ast.Literal(kind="str", value=k)) \
                if op in ("==", "!=") and k in KINDS:
            path = null_path(arg)
            if path is None:
                return set()
            return {f"{path}#{k}"} if (op == "==") == when else {f"{path}#~{k}"}
        case ast.BoolOp(op="and", left=l, right=r) if when:
            return kind_facts(l, True) | kind_facts(r, True)
        case ast.BoolOp(op="or", left=l, right=r) if not when:
            return kind_facts(l, False) | kind_facts(r, False)
        case ast.Not(operand=o):
            return kind_facts(o, not when)
    return set()


def narrow(t: Type, path: str, scope) -> Type:
    """`t` at `path` as the `type_of()` tests around it narrow it."""
    kinds, excluded = set(), set()
    for k in KINDS:
        if scope.is_nonnull(f"{path}#{k}"):
            kinds.add(k)
        if scope.is_nonnull(f"{path}#~{k}"):
            excluded.add(k)
    if not kinds and not excluded:
        return t
    return T.narrowed_to(t, kinds, excluded)


def check_type_of(c, n, scope, expected):
    from ascc.compiler.builtins import _args

    types = _args(c, n, scope, 1, 1)
    if types and types[0].kind not in ("json", "union", "any"):
        c.bag.warning("W226", f"`type_of()` of a value whose type is known: {types[0]}", n.args[0].span,
                      help="type tests narrow `json` and union values (`int | str`)")
    return KIND_TYPE


def stored_value(v, t: Type):
    """A default or seed value as a row holds it: JSON text for a json or union field."""
    from ascc.lang.builtins import to_json

    return to_json(v) if T.is_dynamic(t) else v


def meta_type(t: Type) -> dict:
    """A json or union field's type as domain.json gives it to the runtime: the text column it is."""
    return {"kind": "str", "nullable": True}


def dynamic_schema(t: Type, domain, strict: bool) -> dict:
    """JSON Schema of a json value (any value: no `type`) or a union (`anyOf` its members)."""
    from ascc.compiler.schemas import json_schema

    if t.kind == "json":
        return {"description": "any JSON value"} if not strict else \
            {"type": ["string", "number", "boolean", "null"]}  # strict mode has no untyped values
    members = [json_schema(m, domain, strict) for m in t.members]
    if t.nullable:
        members.append({"type": "null"})
    return {"anyOf": members}
