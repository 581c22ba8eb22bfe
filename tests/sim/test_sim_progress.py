"""What `ascc simulate` shows while it works and in its summary: each stage's own progress, refusals the tasks
intend kept apart from failed calls, and no token counts for backends that use no tokens."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from ascc.sim import cli as sim_cli
from ascc.sim.run import SimConfig, simulate

ROOT = Path(__file__).resolve().parents[2]
SPECS = [str(ROOT / "specs" / "shop.env.yaml"), str(ROOT / "specs" / "library.env.yaml")]


def run(tmp_path: Path, name: str, stages: list):
    cfg = SimConfig(SPECS, tasks=30, out=str(tmp_path / name), build=str(tmp_path / "build"), jobs=1,
                    executor="inline")
    episodes = []
    report = simulate(cfg, lambda *a: episodes.append(a), None, lambda *a: stages.append(a))
    return report, episodes


def test_each_stage_reports_its_own_progress_and_a_rerun_reads_the_tasks(tmp_path):
    stages: list = []
    report, episodes = run(tmp_path, "a", stages)
    compiling = [(d, t) for s, d, t in stages if s == "compiling"]
    synthesizing = [(d, t) for s, d, t in stages if s == "synthesizing"]
    assert compiling[0] == (0, 2) and compiling[-1] == (2, 2)
    assert synthesizing[-1] == (30, 30) and all(t == 30 and d <= 30 for d, t in synthesizing)
    assert stages.index(("compiling", 2, 2)) < stages.index(("synthesizing", 30, 30))
    assert episodes[0] == (0, 30, 0) and episodes[-1] == (30, 30, report["kept"])
    stages.clear()
    run(tmp_path, "a", stages)  # resumed: the tasks are read back, not synthesised
    assert ("reading tasks", 30, 30) in stages and not any(s == "synthesizing" for s, *_ in stages)


def test_intended_refusals_are_not_failures_and_no_tokens_say_nothing(tmp_path):
    report, _ = run(tmp_path, "b", [])
    s = report["session"]
    tasks = [json.loads(x) for x in (tmp_path / "b" / "tasks.jsonl").read_text().splitlines()]
    # a refusal the tool decides costs one refused call; one the policy decides (a spec rule) is never attempted
    refusals = sum(t["kind"] == "refusal" and not t["user"].get("policy") for t in tasks)
    assert refusals > 0
    assert s["intended_refusals"] == refusals == s["failed_calls"]  # the oracle fails no other call
    console = Console(record=True, width=200)
    sim_cli.print_report(report, console)
    text = console.export_text()
    assert f"({refusals} intended refusals, 0 failed)" in text
    assert "tokens" not in text


def test_tool_call_text_with_tokens_and_failures():
    assert sim_cli.tool_call_text({"tool_calls": 10, "failed_calls": 3}) == "10 (3 failed)"
    assert (sim_cli.tool_call_text({"tool_calls": 10, "failed_calls": 3, "intended_refusals": 2})
            == "10 (2 intended refusals, 1 failed)")
