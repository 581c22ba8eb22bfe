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

from ascc.lang.compiled import DomainInfo
from ascc.lang.types import Type
from ascc.literals import quote_ident as _q
from ascc.literals import sql_literal as _sql_str

VERSION = "ascc-digest-1"
MASK = (1 << 64) - 1
UNKNOWN = object()  # a touched row whose value must be read from DuckDB


def canonical_sql(expr: str, t: Type, structs: dict, depth: int = 0, not_null: bool = False) -> str:
    """SQL that renders `expr` (of type `t`) as its canonical text; never NULL. `not_null`: DuckDB enforces
    that `expr` is not NULL (a NOT NULL column), so no NULL test is needed."""
    return _concat(_parts(expr, t, structs, depth, not_null))


def _concat(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"concat({', '.join(parts)})"


def _parts(expr: str, t: Type, structs: dict, depth: int, not_null: bool) -> list[str]:
    """The canonical text as `concat` arguments, none NULL. The statement's cost grows with the number of
    expression nodes (DuckDB binds and initializes each one per statement, even for a single row), so the
    text is one flat `concat` where it can be, with a NULL test only where a NULL can occur."""
    k = t.kind
    v = f"x{depth}"
    if k in ("str", "enum"):
        return [f"strlen({expr})", "':'", expr] if not_null else [f"coalesce(strlen({expr})::VARCHAR || ':' || {expr}, '~')"]
    if k in ("int", "decimal"):
        return [expr] if not_null else [f"coalesce(({expr})::VARCHAR, '~')"]
    if k == "bool":
        return [f"(CASE WHEN {expr} THEN 't' ELSE 'f' END)" if not_null
                else f"(CASE WHEN {expr} IS NULL THEN '~' WHEN {expr} THEN 't' ELSE 'f' END)"]
    scalar = {"float": f"printf('%.17g', {expr})", "date": f"strftime({expr}, '%Y-%m-%d')",
              "datetime": f"strftime({expr}, '%Y-%m-%dT%H:%M:%S.%f')"}.get(k)
    if scalar is not None:
        return [scalar] if not_null else [f"coalesce({scalar}, '~')"]
    if k == "list":
        inner = canonical_sql(v, t.elem, structs, depth + 1)
        parts = ["'['", _joined(f"list_transform({expr}, lambda {v}: {inner})"), "']'"]
    elif k == "map":
        inner = _concat([f"{v}.key", "'='", *_parts(f"{v}.value", t.elem, structs, depth + 1, False)])
        parts = ["'{'", _joined(f"list_transform(list_sort(map_entries({expr})), lambda {v}: {inner})"), "'}'"]
    else:  # struct
        parts = ["'{'"]
        for i, (name, f) in enumerate(structs[t.name].items()):
            parts += [*([] if i == 0 else ["','"]), *_parts(f"{expr}.{_q(name)}", f.type, structs, depth, False)]
        parts.append("'}'")
    parts = _merge_literals(parts)
    return parts if not_null else [f"(CASE WHEN {expr} IS NULL THEN '~' ELSE {_concat(parts)} END)"]


def _merge_literals(parts: list[str]) -> list[str]:
    """Adjacent string literals as one (`'{'`, `','` → `'{,'`)."""
    out: list[str] = []
    for p in parts:
        if out and _is_literal(p) and _is_literal(out[-1]):
            out[-1] = out[-1][:-1] + p[1:]
        else:
            out.append(p)
    return out


def _is_literal(p: str) -> bool:
    return len(p) >= 2 and p[0] == p[-1] == "'" and "'" not in p[1:-1].replace("''", "")


def _joined(items_sql: str) -> str:
    """The items joined by `,` (`''` for none): `array_to_string` computes its list twice, this once."""
    return f"coalesce(list_aggr({items_sql}, 'string_agg', ','), '')"


def row_hash_sql(fields: dict, structs: dict) -> str:
    """SQL for a row's hash (a UBIGINT), from the columns of the row in scope."""
    parts: list[str] = []
    for i, (name, f) in enumerate(fields.items()):
        if i:
            parts.append("'|'")
        parts += _parts(_q(name), f.type, structs, 0, not f.type.nullable)
    parts = _merge_literals(parts)
    text = _concat(parts) if len(parts) > 1 else f"({parts[0]})::VARCHAR"  # a lone int key is not text yet
    return f"('0x' || left(md5({text}), 16))::UBIGINT"


def table_digest_sql(entity: str, fields: dict, structs: dict) -> str:
    return (f"SELECT count(*), coalesce(sum({row_hash_sql(fields, structs)}::HUGEINT), 0) "
            f"FROM {_q(entity)}")


def state_digest_sql(info: DomainInfo, entities=None) -> str:
    """One statement for the whole state (or for `entities`): a (table, count, sum) row per entity."""
    parts = [f"SELECT {_sql_str(e)} AS t, * FROM ({table_digest_sql(e, m.fields, info.structs)})"
             for e, m in sorted(info.entities.items()) if entities is None or e in entities]
    return " UNION ALL ".join(parts)


def combine(tables: list[tuple[str, int, int]]) -> str:
    h = hashlib.sha256(f"{VERSION}\n".encode())
    for name, count, total in sorted(tables):
        h.update(f"{name}:{count}:{int(total) & MASK}\n".encode())
    return h.hexdigest()


# ---- the same definition in Python, for tests and for states held outside DuckDB


def canonical_text(v, t: Type, structs: dict) -> str:
    if v is None:
        return "~"
    k = t.kind
    if k in ("str", "enum"):
        return f"{len(v.encode('utf-8'))}:{v}"
    if k == "int":
        return str(int(v))
    if k == "decimal":  # fixed-point even where str() would write an exponent (0E-10)
        return format(Decimal(v).quantize(Decimal(1).scaleb(-t.scale)), "f")
    if k == "float":
        return format(float(v), ".17g")
    if k == "bool":
        return "t" if v else "f"
    if k == "date":
        return v.isoformat() if isinstance(v, dt.date) else str(v)
    if k == "datetime":
        return v.strftime("%Y-%m-%dT%H:%M:%S.%f")
    if k == "list":
        return "[" + ",".join(canonical_text(x, t.elem, structs) for x in v) + "]"
    if k == "map":
        items = sorted(v.items())
        return "{" + ",".join(f"{key}={canonical_text(x, t.elem, structs)}" for key, x in items) + "}"
    fields = structs[t.name]
    return "{" + ",".join(canonical_text(v.get(n), f.type, structs) for n, f in fields.items()) + "}"


def row_hash(row: dict, fields: dict, structs: dict) -> int:
    text = "|".join(canonical_text(row[n], f.type, structs) for n, f in fields.items())
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:16], 16)


