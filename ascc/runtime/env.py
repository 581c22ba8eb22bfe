"""An environment: one compiled domain's state in its own in-memory DuckDB database, and its tool calls.

State model: after `reset` the database holds the initial state inside one open transaction; `reset` is
`ROLLBACK; BEGIN` (~0.1 ms; nothing when DuckDB was not used) plus the task's setup calls. Every tool call is
atomic: its writes are pending until the end of the call (see context.py), so a refused call has usually written
nothing, and otherwise puts back the rows it wrote; a call that breaks the transaction (a DuckDB error, a
timeout) is recovered by rolling back and replaying the successful calls, which are deterministic. Either way the
state afterwards equals the state before the call. A successful call's writes whose stored form is certain wait
in the environment's backlog (`defer`) until a statement needs DuckDB to hold them (`sync`: any use of `con`),
and the database itself is made at the first such use (`_own`): until then the environment reads the initial
state from a database its domain's environments share (`reader`), so an environment whose calls need no query
over what it wrote costs a few KiB, not a database. The digest is kept up to date row by row (digest.py's `RowDigests`), and rows whose value is
known in Python are read without a statement (known.py's `KnownRows`); both are told of every write, so code that
writes to `con` directly must call `written`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from ascc.duck import sandboxed
from ascc.literals import quote_ident
from ascc.runtime import known
from ascc.runtime.args import MAX_ARGUMENT_BYTES, MAX_DEPTH, MAX_NUMBER_BITS, parse_arguments
from ascc.runtime.context import Context
from ascc.runtime.digest import MASK, RowDigests, combine
from ascc.runtime.domain import CompiledDomain
from ascc.runtime.errors import KEPT_ERROR, KeptError, ToolError, escape_surrogates, internal_detail
from ascc.runtime.known import KnownRowMismatch, KnownRows
from ascc.watchdog import WATCHDOG, CallTimeout  # noqa: F401 - CallTimeout: its name here too

log = logging.getLogger("ascc.runtime")
LAZY_WRITES = os.environ.get("ASCC_LAZY_WRITES", "1") != "0"  # 0: every call's writes reach DuckDB at its end
LAZY_DB = os.environ.get("ASCC_LAZY_DB", "1") != "0"  # 0: every environment makes its own database at once
_SHARED_LOCK = threading.Lock()


def seeded_db(domain: CompiledDomain):
    """A new sandboxed in-memory database holding the domain's initial state."""
    con = sandboxed()
    con.execute(domain.schema_sql)
    for entity, table in domain.arrow_state().items():
        con.register("_ascc_seed", table)
        con.execute(f"INSERT INTO {quote_ident(entity)} SELECT * FROM _ascc_seed")
        con.unregister("_ascc_seed")
    con.execute("SET lock_configuration = true")
    return con


def shared_db(domain: CompiledDomain):
    """The domain's initial state in one database per process, read (through one cursor each) by every
    environment that has no database of its own yet; nothing ever writes to it."""
    if domain.shared_db is None:
        with _SHARED_LOCK:
            if domain.shared_db is None:
                domain.shared_db = seeded_db(domain)
    return domain.shared_db


WHOLE_TABLE_ROWS = int(os.environ.get("ASCC_WHOLE_TABLE_ROWS", "100000"))  # larger tables: rows kept one by one


def initial_table(domain: CompiledDomain, entity: str) -> dict | None:
    """The domain's whole initial table, {key: row} in key order as DuckDB returns it, read once per process from
    its shared database (never written, so it holds the initial state whatever any environment did) and kept in
    `domain.initial_tables` for known.py: reads by key and `col = ?` filters are then served from it (with each
    environment's written rows over it). None for a table of more than WHOLE_TABLE_ROWS rows or keys other than
    text or integers."""
    table = domain.initial_tables.get(entity)
    if table is not None:
        return table
    ent = domain.info.entities[entity]
    key = ent.key
    if (ent.fields[key].type.kind not in ("str", "enum", "int")
            or domain.arrow_state()[entity].num_rows > WHOLE_TABLE_ROWS):
        return None
    cur = shared_db(domain).cursor()
    try:
        cur.execute(f"SELECT * FROM {quote_ident(entity)} ORDER BY {quote_ident(key)}")
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, values)) for values in cur.fetchall()]
    finally:
        cur.close()
    if not all(type(r[key]) in (str, int) for r in rows):
        return None
    return domain.initial_tables.setdefault(entity, {r[key]: r for r in rows})


