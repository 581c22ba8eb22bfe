"""Replaying a task file's gold calls: does each task end in the state its gold digest says?

For each task: reset (with its setup calls, clock and id seed), run the gold calls, take the digest and compare
it with `gold_digest`. A mismatch is explained by a state diff: against the expected rows when they are known
(the task's `gold_state` or `--expect-state`), else between the initial and the final state (what the gold
calls did), which the report says.

State folders (`--init-state`, `--expect-state`, `--state-file`) hold one file per table: `<table>.json`
(a JSON array of row objects), `<table>.jsonl` (one row object a line) or `<table>.parquet`. They are read
through DuckDB into the domain's own schema, so types, keys and checks are enforced as for the seed.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from ascc.duck import sandboxed
from ascc.inputs import load_json, read_text
from ascc.literals import quote_ident as _q
from ascc.runtime.diff import StateDiff, diff_states
from ascc.runtime.domain import CompiledDomain
from ascc.runtime.env import Environment, to_jsonable
from ascc.runtime.tasks import Task

STATE_SUFFIXES = (".json", ".jsonl", ".parquet")


class StateError(ValueError):
    """A state folder or file that does not fit the domain's schema."""


# ---- state folders
def state_files(folder: Path) -> dict[str, Path]:
    """`{table: file}` for a state folder; two files for one table is an error."""
    if not folder.is_dir():
        raise StateError(f"{folder}: not a folder")
    out: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.suffix in STATE_SUFFIXES:
            if p.stem in out:
                raise StateError(f"{folder}: two files for table `{p.stem}`: {out[p.stem].name}, {p.name}")
            out[p.stem] = p
    return out


def _typed_connection(domain: CompiledDomain, sources: dict[str, object]) -> duckdb.DuckDBPyConnection:
    """A fresh database with the domain's schema holding `sources` ({table: Path or list of row dicts})."""
    unknown = sorted(set(sources) - set(domain.info.entities))
    if unknown:
        raise StateError(f"unknown table `{unknown[0]}` (tables: {', '.join(domain.info.entities)})")
    con = sandboxed()  # files are read in Python below; the database itself reaches nothing
    con.execute(domain.schema_sql)
    for entity in domain.info.entities:  # schema order, so references resolve
        if entity in sources:
            try:
                _insert(con, entity, sources[entity])
            except (duckdb.Error, OSError, ValueError) as exc:
                con.close()
                raise StateError(f"table `{entity}`: {str(exc).splitlines()[0]}") from None
    return con


def _insert(con, entity: str, source) -> None:
    cols = con.execute(f"DESCRIBE {_q(entity)}").fetchall()
    if isinstance(source, Path) and source.suffix == ".parquet":
        con.register("_ascc_parquet", pq.read_table(source))
        try:
            con.execute(f"INSERT INTO {_q(entity)} BY NAME SELECT * FROM _ascc_parquet")
        finally:
            con.unregister("_ascc_parquet")
        return
    if isinstance(source, Path):
        fmt = "newline_delimited" if source.suffix == ".jsonl" else "array"
        text = read_text(source, 1 << 30)
        rows = [load_json(x) for x in text.splitlines() if x.strip()] if fmt == "newline_delimited" else load_json(text)
    else:
        rows = source
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError("expected a list of row objects")
    if not rows:
        return
    names = [c[0] for c in cols]
    extra = sorted({k for r in rows for k in r} - set(names))
    if extra:
        raise ValueError(f"unknown field `{extra[0]}`")
    # JSON text cast column by column to the schema's types: decimals, dates, enums and structs come out exact
    selects = ", ".join(f"json_extract_string(j, ?) AS {_q(c[0])}" if c[1] == "VARCHAR"
                        else f"CAST(json_extract(j, ?) AS {c[1]}) AS {_q(c[0])}" for c in cols)
    present = [c[0] for c in cols]
    params = [f"$.{json.dumps(n)}" for n in present]
    con.execute("CREATE OR REPLACE TEMP TABLE _ascc_rows (j JSON)")
    con.executemany("INSERT INTO _ascc_rows VALUES (?)", [[json.dumps(r)] for r in rows])
    fields = {k for r in rows for k in r}
    chosen = ", ".join(_q(n) for n in present if n in fields)
    con.execute(f"INSERT INTO {_q(entity)} ({chosen}) SELECT {chosen} FROM (SELECT {selects} FROM _ascc_rows)",
                params)
    con.execute("DROP TABLE _ascc_rows")


def load_state(domain: CompiledDomain, sources: dict[str, object]) -> dict[str, list[dict]]:
    """Typed rows per table (as `Environment.state()` gives them) for some or all of the domain's tables."""
    con = _typed_connection(domain, sources)
    try:
        return {e: _rows(con, domain, e) for e in domain.info.entities if e in sources}
    finally:
        con.close()


def _rows(con, domain: CompiledDomain, entity: str) -> list[dict]:
    key = domain.info.entities[entity].key
    cur = con.execute(f"SELECT * FROM {_q(entity)} ORDER BY {_q(key)}")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def with_initial_state(domain: CompiledDomain, folder: Path) -> CompiledDomain:
    """A copy of `domain` whose initial state is the folder's tables (tables without a file start empty)."""
    con = _typed_connection(domain, state_files(folder))
    try:
        arrow = {e: con.sql(f"SELECT * FROM {_q(e)}").to_arrow_table() for e in domain.info.entities}
    finally:
        con.close()
    return dataclasses.replace(domain, _arrow=arrow)