def python_digest(info: DomainInfo, rows: dict[str, list[dict]]) -> str:
    tables = []
    for entity, m in info.entities.items():
        rs = rows.get(entity, [])
        tables.append((entity, len(rs), sum(row_hash(r, m.fields, info.structs) for r in rs)))
    return combine(tables)


# ---- the digest kept up to date row by row


def row_hashes_sql(info: DomainInfo, whole: tuple[str, ...], some: tuple[str, ...]) -> str:
    """One statement with one column per table, a list of `{'k': key, 'h': row hash}`: every row of each table
    in `whole`, then, for each table in `some`, the rows whose keys are bound (as one list) to its `?`."""
    cols = []
    for e in (*whole, *some):
        m = info.entities[e]
        key = _q(m.key)
        where = f" WHERE list_contains(?, {key})" if e in some else ""
        h = row_hash_sql(m.fields, info.structs)
        cols.append(f"(SELECT list({{'k': {key}, 'h': {h}}}) FROM {_q(e)}{where})")
    return "SELECT " + ", ".join(cols)


class DigestBase:
    """A domain's initial state as row hashes per table (key → hash), shared read-only by its environments,
    and the row-hash statements, built once per set of tables."""

    def __init__(self, info: DomainInfo, con):
        self.info = info
        self._sql: dict[tuple, str] = {}
        tables = tuple(sorted(info.entities))
        row = con.execute(self.statement(tables, ())).fetchone()
        self.initial = {t: {d["k"]: d["h"] for d in got or ()} for t, got in zip(tables, row)}
        self.totals = {t: (len(m), sum(m.values()) & MASK) for t, m in self.initial.items()}

    def statement(self, whole: tuple[str, ...], some: tuple[str, ...]) -> str:
        sql = self._sql.get((whole, some))
        if sql is None:
            sql = self._sql[(whole, some)] = row_hashes_sql(self.info, whole, some)
        return sql


