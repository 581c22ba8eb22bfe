"""Run an agent on held-out tasks, k trials each, judged by the simulator's verification.

The pieces are the simulator's: tasks come from `ascc.sim.synth.TaskSampler` (a seed apart from the training
seed) or a task file (`ascc.runtime.tasks`, e.g. τ²-bench tasks brought in by `ascc import tau2`); each trial is
one `ascc.sim.rollout.rollout` between the agent and the simulated user that the registry builds
(`ascc.sim.registry`), judged by `ascc.sim.verify.verify` while the environment still holds the final state.
A trial passes when every switched-on filter passes (`kept`), exactly as `simulate` keeps a trace.

What this module adds is the bookkeeping: one `TrialResult` per (task, trial) with the filters that failed,
their details (the state diff for state failures) and how the agent's tool calls went, appended to
`trials.jsonl` as each trial ends so a rerun of the same command resumes where the last one stopped.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ascc.diagnostics import did_you_mean
from ascc.lang.compiled import DOMAIN_JSON, is_build
from ascc.runtime.domain import CompiledDomain, compile_and_load, load_domain
from ascc.runtime.env import Environment
from ascc.runtime.tasks import Task, load_tasks, write_tasks
from ascc.sim.registry import make_agent_backend, make_user_backend
from ascc.sim.rollout import Episode, rollout
from ascc.sim.synth import TaskSampler
from ascc.sim.verify import FILTERS, intended_refusals, kept, verify

SPEC_SUFFIX = ".env.yaml"
SPEC_ROOTS = (Path("specs"), Path("specs") / "general")
MALFORMED_CODES = ("invalid_arguments", "unknown_tool")  # the call itself was wrong, not the world


class EvalError(ValueError):
    """A bad domain, task source or output folder; the message says which."""


@dataclass
class EvalSettings:
    """Who plays the agent and the user, and how each trial runs."""

    agent: str = "oracle"
    user: str = "scripted"
    trials: int = 1
    max_turns: int = 30
    filters: tuple[str, ...] = FILTERS
    concurrency: int = 0  # 0: 1 for in-process backends, 8 for endpoints and `hf:` (its turns are batched)
    options: Any = None  # ascc.sim.backends.BackendOptions, for model backends

    def key(self) -> dict:
        """What must match for a rerun to resume an earlier run's trials."""
        return {"agent": self.agent, "user": self.user, "max_turns": self.max_turns, "filters": list(self.filters)}


@dataclass
class TrialResult:
    """One trial of one task: the verdict, why it failed, and the conversation."""

    domain: str
    task_id: str
    kind: str
    trial: int
    passed: bool
    failed: list[str]  # the filters that failed, in FILTERS order
    reasons: dict[str, Any]  # failed filter -> its detail (the state filter's holds `diff_to_gold`)
    end: str
    error: str | None
    assistant_turns: int
    calls: int
    calls_ok: int
    call_errors: dict[str, int]  # runtime error code -> count
    seconds: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    intended_refusals: int = 0  # refused calls a refusal task means (`verify.intended_refusals`): no agent error
    messages: list[dict] = field(default_factory=list)
    # the user's own tool calls and results (dual control), each with `before`: see rollout.full_trajectory
    user_tool_calls: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict) -> TrialResult:
        return cls(**obj)


def trial_result(ep: Episode, trial: int, verdicts: dict) -> TrialResult:
    failed = [n for n in FILTERS if verdicts[n].passed is False]
    return TrialResult(
        domain=ep.task.domain, task_id=ep.task.id, kind=ep.task.kind, trial=trial, passed=kept(verdicts),
        failed=failed, reasons={n: verdicts[n].detail for n in failed}, end=ep.end, error=ep.error,
        assistant_turns=sum(1 for m in ep.messages if m.get("role") == "assistant"), calls=len(ep.calls),
        calls_ok=sum(c.ok for c in ep.calls), call_errors=dict(Counter(c.error_code for c in ep.calls if not c.ok)),
        seconds=round(ep.seconds, 3), prompt_tokens=ep.prompt_tokens, completion_tokens=ep.completion_tokens,
        intended_refusals=intended_refusals(ep.task, ep.calls),
        messages=ep.messages, user_tool_calls=[{"before": at, **m} for at, m in ep.user_side])


