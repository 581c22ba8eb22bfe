"""Checking `{field: value}` literals: struct values, projections and map literals."""

from __future__ import annotations

from ascc.compiler import types as T
from ascc.compiler.types import Type
from ascc.diagnostics import did_you_mean
from ascc.dsl import ast


def check_record_literal(c, n: ast.DictLit, scope, expected: Type | None) -> Type | None:
    bare = {it.bare for it in n.items}
    if len(bare) > 1:
        c.err("E256", "a literal mixes field names and quoted map keys", n.span,
              help="use bare names for a struct (`{kind: 'refund'}`) or quoted keys for a map (`{\"a\": 1}`)")
        return None
    target = expected.nonnull() if expected is not None else None
    if (n.items and not n.items[0].bare) or (not n.items and target is not None and target.kind == "map"):
        return _map_literal(c, n, scope, expected)  # `{"a": 1}`, or `{}` where a map is expected
    if target is not None and target.kind == "struct":
        fields = c.domain.structs[target.name].fields
        n.fill = check_assignments(c, [(it.key, it.key_span, it.value) for it in n.items], fields, scope,
                                   f"type `{target.name}`", n.span)
        return target
    fields = tuple((it.key, c.check(it.value, scope)) for it in n.items)
    n.fill = {}
    return Type("struct", fields=fields)  # an anonymous record: its fields are readable like a struct's


def _map_literal(c, n, scope, expected):
    want = expected.elem if expected is not None and expected.kind == "map" else None
    out = None
    seen = set()
    for it in n.items:
        if it.key in seen:
            c.err("E257", f"key `{it.key}` is given twice", it.key_span)
        seen.add(it.key)
        t = c.check(it.value, scope, want)
        out = t if out is None else (T.unify(out, t) or out)
    return T.map_of(want or out or T.ANY)


def check_assignments(c, items, fields: dict, scope, owner: str, span, *, partial: bool = False) -> dict:
    """Check `name: value` pairs against a record's fields; returns the defaults to fill in for omitted fields.

    With `partial` (an update) omitted fields keep their values; otherwise every field without a default must be
    given.
    """
    given = set()
    for name, name_span, value in items:
        f = fields.get(name)
        if f is None:
            c.err("E238", f"unknown field `{name}` on {owner}", name_span, help=did_you_mean(name, fields))
            if not isinstance(value, ast.Name):  # a bare name may be an enum value of the misspelt field
                c.check(value, scope)
            continue
        if name in given:
            c.err("E257", f"field `{name}` is given twice", name_span)
        given.add(name)
        c.expect(value, scope, f.type, f"field `{name}`")
    if partial:
        return {}
    missing = [f.name for f in fields.values() if f.name not in given and not f.has_default]
    if missing:
        shown = ", ".join(f"`{m}`" for m in missing[:6]) + (" …" if len(missing) > 6 else "")
        c.err("E258", f"missing field{'s' if len(missing) > 1 else ''} {shown} of {owner}", span,
              help="give every field that has no default (nullable fields default to null)")
    return {f.name: f.default for f in fields.values() if f.name not in given and f.has_default}
