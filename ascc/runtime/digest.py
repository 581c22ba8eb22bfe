"""The state digest: canonical, order-independent, computed inside DuckDB, defined by ascc (not by DuckDB).

Definition (version `ascc-digest-1`). Each row is written as a canonical text, field by field in schema order,
joined with `|`:
  null → `~`; str/enum → `<utf-8 byte length>:<text>`; int → decimal digits; decimal → fixed-point with the
  column's scale (`12.50`); float → C `%.17g`; bool → `t`/`f`; date → `YYYY-MM-DD`;
  datetime → `YYYY-MM-DDTHH:MM:SS.ffffff`; list → `[` items joined by `,` `]`; struct → `{` fields in declared
  order joined by `,` `}`; map → `{` `key=value` entries sorted by key, joined by `,` `}` (keys as strings).
A row's hash is the first 16 hex digits of the MD5 of its text, read as an unsigned 64-bit integer. A table's
digest is (row count, sum of row hashes mod 2^64). The state digest is the SHA-256 of
`ascc-digest-1\n` followed by `<table>:<count>:<sum>\n` for each table in name order.
MD5, SHA-256 and this text are fixed definitions, so a digest written today verifies with any DuckDB version
that computes them; `python_digest` recomputes it without DuckDB, and the tests hold the two equal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

VERSION = "ascc-digest-1"
MASK = (1 << 64) - 1


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def canonical_sql(expr: str, t: dict, structs: dict, depth: int = 0) -> str:
    """SQL that renders `expr` (of type `t`) as its canonical text; never NULL."""
    k = t["kind"]
    v = f"x{depth}"
    if k in ("str", "enum"):
        body = f"(strlen({expr})::VARCHAR || ':' || {expr})"
    elif k == "int":
        body = f"({expr})::VARCHAR"
    elif k == "decimal":
        body = f"({expr})::VARCHAR"
    elif k == "float":
        body = f"printf('%.17g', {expr})"
    elif k == "bool":
        body = f"(CASE WHEN {expr} THEN 't' ELSE 'f' END)"
    elif k == "date":
        body = f"strftime({expr}, '%Y-%m-%d')"
    elif k == "datetime":
        body = f"strftime({expr}, '%Y-%m-%dT%H:%M:%S.%f')"
    elif k == "list":
        inner = canonical_sql(v, t["elem"], structs, depth + 1)
        body = f"('[' || {_joined(f'list_transform({expr}, lambda {v}: {inner})')} || ']')"
    elif k == "map":
        inner = canonical_sql(f"{v}.value", t["elem"], structs, depth + 1)
        entries = f"list_transform(list_sort(map_entries({expr})), lambda {v}: {v}.key || '=' || {inner})"
        body = f"('{{' || {_joined(entries)} || '}}')"
    else:  # struct
        fields = structs[t["name"]]
        parts = [canonical_sql(f"{expr}.{_q(name)}", f["type"], structs, depth) for name, f in fields.items()]
        body = "('{' || " + " || ',' || ".join(parts) + " || '}')" if parts else "'{}'"
    return f"coalesce({body}, '~')"


def _joined(items_sql: str) -> str:
    """The items joined by `,` (`''` for none): `array_to_string` computes its list twice, this once."""
    return f"coalesce(list_aggr({items_sql}, 'string_agg', ','), '')"


def table_digest_sql(entity: str, fields: dict, structs: dict) -> str:
    parts = [canonical_sql(_q(name), f["type"], structs) for name, f in fields.items()]
    text = " || '|' || ".join(parts)
    return (f"SELECT count(*), coalesce(sum(('0x' || left(md5({text}), 16))::UBIGINT::HUGEINT), 0) "
            f"FROM {_q(entity)}")


def state_digest_sql(meta: dict, entities=None) -> str:
    """One statement for the whole state (or for `entities`): a (table, count, sum) row per entity."""
    parts = [f"SELECT {_sql_str(e)} AS t, * FROM ({table_digest_sql(e, m['fields'], meta['structs'])})"
             for e, m in sorted(meta["entities"].items()) if entities is None or e in entities]
    return " UNION ALL ".join(parts)


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def combine(tables: list[tuple[str, int, int]]) -> str:
    h = hashlib.sha256(f"{VERSION}\n".encode())
    for name, count, total in sorted(tables):
        h.update(f"{name}:{count}:{int(total) & MASK}\n".encode())
    return h.hexdigest()


# ---- the same definition in Python, for tests and for states held outside DuckDB


def canonical_text(v, t: dict, structs: dict) -> str:
    if v is None:
        return "~"
    k = t["kind"]
    if k in ("str", "enum"):
        return f"{len(v.encode('utf-8'))}:{v}"
    if k == "int":
        return str(int(v))
    if k == "decimal":  # fixed-point even where str() would write an exponent (0E-10)
        return format(Decimal(v).quantize(Decimal(1).scaleb(-t["scale"])), "f")
    if k == "float":
        return format(float(v), ".17g")
    if k == "bool":
        return "t" if v else "f"
    if k == "date":
        return v.isoformat() if isinstance(v, dt.date) else str(v)
    if k == "datetime":
        return v.strftime("%Y-%m-%dT%H:%M:%S.%f")
    if k == "list":
        return "[" + ",".join(canonical_text(x, t["elem"], structs) for x in v) + "]"
    if k == "map":
        items = sorted(v.items())
        return "{" + ",".join(f"{key}={canonical_text(x, t['elem'], structs)}" for key, x in items) + "}"
    fields = structs[t["name"]]
    return "{" + ",".join(canonical_text(v.get(n), f["type"], structs) for n, f in fields.items()) + "}"


def row_hash(row: dict, fields: dict, structs: dict) -> int:
    text = "|".join(canonical_text(row[n], f["type"], structs) for n, f in fields.items())
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:16], 16)


def python_digest(meta: dict, rows: dict[str, list[dict]]) -> str:
    tables = []
    for entity, m in meta["entities"].items():
        rs = rows.get(entity, [])
        tables.append((entity, len(rs), sum(row_hash(r, m["fields"], meta["structs"]) for r in rs)))
    return combine(tables)