class RowDigests:
    """One environment's digest, kept up to date row by row.

    Writes report the rows they touch (`touch`), raw SQL writes the tables (`touch_table`). `digest` hashes
    exactly the touched rows, takes away their previous hashes (the initial state's, or the ones from an earlier
    digest) and adds the new ones to each table's (count, sum); a touched table is read whole. A row touched with
    its value as DuckDB holds it (a successful call's row, known.py's stored form) is hashed in Python by
    `row_hash`, the same definition; the others are hashed by DuckDB, in one statement for all of them. So the
    value is always the one `state_digest_sql` computes from scratch.
    """

    def __init__(self, base: DigestBase):
        self.base = base
        self.reset()

    def reset(self) -> None:
        """Back to the initial state."""
        self.rows = dict(self.base.initial)  # table -> {key: hash} where no later value is known
        self.changed: dict[str, dict] = {}  # table -> {key: hash, or None for no row}, over `rows`
        self.totals = dict(self.base.totals)
        self.dirty: dict[str, dict] = {}  # table -> {key: row, None (no row) or UNKNOWN} written since the last digest
        self.whole: set[str] = set()  # tables written by raw SQL since the last digest
        self.value: str | None = None

    def touch(self, table: str, key, row=UNKNOWN) -> None:
        """The row was written; `row` is its value as DuckDB now holds it (None: no row), if known."""
        keys = self.dirty.get(table)
        if keys is None:
            self.dirty[table] = {key: row}
        else:
            keys[key] = row
        self.value = None

    def touch_table(self, table: str | None) -> None:
        """A table (None: every table) written in ways not reported row by row."""
        self.whole.update(self.base.info.entities if table is None else (table,))
        self.value = None

    def digest(self, con) -> str:
        if self.value is None:
            if self.dirty or self.whole:
                self._refresh(con)
            self.value = combine([(t, c, s) for t, (c, s) in self.totals.items()])
        return self.value

    def _refresh(self, con) -> None:
        whole = tuple(sorted(self.whole))
        unknown = {t: [k for k, r in keys.items() if r is UNKNOWN] for t, keys in self.dirty.items()
                   if t not in self.whole}
        some = tuple(sorted(t for t, keys in unknown.items() if keys))
        got = (con.execute(self.base.statement(whole, some), [unknown[t] for t in some]).fetchone()
               if whole or some else ())
        for t, pairs in zip(whole, got):
            m = self.rows[t] = {d["k"]: d["h"] for d in pairs or ()}
            self.changed[t] = {}
            self.totals[t] = (len(m), sum(m.values()) & MASK)
        from_sql = dict(zip(some, got[len(whole):]))
        entities, structs = self.base.info.entities, self.base.info.structs
        for t in unknown:
            new = {d["k"]: d["h"] for d in from_sql.get(t) or ()}
            fields = entities[t].fields
            for k, r in self.dirty[t].items():
                if r is not UNKNOWN and r is not None:
                    new[k] = row_hash(r, fields, structs)
            rows, changed = self.rows[t], self.changed.setdefault(t, {})
            count, total = self.totals[t]
            for k in self.dirty[t]:
                old = changed[k] if k in changed else rows.get(k)
                h = changed[k] = new.get(k)
                count += (h is not None) - (old is not None)
                total += (h or 0) - (old or 0)
            self.totals[t] = (count, total & MASK)
        self.dirty.clear()
        self.whole.clear()
