"""Plain Python/JSON values (spec literals, seed rows, `domain.json` defaults) as the runtime's values of a type."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from ascc.lang.types import Type

INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1  # `int` columns are DuckDB's BIGINT


def convert_value(x, t: Type, records=None):
    """A plain Python/JSON value converted to the runtime's representation of `t`; raises on mismatch.

    `records(t)` gives the fields of a struct type (needed for nested values).
    """
    if x is None:
        if t.nullable or t.kind in ("null", "any"):
            return None
        raise ValueError("null is not allowed here")
    k = t.kind
    if k in ("str",) and isinstance(x, str):
        return x
    if k in ("json", "union"):
        return convert_dynamic(x, t)
    if k == "enum":
        if isinstance(x, str) and x in t.values:
            return x
        raise ValueError(f"expected one of: {', '.join(t.values)}")
    if k == "bool" and isinstance(x, bool):
        return x
    if k == "int" and isinstance(x, int) and not isinstance(x, bool):
        if not INT_MIN <= x <= INT_MAX:
            raise ValueError(f"out of range: an `int` is a 64-bit integer, {INT_MIN} to {INT_MAX}")
        return x
    if k == "float" and isinstance(x, (int, float)) and not isinstance(x, bool):
        return float(x)
    if k == "decimal" and isinstance(x, (int, float, str, Decimal)) and not isinstance(x, bool):
        try:
            d = Decimal(str(x))
        except InvalidOperation:
            raise ValueError(f"{x!r} is not a number") from None
        if not d.is_finite():
            raise ValueError("not a finite number")
        try:
            q = d.quantize(Decimal(1).scaleb(-t.scale))
        except InvalidOperation:
            raise ValueError(f"too many digits for decimal({t.precision},{t.scale})") from None
        if len(q.as_tuple().digits) - max(0, -q.as_tuple().exponent) > t.precision - t.scale:
            raise ValueError(f"too many digits for decimal({t.precision},{t.scale})")
        return q
    if k == "date":
        if isinstance(x, dt.date) and not isinstance(x, dt.datetime):
            return x
        if isinstance(x, str):
            return dt.date.fromisoformat(x)
    if k == "datetime":
        if isinstance(x, dt.datetime):
            return x
        if isinstance(x, str):
            return dt.datetime.fromisoformat(x)
    if k == "list" and isinstance(x, list):
        return [convert_value(i, t.elem, records) for i in x]
    if k == "map" and isinstance(x, dict):
        return {str(kk): convert_value(v, t.elem, records) for kk, v in x.items()}
    if k == "struct" and isinstance(x, dict) and records is not None:
        return convert_record(x, records(t), records)
    raise TypeError(f"expected {t}, found {type(x).__name__}")


def convert_record(x: dict, fields: dict, records) -> dict:
    """A dict converted field by field; omitted fields take their defaults, unknown ones are refused."""
    unknown = [k for k in x if k not in fields]
    if unknown:
        raise ValueError(f"unknown field `{unknown[0]}`")
    out = {}
    for f in fields.values():
        if f.name in x:
            try:
                out[f.name] = convert_value(x[f.name], f.type, records)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"`{f.name}`: {exc}") from None
        elif f.has_default:
            out[f.name] = f.default
        else:
            raise ValueError(f"missing field `{f.name}`")
    return out


def convert_dynamic(x, t: Type):
    """A YAML/JSON value checked against `json` (any JSON value) or a union (one of its members)."""
    if t.kind == "json":
        _check_json(x, 0)
        return x
    for m in t.members:
        if _kind(x) == ("str" if m.kind == "enum" else m.kind) or (m.kind == "float" and _kind(x) == "int"):
            return convert_value(x, m)
    raise TypeError(f"expected {t}, found {type(x).__name__}")


def _kind(x) -> str:
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "map"}.get(type(x), "other")


def _check_json(x, depth: int) -> None:
    if depth > 100:
        raise ValueError("nested too deeply")
    if isinstance(x, list):
        for v in x:
            _check_json(v, depth + 1)
    elif isinstance(x, dict):
        for v in x.values():
            _check_json(v, depth + 1)
    elif x is not None and _kind(x) == "other":
        raise TypeError(f"a json value holds text, numbers, booleans, null, lists and maps, not {type(x).__name__}")