MAX_RESULT_BYTES = 1 << 20


def to_jsonable(v):
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): to_jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_jsonable(x) for x in v]
    return v


@dataclass
class ToolResult:
    """A tool call's outcome as the agent sees it: `content` is JSON text, errors included."""

    tool: str
    arguments: object
    ok: bool
    content: str
    error_code: str | None = None
    wrote: bool = False
    seconds: float = 0.0
    internal: dict | None = None  # an `internal` error's exception, traceback and spec line (not the agent's)

    @property
    def value(self):
        return json.loads(self.content)


@dataclass
class CallRecord:
    tool: str
    arguments: dict
    ok: bool
    content: str
    error_code: str | None
    wrote: bool
    eager: bool = False  # its writes went one statement each (a merged flush had failed)
    internal: dict | None = None  # an `internal` error's exception, traceback and spec line


@dataclass
class Snapshot:
    calls: list[CallRecord]
    id_counter: int
    id_seed: int
    today: dt.date
    now: dt.datetime
    setup: list[CallRecord] | None = None  # the setup calls of the reset it was taken after


@dataclass
class Limits:
    max_argument_bytes: int = MAX_ARGUMENT_BYTES
    max_result_bytes: int = MAX_RESULT_BYTES
    call_seconds: float = 5.0


class Environment:
    """One isolated environment. Not thread-safe: use one per thread (they share nothing but the domain)."""

    def __init__(self, domain: CompiledDomain, limits: Limits | None = None):
        self.domain = domain
        self.limits = limits or Limits()
        # Sandboxed before anything runs, schema.sql included: no file, network or extension access.
        self._con = None  # this environment's own database, made when a statement first needs it (`_own`)
        self._reader = None  # till then, for reads of the initial state: a cursor on the domain's shared database
        self._backlog: dict[tuple[str, object], list] = {}  # see `defer`
        self._touched = False  # DuckDB may differ from the initial state
        self._armed = None  # the watchdog's entry for the call running now
        self.lazy_writes = LAZY_WRITES
        self.known = KnownRows(domain, self._initial_table)
        self.digests = RowDigests(domain.digest_base(self.reader))
        self.log: list[CallRecord] = []
        self.id_counter = 0
        self.id_seed = 0
        self.needs_replay_on_failure = False
        self._setup: list[CallRecord] = []
        self._set_clock(None, None)
        if not LAZY_DB:
            self._own()

    @property
    def con(self):
        """This environment's DuckDB connection, holding its state (the backlog of deferred writes is written
        first). The database is made at the first use: until then the environment's reads of the initial state
        go to a database the domain's environments share (`reader`)."""
        if self._con is None:
            self._own()
        if self._backlog:
            self.sync()
        self._touched = True
        return self._con

    @property
    def reader(self):
        """A connection to read every table with (see `reader_for`)."""
        return self.reader_for(None)

    def reader_for(self, tables):
        """A connection to read these tables (None: every table) with: while the environment has no database of
        its own and these tables are as at reset, a cursor on the domain's shared database (never written);
        else its own, with the backlog's writes to these tables written first (a table's rows never depend on
        another's: the schema has no foreign keys)."""
        backlog = self._backlog
        if tables is not None and backlog and not any(pk[0] in tables for pk in backlog):
            backlog = None
        if self._con is None and not backlog and not self.known.stale:
            if self._reader is None:
                self._reader = shared_db(self.domain).cursor()
            return self._reader
        if self._con is None:
            self._own()
        if backlog:
            self.sync(tables)
        self._touched = True
        return self._con

    def _untimed(self, fn, *args):
        """`fn(*args)`, one-time work of the process or the environment: run during a call, its time does not
        count against the call's limit (the watchdog waits meanwhile)."""
        armed = self._armed
        if armed is None:
            return fn(*args)
        deadline, armed.deadline = armed.deadline, float("inf")
        started = time.monotonic()
        try:
            return fn(*args)
        finally:
            armed.deadline = deadline + (time.monotonic() - started)
            if armed.deadline < WATCHDOG.wake:  # it may have gone to sleep seeing no deadline: it looks again
                WATCHDOG.wakeups.put(None)

    def _initial_table(self, entity: str) -> dict | None:
        """known.py's loader: the domain's whole initial table (see `initial_table`), read outside the call's time."""
        table = self.domain.initial_tables.get(entity)
        return table if table is not None else self._untimed(initial_table, self.domain, entity)

    def _own(self) -> None:
        """This environment's own database: the initial state inside an open transaction (~35 ms for retail).
        Made during a call, its time does not count against the call's limit: the watchdog waits meanwhile."""
        self._con = self._untimed(seeded_db, self.domain)
        self._con.execute("BEGIN TRANSACTION")
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    @con.setter
    def con(self, con) -> None:  # tests wrap the connection to count statements
        self._con = con

    # ---- deferred writes
    def defer(self, pk: tuple[str, object], op: list, row) -> None:
        """A successful call's write of a row (`op` as context.py's pending: insert, update or delete; `row` its
        stored form, None when deleted) waits in the backlog, merged with earlier ones of the same row, until a
        statement needs DuckDB to hold it (`sync`)."""
        e = self._backlog.get(pk)
        if e is None:
            e = self._backlog[pk] = [op[0] != "insert", set(), row]  # [DuckDB has the row, columns to set, row]
        elif op[0] == "insert" and e[0]:  # deleted earlier in the backlog, and DuckDB still has it
            e[1].update(self.domain.info.entities[pk[0]].fields)
        if op[0] == "update":
            e[1].update(op[1])
        e[2] = row

    def sync(self, tables=None) -> None:
        """Write the backlog (its rows of these tables; None: all) to DuckDB, with the statements a call's own
        flush uses (updates of the same scalar columns of several rows batched). Should DuckDB refuse it, the
        episode is replayed one statement a write (`_recover`): the state stays the one the calls made."""
        if tables is None:
            backlog, self._backlog = self._backlog, {}
        else:
            backlog = {pk: e for pk, e in self._backlog.items() if pk[0] in tables}
            for pk in backlog:
                del self._backlog[pk]
        if not backlog:
            return
        if self._con is None:
            self._own()
        self._touched = True
        ctx = Context(self, raw=True)
        entities = self.domain.info.entities
        for (entity, key), (in_db, cols, row) in backlog.items():
            if row is None:
                if in_db:
                    ctx.pending[(entity, key)] = ["delete", None]
            elif not in_db:
                ctx.pending[(entity, key)] = ["insert", dict(row)]
            else:
                cols.discard(entities[entity].key)
                if cols:
                    ctx.pending[(entity, key)] = ["update", {c: row[c] for c in entities[entity].fields if c in cols}]
        try:
            ctx.flush()
        except duckdb.Error:
            self._recover(self.id_counter)
            return
        for pk, (_in_db, _cols, row) in backlog.items():
            self.digests.touch(*pk, row)  # flush marked them unknown; their stored form is known

    # ---- episode
    def _set_clock(self, today, now) -> None:
        clock = self.domain.info.clock
        self.clock_today = dt.date.fromisoformat(str(today or clock.today))
        default_now = f"{self.clock_today.isoformat()}T{clock.now.split('T')[1]}" if today else clock.now
        self.clock_now = dt.datetime.fromisoformat(str(now or default_now))

    def reset(self, *, setup: list[tuple[str, dict]] | None = None, today=None, now=None, id_seed: int = 0) -> None:
        """Back to the initial state; then apply a task's setup calls (which must succeed)."""
        self._backlog.clear()
        if self._touched and self._con is not None:  # else DuckDB holds the initial state already
            self._con.execute("ROLLBACK")
            self._con.execute("BEGIN TRANSACTION")
            self._touched = False
        self.log.clear()
        self._setup = []
        self.digests.reset()
        self.known.reset()
        self.id_counter = 0
        self.id_seed = id_seed
        self._set_clock(today, now)
        for name, args in setup or []:
            r = self.call(name, args)
            if not r.ok:
                raise ValueError(f"setup call {name} failed: {r.content}")
        self._setup = list(self.log)
        self.log.clear()

    # ---- calls
    def call(self, name: str, arguments=None) -> ToolResult:
        """Run one tool call atomically; never raises for anything a model can send."""
        started = time.perf_counter()
        counter = self.id_counter
        record_args = arguments
        wrote = eager = False
        internal = None
        self.needs_replay_on_failure = False
        try:
            meta, fn = self.domain.tool(name)
            kwargs = parse_arguments(meta, arguments, self.domain.info.structs, self.limits.max_argument_bytes)
            record_args = logged_args = _as_args(arguments)
            deadline = time.monotonic() + self.limits.call_seconds if self.limits.call_seconds else None
            ctx = Context(self, len(self.log))
            try:
                value = self._run(fn, ctx, kwargs, counter, deadline)
            except _RunEagerly:
                ctx = Context(self, len(self.log), eager=True)
                value = self._run(fn, ctx, kwargs, counter, deadline)
            wrote, eager = ctx.wrote, ctx.eager
            kept = isinstance(value, KeptError)  # failed after its effects, which stay: an error result that wrote
            content = json.dumps(value.to_json() if kept else to_jsonable(value), ensure_ascii=False)
            if len(content) > self.limits.max_result_bytes:
                if wrote:
                    self._recover(counter)
                raise ToolError("the result is too large to return", "too_large")
            ok, code = (False, KEPT_ERROR) if kept else (True, None)
        except ToolError as err:
            ok, code, content, wrote = False, err.code, json.dumps(err.to_json(), ensure_ascii=False), False
            internal = err.internal
            name, record_args = printable(name), printable(record_args)  # what the model sent, fit for a trace
            logged_args = printable(_as_args(record_args))  # JSON text's `\ud800` escapes read back are lone again
        if not content.isascii():
            try:
                content.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate reached a result: JSON's \u escapes carry it
                content = json.dumps(json.loads(content))
        self.log.append(CallRecord(name if isinstance(name, str) else repr(name), logged_args, ok,
                                   content, code, wrote, eager and wrote, internal))
        return ToolResult(str(name), record_args, ok, content, code, wrote, time.perf_counter() - started,
                          internal)

    def rules_met(self, name: str, arguments=None) -> list[tuple[str, str]]:
        """The policy rules (`rules:` in the spec) a call would meet in the current state, as (rule, message):
        what the agent must check itself, since the tool does not. Nothing is written, and nothing is logged.
        A call the tool itself would refuse (bad arguments, a failed precondition) meets no rule."""
        fn = self.domain.rules.get(name) if isinstance(name, str) else None
        if fn is None:
            return []
        counter = self.id_counter
        try:
            meta, _ = self.domain.tool(name)
            kwargs = parse_arguments(meta, arguments, self.domain.info.structs, self.limits.max_argument_bytes)
            return [tuple(x) for x in fn(Context(self, len(self.log)), **kwargs)]
        except ToolError:
            return []
        except Exception:  # a rule that cannot be evaluated (a bug in generated code) decides nothing
            return []
        finally:
            self.id_counter = counter

    def _run(self, fn, ctx: Context, kwargs: dict, counter: int, deadline: float | None):
        try:
            value = self._guarded(fn, ctx, kwargs, deadline)
            ctx.commit()
            return value
        except ToolError:
            self._undo(ctx, counter)
            raise
        except (duckdb.InterruptException, CallTimeout):
            self._recover(counter)
            raise ToolError(f"the call took longer than {self.limits.call_seconds:g} s; nothing was changed",
                            "timeout") from None
        except duckdb.Error as exc:
            self._recover(counter)
            if ctx.flush_failed and not ctx.eager:
                raise _RunEagerly from None  # merged writes may fail where the tool's own order would not
            raise ToolError(_db_message(exc), "conflict" if isinstance(exc, duckdb.ConstraintException)
                            else "internal") from None
        except Exception as exc:  # a bug in generated code must not reach the agent as a traceback
            self._undo(ctx, counter)
            if os.environ.get("ASCC_DEBUG") == "1":
                raise  # `ascc --debug`: the developer gets the exception itself
            detail = internal_detail(exc, fn)
            log.error("tool %s failed at %s: %s: %s\n%s", getattr(fn, "__name__", "?"), detail["spec"],
                      detail["type"], detail["message"], detail["traceback"])
            raise ToolError(f"the tool failed ({type(exc).__name__}); nothing was changed", "internal",
                            internal=detail) from None

    def _guarded(self, fn, ctx: Context, kwargs: dict, deadline: float | None):
        """The tool function and its writes, under the watchdog: past `deadline` DuckDB is interrupted and the
        Python code of the call gets a `CallTimeout` (see ascc/watchdog.py). Nothing else runs while armed, so the
        bookkeeping before and after (commit, undo, recovery) is never cut in the middle."""
        if deadline is None:
            value = fn(ctx, **kwargs)
            ctx.finish()
            return value
        if time.monotonic() >= deadline:
            raise CallTimeout
        armed = None
        try:
            armed = self._armed = WATCHDOG.arm(self, deadline)
            value = fn(ctx, **kwargs)
            ctx.finish()
        finally:
            if armed is not None:
                self._armed = None
                WATCHDOG.disarm(armed)
        return value

    def _undo(self, ctx: Context, counter: int) -> None:
        self.id_counter = counter
        if not ctx.flushed and not ctx.raw_write:
            ctx.pending = {}
            return
        try:
            if ctx.raw_write:
                raise duckdb.Error("raw SQL writes cannot be undone row by row")
            ctx.rollback()
        except duckdb.Error:
            self._recover(counter)

    def _recover(self, counter: int) -> None:
        """The transaction is broken or cannot be undone in place: rebuild it from the call log."""
        self.needs_replay_on_failure = False
        self._backlog.clear()
        self.digests.reset()
        self.known.reset()
        if self._con is not None:
            self._con.execute("ROLLBACK")
            self._con.execute("BEGIN TRANSACTION")
        self.id_counter = 0
        for rec in [*self._setup, *self.log]:
            if rec.wrote:  # successes and calls that failed after their effects (KeptError): they changed state
                meta, fn = self.domain.tool(rec.tool)
                ctx = Context(self, 0, eager=rec.eager)
                fn(ctx, **parse_arguments(meta, rec.arguments, self.domain.info.structs, 0))
                ctx.flush()
                ctx.commit()
        self.id_counter = counter

    # ---- state
    def digest(self) -> str:
        """The state digest (see digest.py), kept up to date row by row: only the rows written since the last
        digest are hashed again (in Python where the call left their value known, else in one statement), so the
        value always equals `full_digest()` (checked under ASCC_CHECK_KNOWN_ROWS)."""
        digests = self.digests
        sql = digests.whole or any(r is known.UNKNOWN for rows in digests.dirty.values() for r in rows.values())
        value = digests.digest(self.reader if sql else None)  # no statement: no need to sync
        if known.CHECK and value != self.full_digest():
            raise KnownRowMismatch("the incremental digest differs from the full digest")
        return value

    def full_digest(self) -> str:
        """The digest computed from every table, ignoring the cache."""
        return combine([(t, c, s) for t, c, s in self.reader.execute(self.domain.digest_sql).fetchall()])

    def table_digests(self) -> dict[str, tuple[int, int]]:
        return {t: (c, int(s) & MASK) for t, c, s in self.reader.execute(self.domain.digest_sql).fetchall()}

    def written(self, entity: str | None) -> None:
        """A table (None: every table) is about to be written other than through a context's row writes: its
        digest is computed from the whole table next time, and its rows are read from DuckDB again."""
        self.sync()
        self.digests.touch_table(entity)
        self.known.forget(entity)

    def rows(self, entity: str) -> list[dict]:
        key = self.domain.info.entities[entity].key
        cur = self.reader.execute(f"SELECT * FROM {quote_ident(entity)} ORDER BY {quote_ident(key)}")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    # ---- row lookups for the simulator and tests (outside calls: nothing is pending; read as `reader_for` reads, so
    # an environment that wrote nothing keeps reading the shared database)
    def row(self, entity: str, key) -> dict | None:
        """The row of `entity` whose key is `key`, or None."""
        k = quote_ident(self.domain.info.entities[entity].key)
        cur = self.reader_for((entity,)).execute(f"SELECT * FROM {quote_ident(entity)} WHERE {k} = ?", [key])
        values = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], values)) if values else None

    def keys(self, entity: str, field: str | None = None, values: list | None = None) -> list:
        """The keys of `entity`'s rows in key order; with `field`, only of the rows whose `field` is one of
        `values`."""
        k = quote_ident(self.domain.info.entities[entity].key)
        if field is not None and not values:
            return []
        where = "" if field is None else " WHERE " + " OR ".join([f"{quote_ident(field)} = ?"] * len(values))
        sql = f"SELECT {k} FROM {quote_ident(entity)}{where} ORDER BY {k}"
        return [r[0] for r in self.reader_for((entity,)).execute(sql, list(values or ())).fetchall()]

    def field_values(self, entity: str, field: str) -> list[tuple]:
        """(value of `field`, key) of every row of `entity`, in key order."""
        k = quote_ident(self.domain.info.entities[entity].key)
        sql = f"SELECT {quote_ident(field)}, {k} FROM {quote_ident(entity)} ORDER BY {k}"
        return self.reader_for((entity,)).execute(sql).fetchall()

    def state(self) -> dict[str, list[dict]]:
        return {e: self.rows(e) for e in self.domain.info.entities}

    def snapshot(self) -> Snapshot:
        return Snapshot(list(self.log), self.id_counter, self.id_seed, self.clock_today, self.clock_now,
                        list(self._setup))

    def restore(self, snap: Snapshot) -> None:
        """Back to a snapshot's state: reset, then replay the calls that changed something."""
        setup = [(r.tool, r.arguments) for r in (self._setup if snap.setup is None else snap.setup)]
        self.reset(setup=setup, today=snap.today, now=snap.now, id_seed=snap.id_seed)
        for rec in snap.calls:
            if rec.wrote:  # a call that failed after its effects (KeptError) changed state too
                self.call(rec.tool, rec.arguments)
        self.log = list(snap.calls)
        self.id_counter = snap.id_counter

    def interrupt(self) -> None:
        """Stop the DuckDB statement running on this environment's connections (the call watchdog's, from its
        thread): its own database and the cursor on the domain's shared one, whichever exist."""
        for con in (self._con, self._reader):
            if con is not None:
                con.interrupt()

    def close(self) -> None:
        self._backlog.clear()
        for con in (self._con, self._reader):
            if con is not None:
                con.close()

    def __enter__(self) -> Environment:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _RunEagerly(Exception):
    """A call's merged writes failed in DuckDB (the state is recovered): run it again, one statement a write."""