# ---- domains
def load_domains(items: list[str], build_dir: Path) -> dict[str, CompiledDomain]:
    """Spec files, folders of specs, compiled `build/<domain>/` folders or bare domain names, by domain name."""
    out: dict[str, CompiledDomain] = {}
    for item in items:
        for d in _domains_of(item, build_dir):
            out[d.name] = d
    if not out:
        raise EvalError("no domains: name spec files, spec folders, compiled domain folders or domain names")
    return out


def _domains_of(item: str, build_dir: Path) -> list[CompiledDomain]:
    path = Path(item)
    if is_build(path):
        return [load_domain(str(path))]
    if path.is_dir():
        return [_compile(p, build_dir) for p in sorted(path.glob(f"*{SPEC_SUFFIX}"))]
    if path.is_file():
        return [_compile(path, build_dir)]
    for candidate in [build_dir / item, *(root / f"{item}{SPEC_SUFFIX}" for root in SPEC_ROOTS)]:
        if is_build(candidate):
            return [load_domain(str(candidate))]
        if candidate.is_file():
            return [_compile(candidate, build_dir)]
    hint = did_you_mean(item, known_domain_names(build_dir))
    raise EvalError(f"`{item}` is not a spec file, a folder, a compiled domain or a domain name under specs/"
                    + (f"; {hint}" if hint else ""))


def known_domain_names(build_dir: Path) -> set[str]:
    """The domain names `ascc eval NAME` would find: compiled under `build_dir`, or a spec under specs/."""
    built = {p.parent.name for p in build_dir.glob(f"*/{DOMAIN_JSON}")} if build_dir.is_dir() else set()
    specs = {p.name.removesuffix(SPEC_SUFFIX) for root in SPEC_ROOTS if root.is_dir()
             for p in root.glob(f"*{SPEC_SUFFIX}")}
    return built | specs


def _compile(spec: Path, build_dir: Path) -> CompiledDomain:
    from ascc.runtime.domain import SpecError

    try:
        return compile_and_load(spec, build_dir)
    except SpecError as exc:
        raise EvalError(f"{spec} does not compile:\n{exc}") from None


# ---- tasks
def synth_tasks(domains: dict[str, CompiledDomain], n: int, seed: int) -> list[Task]:
    """`n` distinct synthesized tasks per domain, from `seed` (keep it apart from the training seed)."""
    tasks: list[Task] = []
    for name in sorted(domains):
        sampler = TaskSampler(domains[name], seed=seed)
        try:
            tasks += sampler.tasks(n)
        finally:
            sampler.close()
    return tasks


def file_tasks(path: Path, domains: dict[str, CompiledDomain]) -> list[Task]:
    """The tasks of a JSONL task file; every task's domain must be among those loaded."""
    tasks = load_tasks(path)
    missing = sorted({t.domain for t in tasks} - set(domains))
    if missing:
        raise EvalError(f"{path}: tasks of domain(s) {', '.join(missing)}, which were not given")
    return tasks


def tasks_digest(tasks: list[Task]) -> str:
    text = "\n".join(json.dumps(t.to_json(), sort_keys=True, default=str) for t in tasks)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---- the run
