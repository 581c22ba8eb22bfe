"""Rows whose current value in DuckDB is known in Python, so a read by key needs no statement.

A point read (`ctx.get`) costs one DuckDB statement, ~0.35 ms, and a write tool makes several. But every change
to an environment's state goes through a context (row writes), a raw SQL tool (`ctx.sql`, which reports the
tables it may write) or `Environment.written` (the same contract as the incremental digest), so the runtime
knows which rows can have changed since `reset`:

- a row that has not changed since the initial state is the same in every environment of the domain: it is
  kept once per domain (`CompiledDomain.initial_rows`), filled by any environment's read of it;
- a row written in this episode is kept per environment (`KnownRows.rows`) as DuckDB stores and returns it:
  `stored_form` gives that value for what a tool wrote, or says it cannot be sure (a decimal that DuckDB
  would round, an int in a decimal column, a struct with unknown keys, ...), and then the row is read from DuckDB
  next time instead, and kept from that read.

Rows are kept as values DuckDB returned or their exact equivalent, and handed out as deep copies (a context
updates its rows in place), so a read gives what the statement would have given. With `ASCC_CHECK_KNOWN_ROWS=1`
every hit is compared with a real read and a mismatch raises `KnownRowMismatch` (tests run the domains so).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from decimal import Decimal, InvalidOperation

from ascc.lang.types import Type
from ascc.runtime.digest import UNKNOWN  # a row whose value must be read from DuckDB

CHECK = os.environ.get("ASCC_CHECK_KNOWN_ROWS", "") not in ("", "0")
_INT64 = 1 << 63
_QUANTUM: dict[int, Decimal] = {}  # scale -> Decimal('0.01') for 2


class NotStored(Exception):
    """A value whose stored form is not certain."""


class KnownRowMismatch(BaseException):
    """A known row differs from DuckDB's (raised only under ASCC_CHECK_KNOWN_ROWS; a BaseException, so that
    the call's own error handling cannot turn it into a refusal)."""


def copy_value(v):
    """A deep copy of a row value: lists and dicts are copied, everything else in a row is immutable."""
    t = type(v)
    if t is dict:
        return {k: copy_value(x) for k, x in v.items()}
    if t is list:
        return [copy_value(x) for x in v]
    return v


def stored_form(v, t: Type, structs: dict):
    """`v` (written to a column of type `t`) as DuckDB would return it; `NotStored` where that is not certain."""
    if v is None:
        return None
    k = t.kind
    tv = type(v)
    if k in ("str", "enum"):
        if tv is str:
            return v
    elif k == "int":
        if tv is int and -_INT64 <= v < _INT64:
            return v
    elif k == "decimal":
        return _decimal(v, t)
    elif k == "float":
        if tv is float:
            return v
    elif k == "bool":
        if tv is bool:
            return v
    elif k == "date":
        if tv is dt.date:
            return v
    elif k == "datetime":
        if tv is dt.datetime and v.tzinfo is None:
            return v
    elif k == "list":
        if tv is list:
            return [stored_form(x, t.elem, structs) for x in v]
    elif k == "map":
        if tv is dict and all(type(key) is str for key in v):
            return {key: stored_form(x, t.elem, structs) for key, x in v.items()}
    elif k == "struct":
        fields = structs.get(t.name)
        if tv is dict and fields is not None and v.keys() == fields.keys():
            return {n: stored_form(v[n], f.type, structs) for n, f in fields.items()}
    raise NotStored


def _decimal(v, t: Type) -> Decimal:
    """A decimal DuckDB stores exactly: no rounding, no overflow; zero without a sign, at the column's scale."""
    if type(v) is not Decimal or not v.is_finite():
        raise NotStored
    try:
        q = v.quantize(_QUANTUM.get(t.scale) or _QUANTUM.setdefault(t.scale, Decimal(1).scaleb(-t.scale)))
    except InvalidOperation:
        raise NotStored from None
    if q != v or len(q.as_tuple().digits) > t.precision:
        raise NotStored
    return q.copy_abs() if q.is_zero() else q


