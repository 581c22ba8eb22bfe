"""The shape of a simulate run's tasks, next to τ²-bench's: `ascc report RUN_DIR`.

What makes a task worth training on is measured on the run's `tasks.jsonl` (the gold calls, replayed through the
runtime so that the results the gold calls see are known) and `traces.jsonl`/`rejected.jsonl` (the users' words):

| measure | how |
| --- | --- |
| gold calls per task | `len(gold_calls)`: the distribution (0, 1, 2, 3, 4, 5, 6+; 0 is a refusal asked outright) and the mean |
| writes per task | gold calls of write tools; the share of tasks with three or more |
| writes after identifying lookups | a write's targets (its reference arguments to an entity it writes; for a write that creates a row, the persona it is for; else all its reference arguments) each appear in the arguments or result of an earlier gold call; a write without reference arguments needs some read before it |
| policy-decided tasks | tasks whose scenario holds a `policy` outcome (a rule the agent checks that no tool enforces) |
| refusals by kind | refused by a tool's precondition (`user.refusal`), by a policy rule (`user.policy`, per outcome), declined by the user at the confirmation (`user.decline`) |
| distinct user turns | the users' messages after the opening: how many, how many distinct, the share taken by the three most common |
| openings citing unknown ids | tasks whose opening (`user.request`) contains the value of a reference argument that is not a key of the initial state (an id a later write creates) |

τ²-bench's figures (its task files, `fetch github:sierra-research/tau2-bench`): retail 4.8 gold actions per task on
average, 18% of retail and 14% of airline tasks with three or more writes.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ascc.lang.compiled import ToolInfo, is_build
from ascc.runtime.domain import CompiledDomain, load_domain
from ascc.runtime.env import Environment, to_jsonable
from ascc.runtime.tasks import Task, load_tasks
from ascc.sim.output import read_records

TAU2 = {"mean_gold_calls": "4.8 (retail)", "three_writes": "18% retail, 14% airline"}
BUCKETS = ("0", "1", "2", "3", "4", "5", "6+")


@dataclass
class Shape:
    tasks: int = 0
    calls: Counter = field(default_factory=Counter)  # bucket -> tasks
    total_calls: int = 0
    writes: Counter = field(default_factory=Counter)  # writes per task -> tasks
    total_writes: int = 0
    identified_writes: int = 0
    policy_decided: int = 0
    refusals: Counter = field(default_factory=Counter)
    user_turns: int = 0
    distinct_user_turns: int = 0
    top3_user_turns: int = 0
    unknown_id_openings: int = 0
    examples: list[str] = field(default_factory=list)  # task ids of openings citing unknown ids (first few)

    def to_json(self) -> dict:
        n = max(self.tasks, 1)
        three = sum(c for w, c in self.writes.items() if w >= 3)
        return {
            "tasks": self.tasks,
            "gold_calls": {"mean": round(self.total_calls / n, 2), "per_task": {b: self.calls[b] for b in BUCKETS}},
            "writes": {"mean": round(self.total_writes / n, 2), "per_task": dict(sorted(self.writes.items())),
                       "tasks_with_3_or_more": three, "share_3_or_more": round(three / n, 3)},
            "writes_after_lookup": {"writes": self.total_writes, "identified": self.identified_writes,
                                    "share": round(self.identified_writes / max(self.total_writes, 1), 3)},
            "policy_decided": {"tasks": self.policy_decided, "share": round(self.policy_decided / n, 3)},
            "refusals": dict(sorted(self.refusals.items())),
            "user_turns": {"later_turns": self.user_turns, "distinct": self.distinct_user_turns,
                           "top3_share": round(self.top3_user_turns / max(self.user_turns, 1), 3)},
            "openings_citing_unknown_ids": {"tasks": self.unknown_id_openings, "examples": self.examples[:5]},
            "tau2": TAU2,
        }


def report_run(run: str | Path, build: str | Path = "build") -> dict:
    """The shape of the run in `run` (its `tasks.jsonl` and traces), with the domains compiled under `build`."""
    run, build = Path(run), Path(build)
    tasks = load_tasks(run / "tasks.jsonl")
    domains: dict[str, CompiledDomain] = {}
    for name in sorted({t.domain for t in tasks}):
        if not is_build(build / name):
            raise FileNotFoundError(f"domain `{name}` is not compiled under {build} (run `ascc compile` or pass --build)")
        domains[name] = load_domain(build / name)
    traces = read_records(run / "traces.jsonl") + read_records(run / "rejected.jsonl")
    return measure(tasks, domains, traces).to_json()


def measure(tasks: list[Task], domains: dict[str, CompiledDomain], traces: list[dict] = ()) -> Shape:
    shape = Shape()
    envs: dict[str, Environment] = {}
    initial_keys: dict[str, dict[str, set[str]]] = {}
    try:
        for t in tasks:
            domain = domains[t.domain]
            env = envs.get(t.domain)
            if env is None:
                env = envs[t.domain] = Environment(domain)
            _task(shape, t, domain, env, initial_keys)
    finally:
        for env in envs.values():
            env.close()
    _user_turns(shape, traces)
    return shape


def _task(shape: Shape, t: Task, domain: CompiledDomain, env: Environment, initial: dict) -> None:
    tools = domain.info.tools
    shape.tasks += 1
    n = len(t.gold_calls)
    shape.total_calls += n
    shape.calls[BUCKETS[min(n, 6)]] += 1
    user = t.user or {}
    env.reset(**t.initial_state.reset_kwargs())
    if t.domain not in initial:
        initial[t.domain] = {e: {_s(r[ent.key]) for r in env.rows(e)} for e, ent in domain.info.entities.items()}
    keys = initial[t.domain]
    persona = (user.get("persona_row") or {}).get("entity")
    seen: set[str] = set()
    writes = 0
    reads_before = 0
    for c in t.gold_calls:
        meta = tools.get(c.tool)
        refs = _refs(domain, meta, c.arguments)
        if meta is not None and meta.kind == "write":
            writes += 1
            targets = ([v for e, v in refs if e in meta.writes] or [v for e, v in refs if e == persona]
                       or [v for _, v in refs])
            ok = all(v in seen for v in targets) if targets else reads_before > 0
            shape.identified_writes += ok
        else:
            reads_before += 1
        r = env.call(c.tool, c.arguments)
        seen.update(_s(v) for v in _leaves(c.arguments))
        if r.ok:
            seen.update(_s(v) for v in _leaves(json.loads(r.content)))
    shape.writes[writes] += 1
    shape.total_writes += writes
    if user.get("policy"):
        shape.policy_decided += 1
        shape.refusals[f"policy: {user['policy'].get('outcome', 'refuse')}"] += 1
    if user.get("refusal"):
        shape.refusals["tool precondition"] += 1
    if user.get("decline"):
        shape.refusals["declined by the user"] += 1
    request = str(user.get("request") or "")
    calls = [(c.tool, c.arguments) for c in t.gold_calls] + [_call(user.get(k)) for k in ("refusal", "decline") if user.get(k)]
    for c in calls:
        if c is None:
            continue
        for entity, value in _refs(domain, tools.get(c[0]), c[1]):
            if value not in keys.get(entity, ()) and value in request:
                shape.unknown_id_openings += 1
                if len(shape.examples) < 5:
                    shape.examples.append(f"{t.id}: {value}")
                return


def _call(extra) -> tuple[str, dict] | None:
    call = (extra or {}).get("call") or {}
    return (call["tool"], call.get("arguments") or {}) if "tool" in call else None


def _refs(domain: CompiledDomain, meta: ToolInfo | None, arguments: dict) -> list[tuple[str, str]]:
    """(entity, value as text) per argument that names a row: a `ref`, or a parameter named like an entity's key."""
    key_of = {e.key: n for n, e in domain.info.entities.items()}
    out = []
    for p in meta.params if meta is not None else ():
        entity = p.ref or (key_of.get(p.name) if p.type.kind in ("str", "int") else None)
        v = arguments.get(p.name)
        if entity and v is not None and not isinstance(v, (dict, list)):
            out.append((entity, _s(v)))
    return out


def _user_turns(shape: Shape, traces) -> None:
    said: Counter = Counter()
    for tr in traces:
        messages = tr.get("messages")
        if isinstance(messages, str):
            try:
                messages = json.loads(messages)
            except json.JSONDecodeError:
                continue
        users = [m.get("content") for m in messages or () if isinstance(m, dict) and m.get("role") == "user"
                 and isinstance(m.get("content"), str)]
        said.update(u.strip() for u in users[1:])
    shape.user_turns = sum(said.values())
    shape.distinct_user_turns = len(said)
    shape.top3_user_turns = sum(c for _, c in said.most_common(3))


def _leaves(value, depth: int = 0):
    if depth > 8:
        return
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v, depth + 1)
    elif value is not None:
        yield value


def _s(value) -> str:
    value = to_jsonable(value)
    return value if isinstance(value, str) else json.dumps(value)
