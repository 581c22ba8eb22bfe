"""The pure builtins of the expression language, as generated tool modules call them (`B.name(...)`).

Their signatures and types live in `ascc.compiler.builtins`; clock and id builtins run through the
environment context instead.
"""

from __future__ import annotations

import builtins as _py
import datetime as _dt
import functools as _functools
import re as _re
from decimal import Decimal, InvalidOperation

from ascc.runtime.errors import ToolError


def _seq(args):
    return list(args[0]) if len(args) == 1 else list(args)


def len(x) -> int:  # noqa: A001 - the spec language's own name
    return _py.len(x)


def sum(xs):  # noqa: A001
    total = 0
    for x in xs:
        total = total + x
    return total


def min(*args):  # noqa: A001
    xs = _seq(args)
    if not xs:
        raise ToolError("min() of an empty list", "internal")
    return _py.min(xs)


def max(*args):  # noqa: A001
    xs = _seq(args)
    if not xs:
        raise ToolError("max() of an empty list", "internal")
    return _py.max(xs)


def any(xs) -> bool:  # noqa: A001
    return _py.any(xs)


def all(xs) -> bool:  # noqa: A001
    return _py.all(xs)


def round(x, digits: int = 0):  # noqa: A001
    if isinstance(x, Decimal):
        return x.quantize(Decimal(1).scaleb(-digits))  # ROUND_HALF_EVEN, the decimal context's default
    return _py.round(x, digits) if digits else _py.round(x)


def abs(x):  # noqa: A001
    return _py.abs(x)


def lower(s: str) -> str:
    return s.lower()


def upper(s: str) -> str:
    return s.upper()


def strip(s: str) -> str:
    return s.strip()


def contains(hay, needle) -> bool:
    return needle in hay


REGEX_FLAGS = _re.ASCII  # `\d`, `\w`, `\b` as DuckDB's RE2 reads them (ascc.compiler.regex)


@_functools.lru_cache(maxsize=512)
def regex(pattern: str) -> _re.Pattern:
    """A checked pattern (`pattern:` fields and `matches()`), compiled once."""
    return _re.compile(pattern, REGEX_FLAGS)


def matches(s: str, pattern: str) -> bool:
    """Whether the whole of `s` matches the pattern, as DuckDB's `regexp_full_match` does."""
    return regex(pattern).fullmatch(s) is not None


def startswith(s: str, prefix: str) -> bool:
    return s.startswith(prefix)


def endswith(s: str, suffix: str) -> bool:
    return s.endswith(suffix)


def format(fmt: str, *args) -> str:  # noqa: A001
    if ":" not in fmt:
        return fmt.format(*(_show(a) for a in args))
    holes = _HOLE.findall(fmt.replace("{{", "").replace("}}", ""))  # `{:.2f}` holes take the number itself
    return fmt.format(*(a if spec else _show(a) for a, spec in zip(args, holes)))


_HOLE = _re.compile(r"\{(:[^}]*)?\}")


def _show(v):
    if isinstance(v, _py.float) and v.is_integer():
        return str(int(v))
    return v


def join(xs, sep: str) -> str:
    return sep.join(xs)


def coalesce(*args):
    for a in args:
        if a is not None:
            return a
    return None


