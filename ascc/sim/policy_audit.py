"""A policy audit of a run's traces: every rule of the spec, evaluated at every agent call, against what was done.

`ascc policy-audit out/sim` replays each trace of a run folder (`traces.jsonl`, and the tasks of `tasks.jsonl` for
their initial states) call by call in a fresh environment — the agent's calls and the user's own (dual control)
in the order they happened — and, before each agent call of a tool with `rules:`, evaluates the rules in the state
of that moment (`Environment.rules_met`, the compiled rule). A call is a violation when it meets a `refuse` or
`transfer` rule (the agent made the call the policy forbids: the tool does not stop it), or an `ask` rule whose
argument the user had not said before the call. It also counts the run's policy-decided tasks (`user.policy`, made
by `policy_tasks.py`), by rule and outcome. The oracle's traces must have no violations.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ascc.runtime.actors import call_as
from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment
from ascc.runtime.tasks import Task, load_tasks
from ascc.sim.rollout import full_trajectory, tool_arguments
from ascc.sim.scenario import show


@dataclass
class Audit:
    traces: int = 0
    checked_calls: int = 0  # agent calls of tools that have rules
    violations: list[dict] = field(default_factory=list)
    tasks: int = 0
    policy_tasks: Counter = field(default_factory=Counter)  # (domain, rule, outcome) -> tasks

    def to_json(self) -> dict:
        by_rule = Counter(f"{v['domain']}/{v['tool']}.{v['rule']}" for v in self.violations)
        decided = sum(self.policy_tasks.values())
        return {"traces": self.traces, "checked_calls": self.checked_calls, "violations": len(self.violations),
                "violations_by_rule": dict(by_rule.most_common()), "examples": self.violations[:5],
                "tasks": self.tasks, "policy_decided_tasks": decided,
                "policy_decided_share": round(decided / self.tasks, 4) if self.tasks else 0.0,
                "policy_decided_by_outcome": dict(Counter(o for (_, _, o), n in self.policy_tasks.items()
                                                          for _ in range(n))),
                "policy_decided_by_rule": {f"{d}/{r}": n for (d, r, _), n in sorted(self.policy_tasks.items())}}


def audit_trace(record: dict, task: Task, env: Environment) -> tuple[int, list[dict]]:
    """(agent calls checked, violations) of one trace, replayed in `env` from the task's initial state."""
    env.reset(**task.initial_state.reset_kwargs())
    side = [(m.pop("before"), m) for m in json.loads(record.get("user_tool_calls") or "[]")]
    said, checked, found = "", 0, []
    for m in full_trajectory(record["messages"], side):
        role = m.get("role")
        if role == "user" and isinstance(m.get("content"), str):
            said += "\n" + m["content"]
        if role not in ("user", "assistant"):
            continue
        for tc in m.get("tool_calls") or []:
            fn = tc.get("function") or {}
            name, arguments = fn.get("name"), fn.get("arguments")
            if role == "assistant" and env.domain.tool_rules(name):
                checked += 1
                found += [{"trace": record["id"], "domain": task.domain, "tool": name, "rule": rule, "why": why}
                          for rule, why in violations(env, name, tool_arguments(arguments), said)]
            call_as(env, "agent" if role == "assistant" else "user", name, arguments)
    return checked, found


def violations(env: Environment, tool: str, arguments: dict | None, said: str) -> list[tuple[str, str]]:
    """The rules a call breaks now: a `refuse` or `transfer` rule it meets, or an `ask` rule whose argument the
    user has not said (`said`: the user's words so far)."""
    if arguments is None:
        return []
    rules = {r.name: r for r in env.domain.tool_rules(tool)}
    out = []
    for name, message in env.rules_met(tool, arguments):
        rule = rules.get(name)
        if rule is None:
            continue
        if rule.outcome in ("refuse", "transfer"):
            out.append((name, f"{rule.outcome}: {message}"))
        elif rule.outcome == "ask" and rule.ask in arguments and show(arguments[rule.ask]) not in said:
            out.append((name, f"ask: `{rule.ask}` was not given by the user"))
    return out


def audit_run(run: Path, build: Path = Path("build"), rejected: bool = False) -> Audit:
    """Audit `run`'s kept traces (and its rejected ones, with `rejected`) against its tasks, with the domains
    compiled under `build`."""
    tasks = {t.id: t for t in load_tasks(run / "tasks.jsonl")}
    audit = Audit(tasks=len(tasks))
    for t in tasks.values():
        policy = (t.user or {}).get("policy")
        if policy:
            audit.policy_tasks[(t.domain, policy.get("rule"), policy.get("outcome"))] += 1
    envs: dict[str, Environment] = {}
    files = [run / "traces.jsonl"] + ([run / "rejected.jsonl"] if rejected else [])
    lines = [line for f in files if f.exists() for line in f.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        if not line.strip():
            continue
        record = json.loads(line)
        task = tasks.get(record["task_id"])
        if task is None or not record.get("messages"):
            continue
        if task.domain not in envs:
            envs[task.domain] = Environment(load_domain(str(build / task.domain)))
        checked, found = audit_trace(record, task, envs[task.domain])
        audit.traces += 1
        audit.checked_calls += checked
        audit.violations += found
    for env in envs.values():
        env.close()
    return audit


def policy_audit_cmd(run: Path, build: Path = Path("build"), fmt: str = "human", rejected: bool = False) -> int:
    """Print the audit of a run folder; 1 when some call broke the policy."""
    report = audit_run(run, build, rejected).to_json()
    if fmt == "json":
        print(json.dumps(report, indent=2))
    else:
        print(f"traces {report['traces']}, agent calls of tools with rules {report['checked_calls']}, "
              f"policy violations {report['violations']}")
        for rule, n in report["violations_by_rule"].items():
            print(f"  {rule}: {n}")
        print(f"policy-decided tasks {report['policy_decided_tasks']} of {report['tasks']} "
              f"({100 * report['policy_decided_share']:.1f}%), by outcome {report['policy_decided_by_outcome']}")
    return 1 if report["violations"] else 0
