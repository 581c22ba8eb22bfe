"""An environment: one compiled domain's state in its own in-memory DuckDB database, and its tool calls.

State model: after `reset` the database holds the initial state inside one open transaction; `reset` is
`ROLLBACK; BEGIN` (~0.1 ms) plus the task's setup calls. Every tool call is atomic: a refused call undoes its
own writes through the context's undo log; a call that breaks the transaction (a DuckDB error, a timeout) is
recovered by rolling back and replaying the successful calls, which are deterministic. Either way the state
afterwards equals the state before the call.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from ascc.runtime.args import MAX_ARGUMENT_BYTES, parse_arguments
from ascc.runtime.context import Context
from ascc.runtime.digest import combine
from ascc.runtime.domain import CompiledDomain
from ascc.runtime.errors import ToolError

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


@dataclass
class Snapshot:
    calls: list[CallRecord]
    id_counter: int
    id_seed: int
    today: dt.date
    now: dt.datetime


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
        self.con = duckdb.connect(":memory:", config={"threads": 1})
        self.con.execute(domain.schema_sql)
        for entity, table in domain.arrow_state().items():
            self.con.register("_ascc_seed", table)
            self.con.execute(f'INSERT INTO "{entity.replace(chr(34), chr(34) * 2)}" SELECT * FROM _ascc_seed')
            self.con.unregister("_ascc_seed")
        self.con.execute("SET enable_external_access = false")
        self.con.execute("SET lock_configuration = true")
        self.log: list[CallRecord] = []
        self.id_counter = 0
        self.id_seed = 0
        self.needs_replay_on_failure = False
        self._setup: list[CallRecord] = []
        self._set_clock(None, None)
        self.con.execute("BEGIN TRANSACTION")

    # ---- episode
    def _set_clock(self, today, now) -> None:
        clock = self.domain.meta["clock"]
        self.clock_today = dt.date.fromisoformat(str(today or clock["today"]))
        default_now = f"{self.clock_today.isoformat()}T{clock['now'].split('T')[1]}" if today else clock["now"]
        self.clock_now = dt.datetime.fromisoformat(str(now or default_now))

    def reset(self, *, setup: list[tuple[str, dict]] | None = None, today=None, now=None, id_seed: int = 0) -> None:
        """Back to the initial state; then apply a task's setup calls (which must succeed)."""
        self.con.execute("ROLLBACK")
        self.con.execute("BEGIN TRANSACTION")
        self.log.clear()
        self._setup = []
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
        wrote = False
        try:
            meta, fn = self.domain.tool(name)
            kwargs = parse_arguments(meta, arguments, self.domain.meta["structs"], self.limits.max_argument_bytes)
            record_args = _as_args(arguments)
            ctx = Context(self, len(self.log))
            value = self._run(fn, ctx, kwargs, counter)
            wrote = ctx.wrote
            content = json.dumps(to_jsonable(value), ensure_ascii=False)
            if len(content) > self.limits.max_result_bytes:
                if wrote:
                    self._recover(counter)
                raise ToolError("the result is too large to return", "too_large")
            ok, code = True, None
        except ToolError as err:
            ok, code, content, wrote = False, err.code, json.dumps(err.to_json(), ensure_ascii=False), False
        self.log.append(CallRecord(name if isinstance(name, str) else repr(name), _as_args(record_args), ok,
                                   content, code, wrote))
        return ToolResult(str(name), record_args, ok, content, code, wrote, time.perf_counter() - started)

    def _run(self, fn, ctx: Context, kwargs: dict, counter: int):
        timer = threading.Timer(self.limits.call_seconds, self.con.interrupt) if self.limits.call_seconds else None
        if timer:
            timer.start()
        try:
            return fn(ctx, **kwargs)
        except ToolError:
            self._undo(ctx, counter)
            raise
        except duckdb.InterruptException:
            self._recover(counter)
            raise ToolError(f"the call took longer than {self.limits.call_seconds:g} s", "timeout") from None
        except duckdb.Error as exc:
            self._recover(counter)
            raise ToolError(_db_message(exc), "conflict" if isinstance(exc, duckdb.ConstraintException)
                            else "internal") from None
        except Exception as exc:  # a bug in generated code must not reach the agent as a traceback
            self._undo(ctx, counter)
            raise ToolError(f"the tool failed ({type(exc).__name__}); nothing was changed", "internal") from None
        finally:
            if timer:
                timer.cancel()

    def _undo(self, ctx: Context, counter: int) -> None:
        self.id_counter = counter
        if not ctx.undo and not self.needs_replay_on_failure:
            return
        try:
            if self.needs_replay_on_failure:
                raise duckdb.Error("raw SQL writes cannot be undone row by row")
            ctx.rollback()
        except duckdb.Error:
            self._recover(counter)

    def _recover(self, counter: int) -> None:
        """The transaction is broken or cannot be undone in place: rebuild it from the call log."""
        self.needs_replay_on_failure = False
        self.con.execute("ROLLBACK")
        self.con.execute("BEGIN TRANSACTION")
        self.id_counter = 0
        for rec in [*self._setup, *self.log]:
            if rec.ok and rec.wrote:
                meta, fn = self.domain.tool(rec.tool)
                fn(Context(self, 0), **parse_arguments(meta, rec.arguments, self.domain.meta["structs"], 0))
        self.id_counter = counter

    # ---- state
    def digest(self) -> str:
        rows = self.con.execute(self.domain.digest_sql).fetchall()
        return combine([(t, c, s) for t, c, s in rows])

    def table_digests(self) -> dict[str, tuple[int, int]]:
        return {t: (c, int(s) & ((1 << 64) - 1)) for t, c, s in self.con.execute(self.domain.digest_sql).fetchall()}

    def rows(self, entity: str) -> list[dict]:
        key = self.domain.meta["entities"][entity]["key"]
        q = '"' + entity.replace('"', '""') + '"'
        cur = self.con.execute(f'SELECT * FROM {q} ORDER BY "{key}"')
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    def state(self) -> dict[str, list[dict]]:
        return {e: self.rows(e) for e in self.domain.meta["entities"]}

    def snapshot(self) -> Snapshot:
        return Snapshot(list(self.log), self.id_counter, self.id_seed, self.clock_today, self.clock_now)

    def restore(self, snap: Snapshot) -> None:
        """Back to a snapshot's state: reset, then replay the calls that changed something."""
        setup = [(r.tool, r.arguments) for r in self._setup]
        self.reset(setup=setup, today=self.clock_today, now=self.clock_now, id_seed=snap.id_seed)
        for rec in snap.calls:
            if rec.ok and rec.wrote:
                self.call(rec.tool, rec.arguments)
        self.log = list(snap.calls)
        self.id_counter = snap.id_counter

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Environment:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
