"""The builtin function table of the expression language: each entry types its call and says how it runs (its
implementation, `Builtin.impl`, is in `ascc.lang.builtins`, shared with the runtime).

This table is the whole set of functions an expression can call. `sql` names the DuckDB function used when the
call sits inside a query condition over a row's columns; builtins without one cannot appear there.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from ascc.compiler import types as T
from ascc.compiler.regex import pattern_problem
from ascc.compiler.types import Type
from ascc.dsl import ast
from ascc.lang import builtins as _impl


@dataclass(frozen=True)
class Builtin:
    name: str
    check: Callable  # (checker, call, scope, expected) -> Type | None
    doc: str
    sql: str | None = None
    contexts: tuple[str, ...] = ()  # empty: everywhere
    via_ctx: bool = False  # runs through the environment (clock, ids), not the pure builtin module

    @property
    def impl(self) -> Callable | None:
        """What a call runs: the function of `ascc.lang.builtins` generated code calls as `B.<name>` (None for
        one that runs through the environment's context)."""
        return None if self.via_ctx else getattr(_impl, self.name)


def _arity(c, n: ast.Call, lo: int, hi: int, scope) -> bool:
    if not lo <= len(n.args) <= hi:
        want = f"{lo}" if lo == hi else f"{lo} to {hi}"
        c.err("E251", f"`{n.func}()` takes {want} argument{'s' if hi != 1 else ''}, found {len(n.args)}", n.span)
        for a in n.args:
            c.check(a, scope)
        return False
    return True


def _args(c, n, scope, lo, hi, expected=None) -> list[Type] | None:
    if not _arity(c, n, lo, hi, scope):
        return None
    return [c.check(a, scope, expected) for a in n.args]


def _nonnull(c, n, types) -> bool:
    for a, t in zip(n.args, types):
        if t.nullable and t.kind not in ("any", "null"):
            c.err("E237", f"argument of `{n.func}()` may be null", a.span, help="use coalesce(x, default)")
            return False
    return True


def _want(c, n, a, t: Type, ok: Callable[[Type], bool], what: str) -> bool:
    if t.kind == "any" or ok(t):
        return True
    if T.is_dynamic(t):
        c.dynamic_misuse(a, t, f"`{n.func}()` needs {what}", "str" if "string" in what else "list")
        return False
    c.err("E252", f"`{n.func}()` needs {what}, found {t}", a.span)
    return False


def _seq_elem(c, n, scope, expected):
    """The element type of a list argument (or of a generator expression argument)."""
    if len(n.args) == 1:
        types = _args(c, n, scope, 1, 1)
        if types is None:
            return None
        t = types[0]
        if t.kind == "any":
            return T.ANY
        if not _nonnull(c, n, types) or not _want(c, n, n.args[0], t, lambda x: x.kind == "list", "a list"):
            return None
        return t.elem
    types = _args(c, n, scope, 2, 16)
    if types is None or not _nonnull(c, n, types):
        return None
    out = types[0]
    for t in types[1:]:
        out = T.unify(out, t) or out
    return out


def _sum(c, n, scope, expected):
    e = _seq_elem(c, n, scope, expected)
    if e is None or e.kind == "any":
        return None if e is None else T.ANY
    if not e.is_numeric or e.nullable:
        c.err("E252", f"`sum()` needs numbers, found {e}", n.args[0].span)
        return None
    return T.decimal(38, e.scale) if e.kind == "decimal" else e


def _minmax(c, n, scope, expected):
    e = _seq_elem(c, n, scope, expected)
    if e is not None and e.kind not in ("any",) and (e.is_record or e.kind in ("list", "map", "bool")):
        c.err("E252", f"`{n.func}()` needs comparable values, found {e}", n.span)
        return None
    return e


def _anyall(c, n, scope, expected):
    e = _seq_elem(c, n, scope, expected)
    if e is not None and e.kind not in ("any", "bool"):
        c.err("E252", f"`{n.func}()` needs booleans, found {e}", n.span)
    return T.BOOL


def _len(c, n, scope, expected):
    types = _args(c, n, scope, 1, 1)
    if types and _nonnull(c, n, types):
        _want(c, n, n.args[0], types[0], lambda t: t.kind in ("list", "str", "map", "enum"), "a list, map or string")
    return T.INT


def _round(c, n, scope, expected):
    types = _args(c, n, scope, 1, 2)
    if not types or not _nonnull(c, n, types):
        return None
    if not _want(c, n, n.args[0], types[0], lambda t: t.is_numeric, "a number"):
        return None
    digits = 0
    if len(n.args) == 2:
        a = n.args[1]
        if not (isinstance(a, ast.Literal) and a.kind == "int"):
            c.err("E253", "the digits of `round()` must be a whole-number literal", a.span)
            return None
        digits = a.value
    t = types[0]
    if t.kind == "float":
        return T.FLOAT
    if t.kind == "int" and digits == 0:
        return T.INT
    return T.decimal(38, min(digits, 10))


def _same_numeric(c, n, scope, expected):
    types = _args(c, n, scope, 1, 1)
    if types and _nonnull(c, n, types) and _want(c, n, n.args[0], types[0], lambda t: t.is_numeric, "a number"):
        return types[0]
    return None


def _str_fn(result: Type, arity: int = 1):
    def check(c, n, scope, expected):
        types = _args(c, n, scope, arity, arity)
        if types and _nonnull(c, n, types):
            for a, t in zip(n.args, types):
                _want(c, n, a, t, lambda x: x.kind in ("str", "enum"), "a string")
        return result

    return check


def _contains(c, n, scope, expected):
    if not _arity(c, n, 2, 2, scope):
        return T.BOOL
    hay = c.check(n.args[0], scope)
    needle = c.check(n.args[1], scope, hay.elem if hay.kind == "list" else None)
    if _nonnull(c, n, [hay]) and hay.kind not in ("any", "list", "str", "map"):
        c.err("E252", f"`contains()` needs a list, map or string, found {hay}", n.args[0].span)
    elif hay.kind == "str" and needle.kind not in ("any", "str", "enum"):
        c.err("E252", f"`contains()` on a string needs a string, found {needle}", n.args[1].span)
    return T.BOOL


def _matches(c, n, scope, expected):
    """The pattern is a literal, so it is checked here for both engines that may run it (Python and RE2)."""
    types = _args(c, n, scope, 2, 2)
    if not types:
        return T.BOOL
    if _nonnull(c, n, types[:1]):
        _want(c, n, n.args[0], types[0], lambda x: x.kind in ("str", "enum"), "a string")
    pat = n.args[1]
    if not (isinstance(pat, ast.Literal) and pat.kind == "str"):
        c.err("E253", "the pattern of `matches()` is a string literal, as in matches(code, \"[A-Z]{3}[0-9]+\")",
              pat.span)
    elif (problem := pattern_problem(pat.value)) is not None:
        c.err(problem.code, problem.message, pat.span, help=problem.help)
    return T.BOOL


def _format(c, n, scope, expected):
    if not n.args or not (isinstance(n.args[0], ast.Literal) and n.args[0].kind == "str"):
        c.err("E253", "`format()` takes a string literal first, as in format(\"{} items\", n)", n.span)
        for a in n.args:
            c.check(a, scope)
        return T.STR
    fmt = n.args[0]
    c.check(fmt, scope)
    for a in n.args[1:]:
        c.check(a, scope)
    bare = _FIXED_HOLE.sub("{}", fmt.value.replace("{{", "").replace("}}", ""))
    holes = bare.count("{}")
    if holes != bare.count("{") or holes != len(n.args) - 1:
        values = len(n.args) - 1
        c.err("E254", f"the format string has {holes} `{{}}` hole{'s' if holes != 1 else ''} but {values} "
                      f"value{'s follow' if values != 1 else ' follows'}", fmt.span,
              help="use `{}` (or `{:.2f}` for a number with 2 decimals) holes, one per value; "
                   "write `{{` and `}}` for braces")
        return T.STR
    specs = [m.group(0) for m in re.finditer(r"\{(:\.[0-9]+f)?\}", fmt.value.replace("{{", "").replace("}}", ""))]
    for hole, a in zip(specs, n.args[1:]):
        if hole != "{}" and a.type is not None and not (a.type.kind == "any" or a.type.is_numeric):
            c.err("E252", f"the hole `{hole}` needs a number, found {a.type}", a.span)
        if hole != "{}" and int(hole[3:-2]) > MAX_FORMAT_DECIMALS:  # `{:.999999999f}` would print a GB
            c.err("E254", f"the hole `{hole if len(hole) <= 20 else hole[:18] + '…'}` asks for more than "
                          f"{MAX_FORMAT_DECIMALS} decimals", fmt.span, help="use `{:.2f}` for money")
    return T.STR


MAX_FORMAT_DECIMALS = 30


_FIXED_HOLE = re.compile(r"\{:\.[0-9]+f\}")


def _join(c, n, scope, expected):
    types = _args(c, n, scope, 2, 2)
    if types and _nonnull(c, n, types):
        _want(c, n, n.args[0], types[0], lambda t: t.kind == "list" and t.elem.kind in ("str", "enum", "any"),
              "a list of strings")
        _want(c, n, n.args[1], types[1], lambda t: t.kind in ("str", "enum"), "a string")
    return T.STR


def _coalesce(c, n, scope, expected):
    types = _args(c, n, scope, 2, 8, expected)
    if not types:
        return None
    out = types[0]
    for t in types[1:]:
        u = T.unify(out, t)
        if u is None:
            c.err("E249", f"`coalesce()` arguments differ: {out} and {t}", n.span)
            return None
        out = u
    return out if types[-1].nullable else out.nonnull()


def _nullary(result: Type):
    def check(c, n, scope, expected):
        _args(c, n, scope, 0, 0)
        return result

    return check


def _new_id(c, n, scope, expected):
    if not _arity(c, n, 1, 3, scope):
        return T.STR
    if len(n.args) == 3:
        _unique_in(c, n, "str")
    for i, a in enumerate(n.args[:2]):
        c.check(a, scope)
        kind = "str" if i == 0 else "int"
        if not (isinstance(a, ast.Literal) and a.kind == kind):
            c.err("E253", "`new_id()` takes literals: a prefix string and a digit count, as in new_id(\"#W\", 7)",
                  a.span)
        elif kind == "int" and not 1 <= a.value <= 18:
            c.err("E253", "`new_id()` digit counts go from 1 to 18", a.span)
    return T.STR


def _unique_in(c, n: ast.Call, key_kind: str) -> None:
    """The last argument of `new_id(p, d, entity)` / `random_int(lo, hi, entity)`: an entity whose keys a draw
    must avoid (drawn again on a collision). Replaced by its name as a string literal for code generation."""
    a = n.args[-1]
    ent = c.domain.entities.get(a.name) if isinstance(a, ast.Name) else None
    if ent is None:
        c.err("E297", f"expected an entity name: the last argument of `{n.func}()` names the entity whose keys "
              "the draw avoids", a.span, help=f"write the entity's name bare, as in `{n.func}(…, message)`")
        return
    key = ent.fields[ent.key].type
    if key.kind != key_kind:
        c.err("E297", f"`{n.func}()` draws a{'n int' if key_kind == 'int' else ' str'}, but `{ent.name}`'s key "
              f"`{ent.key}` is {key}", a.span,
              help="use `new_id()` for text keys and `random_int()` for whole-number keys")
        return
    c.reads.add(ent.name)
    lit = ast.Literal(a.span, ent.name, "str")
    c.check(lit, None)
    n.args = [*n.args[:-1], lit]


def _random_int(c, n, scope, expected):
    if not _arity(c, n, 2, 3, scope):
        return T.INT
    if len(n.args) == 3:
        _unique_in(c, n, "int")
    for a in n.args[:2]:
        t = c.check(a, scope, T.INT)
        if _want(c, n, a, t, lambda x: x.kind == "int", "whole numbers"):
            _nonnull(c, n, [t])
    lo, hi = n.args[:2]
    if all(isinstance(x, ast.Literal) and x.kind == "int" for x in (lo, hi)) and lo.value > hi.value:
        c.err("E296", f"`random_int({lo.value}, {hi.value})` has no value to draw: the low end is above the high",
              n.span, help=f"swap them: `random_int({hi.value}, {lo.value})`")
    return T.INT


def _random_float(c, n, scope, expected):
    types = _args(c, n, scope, 2, 2)
    if types and all(_want(c, n, a, t, lambda x: x.is_numeric, "numbers") for a, t in zip(n.args, types)):
        _nonnull(c, n, types)
    return T.FLOAT


def _random_choice(c, n, scope, expected):
    types = _args(c, n, scope, 1, 1, T.list_of(expected) if expected is not None else None)
    if not types or not _nonnull(c, n, types):
        return None
    t = types[0]
    if not _want(c, n, n.args[0], t, lambda x: x.kind == "list", "a list"):
        return None
    if isinstance(n.args[0], ast.ListLit) and not n.args[0].items:
        c.err("E296", "`random_choice([])` has nothing to choose from", n.span)
    return t.elem if t.kind == "list" and t.elem is not None else T.ANY


def _parse_time(kind: str):
    def check(c, n, scope, expected):
        types = _args(c, n, scope, 1, 1)
        if types and _want(c, n, n.args[0], types[0], lambda t: t.kind == "str" and not t.nullable, "a string"):
            a = n.args[0]
            if isinstance(a, ast.Literal):
                try:
                    (dt.date if kind == "date" else dt.datetime).fromisoformat(a.value)
                except ValueError:
                    c.err("E255", f"`{a.value}` is not an ISO {kind}", a.span,
                          help="write dates as YYYY-MM-DD and datetimes as YYYY-MM-DDTHH:MM:SS")
        return T.DATE if kind == "date" else T.DATETIME

    return check


def _add_days(c, n, scope, expected):
    types = _args(c, n, scope, 2, 2)
    if not types or not _nonnull(c, n, types):
        return None
    _want(c, n, n.args[1], types[1], lambda t: t.kind == "int", "a whole number of days")
    if _want(c, n, n.args[0], types[0], lambda t: t.kind in ("date", "datetime"), "a date"):
        return types[0]
    return None


def _days_between(c, n, scope, expected):
    types = _args(c, n, scope, 2, 2)
    if types and _nonnull(c, n, types):
        for a, t in zip(n.args, types):
            _want(c, n, a, t, lambda x: x.kind in ("date", "datetime"), "a date")
    return T.INT


def _convert(result: Type, accepts: tuple[str, ...]):
    def check(c, n, scope, expected):
        types = _args(c, n, scope, 1, 1)
        if types and _nonnull(c, n, types):
            _want(c, n, n.args[0], types[0], lambda t: t.kind in accepts, " or ".join(accepts))
        return result

    return check


def _map_part(part: str):
    def check(c, n, scope, expected):
        types = _args(c, n, scope, 1, 1)
        if not types or not _nonnull(c, n, types):
            return None
        if not _want(c, n, n.args[0], types[0], lambda t: t.kind == "map", "a map"):
            return None
        return T.list_of(T.STR if part == "keys" or types[0].kind == "any" else types[0].elem)

    return check


def _range(c, n, scope, expected):
    types = _args(c, n, scope, 1, 2)
    if types and _nonnull(c, n, types):
        for a, t in zip(n.args, types):
            _want(c, n, a, t, lambda x: x.kind == "int", "a whole number")
    return T.list_of(T.INT)


def _sorted(c, n, scope, expected):
    e = _seq_elem(c, n, scope, expected)
    if len(n.args) != 1:
        c.err("E251", "`sorted()` takes one list", n.span)
    return T.list_of(e) if e is not None else None


def _flatten(c, n, scope, expected):
    types = _args(c, n, scope, 1, 1, T.list_of(expected) if expected is not None and expected.kind == "list" else None)
    if not types or not _nonnull(c, n, types):
        return None
    t = types[0]
    if t.kind == "any" or (t.kind == "list" and t.elem is not None and t.elem.kind == "any"):
        return T.list_of(T.ANY)
    if not _want(c, n, n.args[0], t, lambda x: x.kind == "list" and x.elem is not None and x.elem.kind == "list",
                 "a list of lists"):
        return None
    return t.elem.nonnull()


def _index_by(c, n, scope, expected):
    if not _arity(c, n, 2, 2, scope):
        return None
    want = T.list_of(expected.elem) if expected is not None and expected.kind == "map" else None
    t = c.check(n.args[0], scope, want)
    key = n.args[1]
    c.check(key, scope)
    if not (isinstance(key, ast.Literal) and key.kind == "str"):
        c.err("E253", "the field of `index_by()` is a string literal, as in index_by(cards, \"id\")", key.span)
        return None
    if t.kind == "any":
        return T.map_of(T.ANY)
    if not _nonnull(c, n, [t]) or not _want(c, n, n.args[0], t, lambda x: x.kind == "list" and x.elem is not None
                                            and x.elem.is_record, "a list of records"):
        return None
    f = c.domain.record_fields(t.elem).get(key.value)
    if f is None or f.type.kind not in ("str", "enum") or f.type.nullable:
        c.err("E252", f"`index_by()` needs a string field of the records; `{key.value}` is not one", key.span)
        return None
    return T.map_of(t.elem)


_NUMS = ("int", "decimal", "float", "str")
BUILTINS: dict[str, Builtin] = {b.name: b for b in [
    Builtin("len", _len, "the length of a list, map or string", sql="len"),
    Builtin("sum", _sum, "the sum of a list of numbers (0 when empty)"),
    Builtin("min", _minmax, "the smallest of a list, or of several values"),
    Builtin("max", _minmax, "the largest of a list, or of several values"),
    Builtin("any", _anyall, "whether any of a list of booleans is true"),
    Builtin("all", _anyall, "whether all of a list of booleans are true"),
    Builtin("round", _round, "a number rounded half-even to n decimal digits", sql="round"),
    Builtin("abs", _same_numeric, "the absolute value", sql="abs"),
    Builtin("lower", _str_fn(T.STR), "a string in lower case", sql="lower"),
    Builtin("upper", _str_fn(T.STR), "a string in upper case", sql="upper"),
    Builtin("strip", _str_fn(T.STR), "a string without surrounding white space", sql="trim"),
    Builtin("contains", _contains, "whether a string contains another, or a list or map an element", sql="contains"),
    Builtin("startswith", _str_fn(T.BOOL, 2), "whether a string starts with another", sql="starts_with"),
    Builtin("endswith", _str_fn(T.BOOL, 2), "whether a string ends with another", sql="ends_with"),
    Builtin("matches", _matches, "whether the whole string matches a regular expression (a string literal)",
            sql="regexp_full_match"),
    Builtin("format", _format, "a string with each `{}` replaced by the next value (`{:.2f}`: a number, 2 decimals)"),
    Builtin("join", _join, "the strings of a list joined by a separator", sql="array_to_string"),
    Builtin("coalesce", _coalesce, "the first argument that is not null", sql="coalesce"),
    Builtin("today", _nullary(T.DATE), "the environment clock's date", via_ctx=True),
    Builtin("now", _nullary(T.DATETIME), "the environment clock's date and time", via_ctx=True),
    Builtin("new_id", _new_id, "a fresh deterministic id: a prefix and n digits (with an entity: one no row of it "
            "has as its key)", contexts=("tool",), via_ctx=True),
    Builtin("random_int", _random_int, "a whole number from lo to hi, both included, from the environment's seeded "
            "generator (with an entity: one no row of it has as its key)", contexts=("tool",), via_ctx=True),
    Builtin("random_float", _random_float, "a float from lo up to hi, from the environment's seeded generator",
            contexts=("tool",), via_ctx=True),
    Builtin("random_choice", _random_choice, "one element of a non-empty list, from the environment's seeded "
            "generator", contexts=("tool",), via_ctx=True),
    Builtin("date", _parse_time("date"), "a date from an ISO string"),
    Builtin("datetime", _parse_time("datetime"), "a date and time from an ISO string"),
    Builtin("add_days", _add_days, "a date moved by n days"),
    Builtin("days_between", _days_between, "whole days from the first date to the second"),
    Builtin("str", _convert(T.STR, (*_NUMS, "enum", "bool", "date", "datetime")), "a value as a string"),
    Builtin("int", _convert(T.INT, _NUMS), "a number or numeric string as a whole number (truncated)"),
    Builtin("float", _convert(T.FLOAT, _NUMS), "a number or numeric string as a float"),
    Builtin("keys", _map_part("keys"), "the keys of a map, sorted"),
    Builtin("values", _map_part("values"), "the values of a map, by sorted key"),
    Builtin("sorted", _sorted, "a list in ascending order"),
    Builtin("flatten", _flatten, "the elements of a list of lists, in order, as one list"),
    Builtin("index_by", _index_by, "a map of records keyed by one of their string fields (a later record wins)"),
    Builtin("calculate", _str_fn(T.STR), "the value of an arithmetic expression (digits, `+ - * / ( ) .` and spaces) "
            "rounded to 2 decimals, as text: τ²'s calculator"),
    Builtin("range", _range, "the whole numbers from 0 (or a start) up to, not including, an end"),
]}


def _more() -> None:
    """The builtins for strings, paths, order, grouping and JSON values, kept in their own module."""
    from ascc.compiler.builtins_data import DATA_BUILTINS

    BUILTINS.update((b.name, b) for b in DATA_BUILTINS)


_more()
