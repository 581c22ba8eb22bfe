"""What a generated tool function sees: `ctx`, one tool call's window onto the environment's database.

Every read and write of a tool goes through here, as bound-parameter SQL: rows by key, queries whose
conditions the compiler turned into SQL, inserts, updates and deletes. Rows read in a call are cached by key,
and writes update the cached row in place, so later effects and the return value see earlier writes. Before a
write the row is checked (field checks, references, key and unique conflicts) so that a refused write fails as a
`ToolError` with DuckDB untouched.

Writes are deferred: each is recorded on its row (several writes to one row merge into one statement) and
reaches DuckDB at `flush` — at the end of the call, or before any query that could see it; updates of the same
scalar columns of several rows of a table go as one statement. Lookups by key never need a flush (a written row
is always cached), and a row whose current value is known (known.py) needs no statement at all. A refused call
usually has nothing to undo; where writes did reach DuckDB, `rollback` puts back each written row's image from
before the call. An `eager` context flushes after every write, one statement per write: the environment falls
back to it when a merged flush fails. A successful call's `commit` hands the rows it wrote, as DuckDB now holds
them, to the known rows and to the digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
from decimal import Decimal

import duckdb

from ascc.duck import sandboxed
from ascc.lang.compiled import DomainInfo
from ascc.lang.types import Type
from ascc.literals import quote_ident as _q
from ascc.runtime import builtins as B  # noqa: F401 - re-exported for generated modules
from ascc.runtime import known as K
from ascc.runtime.errors import KeptError, ToolError

__all__ = ["B", "Context", "ToolError"]

MAX_SQL_ROWS = 100_000  # rows a `sql:` tool's query may return
MAX_DRAWS = 1000  # draws of a key that must be free before a call gives up (`conflict`)
_SQL: dict[tuple, str] = {}  # statements by (kind, entity, columns...)
_PARAM = re.compile(r"\$\w+")
_EQ_TERM = re.compile(r'\("(\w+)" = \?\)')
_EQ_WHERE = re.compile(r'\(?\("\w+" = \?\)(?: AND \("\w+" = \?\))*\)?')
_EQ_TYPES = {"str": str, "enum": str, "int": int, "bool": bool}
_EQUALITIES: dict[str, list | None] = {}  # condition -> its columns, for `_equalities`
_TABLES_READ: dict[str, frozenset | None] = {}  # a `sql:` tool's query -> the tables it names


def _tables_read(text: str) -> frozenset | None:
    """The tables a read-only query names (DuckDB's parser; None when it cannot tell: then every table)."""
    got = _TABLES_READ.get(text, False)
    if got is False:
        try:
            got = frozenset(duckdb.get_table_names(_PARAM.sub("NULL", text)))
        except Exception:  # noqa: BLE001 - not parseable without its parameters: every table
            got = None
        _TABLES_READ[text] = got
    return got
_SCALARS = (str, int, bool, Decimal, dt.date, type(None))  # types whose `==` means "DuckDB would store the same value"
MAX_KEPT_RESULTS, MAX_KEPT_ROWS = 4096, 1000  # `sql:` results kept per domain, and rows per kept result
_PURE: dict[tuple, bool] = {}  # (query, the domain's columns) -> whether its result depends on the rows alone
_PARSER: list = []  # a sandboxed connection for json_serialize_sql, and the functions DuckDB calls consistent
_PARSER_LOCK = threading.Lock()


def _pure(text: str, columns: frozenset) -> bool:
    """Whether a read query's result is a function of its parameters and the rows of the tables it names alone:
    a SELECT (DuckDB's parser) every function of which DuckDB classes as CONSISTENT (not `random()`, `now()`,
    `nextval()`, ...) and every column reference of which names a column of the domain (`current_date` parses as
    a column reference; `columns`: the domain's, lowercased); anything else, or anything the parser cannot tell,
    is not."""
    got = _PURE.get((text, columns))
    if got is None:
        with _PARSER_LOCK:
            if not _PARSER:
                con = sandboxed()
                _PARSER.extend([con, {n for n, ok in con.execute(
                    "SELECT function_name, bool_and(stability = 'CONSISTENT') FROM duckdb_functions() GROUP BY 1"
                ).fetchall() if ok}])
            con, consistent = _PARSER
            try:
                tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [_PARAM.sub("NULL", text)]).fetchone()[0])
            except Exception:  # noqa: BLE001 - not parseable: not pure
                tree = {"error": True}
        funcs, refs = [], []
        _walk(tree, funcs, refs)
        got = (not tree.get("error") and all(f in consistent for f in funcs)
               and all(r and str(r[-1]).lower() in columns for r in refs))
        _PURE[(text, columns)] = got
    return got


