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

import re2 as _re2

from ascc.lang.errors import ToolError


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


REGEX_FLAGS = _re.ASCII  # how the compiler's `re` check reads `\d`, `\w`, `\b`: ASCII, as RE2 does (compiler/regex.py)


class Pattern:
    """A checked pattern (`pattern:` fields and `matches()`), matched by RE2 — the engine DuckDB's
    `regexp_full_match` uses — in time linear in the text: a pattern such as `^(a+)+b$` that makes a
    backtracking engine take minutes on 30 characters takes microseconds here."""

    __slots__ = ("_re2", "pattern")

    def __init__(self, pattern: str):
        self.pattern = pattern
        self._re2 = _re2.compile(pattern)

    def fullmatch(self, s: str) -> bool:
        try:
            return self._re2.fullmatch(s) is not None
        except UnicodeEncodeError:
            return False  # a lone surrogate: not text DuckDB could hold either


@_functools.lru_cache(maxsize=512)
def regex(pattern: str) -> Pattern:
    """A checked pattern, compiled once."""
    return Pattern(pattern)


def matches(s: str, pattern: str) -> bool:
    """Whether the whole of `s` matches the pattern, as DuckDB's `regexp_full_match` does."""
    return regex(pattern).fullmatch(s)


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


MAX_TEXT = 1 << 24  # characters of a string one builtin builds (the result limit is far below it)


def join(xs, sep: str) -> str:
    size = _py.sum(map(_py.len, xs)) + _py.len(sep) * _py.max(0, _py.len(xs) - 1)
    if size > MAX_TEXT:  # `join([$text for i in range(100000)], "")` would copy gigabytes in one step
        raise ToolError(f"join() would make a string of {size:,} characters: at most {MAX_TEXT:,}", "too_large")
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
    try:
        return d + _dt.timedelta(days=n)
    except OverflowError:
        raise ToolError(f"{d.isoformat()} moved by {n} days is out of range", "invalid_arguments") from None


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
        d = Decimal(x) if isinstance(x, _py.str) else x
        if isinstance(d, Decimal) and d.is_finite() and d.adjusted() > MAX_DIGITS:
            raise OverflowError  # `int("1e999999999")` would build a billion digits
        return _py.int(d)
    except (ValueError, InvalidOperation) as exc:
        raise ToolError(f"`{_shown(x)}` is not a number", "invalid_arguments") from exc
    except OverflowError as exc:
        raise ToolError(f"`{_shown(x)}` is too large for a whole number", "invalid_arguments") from exc


def float(x) -> _py.float:  # noqa: A001
    try:
        return _py.float(x)
    except ValueError as exc:
        raise ToolError(f"`{_shown(x)}` is not a number", "invalid_arguments") from exc


def _shown(x, limit: _py.int = 40) -> _py.str:
    """A value for a message: cut to `limit` characters."""
    text = x if isinstance(x, _py.str) else _py.repr(x)
    return text if _py.len(text) <= limit else text[:limit] + "…"


def keys(m: dict) -> list:
    return sorted(m)


def values(m: dict) -> list:
    return [m[k] for k in sorted(m)]


def sorted(xs) -> list:  # noqa: A001
    return _py.sorted(xs)


MAX_RANGE = 100_000  # the most numbers one `range()` makes
MAX_DIGITS = 1000  # the most digits of a number `calculate()` or `int()` builds


def range(*args) -> list:  # noqa: A001
    r = _py.range(*args)
    if _py.len(r) > MAX_RANGE:
        raise ToolError(f"range() of {_py.len(r)} numbers: at most {MAX_RANGE} in one call", "too_large")
    return list(r)


def flatten(xss) -> list:
    return [x for xs in xss for x in xs]


def index_by(records, field: str) -> dict:
    return {r[field]: r for r in records}


_CALC_CHARS = frozenset("0123456789+-*/(). ")
_MAX_BITS = _py.int(MAX_DIGITS * 3.33) + 8  # MAX_DIGITS in bits, with room
# Operators and parentheses one `calculate` takes. Beyond a few hundred, Python's parser nests deep enough to hit
# CPython 3.11's AST recursion limit, which (depending on the stack depth at the call) is raised as a RecursionError
# or, through a bug in its error path, as `SystemError: AST constructor recursion depth mismatch`; refusing such
# expressions before parsing makes the answer the same every time. τ²'s tasks use a handful.
MAX_CALC_OPERATORS = 200


