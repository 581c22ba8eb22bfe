"""Checked expressions → Python source text for the generated tool module."""

from __future__ import annotations

from ascc.compiler import sqlexpr
from ascc.compiler.builtins import BUILTINS
from ascc.dsl import ast

_OPS = {"and": "and", "or": "or", "in": "in", "not in": "not in"}


def py(n: ast.Node) -> str:
    """Python source for a checked expression node."""
    return _EMIT[type(n)](n)


def _literal(n: ast.Literal) -> str:
    if n.kind == "decimal":
        if n.type is not None and n.type.kind == "float":
            return repr(float(n.value))
        return f"Decimal({n.value!r})"
    return repr(n.value)


def _name(n: ast.Name) -> str:
    if n.ref.kind == "field" and n.ref.type.kind in ("json", "union"):
        return f"B.from_json({n.ref.py})"  # a row's json field, read bare inside `update … :`
    return n.ref.py


def _attr(n: ast.Attr) -> str:
    if n.stored:
        return f"B.from_json({py(n.obj)}[{n.name!r}])"
    return f"{py(n.obj)}[{n.name!r}]"


def _index(n: ast.Index) -> str:
    if isinstance(n.ref, ast.EntityLookup):
        return f"ctx.get({n.ref.entity!r}, {py(n.key)})"
    if isinstance(n.ref, ast.MapKey):
        return f"B.entry_or_none({py(n.obj)}, {py(n.key)})"
    return f"B.item({py(n.obj)}, {py(n.key)})"


def _method(n: ast.Method) -> str:
    entity, op = n.ref.entity, n.ref.op
    if op == "descendants":
        return f"B.descendants(ctx, {entity!r}, {n.args[0].name!r}, {py(n.args[1])})"
    if not n.args:
        return f"ctx.{op}({entity!r})"
    where, params = sqlexpr.to_sql(n.args[0], py)
    return f"ctx.{op}({entity!r}, {where!r}, [{', '.join(params)}])"


def _call(n: ast.Call) -> str:
    b = BUILTINS[n.func]
    args = ", ".join(bare(py(a)) for a in n.args)  # `B.abs(a - b)`, not `B.abs((a - b))`
    if b.via_ctx:
        return f"ctx.{n.func}({args})"
    return f"B.{n.func}({args})"


def _as_float(n: ast.Node) -> str:
    s = py(n)
    return f"float({s})" if n.type is not None and n.type.kind == "decimal" else s


def _binary(n: ast.Binary) -> str:
    floaty = n.type is not None and n.type.kind == "float"
    left, right = (_as_float(n.left), _as_float(n.right)) if floaty else (py(n.left), py(n.right))
    if n.op == "/":
        return f"B.div({left}, {right})"
    if n.op == "%":
        return f"B.mod({left}, {right})"
    return f"({left} {n.op} {right})"


def _compare(n: ast.Compare) -> str:
    if isinstance(n.right, ast.Literal) and n.right.kind == "null" and n.op in ("==", "!="):
        return f"({py(n.left)} is {'not ' if n.op == '!=' else ''}None)"
    return f"({py(n.left)} {_OPS.get(n.op, n.op)} {py(n.right)})"


_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<", "in": "not in", "not in": "in"}


def bare(text: str) -> str:
    """`text` without one pair of enclosing parentheses, when they enclose all of it (`if x > 1:`)."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(text) - 1:
            return text
    return text[1:-1]


def py_negated(n: ast.Node) -> str:
    """Python for `not n`, written the way a reader (and ruff) expects: `x not in y`, `a >= b`, `x is None`.

    Flipping an ordering is exact here: the checker refuses `<` and friends on values that may be null.
    """
    if isinstance(n, ast.Not):
        return py(n.operand)
    if isinstance(n, ast.Compare):
        flipped = ast.Compare(n.span, _NEGATED[n.op], n.left, n.right)
        flipped.type = n.type
        return py(flipped)
    return f"not {py(n)}"


def _dictlit(n: ast.DictLit) -> str:
    items = [f"{it.key!r}: {py(it.value)}" for it in n.items]
    items += [f"{k!r}: {_value_literal(v)}" for k, v in (n.fill or {}).items()]
    return "{" + ", ".join(items) + "}"


def _value_literal(v) -> str:
    """A default value as Python source (Decimals and dates included)."""
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(v, Decimal):
        return f"Decimal({str(v)!r})"
    if isinstance(v, datetime):
        return f"B.datetime({v.isoformat()!r})"
    if isinstance(v, date):
        return f"B.date({v.isoformat()!r})"
    if isinstance(v, list):
        return "[" + ", ".join(_value_literal(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {_value_literal(x)}" for k, x in v.items()) + "}"
    return repr(v)


def _comprehension(n: ast.Comprehension) -> str:
    var = py_var(n)
    cond = f" if {py(n.cond)}" if n.cond is not None else ""
    body = f"{py(n.elem)} for {var} in {py(n.iterable)}{cond}"
    return body if n.reducer else f"[{body}]"


def py_var(n: ast.Comprehension) -> str:
    from ascc.compiler.resolve import py_name

    return n.var_py or py_name(n.var)


_EMIT = {
    ast.Literal: _literal,
    ast.Param: lambda n: _param_py(n),
    ast.Name: _name,
    ast.Attr: _attr,
    ast.Index: _index,
    ast.Method: _method,
    ast.Call: _call,
    ast.Unary: lambda n: f"(-{py(n.operand)})",
    ast.Binary: _binary,
    ast.Compare: _compare,
    ast.BoolOp: lambda n: f"({py(n.left)} {n.op} {py(n.right)})",
    ast.Not: lambda n: f"(not {py(n.operand)})",
    ast.IfExp: lambda n: f"({py(n.then)} if {py(n.cond)} else {py(n.other)})",
    ast.ListLit: lambda n: "[" + ", ".join(py(i) for i in n.items) + "]",
    ast.DictLit: _dictlit,
    ast.Comprehension: _comprehension,
}


def _param_py(n: ast.Param) -> str:
    from ascc.compiler.resolve import py_name

    return py_name(n.name)
