"""The failure anatomy of an `ascc eval` run's tool calls, as docs/results.md reports it.

usage: python examples/call_anatomy.py EVAL_DIR [EVAL_DIR ...] --build-dir build SPEC...

For every assistant tool call in EVAL_DIR/trials.jsonl: are its arguments a JSON object, does it name a tool of the
domain, a tool of the task's gold, did the runtime accept it (its answer is not `invalid_arguments`,
`unknown_tool` or a malformed-call error; `precondition` and `not_found` count as accepted: well formed, the world
said no), and is it exactly one of the task's gold calls (same tool, same arguments). Also the passes, and the
passes that made at least one exact gold call.
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from ascc.eval.run import load_domains
from ascc.runtime.tasks import load_tasks

REJECTED = {"invalid_arguments", "unknown_tool", "malformed", "malformed_call"}


def _args(call: dict) -> dict | None:
    raw = call["function"].get("arguments")
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _error_code(content: str | None) -> str | None:
    try:
        value = json.loads(content or "")
    except json.JSONDecodeError:
        return None
    if isinstance(value, dict) and isinstance(value.get("error"), dict):
        return value["error"].get("code")
    return None


def anatomy(run: Path, tools: dict[str, set[str]]) -> dict:
    tasks = {t.id: t for t in load_tasks(run / "tasks.jsonl")}
    count = collections.Counter()
    codes = collections.Counter()
    for line in (run / "trials.jsonl").open():
        trial = json.loads(line)
        task = tasks[trial["task_id"]]
        gold = [(c.tool, json.dumps(c.arguments, sort_keys=True)) for c in task.gold_calls]
        exact_here = 0
        answers = {m.get("tool_call_id"): m.get("content") for m in trial["messages"] if m["role"] == "tool"}
        for message in trial["messages"]:
            for call in (message.get("tool_calls") or []) if message["role"] == "assistant" else []:
                name, args = call["function"]["name"], _args(call)
                code = _error_code(answers.get(call.get("id")))
                codes[code or "ok"] += 1
                count["calls"] += 1
                count["json_object"] += args is not None
                count["existing_tool"] += name in tools[task.domain]
                count["gold_tool"] += name in {g[0] for g in gold}
                count["accepted"] += args is not None and code not in REJECTED
                exact = args is not None and (name, json.dumps(args, sort_keys=True)) in gold
                count["exact_gold"] += exact
                exact_here += exact
        count["trials"] += 1
        count["passed"] += bool(trial["passed"])
        count["passed_with_exact_call"] += bool(trial["passed"]) and exact_here > 0
        count[f"end:{trial['end']}"] += 1
        count[f"passed:{trial['kind']}"] += bool(trial["passed"])
        count[f"tasks:{trial['kind']}"] += 1
    return {"counts": dict(count), "answers": dict(codes)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--specs", nargs="+", required=True)
    parser.add_argument("--build-dir", type=Path, default=Path("build"))
    ns = parser.parse_args()
    domains = load_domains(ns.specs, ns.build_dir)
    tools = {name: {s["function"]["name"] for s in d.schemas} for name, d in domains.items()}
    for run in ns.runs:
        print(run, json.dumps(anatomy(run, tools)))


if __name__ == "__main__":
    main()