def write_state(state: dict[str, list[dict]], folder: Path) -> None:
    """Write a state as `<table>.jsonl` files, the shape `--init-state` and `--expect-state` read."""
    folder.mkdir(parents=True, exist_ok=True)
    for entity, rows in state.items():
        with open(folder / f"{entity}.jsonl", "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(to_jsonable(r), ensure_ascii=False) + "\n")


def task_dir_name(task_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", task_id) or "_"


def load_expected(domain: CompiledDomain, path: Path) -> tuple[dict | None, dict[str, dict]]:
    """`--expect-state`: a JSON file `{table: rows}` (every task) or `{"tasks": {id: {table: rows}}}`, or a
    folder of per-task state folders as `--state-file` writes them. Returns (for every task, per task id)."""
    if path.is_dir():
        per = {p.name: load_state(domain, state_files(p)) for p in sorted(path.iterdir()) if p.is_dir()}
        return None, per
    try:
        obj = load_json(read_text(path))
    except (OSError, ValueError) as exc:  # InputProblem and JSONDecodeError are ValueErrors
        raise StateError(f"{path}: {exc}") from None
    if not isinstance(obj, dict):
        raise StateError(f"{path}: expected a JSON object")
    if set(obj) == {"tasks"}:
        return None, {task_dir_name(k): load_state(domain, v) for k, v in obj["tasks"].items()}
    return load_state(domain, obj), {}


# ---- replay
@dataclass
class CallOutcome:
    tool: str
    arguments: dict
    ok: bool
    error_code: str | None
    content: str
    actor: str = "agent"  # who makes the gold call (dual control: "user")

    def to_json(self) -> dict:
        return {"tool": self.tool, "arguments": self.arguments, "ok": self.ok, "error_code": self.error_code,
                **({"actor": self.actor} if self.actor != "agent" else {}),
                **({"error": json.loads(self.content)["error"]["message"]} if not self.ok else {})}


@dataclass
class TaskOutcome:
    task: Task
    calls: list[CallOutcome] = field(default_factory=list)
    digest: str | None = None
    match: bool | None = None  # None: nothing to compare with
    setup_error: str | None = None
    diff: StateDiff | None = None
    diff_against: str | None = None  # "gold_state" or "initial"
    state: dict | None = None

    @property
    def errors(self) -> int:
        return sum(not c.ok for c in self.calls)

    @property
    def failed(self) -> bool:
        return self.setup_error is not None or self.match is False

    def to_json(self) -> dict:
        return {"id": self.task.id, "kind": self.task.kind, "line": self.task.line, "ok": not self.failed,
                "calls": [c.to_json() for c in self.calls], "errors": self.errors, "digest": self.digest,
                "gold_digest": self.task.gold_digest, "match": self.match, "setup_error": self.setup_error,
                "diff_against": self.diff_against, "diff": self.diff.to_json() if self.diff is not None else None}


def replay_task(env: Environment, task: Task, expected: dict | None = None) -> TaskOutcome:
    """Run one task's gold calls in `env` and judge the end state (digest first, expected rows second)."""
    out = TaskOutcome(task)
    if task.domain != env.domain.name:
        out.setup_error = f"task is for domain `{task.domain}`, not `{env.domain.name}`"
        return out
    try:
        env.reset(**task.initial_state.reset_kwargs())
    except ValueError as exc:
        out.setup_error = str(exc)
        return out
    initial = env.state()
    for c in task.gold_calls:
        r = env.call(c.tool, c.arguments)
        out.calls.append(CallOutcome(c.tool, c.arguments, r.ok, r.error_code, r.content, c.actor))
    out.digest = env.digest()
    out.state = env.state()
    typed = expected
    if task.gold_state is not None:
        try:
            typed = load_state(env.domain, task.gold_state)
        except StateError as exc:
            out.setup_error = f"gold_state: {exc}"
            return out
    state_diff = diff_states(env.domain.info, out.state, typed) if typed is not None else None
    if task.gold_digest is not None:
        out.match = out.digest == task.gold_digest
    elif state_diff is not None:
        out.match = not state_diff
    if out.match is False:
        if state_diff is not None:
            out.diff, out.diff_against = state_diff, "gold_state"
        else:
            out.diff, out.diff_against = diff_states(env.domain.info, initial, out.state), "initial"
    return out


def replay_tasks(domain: CompiledDomain, tasks: list[Task], expected_all: dict | None = None,
                 expected_per: dict[str, dict] | None = None) -> list[TaskOutcome]:
    with Environment(domain) as env:
        return [replay_task(env, t, expected_per.get(task_dir_name(t.id)) if expected_per else expected_all)
                for t in tasks]


def replay_by_domain(domains: dict[str, CompiledDomain], tasks: list[Task], expected_all: dict | None = None,
                     expected_per: dict[str, dict] | None = None) -> list[TaskOutcome]:
    """Each task replayed in its own domain (one environment per domain); outcomes in the tasks' order."""
    by_domain: dict[str, list[Task]] = {}
    for t in tasks:
        by_domain.setdefault(t.domain, []).append(t)
    done = {id(o.task): o for d, ts in by_domain.items() for o in replay_tasks(domains[d], ts, expected_all,
                                                                            expected_per)}
    return [done[id(t)] for t in tasks]


def summary(outcomes: list[TaskOutcome]) -> dict:
    """Tasks, failed, matched (passed) and unchecked (nothing to compare with: not a pass)."""
    return {"tasks": len(outcomes), "failed": sum(o.failed for o in outcomes),
            "matched": sum(o.match is True and not o.failed for o in outcomes),
            "unchecked": sum(o.match is None and not o.failed for o in outcomes)}


def report_json(spec: str, domains: list[str], outcomes: list[TaskOutcome]) -> dict:
    head = {"spec": spec, "domain": domains[0]} if len(domains) == 1 else {"spec": spec, "domains": domains}
    return {**head, "summary": summary(outcomes),
            "tasks": [{"domain": o.task.domain, **o.to_json()} for o in outcomes]}