class KnownRows:
    """One environment's known rows: the domain's initial rows plus what this episode wrote."""

    def __init__(self, domain, load=None):
        self.info = domain.info
        self.initial: dict[str, dict] = domain.initial_rows
        self.tables: dict[str, dict] = domain.initial_tables
        self.indexes: dict[str, list] = domain.initial_indexes
        self.load = load  # entity -> the domain's whole initial table, read once per process (None: not kept)
        self.reset()

    def reset(self) -> None:
        """Back to the initial state."""
        self.rows: dict[str, dict] = {}  # table -> {key: row, None (no row) or UNKNOWN}, written this episode
        self.stale: set[str] = set()  # tables written other than row by row: no initial row can be trusted

    def get(self, entity: str, key):
        """A copy of the row (None: no such row), or UNKNOWN."""
        if type(key) not in (str, int):  # DuckDB would cast other keys; a dict lookup would not
            return UNKNOWN
        written = self.rows.get(entity)
        if written is not None and key in written:
            row = written[key]
        elif entity in self.stale:
            return UNKNOWN
        else:
            table = self.table(entity)
            row = self.initial.get(entity, {}).get(key, UNKNOWN) if table is None else table.get(key)
        return row if row is None or row is UNKNOWN else copy_value(row)

    def table(self, entity: str) -> dict | None:
        """The domain's whole initial table {key: row} in key order: read once per process (`load`), or None
        where it is not kept (a table too large to hold, or no loader: then rows are kept one by one)."""
        table = self.tables.get(entity)
        if table is None and self.load is not None:
            table = self.load(entity)
        return table

    def all(self, entity: str, test: list | None = None):
        """Every row of the table in key order (DuckDB's `ORDER BY key`), or UNKNOWN: the domain's initial table
        (once read whole) with this episode's written rows over it. Each row is a new dict whose nested values
        are shared: generated code never changes a value in place (it builds new lists, maps and structs; a
        context's update replaces top-level fields of its own row dict), and a deep copy of a whole table would
        cost more than the statement it saves. `test`: only the rows whose columns equal these [(column, value)] (of
        str, enum, int or bool columns, values of the column's type: context.py `_equalities`)."""
        if entity in self.stale:
            return UNKNOWN
        table = self.table(entity)
        if table is None:
            return UNKNOWN
        written = self.rows.get(entity)
        if test is not None:
            return self._matching(entity, table, test, written)
        if not written:
            return [dict(r) for r in table.values()]
        if any(r is UNKNOWN for r in written.values()):
            return UNKNOWN
        merged = {**table, **written}  # an updated row keeps its place
        if len(merged) > len(table):  # rows inserted: sorted as DuckDB sorts keys of one type
            types = {type(k) for k in merged}
            if len(types) > 1 or not types <= {str, int}:
                return UNKNOWN
            merged = {k: merged[k] for k in sorted(merged)}
        return [dict(r) for r in merged.values() if r is not None and (test is None or all(r[c] == v for c, v in test))]

    def _matching(self, entity: str, table: dict, test: list, written: dict | None):
        """`all` with a condition: the initial rows that match, found by an index of the table on the tested
        columns (built once per domain), and this episode's written rows that match now, in `all`'s order: the
        initial table's, or the keys' where rows were inserted."""
        entry = self.indexes.get(entity)
        if entry is None or entry[0] is not table:  # the index belongs to one table object (tests clear tables)
            entry = self.indexes[entity] = [table, {}, None]
        cols = tuple(c for c, _ in test)
        index = entry[1].get(cols)
        if index is None:
            index = {}
            for k, r in table.items():
                index.setdefault(tuple(r[c] for c in cols), []).append(k)
            entry[1][cols] = index
        keys = index.get(tuple(v for _, v in test), ())
        if not written:
            return [dict(table[k]) for k in keys]
        if any(r is UNKNOWN for r in written.values()):
            return UNKNOWN
        hits = {k: table[k] for k in keys if k not in written}
        for k, r in written.items():
            if r is not None and all(r[c] == v for c, v in test):
                hits[k] = r
        if any(k not in table for k in written):  # rows inserted: sorted as DuckDB sorts keys of one type
            types = {type(k) for k in written} | {type(k) for k in itertools.islice(table, 1)}
            if len(types) > 1 or not types <= {str, int}:
                return UNKNOWN
            order = sorted(hits)
        else:
            if entry[2] is None:
                entry[2] = {k: i for i, k in enumerate(table)}
            order = sorted(hits, key=entry[2].__getitem__)
        return [dict(hits[k]) for k in order]

    def read_all(self, entity: str, rows: list[dict]) -> None:
        """`rows` is the whole table as just read from DuckDB in key order (outside any write of the current
        call): kept as the domain's initial table when the table is as it was at reset."""
        if entity in self.stale or self.rows.get(entity) or entity in self.tables:
            return
        key = self.info.entities[entity].key
        if all(type(r[key]) in (str, int) for r in rows):
            self.tables[entity] = {r[key]: copy_value(r) for r in rows}

    def read(self, entity: str, key, row: dict | None) -> None:
        """`row` was just read from DuckDB (outside any write of the current call)."""
        if type(key) not in (str, int) or (row is not None and row[self.info.entities[entity].key] != key):
            return
        written = self.rows.get(entity)
        if entity in self.stale or (written is not None and key in written):
            self.rows.setdefault(entity, {})[key] = copy_value(row)
        elif row is not None:  # an initial row: the same in every environment of the domain
            self.initial.setdefault(entity, {})[key] = copy_value(row)

    def wrote(self, entity: str, key, row):
        """A call that wrote the row (None: deleted it; UNKNOWN: not sure of its value) has succeeded. Returns the
        row's stored form, None for no row, or UNKNOWN where that is not certain (it is then read from DuckDB
        next time)."""
        row = self.stored(entity, row)
        self.rows.setdefault(entity, {})[key] = row
        return row

    def stored(self, entity: str, row):
        """The row as DuckDB would store it (None: no row), or UNKNOWN where that is not certain."""
        if row is not None and row is not UNKNOWN:
            fields = self.info.entities[entity].fields
            try:
                if row.keys() != fields.keys():
                    raise NotStored
                row = {n: stored_form(row[n], f.type, self.info.structs) for n, f in fields.items()}
            except Exception:  # NotStored, or a value of no column type at all: the row is read again
                row = UNKNOWN
        return row

    def forget(self, entity: str | None) -> None:
        """A table (None: every table) was written other than row by row."""
        for e in self.info.entities if entity is None else (entity,):
            self.stale.add(e)
            self.rows.pop(e, None)


def check_hit(con, sql: str, key, hit) -> None:
    """Under ASCC_CHECK_KNOWN_ROWS: the known row must be what DuckDB returns, value for value and type for type."""
    cur = con.execute(sql, [key])
    values = cur.fetchone()
    row = None if values is None else dict(zip([d[0] for d in cur.description], values))
    if repr(row) != repr(hit):
        raise KnownRowMismatch(f"known row differs from DuckDB's:\n known {hit!r}\n duckdb {row!r}")


def check_all(con, sql: str, rows: list, params: list | None = None) -> None:
    """Under ASCC_CHECK_KNOWN_ROWS: the known table must be what DuckDB returns, in the same order."""
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    got = [dict(zip(cols, values)) for values in cur.fetchall()]
    if repr(got) != repr(rows):
        raise KnownRowMismatch(f"known table differs from DuckDB's:\n known {rows!r:.2000}\n duckdb {got!r:.2000}")