def date(s: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(s)
    except ValueError as exc:
        raise ToolError(f"`{s}` is not a date (YYYY-MM-DD)", "invalid_arguments") from exc


def datetime(s: str) -> _dt.datetime:
    try:
        return _dt.datetime.fromisoformat(s)
    except ValueError as exc:
        raise ToolError(f"`{s}` is not a date and time (YYYY-MM-DDTHH:MM:SS)", "invalid_arguments") from exc


def add_days(d, n: int):
    return d + _dt.timedelta(days=n)


def days_between(a, b) -> int:
    return (b - a).days


def str(x) -> _py.str:  # noqa: A001
    if isinstance(x, (_dt.date, _dt.datetime)):
        return x.isoformat()
    if isinstance(x, bool):
        return "true" if x else "false"
    return _py.str(x)


def int(x) -> _py.int:  # noqa: A001
    try:
        return _py.int(Decimal(x) if isinstance(x, _py.str) else x)
    except (ValueError, InvalidOperation) as exc:
        raise ToolError(f"`{x}` is not a number", "invalid_arguments") from exc


def float(x) -> _py.float:  # noqa: A001
    try:
        return _py.float(x)
    except ValueError as exc:
        raise ToolError(f"`{x}` is not a number", "invalid_arguments") from exc


def keys(m: dict) -> list:
    return sorted(m)


def values(m: dict) -> list:
    return [m[k] for k in sorted(m)]


def sorted(xs) -> list:  # noqa: A001
    return _py.sorted(xs)


def range(*args) -> list:  # noqa: A001
    return list(_py.range(*args))


def flatten(xss) -> list:
    return [x for xs in xss for x in xs]


def index_by(records, field: str) -> dict:
    return {r[field]: r for r in records}


_CALC_CHARS = frozenset("0123456789+-*/(). ")


def calculate(expression: str) -> _py.str:
    """τ²'s `calculate`: only digits, `+ - * / ( ) .` and spaces; the value rounded to 2 decimals, as text."""
    import ast as _ast

    if not _py.all(ch in _CALC_CHARS for ch in expression):
        raise ToolError("Invalid characters in expression", "invalid_arguments")
    try:
        value = _arith(_ast.parse(expression.strip(), mode="eval").body)
    except ZeroDivisionError:
        raise ToolError("division by zero", "invalid_arguments") from None
    except (SyntaxError, ValueError, TypeError, RecursionError, OverflowError) as exc:
        raise ToolError(f"invalid expression: {expression}", "invalid_arguments") from exc
    return _py.str(_py.round(_py.float(value), 2))


def _arith(node):
    import ast as _ast
    import operator as _op

    ops = {_ast.Add: _op.add, _ast.Sub: _op.sub, _ast.Mult: _op.mul, _ast.Div: _op.truediv,
           _ast.FloorDiv: _op.floordiv, _ast.Pow: _op.pow}  # `**` and `//` pass τ²'s character check too
    if isinstance(node, _ast.Constant) and isinstance(node.value, (_py.int, _py.float)):
        return node.value
    if isinstance(node, _ast.BinOp) and type(node.op) in ops:
        left, right = _arith(node.left), _arith(node.right)
        if isinstance(node.op, _ast.Pow) and _py.abs(right) > 64:
            raise ValueError("exponent too large")
        return ops[type(node.op)](left, right)
    if isinstance(node, _ast.UnaryOp) and isinstance(node.op, (_ast.USub, _ast.UAdd)):
        v = _arith(node.operand)
        return -v if isinstance(node.op, _ast.USub) else v
    raise ValueError("not arithmetic")


# ---- helpers the generated code uses for arithmetic and nested values


def div(a, b):
    if b == 0:
        raise ToolError("division by zero", "internal")
    if isinstance(a, _py.float) or isinstance(b, _py.float):
        return a / b
    return Decimal(a) / Decimal(b)


def mod(a, b):
    if b == 0:
        raise ToolError("division by zero", "internal")
    return a % b


def item(xs: list, i: int):
    if not -_py.len(xs) <= i < _py.len(xs):
        raise ToolError(f"index {i} is out of range for a list of {_py.len(xs)}", "not_found")
    return xs[i]


def entry_or_none(m: dict, key: str):
    return m.get(key)


def entry(m: dict, key: str):
    if key not in m:
        raise ToolError(f"no entry `{key}`", "not_found")
    return m[key]


def with_entry(m: dict, key: str, value) -> dict:
    out = dict(m)
    out[key] = value
    return out


def without_entry(m: dict, key: str) -> dict:
    if key not in m:
        raise ToolError(f"no entry `{key}`", "not_found")
    return {k: v for k, v in m.items() if k != key}