def calculate(expression: str) -> _py.str:
    """τ²'s `calculate`: only digits, `+ - * / ( ) .` and spaces; the value rounded to 2 decimals, as text.

    Every operation's size is known before it runs: a whole number of more than `MAX_DIGITS` digits (such as
    `9**64**64`, which would take minutes) is refused before it is built."""
    import ast as _ast

    if not _py.all(ch in _CALC_CHARS for ch in expression):
        raise ToolError("Invalid characters in expression", "invalid_arguments")
    operators = _py.sum(expression.count(ch) for ch in "+-*/(")
    if operators > MAX_CALC_OPERATORS:
        raise ToolError(f"the expression has {operators} operators and parentheses: at most {MAX_CALC_OPERATORS}",
                        "too_large")
    try:
        value = _arith(_ast.parse(expression.strip(), mode="eval").body)
        return _py.str(_py.round(_py.float(value), 2))
    except ZeroDivisionError:
        raise ToolError("division by zero", "invalid_arguments") from None
    except _TooLarge:
        raise ToolError(f"a number in the expression has more than {MAX_DIGITS} digits", "too_large") from None
    except (SyntaxError, ValueError, TypeError, RecursionError, OverflowError, MemoryError, SystemError) as exc:
        # SystemError: CPython's mis-reported AST RecursionError (see MAX_CALC_OPERATORS), should one still occur
        raise ToolError(f"invalid expression: {_shown(expression)}", "invalid_arguments") from exc


class _TooLarge(Exception):
    pass


def _arith(node):
    import ast as _ast
    import operator as _op

    ops = {_ast.Add: _op.add, _ast.Sub: _op.sub, _ast.Mult: _op.mul, _ast.Div: _op.truediv,
           _ast.FloorDiv: _op.floordiv, _ast.Pow: _op.pow}  # `**` and `//` pass τ²'s character check too
    if isinstance(node, _ast.Constant) and isinstance(node.value, (_py.int, _py.float)):
        return _bounded(node.value)
    if isinstance(node, _ast.BinOp) and type(node.op) in ops:
        left, right = _arith(node.left), _arith(node.right)
        if isinstance(node.op, (_ast.Pow, _ast.Mult)):
            _check_product(left, right, isinstance(node.op, _ast.Pow))
        return _bounded(ops[type(node.op)](left, right))
    if isinstance(node, _ast.UnaryOp) and isinstance(node.op, (_ast.USub, _ast.UAdd)):
        v = _arith(node.operand)
        return -v if isinstance(node.op, _ast.USub) else v
    raise ValueError("not arithmetic")


def _check_product(left, right, power: bool) -> None:
    """Refuse `left * right` or `left ** right` whose whole-number result would pass `_MAX_BITS`."""
    if not isinstance(left, _py.int):
        if power and isinstance(right, _py.float) and isinstance(left, _py.float) and left < 0:
            raise ValueError("a negative number to a fractional power")
        return  # float arithmetic: bounded, overflow raises
    if power:
        if isinstance(right, _py.int) and right > 0 and _py.abs(left) > 1 and right * (_py.abs(left).bit_length() - 1) \
                >= _MAX_BITS:
            raise _TooLarge  # at least that many bits: refused before it is built (`_bounded` checks the rest)
        if isinstance(right, _py.float) and left < 0 and not right.is_integer():
            raise ValueError("a negative number to a fractional power")
    elif isinstance(right, _py.int) and left.bit_length() + right.bit_length() > _MAX_BITS:
        raise _TooLarge


def _bounded(v):
    if isinstance(v, _py.int) and v.bit_length() > _MAX_BITS:
        raise _TooLarge
    if isinstance(v, _py.complex):
        raise ValueError("not a real number")
    return v


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


# ---- strings and paths, list and map order, grouping (compiler/builtins_data.py types them)


def split(s: _py.str, sep: _py.str) -> list:
    if not sep:
        raise ToolError("split() needs a non-empty separator", "invalid_arguments")
    return s.split(sep)


def replace(s: _py.str, old: _py.str, new: _py.str) -> _py.str:
    if old:
        size = _py.len(s) + s.count(old) * (_py.len(new) - _py.len(old))
    else:
        size = _py.len(s) + (_py.len(s) + 1) * _py.len(new)
    if size > MAX_TEXT:
        raise ToolError(f"replace() would make a string of {size:,} characters: at most {MAX_TEXT:,}", "too_large")
    return s.replace(old, new)


def lstrip(s: _py.str, chars: _py.str | None = None) -> _py.str:
    return s.lstrip(chars)


