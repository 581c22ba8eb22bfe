"""`ascc simulate`: compile, synthesise tasks, run agent × user episodes, verify, write traces — resumably.

A run folder holds:

| file | what |
| --- | --- |
| `tasks.jsonl` | the synthesised tasks (the runtime's task format), written once, atomically |
| `synth.partial.jsonl` | while synthesising: each sample as it is drawn, so a killed run resumes there |
| `run.json` | the settings the tasks came from; a rerun with other settings is refused (`--fresh` starts over) |
| `traces.jsonl` | kept episodes (docs/traces.md) |
| `rejected.jsonl` | the other episodes, same columns plus `reason` (the first failed filter) and `end` |
| `report.json` | counts per filter, kind and domain, tool calls, tokens, wall time |

Every finished episode is one fsync'ed line in `traces.jsonl` or `rejected.jsonl`, so a run killed at any moment
resumes on rerun: the ids in both files are skipped, a cut-off last line is dropped and redone. Episodes are
written in task order whichever finishes first (one that finishes early waits in memory for those before it), so
the same seed gives the same files, line for line, resumed or not.

Episodes are spread by an executor from `EXECUTORS`: `process` (a pool of worker processes, each keeping one
Environment per domain and resetting it per episode: the oracle and local models), `async` (one event loop,
`jobs` episodes at a time: endpoints), `inline` (this process, one at a time). Backends say which they want
(`AgentBackend.parallel`); `--executor` overrides. An executor is `fn(setup, chunks, jobs) -> iterator of
record lists`; `ascc.sim.backends` may register more (`ray`).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import shutil
import time
import traceback
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from ascc.procs import die_with_parent
from ascc.runtime.domain import CompiledDomain, load_domain
from ascc.runtime.env import Environment
from ascc.runtime.tasks import Task, TaskFileError, load_tasks, parse_task
from ascc.sim.output import RecordFile, read_records, write_atomic
from ascc.sim.splits import SplitError, split
from ascc.sim.synthlog import SynthLog
from ascc.sim.verify import FILTERS

SYNTH_CHUNK = 16
EPISODE_CHUNK = 24
HELD_CHUNKS_PER_JOB = 4  # finished chunks held for task order, per worker, before submission pauses


class RunError(Exception):
    """A run that cannot start or go on (bad settings, no domain compiled); the message says what to do."""


@dataclass
class SimConfig:
    paths: list[str]
    tasks: int = 100
    seed: int = 0
    out: str = "out/sim"
    agent: str = "oracle"
    user: str = "scripted"
    jobs: int = 0
    filters: tuple[str, ...] = FILTERS
    max_turns: int = 30
    trials: int = 1
    max_len: int = 4
    build: str = "build"
    executor: str | None = None
    fresh: bool = False
    options: Any = None  # ascc.sim.backends.BackendOptions for model backends
    holdout: str | None = None  # domains left out for `ascc eval --holdout-domains` (ascc.sim.splits)
    holdout_seed: int = 0


@dataclass
class WorkerSetup:
    """What every worker needs to run episodes: picklable, sent once per worker."""

    domains: dict[str, str]  # name -> compiled folder
    agent: str
    user: str
    filters: tuple[str, ...]
    max_turns: int
    seed: int
    options: Any = None


@dataclass
class EpisodeJob:
    id: str
    trial: int
    task: dict  # the task's JSON


@dataclass
class Summary:
    episodes: int = 0
    kept: int = 0
    session_episodes: int = 0
    tool_calls: int = 0
    failed_calls: int = 0
    intended_refusals: int = 0  # of the failed calls, those a refusal task means to be refused
    prompt_tokens: int = 0
    completion_tokens: int = 0
    extra: dict = field(default_factory=dict)


# ---- the run
def simulate(cfg: SimConfig, on_progress: Callable[[int, int, int], None] | None = None,
             on_compile: Callable[[list], None] | None = None,
             on_stage: Callable[[str, int, int], None] | None = None) -> dict:
    """Do (or finish) a run; returns the report (also written to `report.json`).

    `on_progress(done, total, kept)` follows the episodes; `on_stage(stage, done, total)` the stages before
    them: `compiling` (specs) and `synthesizing` (tasks; `reading tasks` when a rerun finds them in the folder).
    A run folder that cannot be written (read-only, a full disk) raises `RunError` with one line naming the file.
    """
    try:
        return _simulate_in(cfg, on_progress, on_compile, on_stage)
    except OSError as exc:  # a read-only or full run folder: one line, not a traceback
        raise RunError(os_error_text(exc)) from None


def os_error_text(exc: OSError) -> str:
    """One line for a file the run could not write or read, and what to do about it."""
    where = f"`{exc.filename}`" if exc.filename else "the run folder"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"cannot write {where}: {exc.strerror}; free some space and rerun to resume"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        return f"cannot write {where}: {exc.strerror}; pick a writable folder with --out"
    return f"{where}: {exc.strerror or exc}"


def _simulate_in(cfg: SimConfig, on_progress, on_compile, on_stage) -> dict:
    started = time.perf_counter()
    out = Path(cfg.out)
    if cfg.fresh and out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    domains = compile_domains(cfg, on_compile, on_stage)
    try:
        train, held = split(domains, cfg.holdout, cfg.holdout_seed)
    except SplitError as exc:
        raise RunError(str(exc)) from None
    domains = {n: domains[n] for n in train}
    jobs = cfg.jobs or os.cpu_count() or 1
    setup = WorkerSetup({n: str(d.path) for n, d in domains.items()}, cfg.agent, cfg.user, tuple(cfg.filters),
                        cfg.max_turns, cfg.seed, cfg.options)
    executor = cfg.executor or _default_executor(setup)
    if executor not in EXECUTORS:
        raise RunError(f"unknown executor `{executor}`; known: {', '.join(sorted(EXECUTORS))}")
    with _pool(setup, jobs if executor == "process" else 1) as pool:
        report = _simulate(cfg, out, domains, setup, executor, jobs, pool, started, on_progress, on_stage, held)
    return report


def _simulate(cfg, out, domains, setup, executor, jobs, pool, started, on_progress, on_stage, held=()) -> dict:
    t0 = time.perf_counter()
    notes: list[str] = [f"held out for eval: {', '.join(held)}"] if held else []
    tasks = tasks_for_run(cfg, domains, out, jobs, pool, notes, on_stage)
    synth_s = time.perf_counter() - t0
    summary = Summary(extra={"notes": notes})
    t1 = time.perf_counter()
    with RecordFile(out / "traces.jsonl") as kept_f, RecordFile(out / "rejected.jsonl") as rej_f:
        done = kept_f.ids | rej_f.ids
        pending = [EpisodeJob(f"{t.domain}/{t.id}/{k}", k, t.to_json()) for t in tasks for k in range(cfg.trials)]
        total = len(pending)
        pending = [j for j in pending if j.id not in done]
        summary.episodes, summary.kept = total - len(pending), len(kept_f.ids)
        if on_progress:
            on_progress(summary.episodes, total, summary.kept)
        chunks = [pending[i:i + EPISODE_CHUNK] for i in range(0, len(pending), EPISODE_CHUNK)]
        run = partial(run_processes, pool=pool) if executor == "process" else EXECUTORS[executor]
        for records in in_task_order(run(setup, chunks, jobs), [j.id for j in pending]):
            for r in records:
                _account(summary, r)
            for f, kept in ((kept_f, True), (rej_f, False)):
                f.extend([r["record"] for r in records if r["kept"] is kept])
            if on_progress:
                on_progress(summary.episodes, total, summary.kept)
    run_s = time.perf_counter() - t1
    report = build_report(cfg, out, tasks, summary, synth_s, run_s, time.perf_counter() - started, executor, jobs)
    if held:
        report["heldout_domains"] = {"domains": list(held), "setting": cfg.holdout, "seed": cfg.holdout_seed}
    write_atomic(out / "report.json", json.dumps(report, indent=2) + "\n")
    return report


def in_task_order(batches: Iterator[list[dict]], order: list[str]) -> Iterator[list[dict]]:
    """Episode results in the order of `order` (their ids), whatever order the executor finishes them in: each
    batch yields the run of results that are next, holding back any that finish before those ahead of them."""
    position = {episode_id: i for i, episode_id in enumerate(order)}
    held: dict[int, dict] = {}
    next_index = 0
    for batch in batches:
        for r in batch:
            held[position[r["record"]["id"]]] = r
        ready = []
        while next_index in held:
            ready.append(held.pop(next_index))
            next_index += 1
        if ready:
            yield ready
    if held:  # an executor that returned an episode twice or one not asked for: write it rather than lose it
        yield [held[i] for i in sorted(held)]


def _account(s: Summary, r: dict) -> None:
    s.episodes += 1
    s.session_episodes += 1
    s.kept += r["kept"]
    st = r["stats"]
    s.tool_calls += st["calls"]
    s.failed_calls += st["failed_calls"]
    s.intended_refusals += st.get("intended_refusals", 0)
    s.prompt_tokens += st["prompt_tokens"]
    s.completion_tokens += st["completion_tokens"]


def compile_domains(cfg: SimConfig, on_compile=None, on_stage=None) -> dict[str, CompiledDomain]:
    from ascc.compiler.build import find_specs
    from ascc.compiler.driver import compile_many

    paths = [Path(p) for p in cfg.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise RunError(f"no such spec file or folder: {', '.join(missing)}")
    if not find_specs(paths):
        raise RunError(f"no *.env.yaml specs under {', '.join(map(str, paths))}")
    tick = partial(on_stage, "compiling") if on_stage else None
    results = compile_many(paths, Path(cfg.build), jobs=cfg.jobs or 0, console=None, on_progress=tick)
    if on_compile:
        on_compile(results)
    domains = {r.domain: load_domain(str(r.out_dir)) for r in results if r.ok}
    if not domains:
        raise RunError("no spec compiled; fix the errors above (`ascc check` shows them)")
    return dict(sorted(domains.items()))


# ---- tasks
def tasks_for_run(cfg: SimConfig, domains: dict[str, CompiledDomain], out: Path, jobs: int,
                  pool: ProcessPoolExecutor | None = None, notes: list[str] | None = None,
                  on_stage: Callable[[str, int, int], None] | None = None) -> list[Task]:
    """The run's tasks: read back from `tasks.jsonl` when its settings match, else synthesised and written."""
    settings = {"tasks": cfg.tasks, "seed": cfg.seed, "max_len": cfg.max_len, "domains": sorted(domains)}
    run_file, tasks_file = out / "run.json", out / "tasks.jsonl"
    if tasks_file.exists() and run_file.exists():
        try:
            old = json.loads(run_file.read_text(encoding="utf-8")).get("synthesis") or {}
        except (OSError, json.JSONDecodeError):
            old = {}
        changed = settings_changed(old, settings)
        if changed:
            raise RunError(f"{out} holds a run with other settings: {changed}; rerun with the old value to "
                           f"resume it, --fresh to start {out} over, or another --out for a new run")
        try:
            tasks = load_tasks(tasks_file)
        except TaskFileError as exc:
            raise RunError(f"{tasks_file} is damaged ({exc.problems[0]}); rerun with --fresh") from None
        gone = sorted({t.domain for t in tasks} - set(domains))
        if gone:  # the task file is the run's truth; its domains must still compile
            raise RunError(f"the run's tasks need domain(s) that did not compile now: {', '.join(gone)}")
        if on_stage:
            on_stage("reading tasks", len(tasks), len(tasks))
        return tasks
    # inline: measured as fast as 2 workers (each of which builds a sampler per domain); meanwhile the pool's
    # workers start up and load the domains for the episodes. Samples are logged as they are drawn, so a killed
    # run picks up where it stopped.
    tick = partial(on_stage, "synthesizing") if on_stage else None
    log = SynthLog(out, cfg.seed, cfg.max_len, domains)
    finished = False
    try:
        tasks = synthesize(domains, cfg.tasks, cfg.seed, cfg.max_len, 1, None, notes, tick, log)
        write_atomic(tasks_file, "".join(json.dumps(t.to_json(), ensure_ascii=False) + "\n" for t in tasks))
        write_atomic(run_file, json.dumps({"synthesis": settings, "agent": cfg.agent, "user": cfg.user}, indent=2))
        finished = True
    finally:
        log.close(finished)
    if notes is not None and log.reused:
        notes.append(f"resumed synthesis: {log.reused} samples of a killed run reused")
    return tasks


