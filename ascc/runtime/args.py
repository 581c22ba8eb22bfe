"""Checking a model's tool-call arguments against the tool's parameter types.

The coercion policy, the same for every tool: arguments are JSON and must have their JSON type. A string is
never read as a number or a boolean ("5" is refused for an int), a number never as a string; an int parameter
takes a JSON integer (or a float with no fractional part, such as 5.0); a decimal or float parameter takes
any JSON number; a date takes "YYYY-MM-DD", a datetime an ISO 8601 string; an enum takes one of its values
exactly (case matters); null is taken only where a parameter is optional or nullable; an omitted optional
parameter takes its default. Unknown or missing arguments are refused. Every refusal is a `ToolError` with
code `invalid_arguments` naming the argument (and the path inside it), or `too_large`: whatever the text or
object (numbers of thousands of digits, lone surrogates such as `"\\ud800"`, nesting past any depth), and every
message is valid UTF-8 that quotes the model's text only cut short and escaped.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from decimal import Decimal, InvalidOperation

from ascc.lang.compiled import ToolInfo
from ascc.lang.types import Type
from ascc.runtime.errors import ToolError, escape_surrogates

MAX_ARGUMENT_BYTES = 64 * 1024
MAX_DEPTH = 32
MAX_NUMBER_BITS = 1100  # past any int64, float or decimal(38) a parameter can hold
_SURROGATE = re.compile("[\ud800-\udfff]")


def _fail(path: str, msg: str):
    raise ToolError(f"argument `{shown(path)}`: {msg}", "invalid_arguments")


def shown(text, limit: int = 60) -> str:
    """The model's text for a message: cut to `limit` characters, lone surrogates written as escapes such as
    `\\udc80`."""
    text = str(text)
    if len(text) > limit:
        text = text[:limit] + "…"
    return escape_surrogates(text)


def _kind_name(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    return "an object"


def convert(v, t: Type, path: str, structs: dict, depth: int = 0):
    """One JSON value → the runtime value of type `t`; `structs`: `DomainInfo.structs`."""
    if depth > MAX_DEPTH:
        _fail(path, "nested too deeply")
    k = t.kind
    if k == "json":
        return v  # any JSON value, as given (parsed JSON: bounded by the caller's depth check)
    if v is None:
        if t.nullable:
            return None
        _fail(path, "must not be null")
    if k == "union":
        return _union(v, t, path, structs, depth)
    if k in ("str", "enum"):
        if not isinstance(v, str):
            _fail(path, f"expected a string, found {_kind_name(v)}")
        if k == "enum" and v not in t.values:
            _fail(path, f"expected one of {', '.join(map(repr, t.values))}, found {shown(repr(v))}")
        return v
    if k == "bool":
        if not isinstance(v, bool):
            _fail(path, f"expected true or false, found {_kind_name(v)}")
        return v
    if k in ("int", "float", "decimal"):
        return _number(v, t, path)
    if k in ("date", "datetime"):
        if not isinstance(v, str):
            _fail(path, f"expected an ISO {k} string, found {_kind_name(v)}")
        try:
            return dt.date.fromisoformat(v) if k == "date" else dt.datetime.fromisoformat(v)
        except ValueError:
            _fail(path, f"expected an ISO {k} ({'YYYY-MM-DD' if k == 'date' else 'YYYY-MM-DDTHH:MM:SS'}), "
                        f"found {shown(repr(v))}")
    if k == "list":
        if not isinstance(v, list):
            _fail(path, f"expected an array, found {_kind_name(v)}")
        return [convert(x, t.elem, f"{path}[{i}]", structs, depth + 1) for i, x in enumerate(v)]
    if k == "map":
        if not isinstance(v, dict):
            _fail(path, f"expected an object, found {_kind_name(v)}")
        return {str(key): convert(x, t.elem, f"{path}.{key}", structs, depth + 1) for key, x in v.items()}
    if k == "struct":
        return _record(v, structs[t.name], path, structs, depth)
    _fail(path, f"values of type {k} cannot be passed")


def _union(v, t: Type, path: str, structs: dict, depth: int):
    """The first member of a union (`int | str`) that takes `v`."""
    for m in t.members:
        try:
            return convert(v, m, path, structs, depth)
        except ToolError:
            continue
    shown_types = " | ".join(m.kind for m in t.members)
    _fail(path, f"expected {shown_types}, found {_kind_name(v)}")


def _number(v, t: Type, path: str):
    k = t.kind
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        _fail(path, f"expected a number, found {_kind_name(v)}")
    if isinstance(v, float) and not math.isfinite(v):
        _fail(path, "expected a finite number")
    if isinstance(v, int) and v.bit_length() > MAX_NUMBER_BITS:
        _fail(path, "number out of range")
    if k == "int":
        if isinstance(v, float):
            if not v.is_integer():
                _fail(path, f"expected a whole number, found {shown(repr(v))}")
            v = int(v)
        if abs(v) >= 2 ** 63:
            _fail(path, "number out of range")
        return v
    if k == "float":
        try:
            return float(v)
        except OverflowError:
            _fail(path, "number out of range")
    try:
        d = Decimal(repr(v) if isinstance(v, float) else v)
        q = d.quantize(Decimal(1).scaleb(-t.scale))
    except InvalidOperation:
        _fail(path, "number out of range")
    if q.adjusted() >= t.precision - t.scale:
        _fail(path, f"number out of range for decimal({t.precision},{t.scale})")
    return q


def _record(v, fields: dict, path: str, structs: dict, depth: int) -> dict:
    if not isinstance(v, dict):
        _fail(path, f"expected an object, found {_kind_name(v)}")
    for key in v:
        if key not in fields:
            _fail(f"{path}.{key}", "unexpected field")
    out = {}
    for name, f in fields.items():
        if name in v:
            out[name] = convert(v[name], f.type, f"{path}.{name}", structs, depth + 1)
        elif f.has_default:
            out[name] = f.default
        else:
            _fail(f"{path}.{name}", "missing field")
    return out


def parse_arguments(tool: ToolInfo, arguments, structs: dict, max_bytes: int = MAX_ARGUMENT_BYTES) -> dict:
    """Validated keyword arguments (by Python name) for a tool's generated function; `structs`:
    `DomainInfo.structs`."""
    if isinstance(arguments, (str, bytes)):
        if len(arguments) > max_bytes:
            raise ToolError(f"arguments are larger than {max_bytes} bytes", "too_large")
        text = arguments.decode("utf-8", "replace") if isinstance(arguments, bytes) else arguments
        try:
            arguments = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as exc:
            raise ToolError(f"arguments are not valid JSON: {exc.msg}", "invalid_arguments") from None
        except RecursionError:
            raise ToolError("arguments are not valid JSON: too deeply nested", "invalid_arguments") from None
        except ValueError:  # Python's limit on the digits of an integer (4300)
            raise ToolError("arguments hold a number with too many digits", "invalid_arguments") from None
    elif arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise ToolError(f"arguments must be a JSON object, found {_kind_name(arguments)}", "invalid_arguments")
    if max_bytes and _size(arguments) > max_bytes:
        raise ToolError(f"arguments are larger than {max_bytes} bytes", "too_large")
    params = {p.name: p for p in tool.params}
    for key in arguments:
        if key not in params:
            raise ToolError(f"unexpected argument `{shown(key)}`; this tool takes "
                            f"{', '.join(f'`{p}`' for p in params) or 'no arguments'}", "invalid_arguments")
    out = {}
    for name, p in params.items():
        if name in arguments:
            value = convert(arguments[name], p.arg_type, name, structs)
            out[p.py_name] = p.default if value is None and p.default is not None else value
        elif p.required:
            raise ToolError(f"missing argument `{name}`", "invalid_arguments")
        else:
            out[p.py_name] = p.default
    return out


def _size(value) -> int:
    """The size in UTF-8 bytes of `value` as JSON text; arguments that are not text (a lone surrogate) are
    refused, so that no message, trace or database value ever holds one."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except ValueError as exc:
        if "digits" in str(exc):
            raise ToolError("arguments hold a number with too many digits", "invalid_arguments") from None
        raise ToolError("arguments cannot be read as JSON", "invalid_arguments") from None
    except (TypeError, RecursionError):
        raise ToolError("arguments cannot be read as JSON", "invalid_arguments") from None
    if text.isascii():
        return len(text)
    if _SURROGATE.search(text):
        raise ToolError("arguments are not valid Unicode text: they hold a lone surrogate (such as \\ud800)",
                        "invalid_arguments")
    return len(text.encode("utf-8"))