def printable(value, depth: int = 0):
    """`value` (a tool name or arguments as the model sent them) fit for a trace: every string valid UTF-8 (lone
    surrogates written out as escapes such as `\\udc80`) and no number too long to print, so that traces, shells
    and messages can print and store it."""
    if isinstance(value, str):
        return escape_surrogates(value)
    if isinstance(value, int) and value.bit_length() > MAX_NUMBER_BITS:  # past what str() and JSON may print
        return f"<a number of about {int(value.bit_length() * 0.30103)} digits>"
    if depth > MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        return {printable(k) if isinstance(k, str) else k: printable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [printable(v, depth + 1) for v in value]
    return value


def _as_args(arguments) -> dict:
    if isinstance(arguments, dict):
        return arguments
    if isinstance(arguments, (str, bytes)):
        try:
            v = json.loads(arguments)
            return v if isinstance(v, dict) else {"_raw": str(arguments)[:200]}
        except (ValueError, RecursionError):
            return {"_raw": str(arguments)[:200]}
    return {} if arguments is None else {"_raw": repr(arguments)[:200]}


def _db_message(exc: Exception) -> str:
    text = str(exc).split("\n")[0]
    if "constraint" in text.lower():
        return "the change conflicts with existing data; nothing was changed"
    return "the tool failed in the database; nothing was changed"