SETTING_FLAGS = {"tasks": "--tasks", "seed": "--seed", "max_len": "--max-len"}  # what must match to resume


def settings_changed(old: dict, new: dict) -> str:
    """The synthesis settings that differ, as `--tasks 1000 → 50, --seed 0 → 1` (empty when none do)."""
    return ", ".join(f"{flag} {old.get(k)} → {new[k]}" for k, flag in SETTING_FLAGS.items() if old.get(k) != new[k])


def split_counts(n: int, names: list[str]) -> dict[str, int]:
    """`n` tasks over the domains as evenly as can be, the first ones taking the remainder."""
    return {d: n // len(names) + (i < n % len(names)) for i, d in enumerate(names)}


def synthesize(domains: dict[str, CompiledDomain], n: int, seed: int, max_len: int = 4, jobs: int = 1,
               pool: ProcessPoolExecutor | None = None, notes: list[str] | None = None,
               on_progress: Callable[[int, int], None] | None = None,
               log: SynthLog | None = None) -> list[Task]:
    """`n` distinct tasks over the domains; the same for the same inputs whatever `jobs` is.

    Each domain's share is filled in index order, skipping duplicates; a domain that stops yielding new tasks
    (a small or unseeded state) hands the rest of its share to the others, so `n` tasks come out when they
    can, and `notes` says which domains fell short. `on_progress(done, n)` follows the tasks found (within a
    round an estimate: duplicates are only dropped at its end). With a `log`, samples already in it are not drawn
    again and new ones are added to it chunk by chunk.
    """
    from ascc.sim.synth import signature

    names = list(domains)
    want = split_counts(n, names)
    chosen: dict[str, list[Task]] = {d: [] for d in names}
    seen: dict[str, set] = {d: set() for d in names}
    next_index = dict.fromkeys(names, 0)
    dry = dict.fromkeys(names, 0)
    for _ in range(60):
        batches, results, wanted = [], [], False
        for d in names:
            short = want[d] - len(chosen[d])
            if short > 0:
                wanted = True
                idx = list(range(next_index[d], next_index[d] + short + short // 10 + 1))
                next_index[d] = idx[-1] + 1
                if log is not None:
                    known = [(i, log.get(d, i)) for i in idx]
                    results += [(d, i, obj) for i, (hit, obj) in known if hit]
                    idx = [i for i, (hit, _) in known if not hit]
                batches += [(str(domains[d].path), seed, max_len, idx[i:i + SYNTH_CHUNK])
                            for i in range(0, len(idx), SYNTH_CHUNK)]
        if not wanted:
            break
        mapped = pool.map(_synth_chunk, batches) if pool else _map(_synth_chunk, batches, jobs)
        found = sum(len(c) for c in chosen.values())
        for rs in mapped:
            if log is not None:
                log.put(rs)
            results += rs
            if on_progress:
                on_progress(min(n, found + sum(obj is not None for *_, obj in results)), n)
        results.sort(key=lambda r: (names.index(r[0]), r[1]))
        before = {d: len(chosen[d]) for d in names}
        for d, _index, obj in results:
            if obj is None or len(chosen[d]) >= want[d]:
                continue
            task = parse_task(obj)
            if signature(task) not in seen[d]:
                seen[d].add(signature(task))
                chosen[d].append(task)
        _rebalance(names, want, chosen, before, dry, notes)
        if on_progress:
            on_progress(sum(len(c) for c in chosen.values()), n)
    return [t for d in names for t in chosen[d]]


def _rebalance(names, want, chosen, before, dry, notes) -> None:
    """Move the unfilled share of domains that gave nothing new twice running to the others."""
    for d in names:
        if len(chosen[d]) < want[d]:
            dry[d] = 0 if len(chosen[d]) > before[d] else dry[d] + 1
    spent = [d for d in names if dry[d] >= 2 and len(chosen[d]) < want[d]]
    live = [d for d in names if dry[d] < 2]
    for d in spent:
        extra = want[d] - len(chosen[d])
        want[d] = len(chosen[d])
        dry[d] = 99
        if notes is not None:
            notes.append(f"{d}: only {want[d]} distinct tasks could be synthesised")
        for other, k in split_counts(extra, live).items() if live else ():
            want[other] += k


class Lru:
    """At most `size` live objects (samplers, environments), the least recently used closed first.

    A run over hundreds of imported domains must not keep a DuckDB database per domain alive in every process:
    unbounded, 941 domains held ~5 GiB per worker.
    """

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()

    def get(self, key, make: Callable[[], Any]):
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        item = self._items[key] = make()
        while len(self._items) > self.size:
            _, old = self._items.popitem(last=False)
            old.close()
        return item

    def __len__(self) -> int:
        return len(self._items)


LIVE_PER_PROCESS = 32  # samplers or environments a process keeps between uses
_SAMPLERS = Lru(LIVE_PER_PROCESS)


def _synth_chunk(batch: tuple) -> list[tuple[str, int, dict | None]]:
    from ascc.sim.synth import TaskSampler

    path, seed, max_len, indices = batch
    domain = load_domain(path)
    sampler = _SAMPLERS.get((path, seed, max_len), lambda: TaskSampler(domain, seed, max_len))
    out = []
    for i in indices:
        t = sampler.sample(i)
        out.append((domain.name, i, t.to_json() if t else None))
    return out


def _map(fn, items: list, jobs: int) -> Iterator:
    """`fn` over `items`, results in order as they come (so a caller can keep each before the next is done)."""
    if jobs <= 1 or len(items) <= 1:
        yield from (fn(x) for x in items)
        return
    with ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=_mp(), initializer=die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        yield from pool.map(fn, items)


def _mp():
    import multiprocessing as mp

    return mp.get_context("spawn")


# ---- episodes (in a worker)
class Worker:
    """A worker's domains, environments and backends, built once and reused for every episode."""

    def __init__(self, setup: WorkerSetup):
        from ascc.sim.registry import make_agent_backend, make_user_backend

        self.setup = setup
        self.domains = {n: load_domain(p) for n, p in setup.domains.items()}
        self.envs = Lru(LIVE_PER_PROCESS)
        self.agent = make_agent_backend(setup.agent, setup.options)
        self.user = make_user_backend(setup.user, setup.options)

    def env(self, domain: str) -> Environment:
        return self.envs.get(domain, lambda: Environment(self.domains[domain]))

    async def episode(self, job: EpisodeJob, env: Environment | None = None) -> dict:
        """One episode, verified, as `{"kept", "record", "stats"}`; never raises."""
        from ascc.sim.rollout import rollout
        from ascc.sim.verify import first_failure, intended_refusals, kept, verify

        task = parse_task(job.task)
        try:
            domain = self.domains[task.domain]
            env = env or self.env(task.domain)
            agent, user = self.agent.for_task(task, domain), self.user.for_task(task, domain)
            ep = await rollout(task, env, agent, user, domain.schemas, self.setup.max_turns)
            verdicts = verify(ep, env, self.setup.filters)
        except Exception as exc:  # a bug or a bad task must not take the run down: the episode is rejected
            return _failed(job, task, self.setup, exc)
        ok = kept(verdicts)
        record = trace_record(job, task, ep.messages, domain.schemas, self.setup, agent, user, verdicts, ep.user_side,
                              [*ep.calls, *ep.user_calls])
        if not ok:
            record.update(reason=first_failure(verdicts), end=ep.end, kind=task.kind)
        stats = {"calls": len(ep.calls), "failed_calls": sum(not c.ok for c in ep.calls),
                 "intended_refusals": intended_refusals(task, ep.calls),
                 "prompt_tokens": ep.prompt_tokens, "completion_tokens": ep.completion_tokens}
        return {"kept": ok, "record": record, "stats": stats}


def trace_record(job: EpisodeJob, task: Task, messages: list[dict], schemas: list[dict], setup: WorkerSetup,
                 agent, user, verdicts, user_side: list[tuple[int, dict]] = (), calls=()) -> dict:
    """A trace line as docs/traces.md defines it."""
    return {"id": job.id, "domain": task.domain, "task_id": task.id, "messages": [full_message(m) for m in messages],
            "tools": json.dumps(schemas, ensure_ascii=False), "seed": setup.seed,
            "agent": getattr(agent, "name", setup.agent), "user": getattr(user, "name", setup.user),
            "verdicts": json.dumps({k: v.to_json() for k, v in verdicts.items()}, ensure_ascii=False, default=str),
            "user_tool_calls": user_tool_calls(user_side),
            "internal_errors": json.dumps([{"tool": c.tool, **c.internal} for c in calls if c.internal],
                                          ensure_ascii=False)}


def user_tool_calls(user_side: list[tuple[int, dict]]) -> str:
    """The user's own calls and results (dual control) as one JSON string: messages with `before`, the index in
    `messages` of the user message they came before (`rollout.full_trajectory` puts them back)."""
    return json.dumps([{"before": at, **m} for at, m in user_side], ensure_ascii=False, default=str)


def full_message(m: dict) -> dict:
    """Every message with all five keys (null where unused): one Arrow schema for every row of a file."""
    return {k: m.get(k) for k in ("role", "content", "tool_calls", "tool_call_id", "name")}


def _failed(job: EpisodeJob, task: Task, setup: WorkerSetup, exc: Exception) -> dict:
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    verdicts = {n: {"passed": None, "detail": "not run"} for n in FILTERS}
    record = {"id": job.id, "domain": task.domain, "task_id": task.id, "messages": [], "tools": "[]",
              "seed": setup.seed, "agent": setup.agent, "user": setup.user, "verdicts": json.dumps(verdicts),
              "user_tool_calls": "[]", "internal_errors": "[]",
              "reason": "error", "end": "error", "kind": task.kind, "error": detail}
    return {"kept": False, "record": record,
            "stats": {"calls": 0, "failed_calls": 0, "intended_refusals": 0, "prompt_tokens": 0,
                      "completion_tokens": 0}}


_WORKER: Worker | None = None


def _init_worker(setup: WorkerSetup) -> None:
    global _WORKER
    _WORKER = Worker(setup)


def _init_pool_worker(setup: WorkerSetup, main_pid: int) -> None:
    die_with_parent(main_pid)
    _init_worker(setup)


def _run_chunk(chunk: list[EpisodeJob]) -> list[dict]:
    async def go():
        return [await _WORKER.episode(j) for j in chunk]

    return asyncio.run(go())


# ---- executors
def run_inline(setup: WorkerSetup, chunks: list[list[EpisodeJob]], jobs: int) -> Iterator[list[dict]]:
    _init_worker(setup)
    for chunk in chunks:
        yield _run_chunk(chunk)


def run_processes(setup: WorkerSetup, chunks: list[list[EpisodeJob]], jobs: int,
                  pool: ProcessPoolExecutor | None = None) -> Iterator[list[dict]]:
    """Chunks of episodes on a pool of worker processes (`pool`, else one started here), results in chunk order.

    Chunks that finish before an earlier one wait here; while more than `HELD_CHUNKS_PER_JOB * jobs` wait (an
    earlier chunk is slow), no new chunk is started, so what waits in memory stays bounded."""
    if pool is None and (jobs <= 1 or len(chunks) <= 1):
        yield from run_inline(setup, chunks, jobs)
        return
    with contextlib.nullcontext(pool) if pool else _pool(setup, jobs) as pool:
        todo = iter(enumerate(chunks))
        running = {pool.submit(_run_chunk, c): i for i, c in _take(todo, 2 * jobs)}
        held: dict[int, list[dict]] = {}
        next_index = 0
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for f in finished:
                held[running.pop(f)] = f.result()
            while next_index in held:
                yield held.pop(next_index)
                next_index += 1
            room = 2 * jobs - len(running) if len(held) < HELD_CHUNKS_PER_JOB * jobs else 0
            running |= {pool.submit(_run_chunk, c): i for i, c in (_take(todo, room) if room > 0 else [])}
            if not running and held:  # cannot happen: the chunk before them is always running or done
                raise AssertionError(f"chunks {sorted(held)} wait for chunk {next_index}")


def run_async(setup: WorkerSetup, chunks: list[list[EpisodeJob]], jobs: int) -> Iterator[list[dict]]:
    """All episodes in one event loop, `jobs` at a time, each with its own Environment (endpoint backends)."""
    worker = Worker(setup)
    flat = [j for c in chunks for j in c]
    for i in range(0, len(flat), 256):  # one loop per batch; results are yielded (and written) per batch
        yield asyncio.run(_gather(worker, flat[i:i + 256], max(1, jobs)))


async def _gather(worker: Worker, batch: list[EpisodeJob], concurrency: int) -> list[dict]:
    free: dict[str, list[Environment]] = {}
    gate = asyncio.Semaphore(concurrency)

    async def one(job: EpisodeJob) -> dict:
        async with gate:
            domain = job.task["domain"]
            pool = free.setdefault(domain, [])
            env = pool.pop() if pool else Environment(worker.domains[domain])
            try:
                return await worker.episode(job, env)
            finally:
                pool.append(env)

    return list(await asyncio.gather(*(one(j) for j in batch)))


@contextlib.contextmanager
def _pool(setup: WorkerSetup, jobs: int):
    """Worker processes (spawned: DuckDB and threads do not survive a fork) with the setup loaded; None for 1."""
    if jobs <= 1:
        yield None
        return
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_mp(), initializer=_init_pool_worker,
                               initargs=(setup, os.getpid()))
    for _ in range(jobs):  # start the workers now: they import and load while the main process synthesises
        pool.submit(int)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _take(it, n: int) -> list:
    out = []
    for x in it:
        out.append(x)
        if len(out) >= n:
            break
    return out


def run_ray(setup: WorkerSetup, chunks: list[list[EpisodeJob]], jobs: int) -> Iterator[list[dict]]:
    """Chunks of episodes as Ray tasks: a local instance with `jobs` CPUs, or the cluster `ASCC_RAY_ADDRESS` names.

    Each Ray worker process loads the setup once (the domains, the backends) and keeps it; results come back in
    waves of a few chunks per CPU, so the main process writes (and a killed run keeps) them as they finish.
    """
    import ray  # the `ray` extra

    from ascc.sim.backends.ray_executor import init_options

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(**init_options(os.environ.get("ASCC_RAY_ADDRESS"), max(1, jobs)))
    try:
        remote = ray.remote(num_cpus=1)(_ray_chunk)
        setup_ref = ray.put(setup)
        todo = iter(chunks)
        running = [remote.remote(setup_ref, c) for c in _take(todo, 2 * max(1, jobs))]
        while running:
            done, running = ray.wait(running, num_returns=1)
            running += [remote.remote(setup_ref, c) for c in _take(todo, 1)]
            yield ray.get(done[0])
    finally:
        if started_here:
            ray.shutdown()


def _ray_chunk(setup: WorkerSetup, chunk: list[EpisodeJob]) -> list[dict]:
    if _WORKER is None or _WORKER.setup != setup:
        _init_worker(setup)
    return _run_chunk(chunk)


EXECUTORS: dict[str, Callable[[WorkerSetup, list, int], Iterator[list[dict]]]] = {
    "process": run_processes, "async": run_async, "inline": run_inline, "ray": run_ray}


def _default_executor(setup: WorkerSetup) -> str:
    from ascc.sim.registry import make_agent_backend, make_user_backend

    if setup.agent.partition(":")[0] in ("oracle", "broken") and setup.user == "scripted":
        return "process"
    agent = make_agent_backend(setup.agent, setup.options)
    user = make_user_backend(setup.user, setup.options)
    return "async" if "async" in (agent.parallel, user.parallel) else "process"


# ---- report
def build_report(cfg: SimConfig, out: Path, tasks: list[Task], s: Summary, synth_s: float, run_s: float,
                 wall_s: float, executor: str, jobs: int) -> dict:
    """Counts from the files themselves, so a resumed run reports every episode, not only this session's."""
    kept_r, rej_r = read_records(out / "traces.jsonl"), read_records(out / "rejected.jsonl")
    kinds = {t.id: t.kind for t in tasks}
    filters, survivors = {}, len(kept_r) + len(rej_r)
    verdicts = [json.loads(r["verdicts"]) for r in kept_r + rej_r if r.get("reason") != "error"]
    for name in FILTERS:
        passed = sum(v[name]["passed"] is True for v in verdicts)
        failed = sum(v[name]["passed"] is False for v in verdicts)
        survivors -= sum(r.get("reason") == name for r in rej_r)
        filters[name] = {"enabled": name in cfg.filters, "passed": passed, "failed": failed,
                         "kept_after": survivors}
    by_kind, by_domain = Counter(), Counter()
    for r in kept_r:
        by_kind[kinds.get(r["task_id"], "?")] += 1
        by_domain[r["domain"]] += 1
    return {
        "agent": cfg.agent, "user": cfg.user, "seed": cfg.seed, "executor": executor, "jobs": jobs,
        "tasks": len(tasks), "task_kinds": dict(Counter(t.kind for t in tasks)),
        "episodes": len(kept_r) + len(rej_r), "kept": len(kept_r), "rejected": len(rej_r),
        "errors": sum(r.get("reason") == "error" for r in rej_r),
        "filters": filters, "kept_by_kind": dict(by_kind), "kept_by_domain": dict(by_domain),
        "rejected_by_reason": dict(Counter(r.get("reason") for r in rej_r)),
        "notes": s.extra.get("notes", []),
        "session": {**asdict(s), "synth_s": round(synth_s, 3), "run_s": round(run_s, 3), "wall_s": round(wall_s, 3),
                    "episodes_per_s": round(s.session_episodes / run_s, 1) if run_s > 0 else None},
        "files": {"tasks": str(out / "tasks.jsonl"), "traces": str(out / "traces.jsonl"),
                  "rejected": str(out / "rejected.jsonl")},
    }
