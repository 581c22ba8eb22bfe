"""The eval report: pass^k per domain and overall, why trials failed, as a rich table and `report.json`.

Overall pass^k is the mean over all tasks (τ-bench's number), not the mean of the domains' numbers. A failed
trial is labelled by what went wrong, most basic first: the backend failed, a malformed or unknown tool call,
no end (turn limit or the user gave up), an empty or repetitive message, then the state, calls, facts and confirm
filters.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ascc.eval.passk import pass_k_curve
from ascc.eval.run import MALFORMED_CODES, TrialResult

_LABELS = (  # (label, pattern over the validity filter's problem texts)
    ("malformed tool call", re.compile(r"malformed tool call|are not a JSON object|unknown tool")),
    ("empty message", re.compile(r"empty assistant message|not text")),
    ("repetition", re.compile(r"repetition|times in a row")),
    ("turn limit", re.compile(r"did not end .*max_turns")),
)


def failure_labels(r: TrialResult) -> list[str]:
    """What went wrong in a failed trial, as short labels (empty for a passed one)."""
    if r.passed:
        return []
    if r.end in ("agent_error", "user_error"):
        return [r.end.replace("_", " ")]
    labels = []
    problems = " | ".join(map(str, r.reasons.get("validity") or [])) if "validity" in r.failed else ""
    labels += [name for name, pattern in _LABELS if pattern.search(problems)]
    if "validity" in r.failed and not labels:
        labels.append("invalid conversation")
    if "state" in r.failed:
        labels.append("wrong final state")
    if "calls" in r.failed:
        labels.append("wrong calls")
    if "facts" in r.failed:
        labels.append("facts not told")
    if "confirm" in r.failed:
        labels.append("wrote without a yes")
    return labels


def summarize(results: list[TrialResult], max_k: int | None = None) -> dict:
    """pass^k, failure counts and tool-call counts per domain, overall and per task kind; the per-task verdicts.

    Per kind matters for reading a weak agent's score: a refusal task whose gold is no call at all is passed by an
    agent that does nothing.
    """
    domains = sorted({r.domain for r in results})
    kinds = sorted({r.kind for r in results})
    return {"domains": {d: _group([r for r in results if r.domain == d], max_k) for d in domains},
            "overall": _group(results, max_k),
            "kinds": {k: _group([r for r in results if r.kind == k], max_k) for k in kinds},
            "tasks": _tasks(results)}


def _group(results: list[TrialResult], max_k: int | None) -> dict:
    outcomes: dict[str, list[bool]] = {}
    for r in results:
        outcomes.setdefault(r.task_id, []).append(r.passed)
    calls = sum(r.calls for r in results)
    errors = Counter()
    for r in results:
        errors.update(r.call_errors)
    return {
        "tasks": len(outcomes), "trials": len(results), "passed_trials": sum(r.passed for r in results),
        "pass^k": {str(k): round(v, 6) for k, v in pass_k_curve(outcomes, max_k).items()},
        "failed_filters": dict(Counter(f for r in results for f in r.failed)),
        "failure_labels": dict(Counter(lab for r in results for lab in failure_labels(r)).most_common()),
        "ends": dict(Counter(r.end for r in results)),
        "tool_calls": {"total": calls, "ok": sum(r.calls_ok for r in results),
                       "intended_refusals": sum(r.intended_refusals for r in results),
                       "malformed": sum(errors[c] for c in MALFORMED_CODES), "errors": dict(errors.most_common())},
        "assistant_turns": sum(r.assistant_turns for r in results),
        "seconds": round(sum(r.seconds for r in results), 2),
        "completion_tokens": sum(r.completion_tokens for r in results),
    }


def _tasks(results: list[TrialResult]) -> list[dict]:
    out: dict[str, dict] = {}
    for r in results:
        t = out.setdefault(r.task_id, {"id": r.task_id, "domain": r.domain, "kind": r.kind, "passed": 0,
                                       "trials": []})
        t["passed"] += r.passed
        t["trials"].append({"trial": r.trial, "passed": r.passed, "failed": r.failed, "labels": failure_labels(r),
                            "end": r.end, "error": r.error, "reasons": r.reasons, "calls": r.calls,
                            "call_errors": r.call_errors})
    return list(out.values())


def write_report(report: dict, meta: dict, out: Path) -> Path:
    """`out/report.json`: the run's settings and task source under `run`, then the summary."""
    path = out / "report.json"
    path.write_text(json.dumps({"run": meta, **report}, indent=2, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")
    return path


def table(report: dict, title: str = "ascc eval") -> Table:
    """Domain, tasks, trials, pass^1..K and the most common failure labels."""
    ks = list(report["overall"]["pass^k"])
    t = Table(title=title, title_justify="left")
    t.add_column("domain")
    t.add_column("tasks", justify="right")
    t.add_column("trials", justify="right")
    for k in ks:
        t.add_column(f"pass^{k}", justify="right")
    t.add_column("failures (trials)")
    rows = [*report["domains"].items(), ("overall", report["overall"])]
    for i, (name, g) in enumerate(rows):
        fails = ", ".join(f"{lab} {n}" for lab, n in list(g["failure_labels"].items())[:3]) or "-"
        t.add_row(name, str(g["tasks"]), str(g["trials"]),
                  *(f"{g['pass^k'][k]:.3f}" if k in g["pass^k"] else "-" for k in ks), fails,
                  end_section=i == len(rows) - 2)
    return t


def print_report(report: dict, console: Console, title: str = "ascc eval") -> None:
    console.print(table(report, title))
    kinds = ", ".join(f"{k} {g['pass^k']['1']:.3f} ({g['tasks']} tasks)" for k, g in report.get("kinds", {}).items())
    if kinds:
        console.print(f"pass^1 by task kind: {kinds}")
    calls = report["overall"]["tool_calls"]
    if calls["total"]:
        console.print(tool_calls_line(calls))


def tool_calls_line(calls: dict) -> str:
    """`tool calls: 40, 36 ok, 4 refused as the tasks intend; errors: none`: a refusal task's refused write is
    what the task asks for, so it is not counted among the errors."""
    errors = dict(calls["errors"])
    intended = calls.get("intended_refusals", 0)
    if intended:
        errors["precondition"] = errors.get("precondition", 0) - intended
    listed = ", ".join(f"{c} {n}" for c, n in errors.items() if n) or "none"
    refused = f", {intended} refused as the tasks intend" if intended else ""
    return f"tool calls: {calls['total']}, {calls['ok']} ok{refused}; errors: {listed}"