def rstrip(s: _py.str, chars: _py.str | None = None) -> _py.str:
    return s.rstrip(chars)


def slice(x, start: _py.int, end: _py.int | None = None):  # noqa: A001
    return x[start:end]


def normpath(path: _py.str) -> _py.str:
    """`a/./b//c/../d` → `a/b/d`; `..` above the root of an absolute path stays at the root; a relative path
    keeps the `..` it cannot resolve; an empty result is `.` (relative) or `/` (absolute)."""
    absolute = path.startswith("/")
    parts: list = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not absolute:
                parts.append(part)
            continue
        parts.append(part)
    text = "/".join(parts)
    return "/" + text if absolute else (text or ".")


def join_path(base: _py.str, path: _py.str) -> _py.str:
    return normpath(path if path.startswith("/") else f"{base}/{path}")


def basename(path: _py.str) -> _py.str:
    return normpath(path).rsplit("/", 1)[-1] if normpath(path) != "/" else ""


def dirname(path: _py.str) -> _py.str:
    p = normpath(path)
    if "/" not in p:
        return "."
    head = p.rsplit("/", 1)[0]
    return head or "/"


def index_of(xs: list, x) -> _py.int:
    for i, y in enumerate(xs):
        if y == x:
            return i
    return -1


def remove_first(xs: list, x) -> list:
    i = index_of(xs, x)
    return xs if i < 0 else xs[:i] + xs[i + 1:]


def keys_in_order(m: dict) -> list:
    return list(m)


def values_in_order(m: dict) -> list:
    return list(m.values())


def group_by(records, field: _py.str) -> dict:
    out: dict = {}
    for r in records:
        out.setdefault(r[field], []).append(r)
    return out


def merge(*maps) -> dict:
    out: dict = {}
    for m in maps:
        out.update(m)
    return out


MAX_TREE_ROWS = 100_000  # rows one `descendants` query may return


def descendants(ctx, entity: _py.str, field: _py.str, root) -> list:
    """The rows below `root` in the tree that `field` (a reference to the same entity) makes, level by level and
    each level by key: one query per level, reading only the rows below `root`; a row seen twice (a cycle) is not
    followed again."""
    from ascc.literals import quote_ident

    where = f"{quote_ident(field)} = ANY(?)"  # in DuckDB 2.0 faster than list_contains(?, field) on long lists
    key = ctx.entities[entity].key
    seen, level, out = {root}, [root], []
    while level:
        rows = [r for r in ctx.all(entity, where, [level]) if r[key] not in seen]
        seen.update(r[key] for r in rows)
        out += rows
        if _py.len(out) > MAX_TREE_ROWS:
            raise ToolError(f"more than {MAX_TREE_ROWS:,} rows below {root!r}", "too_large")
        level = [r[key] for r in rows]
    return out


# ---- json and union values (compiler/dynamic.py): JSON text in rows, values as given in expressions

_JSON_KINDS = {type(None): "null", bool: "bool", _py.int: "int", _py.float: "float", _py.str: "str", list: "list",
               dict: "map"}


def type_of(x) -> _py.str:
    kind = _JSON_KINDS.get(type(x))
    if kind is None:  # a Decimal, a date or a subclass: what it would be once stored as JSON
        kind = type_of(_json_default(x)) if isinstance(x, (Decimal, _dt.date)) else \
            "map" if isinstance(x, dict) else "list" if isinstance(x, list) else "str"
    return kind


def json(x):
    return x


def _json_default(v):
    if isinstance(v, Decimal):
        return _py.int(v) if v == v.to_integral_value() else _py.float(v)
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    raise TypeError(f"{type(v).__name__} is not a JSON value")


def to_json(x) -> _py.str | None:
    """A value as the JSON text a json or union field holds (null stays SQL NULL)."""
    import json as _json

    if x is None:
        return None
    return _json.dumps(x, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def from_json(text):
    """A json or union field's value as given."""
    import json as _json

    return None if text is None else _json.loads(text)


def unstore(v, spec):
    """`v` with the JSON text of json and union fields in its rows decoded (compiler/dynamic.py `decode_spec`)."""
    if v is None:
        return None
    kind = spec[0]
    if kind == "row":
        return {k: (from_json(x) if k in spec[1] else x) for k, x in v.items()}
    if kind == "list":
        return [unstore(x, spec[1]) for x in v]
    if kind == "map":
        return {k: unstore(x, spec[1]) for k, x in v.items()}
    parts = dict(spec[1])
    return {k: (unstore(x, parts[k]) if k in parts else x) for k, x in v.items()}