def _walk(v, funcs: list, refs: list) -> None:
    if isinstance(v, dict):
        if "function_name" in v:
            funcs.append(v["function_name"])
        if v.get("class") == "COLUMN_REF":
            refs.append(v.get("column_names") or [])
        for x in v.values():
            _walk(x, funcs, refs)
    elif isinstance(v, list):
        for x in v:
            _walk(x, funcs, refs)


def _bindable(v, t: Type, structs: dict):
    """`v` (of type `t`) with every map as DuckDB's {'key': [...], 'value': [...]} form."""
    if v is None:
        return None
    k = t.kind
    if k == "map":
        return {"key": list(v), "value": [_bindable(x, t.elem, structs) for x in v.values()]}
    if k == "list":
        return [_bindable(x, t.elem, structs) for x in v]
    if k == "struct" and t.name in structs:
        fields = structs[t.name]
        return {n: (_bindable(x, fields[n].type, structs) if n in fields else x) for n, x in v.items()}
    return v


def _statement(kind: str, entity: str, keycol: str, cols: tuple = ()) -> str:
    sql = _SQL.get((kind, entity, keycol, cols))
    if sql is None:
        t, k = _q(entity), _q(keycol)
        sql = {"get": f"SELECT * FROM {t} WHERE {k} = ?",
               "insert": f"INSERT INTO {t} ({', '.join(map(_q, cols))}) VALUES ({', '.join('?' * len(cols))})",
               "update": f"UPDATE {t} SET {', '.join(f'{_q(c)} = ?' for c in cols)} WHERE {k} = ?",
               "delete": f"DELETE FROM {t} WHERE {k} = ?"}[kind]
        _SQL[(kind, entity, keycol, cols)] = sql
    return sql