class RunFolder:
    """`DIR/run.json` (what was run), `DIR/tasks.jsonl`, `DIR/trials.jsonl` (appended per trial)."""

    def __init__(self, out: Path, settings: EvalSettings, tasks: list[Task], fresh: bool = False):
        self.out = out
        self.trials_path = out / "trials.jsonl"
        self.header = {**settings.key(), "tasks": tasks_digest(tasks)}
        out.mkdir(parents=True, exist_ok=True)
        run_json = out / "run.json"
        if fresh:
            self.trials_path.unlink(missing_ok=True)
        elif run_json.is_file() and self.trials_path.is_file():
            old = json.loads(run_json.read_text(encoding="utf-8"))
            changed = ", ".join(f"{k} {_short(old.get(k))} → {_short(self.header[k])}"
                                for k in sorted(self.header) if old.get(k) != self.header[k])
            if changed:
                raise EvalError(f"{out} holds a run with other settings: {changed}; pass --fresh to start over, "
                                "or another --out")
        run_json.write_text(json.dumps(self.header, indent=2) + "\n", encoding="utf-8")
        write_tasks(tasks, out / "tasks.jsonl")

    def done(self) -> list[TrialResult]:
        """The trials an earlier run of the same settings finished (a torn last line is dropped)."""
        if not self.trials_path.is_file():
            return []
        out = []
        for line in self.trials_path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(TrialResult.from_json(json.loads(line)))
            except (json.JSONDecodeError, TypeError):
                continue
        return out

    def append(self, result: TrialResult) -> None:
        with self.trials_path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(result.to_json(), ensure_ascii=False, default=str) + "\n")


def _short(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


async def run_trials(tasks: list[Task], domains: dict[str, CompiledDomain], settings: EvalSettings,
                     skip: set[tuple[str, int]] = frozenset(),
                     on_result: Callable[[TrialResult], None] = lambda r: None) -> list[TrialResult]:
    """Every (task, trial) not in `skip`, `settings.concurrency` at a time; results in task order."""
    agent = make_agent_backend(settings.agent, settings.options)
    user = make_user_backend(settings.user, settings.options)
    width = settings.concurrency or default_concurrency(settings.agent, agent.parallel)
    gate = asyncio.Semaphore(width)
    pool: dict[str, list[Environment]] = {name: [] for name in domains}

    async def one(task: Task, trial: int) -> TrialResult:
        async with gate:
            domain = domains[task.domain]
            env = pool[task.domain].pop() if pool[task.domain] else Environment(domain)
            try:
                ep = await rollout(task, env, agent.for_task(task, domain), user.for_task(task, domain),
                                   domain.schemas, settings.max_turns)
                result = trial_result(ep, trial, verify(ep, env, settings.filters))
            finally:
                pool[task.domain].append(env)
            on_result(result)
            return result

    jobs = [one(t, k) for t in tasks for k in range(settings.trials) if (t.id, k) not in skip]
    try:
        return list(await asyncio.gather(*jobs))
    finally:
        for envs in pool.values():
            for env in envs:
                env.close()


def default_concurrency(agent: str, parallel: str) -> int:
    """Trials at once when `--concurrency` is not given: 8 for endpoints (I/O-bound) and for a local `hf:` model,
    whose concurrent turns are generated as one batch (`hf_agent.BatchedGenerator`); 1 for in-process agents."""
    return 8 if parallel == "async" or agent.startswith("hf:") else 1


def evaluate(tasks: list[Task], domains: dict[str, CompiledDomain], settings: EvalSettings, out: Path | None = None,
             fresh: bool = False, on_result: Callable[[TrialResult], None] = lambda r: None,
             on_reuse: Callable[[list[TrialResult]], None] = lambda rs: None) -> list[TrialResult]:
    """All trials of all tasks; with `out`, resumed from and recorded in `out/trials.jsonl` (`on_reuse` is given
    the finished trials an earlier run left there, before the new ones start)."""
    if settings.trials < 1:
        raise EvalError("--trials must be at least 1")
    if not tasks:
        raise EvalError("no tasks to evaluate")
    wanted = {(t.id, k) for t in tasks for k in range(settings.trials)}
    folder = RunFolder(out, settings, tasks, fresh) if out is not None else None
    earlier = [r for r in folder.done() if (r.task_id, r.trial) in wanted] if folder else []
    if earlier:
        on_reuse(earlier)

    def record(result: TrialResult) -> None:
        if folder:
            folder.append(result)
        on_result(result)

    skip = {(r.task_id, r.trial) for r in earlier}
    new = asyncio.run(run_trials(tasks, domains, settings, skip, record))
    order = {t.id: i for i, t in enumerate(tasks)}
    return sorted(earlier + new, key=lambda r: (order[r.task_id], r.trial))
