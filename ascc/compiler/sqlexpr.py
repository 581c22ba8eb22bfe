"""Query conditions as DuckDB SQL.

A condition such as `email == $email and status in ["pending", "processed"]` runs in DuckDB: every part that
reads the queried row's columns becomes SQL, and every part that does not is computed in Python and bound as a
`?` parameter. Nothing the spec or the agent wrote is ever spliced into the SQL text.
"""

from __future__ import annotations

from collections.abc import Callable

from ascc.compiler.builtins import BUILTINS
from ascc.dsl import ast
from ascc.literals import quote_ident

_SQL_OPS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "and": "AND", "or": "OR",
            "+": "+", "-": "-", "*": "*", "/": "/", "%": "%"}


def reads_columns(node: ast.Node) -> bool:
    """Whether the node reads a column of the row a query filters (anywhere below it)."""
    return any(isinstance(n, ast.Name) and n.ref is not None and n.ref.kind == "column" for n in ast.walk(node))


def unsupported_in_sql(node: ast.Node) -> ast.Node | None:
    """The first sub-node that reads columns but has no SQL form, or None when the whole condition translates."""
    if not reads_columns(node):
        return None
    match node:
        case ast.Name(ref=ref) if ref is not None and ref.kind == "column" and ref.type.kind in ("json", "union"):
            return node  # JSON text in the column: compared as a value only in Python
        case ast.Name() | ast.Literal():
            return None
        case ast.Compare(left=l, right=r) | ast.BoolOp(left=l, right=r) | ast.Binary(left=l, right=r):
            return unsupported_in_sql(l) or unsupported_in_sql(r)
        case ast.Not(operand=o) | ast.Unary(operand=o):
            return unsupported_in_sql(o)
        case ast.Attr(obj=o):
            return unsupported_in_sql(o)
        case ast.Call(func=f, args=args) if BUILTINS.get(f) and BUILTINS[f].sql:
            return next((b for a in args if (b := unsupported_in_sql(a)) is not None), None)
        case ast.ListLit(items=items):
            return next((b for a in items if (b := unsupported_in_sql(a)) is not None), None)
    return node


def _nullable(n: ast.Node) -> bool:
    return n.type is None or n.type.nullable


def to_sql(node: ast.Node, py: Callable[[ast.Node], str]) -> tuple[str, list[str]]:
    """SQL text with `?` placeholders, and the Python expressions whose values fill them, in order."""
    params: list[str] = []

    def emit(n: ast.Node) -> str:
        if not reads_columns(n):
            if isinstance(n, ast.Literal) and n.kind == "null":
                return "NULL"
            params.append(py(n))
            return "?"
        match n:
            case ast.Name():
                return quote_ident(n.ref.field)
            case ast.Attr(obj=o, name=name):
                return f"{emit(o)}.{quote_ident(name)}"
            case ast.Compare(op=op, left=l, right=r):
                if op in ("in", "not in"):
                    return _in(op, l, r)
                if isinstance(r, ast.Literal) and r.kind == "null":
                    return f"({emit(l)} IS {'NOT ' if op == '!=' else ''}NULL)"
                if op in ("==", "!=") and (_nullable(l) or _nullable(r)):  # null-safe, as Python's == is
                    return f"({emit(l)} IS {'NOT ' if op == '==' else ''}DISTINCT FROM {emit(r)})"
                return f"({emit(l)} {_SQL_OPS[op]} {emit(r)})"
            case ast.BoolOp(op=op, left=l, right=r):
                return f"({emit(l)} {_SQL_OPS[op]} {emit(r)})"
            case ast.Binary(op=op, left=l, right=r):
                return f"({emit(l)} {_SQL_OPS[op]} {emit(r)})"
            case ast.Not(operand=o):
                return f"(NOT {emit(o)})"
            case ast.Unary(operand=o):
                return f"(-{emit(o)})"
            case ast.Call(func=f, args=args):
                return _call(f, args)
            case ast.ListLit(items=items):
                return "[" + ", ".join(emit(i) for i in items) + "]"
        raise AssertionError(f"not translatable to SQL: {type(n).__name__}")  # guarded by unsupported_in_sql

    def _in(op: str, left: ast.Node, right: ast.Node) -> str:
        neg = "NOT " if op == "not in" else ""
        rt = right.type
        if rt is not None and rt.kind == "list":
            return f"({neg}list_contains({emit(right)}, {emit(left)}))"
        if rt is not None and rt.kind == "map":
            return f"({neg}list_contains(map_keys({emit(right)}), {emit(left)}))"
        return f"({neg}contains({emit(right)}, {emit(left)}))"

    def _call(f: str, args: list[ast.Node]) -> str:
        if f == "contains" and args[0].type is not None and args[0].type.kind == "list":
            return f"list_contains({emit(args[0])}, {emit(args[1])})"
        if f == "contains" and args[0].type is not None and args[0].type.kind == "map":
            return f"list_contains(map_keys({emit(args[0])}), {emit(args[1])})"
        return f"{BUILTINS[f].sql}({', '.join(emit(a) for a in args)})"

    return emit(node), params