class Context:
    def __init__(self, env, call_index: int = 0, *, eager: bool = False, raw: bool = False):
        self.env = env
        self.raw = raw  # env.py `sync`'s context: it writes the backlog itself, to the connection as it is
        self.info = env.domain.info
        self.entities = self.info.entities
        self.eager = eager
        self.cache: dict[tuple[str, object], dict | None] = {}
        # (entity, key) -> [op, values], in the order rows were first written; op is "insert" (DuckDB has no
        # such row; values: the whole row), "update" (values: the changed columns) or "delete"
        self.pending: dict[tuple[str, object], list] = {}
        self.before: dict[tuple[str, object], dict | None] = {}  # a written row as DuckDB had it before the call
        self.flushed: dict[tuple[str, object], bool] = {}  # rows written to DuckDB -> whether DuckDB has the row
        self.after: dict[tuple[str, object], object] = {}  # a written row as the call leaves it (None: deleted)
        self.wrote = False
        self.raw_write = False  # raw SQL wrote: not undoable row by row
        self.flush_failed = False
        self.deferred: dict | None = None  # finish(): {pk: stored row} when the writes go to the env's backlog

    @property
    def con(self):
        """The environment's connection, with its backlog of earlier calls' writes written first."""
        return self.env._con if self.raw else self.env.con

    def reader(self, entity: str):
        """A connection to read a table with (env.py `reader_for`)."""
        return self.env.reader_for((entity,))

    # ---- reads
    def _fetch(self, entity: str, where: str, params: list, limit: int | None = None) -> list[dict]:
        key = self.entities[entity].key
        untouched = not any(pk[0] == entity for pk in self.after)
        whole = not where and limit is None and untouched
        test = self._equalities(entity, where, params) if where and untouched else None
        if whole or test is not None:  # untouched by this call: no statement if the table is known (known.py)
            known = self.env.known
            rows = known.all(entity, test)  # UNKNOWN where the domain does not keep the table: DuckDB filters
            if rows is not K.UNKNOWN:
                if K.CHECK and test is None:
                    K.check_all(self.reader(entity), f"SELECT * FROM {_q(entity)} ORDER BY {_q(key)}", rows)
                cache = self.cache
                rows = [cache.setdefault((entity, r[key]), r) for r in rows]
            if rows is not K.UNKNOWN:
                if test is not None:
                    rows = rows[:limit]
                    if K.CHECK:
                        K.check_all(self.reader(entity), f"SELECT * FROM {_q(entity)} WHERE {where} ORDER BY {_q(key)}"
                                    + (f" LIMIT {int(limit)}" if limit is not None else ""), rows, params)
                return rows
        if self.pending:
            self.flush()
        sql = _SQL.get(("fetch", entity, where, (key, limit)))  # the key too: domains share entity names
        if sql is None:
            sql = f"SELECT * FROM {_q(entity)}" + (f" WHERE {where}" if where else "") + f" ORDER BY {_q(key)}"
            if limit is not None:
                sql += f" LIMIT {int(limit)}"
            _SQL[("fetch", entity, where, (key, limit))] = sql
        cur = self.reader(entity).execute(sql, params)
        cols = [d[0] for d in cur.description]
        rows = []
        cache = self.cache
        for values in cur.fetchall():
            row = dict(zip(cols, values))
            cached = cache.get((entity, row[key]))
            if cached is None:
                cached = cache[(entity, row[key])] = row
            rows.append(cached)
        if whole:
            self.env.known.read_all(entity, rows)
        return rows

    def _equalities(self, entity: str, where: str, params: list) -> list | None:
        """[(column, value)] for a condition that is only `("col" = ?)` terms joined by AND, on str, enum, int or
        bool columns bound to values of that type (where Python's `==` is SQL's `=`: no casts, no NULL, no NaN);
        None for any other condition (it runs in DuckDB)."""
        cols = _EQUALITIES.get(where, False)
        if cols is False:
            m = _EQ_WHERE.fullmatch(where)
            cols = _EQUALITIES[where] = None if m is None else _EQ_TERM.findall(where)
        if cols is None or len(cols) != len(params):
            return None
        fields = self.entities[entity].fields
        for c, v in zip(cols, params):
            f = fields.get(c)
            if f is None or _EQ_TYPES.get(f.type.kind) is not type(v):
                return None
        return list(zip(cols, params))

    def _remember(self, entity: str, row: dict) -> dict:
        self.cache[(entity, row[self.entities[entity].key])] = row
        return row

    def get(self, entity: str, key) -> dict | None:
        """A row by key: one statement, no ORDER BY, `fetchone`; cached for the rest of the call (a row written
        in this call is always cached, so this never needs a flush)."""
        cache_key = (entity, key)
        if cache_key in self.cache:
            return self.cache[cache_key]
        sql = _statement("get", entity, self.entities[entity].key)
        row = self.env.known.get(entity, key)  # no statement for a row whose value is known (known.py)
        if row is not K.UNKNOWN:
            if K.CHECK:
                K.check_hit(self.reader(entity), sql, key, row)
        else:
            cur = self.reader(entity).execute(sql, [key])
            values = cur.fetchone()
            row = None if values is None else dict(zip([d[0] for d in cur.description], values))
            self.env.known.read(entity, key, row)
        self.cache[cache_key] = row
        return row

    def get_required(self, entity: str, key) -> dict:
        row = self.get(entity, key)
        if row is None:
            raise ToolError(f"{entity} {key!r} not found", "not_found")
        return row

    def one(self, entity: str, where: str = "", params: list | None = None) -> dict | None:
        rows = self._fetch(entity, where, params or [], limit=2)
        if len(rows) > 1:
            raise ToolError(f"more than one {entity} matches", "conflict")
        return rows[0] if rows else None

    def first(self, entity: str, where: str = "", params: list | None = None) -> dict | None:
        rows = self._fetch(entity, where, params or [], limit=1)
        return rows[0] if rows else None

    def all(self, entity: str, where: str = "", params: list | None = None) -> list[dict]:
        return self._fetch(entity, where, params or [])

    def exists(self, entity: str, where: str = "", params: list | None = None) -> bool:
        if self.pending:
            self.flush()
        sql = f"SELECT 1 FROM {_q(entity)}" + (f" WHERE {where}" if where else "") + " LIMIT 1"
        return self.reader(entity).execute(sql, params or []).fetchone() is not None

    def count(self, entity: str, where: str = "", params: list | None = None) -> int:
        if self.pending:
            self.flush()
        sql = f"SELECT count(*) FROM {_q(entity)}" + (f" WHERE {where}" if where else "")
        return self.reader(entity).execute(sql, params or []).fetchone()[0]

    def sql(self, text: str, params: dict, rows: bool = False) -> list[dict] | int:
        """A `sql:` tool's statement: a query's rows, a write's count of changed rows, or (`rows`: a write with
        `RETURNING`) the rows it returns."""
        if self.pending:
            self.flush()
        write = self.env.domain.is_write_sql(text)
        if write:
            self.wrote = self.raw_write = True
            self.env.needs_replay_on_failure = True
            self.env.written(None)
        tables = None if write else _tables_read(text)
        kept = key = None
        if tables is not None and self._as_at_reset(tables) and _pure(text, self.env.domain.column_names):
            # the same result in every environment of the domain whose tables are as at reset: kept per domain
            kept, key = self.env.domain.query_results, (text, repr(params))
            hit = kept.get(key)
            if hit is not None:  # each row a new dict, nested values shared: as known.py `all` hands out rows
                out = [dict(r) for r in hit]
                if K.CHECK:
                    K.check_all(self.env.reader_for(tables), text, out, params)
                return out
        cur = (self.con if write else self.env.reader_for(tables)).execute(text, params)
        if cur.description is None:
            return 0
        cols = [d[0] for d in cur.description]
        got = cur.fetchmany(MAX_SQL_ROWS + 1)  # not fetchall: a million rows would be built before any check
        if len(got) > MAX_SQL_ROWS:
            raise ToolError(f"the query returns more than {MAX_SQL_ROWS:,} rows", "too_large")
        out = [dict(zip(cols, r)) for r in got]
        if write and not rows:
            return out[0].get("Count", len(out)) if out and len(cols) == 1 else len(out)
        if kept is not None and len(out) <= MAX_KEPT_ROWS and len(kept) < MAX_KEPT_RESULTS:
            kept[key] = [K.copy_value(r) for r in out]
        return out

    def _as_at_reset(self, tables) -> bool:
        """Whether these tables (names a query reads) are all the domain's, and as at reset in this environment:
        no row written by this episode (the backlog's rows are among them) or this call, no raw write."""
        known = self.env.known
        return all(t in self.entities and t not in known.stale and not known.rows.get(t)
                   and not any(pk[0] == t for pk in self.after) for t in tables)

    # ---- clock and ids
    def today(self) -> dt.date:
        return self.env.clock_today

    def now(self) -> dt.datetime:
        return self.env.clock_now

    def new_id(self, prefix: str, digits: int = 6, unique_in: str | None = None) -> str:
        """A deterministic id: the same in the gold run and in every replay of the same calls. With `unique_in`
        (an entity with text keys) it is drawn again while a row of that entity has it as its key."""
        for _ in range(MAX_DRAWS):
            n = self.env.id_counter
            self.env.id_counter += 1
            h = hashlib.sha256(f"{self.env.domain.name}|{self.env.id_seed}|{prefix}|{n}".encode()).hexdigest()
            v = f"{prefix}{int(h, 16) % 10 ** digits:0{digits}d}"
            if unique_in is None or self.get(unique_in, v) is None:
                return v
        raise ToolError(f"no free `{unique_in}` key `{prefix}` + {digits} digits after {MAX_DRAWS} draws", "conflict")

    def kept_error(self, message: str) -> KeptError:
        """The result of a call that fails after its effects (`fails_after_effects:`): the writes stay."""
        return KeptError(message)

    # ---- seeded randomness: one stream per environment, from its id seed and the same counter as new_id, so a
    # reset (or a task's `id_seed`) starts it again, a refused call takes back its draws, and replays repeat it
    def _draw(self) -> int:
        n = self.env.id_counter
        self.env.id_counter += 1
        h = hashlib.sha256(f"{self.env.domain.name}|{self.env.id_seed}|~random|{n}".encode()).digest()
        return int.from_bytes(h[:8], "big")

    def random_int(self, lo: int, hi: int, unique_in: str | None = None) -> int:
        if hi < lo:
            raise ToolError(f"random_int({lo}, {hi}): the low end is above the high one", "invalid_arguments")
        for _ in range(MAX_DRAWS):
            v = lo + self._draw() % (hi - lo + 1)
            if unique_in is None or self.get(unique_in, v) is None:
                return v
        raise ToolError(f"no free `{unique_in}` key from {lo} to {hi} after {MAX_DRAWS} draws", "conflict")

    def random_float(self, lo, hi) -> float:
        return float(lo) + (float(hi) - float(lo)) * (self._draw() / 2.0 ** 64)

    def random_choice(self, items: list):
        if not items:
            raise ToolError("random_choice() of an empty list", "invalid_arguments")
        return items[self._draw() % len(items)]

    # ---- writes
    def _check(self, entity: str, row: dict, changed, is_new: bool) -> None:
        meta = self.entities[entity]
        keycol = meta.key
        for name, f in meta.fields.items():
            if name not in changed:
                continue
            v = row[name]
            if v is None:
                if not f.type.nullable:
                    raise ToolError(f"{entity}.{name} cannot be empty", "invalid_arguments")
                continue
            if f.type.kind == "enum" and v not in f.type.values:
                raise ToolError(f"{v!r} is not a valid {entity}.{name}", "invalid_arguments")
            if f.pattern and not self.env.domain.pattern(f.pattern).fullmatch(v):
                raise ToolError(f"{v!r} is not a valid {entity}.{name}", "invalid_arguments")
            if f.ref and self.get(f.ref, v) is None:
                raise ToolError(f"{f.ref} {v!r} not found", "not_found")
            if (f.unique or (name == keycol and is_new)) and self._taken(entity, name, v, row[keycol], is_new):
                raise ToolError(f"{entity} with {name} {v!r} already exists", "conflict")
        for _field, text, pred in self.env.domain.checks.get(entity, ()):
            try:
                ok = pred(row)
            except TypeError:
                ok = True  # a null operand: SQL semantics, the check does not apply
            if not ok:
                raise ToolError(f"{entity} {row[keycol]!r} would violate `{text}`", "precondition")

    def _taken(self, entity: str, col: str, value, key, is_new: bool) -> bool:
        keycol = self.entities[entity].key
        if col == keycol:
            return self.get(entity, value) is not None
        if self.pending:
            self.flush()
        sql = f"SELECT 1 FROM {_q(entity)} WHERE {_q(col)} = ? AND {_q(keycol)} <> ? LIMIT 1"
        return self.reader(entity).execute(sql, [value, key]).fetchone() is not None

    def insert(self, entity: str, row: dict) -> dict:
        self._check(entity, row, row, True)
        row = dict(row)
        pk = (entity, row[self.entities[entity].key])
        if pk not in self.before:
            self.before[pk] = None
        if pk in self.pending:  # deleted earlier in this call: delete, then insert, as written
            self.flush()
        self.pending[pk] = ["insert", row]
        self.cache[pk] = self.after[pk] = row
        self.wrote = True
        if self.eager:
            self.flush()
        return row

    def update(self, entity: str, row: dict, changes: dict) -> dict:
        keycol = self.entities[entity].key
        key = row[keycol]
        if keycol in changes and changes[keycol] != key:
            raise ToolError(f"the key of {entity} cannot change", "invalid_arguments")
        changed = [k for k, v in changes.items() if v is not row.get(k) and not _same(v, row.get(k))]
        self._check(entity, {**row, **changes}, {k for k in changes if changes[k] != row.get(k)}, False)
        self.wrote = True
        pk = (entity, key)
        if pk not in self.before:
            self.before[pk] = dict(row)
        p = self.pending.get(pk)
        if changed:
            if p is None:
                self.pending[pk] = ["update", {k: changes[k] for k in changed}]
            elif p[0] != "delete":
                p[1].update((k, changes[k]) for k in changed)
        row.update(changes)
        # the row object the call holds is its after-image, unless the call updated two objects of one row
        self.after[pk] = row if self.after.get(pk, row) is row else K.UNKNOWN
        if self.eager:
            self.flush()
        return row

    def delete(self, entity: str, row: dict) -> None:
        pk = (entity, row[self.entities[entity].key])
        if pk not in self.before:
            self.before[pk] = dict(row)
        p = self.pending.get(pk)
        if p is not None and p[0] == "insert":
            del self.pending[pk]  # inserted in this call and not yet written: nothing to write
        else:
            self.pending[pk] = ["delete", None]
        self.cache[pk] = self.after[pk] = None
        self.wrote = True
        if self.eager:
            self.flush()

    def flush(self) -> None:
        """Write the pending changes: one statement per written row, except that updates of the same scalar
        columns of several rows of one table go as one statement (`_update_rows`)."""
        pending, self.pending = self.pending, {}
        if not pending:
            return
        digests = self.env.digests
        mapped = self.env.domain.map_columns
        batches = self._batches(pending) if len(pending) > 1 else {}
        self.flush_failed = True  # until every statement has run
        for pk, (op, values) in pending.items():
            entity, key = pk
            keycol = self.entities[entity].key
            if op != "delete" and mapped[entity]:
                values = self._bindable(entity, values)
            batch = batches.get(pk)
            if batch is not None:
                if batch:  # the batch's first row: write them all; the others are then done
                    self._update_rows(entity, keycol, batch)
                    batch.clear()
            elif op == "update":
                cols = tuple(values)
                self.con.execute(_statement("update", entity, keycol, cols), [*values.values(), key])
            elif op == "insert":
                cols = tuple(values)
                self.con.execute(_statement("insert", entity, keycol, cols), list(values.values()))
            else:
                self.con.execute(_statement("delete", entity, keycol), [key])
            self.flushed.pop(pk, None)
            self.flushed[pk] = op != "delete"
            digests.touch(entity, key)
        self.flush_failed = False

    def _batches(self, pending: dict) -> dict:
        """{pk: the shared list of (key, values) of its batch}, for updates that can share one statement: the
        same scalar columns of at least two rows of a table."""
        groups: dict[tuple, list] = {}
        for (entity, key), (op, values) in pending.items():
            if op == "update":
                groups.setdefault((entity, tuple(values)), []).append((key, values))
        out = {}
        for (entity, cols), rows in groups.items():
            if len(rows) > 1 and _column_types(self.info, entity, cols) is not None:
                for key, _values in rows:
                    out[(entity, key)] = rows
        return out

    def _update_rows(self, entity: str, keycol: str, rows: list) -> None:
        """One UPDATE for several rows: `UPDATE t SET c = v.c … FROM (VALUES (?::T, …), …) v WHERE t.k = v.k`.
        Each parameter is cast to its column's type, so a value is converted exactly as `SET c = ?` would."""
        cols = tuple(rows[0][1])
        types = (*_column_types(self.info, entity, (keycol,)), *_column_types(self.info, entity, cols))
        sql = _SQL.get(("update_rows", entity, keycol, cols, types, len(rows)))  # types too: domains share names
        if sql is None:
            row = "(" + ", ".join(f"?::{t}" for t in types) + ")"
            names = ", ".join(f"_v{i}" for i in range(len(types)))
            sets = ", ".join(f"{_q(c)} = _v.{_q(f'_v{i + 1}')}" for i, c in enumerate(cols))
            sql = (f"UPDATE {_q(entity)} SET {sets} FROM (VALUES {', '.join([row] * len(rows))}) _v({names}) "
                   f"WHERE {_q(entity)}.{_q(keycol)} = _v._v0")
            _SQL[("update_rows", entity, keycol, cols, types, len(rows))] = sql
        self.con.execute(sql, [x for key, values in rows for x in (key, *values.values())])

    def finish(self) -> None:
        """The tool returned: its pending writes go to the environment's backlog (env.py `defer`: DuckDB gets
        them when a statement next needs it) when nothing of this call reached DuckDB yet and the stored form of
        every written row is certain, so that DuckDB will take them as they are; otherwise they are flushed now."""
        if self.pending and not (self.eager or self.flushed or self.raw_write) and self.env.lazy_writes:
            known = self.env.known
            stored = {pk: known.stored(pk[0], self.after.get(pk, K.UNKNOWN)) for pk in self.pending}
            if not any(r is K.UNKNOWN for r in stored.values()):
                self.deferred = stored
                return
        self.flush()

    def commit(self) -> None:
        """The call succeeded and every write reached DuckDB (or the backlog): the rows it wrote become known (to
        later reads and to the digest) as DuckDB now holds them, or will."""
        known, digests = self.env.known, self.env.digests
        if self.deferred is not None:
            pending, self.pending = self.pending, {}
            for pk, row in self.deferred.items():
                known.rows.setdefault(pk[0], {})[pk[1]] = row
                digests.touch(*pk, row)
                self.env.defer(pk, pending[pk], row)
            return
        for pk in self.flushed:
            row = known.wrote(*pk, self.after.get(pk, K.UNKNOWN))
            if row is not K.UNKNOWN:
                digests.touch(*pk, row)

    def _bindable(self, entity: str, values: dict) -> dict:
        cols = self.env.domain.map_columns[entity]
        structs = self.info.structs
        return {c: (_bindable(v, cols[c], structs) if c in cols else v) for c, v in values.items()}

    def rollback(self) -> None:
        """Undo this call's writes (the transaction is still healthy): drop what is pending, and put back the
        rows written to DuckDB as they were before the call, newest first."""
        self.pending = {}
        for (entity, key), exists in reversed(self.flushed.items()):
            keycol = self.entities[entity].key
            before = self.before[(entity, key)]
            if before is not None and self.env.domain.map_columns[entity]:
                before = self._bindable(entity, before)
            if before is None:
                if exists:
                    self.con.execute(_statement("delete", entity, keycol), [key])
            elif exists:
                cols = tuple(c for c in before if c != keycol)
                self.con.execute(_statement("update", entity, keycol, cols), [*(before[c] for c in cols), key])
            else:
                cols = tuple(before)
                self.con.execute(_statement("insert", entity, keycol, cols), list(before.values()))
        self.flushed = {}


_SCALAR_SQL = {"str": "VARCHAR", "enum": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN",
               "date": "DATE", "datetime": "TIMESTAMP"}  # as ddl.py declares the columns


def _column_types(info: DomainInfo, entity: str, cols: tuple) -> list[str] | None:
    """The columns' SQL types, or None where one is not a scalar (nested values are written one row each)."""
    fields = info.entities[entity].fields
    types = [fields[c].type for c in cols]
    got = [f"DECIMAL({t.precision},{t.scale})" if t.kind == "decimal" else _SCALAR_SQL.get(t.kind)
           for t in types]
    return None if None in got else got


def _same(a, b) -> bool:
    """Whether writing `a` over `b` would leave DuckDB's value as it is (floats never: -0.0 == 0.0)."""
    return type(a) is type(b) and isinstance(a, _SCALARS) and a == b
