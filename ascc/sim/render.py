"""Tool results as a support agent says them: short phrases from the returned fields, no JSON.

`summarise(value)` turns one tool result into `(label, text)` pairs — field names humanised (`gift_card_balance`
-> `gift card balance`), money with two decimals, ISO dates as `August 1, 2025`, lists summarised (the first few
values, or a count of records). It is deterministic: the scenario's `facts` are the pairs' texts (at synthesis)
and the oracle's report says the same pairs (in the episode), so every fact appears in the report verbatim.
`sentence(pairs)` joins pairs into a clause; the templates around it are the oracle's.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from contextlib import contextmanager
from contextvars import ContextVar

MAX_FIELDS = 6  # fields said per record
MAX_ROWS = 3  # records said per list
MAX_VALUES = 5  # scalar values said per list
MAX_TEXT = 120
MONEY = ("price", "amount", "balance", "total", "rate", "fine", "charge", "cost", "fee", "refund", "discount",
         "paid", "credit", "deposit", "subtotal", "difference", "budget", "salary", "bill")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")


def humanise(field: str) -> str:
    """`gift_card_balance` -> `gift card balance`; `checkIn` -> `check in`."""
    out = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(field)).replace("_", " ").replace("-", " ")
    return " ".join(out.split()).lower()


_MONEY_FIELDS: ContextVar[frozenset] = ContextVar("money_fields", default=frozenset())


@contextmanager
def money_fields(names):
    """Within it, fields with these exact names are money too (a spec's `simulation.money`)."""
    token = _MONEY_FIELDS.set(frozenset(names))
    try:
        yield
    finally:
        _MONEY_FIELDS.reset(token)


def is_money(field: str | None) -> bool:
    if field and field in _MONEY_FIELDS.get():
        return True
    words = humanise(field or "").split()
    return any(w.rstrip("s") in MONEY or w in MONEY for w in words)


def fmt(value, field: str | None = None) -> str:
    """One scalar value as text: money, dates, yes/no; strings bare (braces dropped), others plain."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if is_money(field) and not (isinstance(value, int) and "point" in (field or "")):
            return f"${value:,.2f}" if value >= 0 else f"-${-value:,.2f}"
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else f"{value:g}"
        return str(value)
    if value is None:
        return "none"
    text = str(value).replace("{", "").replace("}", "").strip()
    if _DATE.match(text):
        d = _date(text)
        return f"{d:%B} {d.day}, {d.year}" if d else text
    if _DATETIME.match(text):
        try:
            t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return f"{t:%B} {t.day}, {t.year} at {t:%H:%M}"
        except ValueError:
            return text
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1].rstrip() + "…"


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def parse(content):
    """A tool message's content as a value; a string result holding JSON text is decoded too."""
    try:
        value = json.loads(content) if isinstance(content, str) else content
    except json.JSONDecodeError:
        return content
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def is_error(value) -> bool:
    return isinstance(value, dict) and set(value) == {"error"} and isinstance(value["error"], dict)


def summarise(value, arguments: dict | None = None) -> list[tuple[str | None, str]]:
    """What is worth saying about one result: `(label or None, text)` pairs, in the result's order. A record's
    fields that only repeat an argument of the call (the order id the user gave) are left out."""
    if isinstance(value, dict):
        known = {json.dumps(v, sort_keys=True) for v in (arguments or {}).values()}
        row = {k: v for k, v in value.items() if json.dumps(v, sort_keys=True) not in known}
        return _record(row) or _record(value)
    if isinstance(value, list):
        return _list(None, value)
    return [(None, fmt(value))]


def _record(row: dict) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    for k, v in row.items():
        if len(out) >= MAX_FIELDS:
            break
        if v is None or v == "" or (isinstance(v, (list, dict)) and not v and not k.endswith("s")):
            continue
        if isinstance(v, dict):
            scalars = [(kk, vv) for kk, vv in v.items() if not isinstance(vv, (dict, list)) and vv is not None]
            if scalars and len(scalars) == len(v) and len(v) <= 6:
                sep = " " if all("name" in kk for kk, _ in scalars) else ", "
                out.append((humanise(k), sep.join(t for t in (fmt(vv, kk) for kk, vv in scalars) if t)))
            else:
                noun = humanise(k)
                out.append((None, _count(len(v), noun.rstrip("s") if noun.endswith("s") else noun,
                                         noun if noun.endswith("s") else None)))
        elif isinstance(v, list):
            out.extend(_list(humanise(k), v, k))
        else:
            out.append((humanise(k), fmt(v, k)))
    return out


def _list(label: str | None, items: list, field: str | None = None) -> list[tuple[str | None, str]]:
    if not items:
        return [(None, f"no {label}")] if label else [(None, "nothing")]
    if all(not isinstance(v, (dict, list)) for v in items):
        shown = [fmt(v, field) for v in items[:MAX_VALUES]]
        more = len(items) - len(shown)
        return [(label, join(shown + ([f"{more} more"] if more else [])))]
    rows = [v for v in items if isinstance(v, dict)]
    if label is not None or len(rows) != len(items):
        noun = label or "result"
        return [(None, _count(len(items), noun.rstrip("s") if noun.endswith("s") else noun))]
    out: list[tuple[str | None, str]] = [(None, _count(len(rows), "result") + ":")]
    for row in rows[:MAX_ROWS]:
        scalars = [(k, v) for k, v in row.items() if not isinstance(v, (dict, list)) and v is not None]
        if not scalars:
            continue
        head, rest = scalars[0], scalars[1:4]
        text = fmt(head[1], head[0]) + (f" ({', '.join(fmt(v, k) for k, v in rest)})" if rest else "")
        out.append((None, text))
    return out


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def join(items: list[str]) -> str:
    items = [i for i in items if i]
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def sentence(pairs: list[tuple[str | None, str]]) -> str:
    """`the name is Ann Lee, the email is … and the orders are #W1 and #W2` (labels), or a plain list."""
    if pairs and pairs[0][0] is None and pairs[0][1].endswith(":"):
        rest = sentence(pairs[1:])
        return f"{pairs[0][1]} {rest}" if rest else pairs[0][1].rstrip(":")
    parts = []
    for lab, text in pairs:
        if lab is None:
            parts.append(text)
        else:
            verb = "are" if lab.endswith("s") and not lab.endswith(("ss", "us", "is")) else "is"
            parts.append(f"the {lab} {verb} {text}")
    return join(parts)


def facts(value, limit: int, arguments: dict | None = None, skip: frozenset | set = frozenset()) -> list[str]:
    """The texts a report of this result must contain (the first `limit` pairs whose text is not in `skip`)."""
    out: list[str] = []
    for _, text in summarise(value, arguments):
        text = text.rstrip(":")
        if text and text not in out and text not in skip and len(out) < limit:
            out.append(text)
    return out
