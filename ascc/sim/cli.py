"""`ascc simulate` and `ascc synth`: registered on the main app by `ascc.cli` when this module is present."""

from __future__ import annotations

import json
import sys
from functools import partial
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ascc.sim.verify import FILTERS

err = Console(stderr=True, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)
    app.command("synth")(synth_cmd)
    app.command("policy-audit")(policy_audit_cmd)
    app.command("report")(report_cmd)


def policy_audit_cmd(
    run: Path = typer.Argument(..., help="A run folder of `ascc simulate` (tasks.jsonl, traces.jsonl)."),
    build: Path = typer.Option(Path("build"), "--build-dir", help="Where the run's domains were compiled."),
    old_build: Path | None = typer.Option(None, "--build", hidden=True, help="The old name of --build-dir."),
    fmt: str = typer.Option("human", "--format", help="`human` or `json`."),
    rejected: bool = typer.Option(False, "--rejected", help="Audit the rejected episodes too."),
) -> None:
    """Evaluate every policy rule at every agent call of a run's traces; exit 1 on a violation."""
    from ascc.sim.policy_audit import policy_audit_cmd as audit

    raise typer.Exit(audit(run, old_build or build, fmt, rejected))


def _print_diagnostics(results) -> None:
    from ascc.diagnostics import SourceCache, render_all

    diags = [d for r in results for d in r.diagnostics if d.severity == "error"]
    if diags:
        sys.stderr.write(render_all(diags, SourceCache()) + "\n")
        bad = [str(r.spec) for r in results if not r.ok]
        err.print(f"[yellow]warning[/]: {len(bad)} spec(s) did not compile and are left out: {', '.join(bad)}")


def simulate_cmd(
    paths: list[Path] = typer.Argument(..., help="Spec files or folders of *.env.yaml files."),
    tasks: int = typer.Option(100, "--tasks", "-n", help="Tasks to synthesise, split evenly over the domains."),
    seed: int = typer.Option(0, "--seed", help="Task synthesis seed: the same seed gives the same tasks."),
    out: Path = typer.Option(Path("out/sim"), "--out", "-o", help="The run folder (rerun it to resume)."),
    agent: str = typer.Option("oracle", "--agent", help="oracle, broken:<how>, openai:<model>, hf:<spec>."),
    user: str = typer.Option("scripted", "--user", help="scripted or openai:<model>."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes or concurrent episodes (0: one per core)."),
    no_filter: list[str] = typer.Option([], "--no-filter", help="Switch a filter off: validity, state, calls, facts, confirm."),
    max_turns: int = typer.Option(30, "--max-turns", help="Agent messages per episode at most."),
    trials: int = typer.Option(1, "--trials", help="Episodes per task."),
    max_len: int = typer.Option(4, "--max-len", help="Tool calls per synthesised walk at most."),
    build_dir: Path = typer.Option(Path("build"), "--build-dir", help="Where compiled domains go."),
    old_build: Path | None = typer.Option(None, "--build", hidden=True, help="The old name of --build-dir."),
    executor: str = typer.Option(None, "--executor", help="process, async, inline or ray (a local Ray, or the cluster in ASCC_RAY_ADDRESS); default: what the backend wants."),
    fresh: bool = typer.Option(False, "--fresh", help="Delete the run folder first instead of resuming."),
    base_url: str = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint (model backends)."),
    temperature: float = typer.Option(None, "--temperature", help="Agent sampling temperature (model backends)."),
    max_tokens: int = typer.Option(None, "--max-tokens", help="New tokens per agent message at most (model backends)."),
    fmt: str = typer.Option("human", "--format", help="`human` (progress bar and table) or `json` (the report)."),
    holdout: str = typer.Option(None, "--holdout-domains",
                                help="Leave domains out for `ascc eval --holdout-domains`: a count (5), a share "
                                     "(0.2) or names."),
    holdout_seed: int = typer.Option(0, "--holdout-seed", help="The held-out split's seed."),
) -> None:
    """Synthesise tasks, run agent x user episodes, keep the ones that pass the filters."""
    from ascc.sim.registry import BackendError
    from ascc.sim.run import RunError, SimConfig, simulate

    bad = [f for f in no_filter if f not in FILTERS]
    if bad:
        err.print(f"error: unknown filter `{bad[0]}`; filters: {', '.join(FILTERS)}")
        raise typer.Exit(2)
    if tasks < 1 or trials < 1 or max_turns < 1 or max_len < 1:
        err.print("error: --tasks, --trials, --max-turns and --max-len must be at least 1")
        raise typer.Exit(2)
    cfg = SimConfig([str(p) for p in paths], tasks, seed, str(out), agent, user, jobs,
                    tuple(f for f in FILTERS if f not in no_filter), max_turns, trials, max_len,
                    str(old_build or build_dir), executor, fresh, _options(base_url, temperature, max_tokens),
                    holdout, holdout_seed)
    progress = StageProgress(disable=fmt != "human")
    try:
        with progress.bars:
            report = simulate(cfg, progress.episodes, _print_diagnostics, progress.stage)
    except (RunError, BackendError) as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if fmt == "human":
        print_report(report)
    else:
        print(json.dumps(report, indent=2))


class StageProgress:
    """One rich progress line per stage as it starts (compiling n/35, synthesizing n/1000, episodes n/1000 with
    the kept count), each left showing its final count when the next begins."""

    def __init__(self, disable: bool = False):
        self.bars = Progress(TextColumn("{task.description:<13}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[note]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                             console=err, disable=disable)
        self.ids: dict[str, int] = {}

    def stage(self, name: str, done: int, total: int | None, note: str = "") -> None:
        if name not in self.ids:
            self.ids[name] = self.bars.add_task(name, total=total, note=note)
        self.bars.update(self.ids[name], completed=done, total=total, note=note)

    def episodes(self, done: int, total: int, kept: int) -> None:
        self.stage("episodes", done, total, f"kept {kept}")


def _options(base_url, temperature, max_tokens):
    given = {k: v for k, v in (("base_url", base_url), ("temperature", temperature), ("max_tokens", max_tokens))
             if v is not None}
    if not given:
        return None
    from ascc.sim.backends import BackendOptions

    return BackendOptions(**given)


def print_report(report: dict, console: Console | None = None) -> None:
    t = Table(title=f"ascc simulate — {report['agent']} x {report['user']}", title_justify="left")
    t.add_column("")
    t.add_column("count", justify="right")
    t.add_row("tasks", f"{report['tasks']} ({', '.join(f'{k} {v}' for k, v in sorted(report['task_kinds'].items()))})")
    t.add_row("episodes", str(report["episodes"]))
    for name, f in report["filters"].items():
        state = "" if f["enabled"] else " (off)"
        t.add_row(f"kept after {name}{state}", f"{f['kept_after']}  (failed {f['failed']})")
    t.add_row("kept", str(report["kept"]))
    if report["errors"]:
        t.add_row("errors", str(report["errors"]))
    s = report["session"]
    t.add_row("tool calls (this session)", tool_call_text(s))
    if s["prompt_tokens"] or s["completion_tokens"]:  # the oracle and scripted user use none: say nothing
        t.add_row("tokens (this session)", f"{s['prompt_tokens']} prompt, {s['completion_tokens']} completion")
    rate = f", {s['episodes_per_s']} episodes/s" if s["episodes_per_s"] else ""
    t.add_row("wall time", f"{s['wall_s']:.1f} s (synthesis {s['synth_s']:.1f} s{rate})")
    (console or Console(highlight=False)).print(t)
    err.print(f"traces: {report['files']['traces']}  rejected: {report['files']['rejected']}")


def tool_call_text(session: dict) -> str:
    """`1900 (186 intended refusals, 0 failed)`: a refusal task's refused write is no failure."""
    intended = session.get("intended_refusals", 0)
    other = session["failed_calls"] - intended
    if not intended:
        return f"{session['tool_calls']} ({other} failed)"
    return f"{session['tool_calls']} ({intended} intended refusals, {other} failed)"


def synth_cmd(
    paths: list[Path] = typer.Argument(..., help="Spec files or folders."),
    tasks: int = typer.Option(100, "--tasks", "-n", help="Tasks to synthesise, split evenly over the domains."),
    seed: int = typer.Option(0, "--seed", help="Synthesis seed."),
    out: Path = typer.Option(Path("tasks.jsonl"), "--out", "-o", help="The task file to write."),
    max_len: int = typer.Option(4, "--max-len", help="Tool calls per walk at most."),
    build_dir: Path = typer.Option(Path("build"), "--build-dir", help="Where compiled domains go."),
    old_build: Path | None = typer.Option(None, "--build", hidden=True, help="The old name of --build-dir."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes (0: one per core)."),
) -> None:
    """Only synthesise tasks (the runtime's task format; `ascc replay` checks them)."""
    import os

    from ascc.sim.output import write_atomic
    from ascc.sim.run import RunError, SimConfig, compile_domains, os_error_text, synthesize

    progress = StageProgress()
    cfg = SimConfig([str(p) for p in paths], build=str(old_build or build_dir), jobs=jobs)
    try:
        with progress.bars:
            domains = compile_domains(cfg, _print_diagnostics, progress.stage)
            found = synthesize(domains, tasks, seed, max_len, jobs or os.cpu_count() or 1,
                               on_progress=partial(progress.stage, "synthesizing"))
    except RunError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    try:
        write_atomic(out, "".join(json.dumps(t.to_json(), ensure_ascii=False) + "\n" for t in found))
    except OSError as exc:
        err.print(f"error: {os_error_text(exc)}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    err.print(f"wrote {len(found)} tasks to {out}")


def report_cmd(
    run: Path = typer.Argument(..., help="A simulate run folder (its tasks.jsonl and traces)."),
    build: Path = typer.Option(Path("build"), "--build-dir", help="Where the run's domains were compiled."),
    old_build: Path | None = typer.Option(None, "--build", hidden=True, help="The old name of --build-dir."),
    fmt: str = typer.Option("human", "--format", help="`human` (a table) or `json`."),
) -> None:
    """The shape of a run's tasks next to τ²-bench's: calls and writes per task, lookups before writes, refusals."""
    from ascc.sim.shape import report_run

    if not (run / "tasks.jsonl").exists():
        err.print(f"error: {run} holds no tasks.jsonl (is it a `ascc simulate` run folder?)")
        raise typer.Exit(1)
    try:
        r = report_run(run, old_build or build)
    except FileNotFoundError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(1) from None
    if fmt == "json":
        print(json.dumps(r, indent=2))
        return
    t = Table(title=f"ascc report — {run} ({r['tasks']} tasks)", title_justify="left")
    t.add_column("measure")
    t.add_column("this run", justify="right")
    t.add_column("τ²-bench", justify="right")
    g, w = r["gold_calls"], r["writes"]
    t.add_row("gold calls per task (mean)", f"{g['mean']:.2f}", r["tau2"]["mean_gold_calls"])
    t.add_row("  distribution 0/1/2/3/4/5/6+", " / ".join(str(v) for v in g["per_task"].values()), "")
    t.add_row("writes per task (mean)", f"{w['mean']:.2f}", "")
    t.add_row("tasks with ≥ 3 writes", f"{w['tasks_with_3_or_more']} ({w['share_3_or_more']:.1%})", r["tau2"]["three_writes"])
    lw = r["writes_after_lookup"]
    t.add_row("writes after identifying lookups", f"{lw['identified']}/{lw['writes']} ({lw['share']:.1%})", "")
    pd = r["policy_decided"]
    t.add_row("policy-decided tasks", f"{pd['tasks']} ({pd['share']:.1%})", "")
    for kind, n in r["refusals"].items():
        t.add_row(f"refusals: {kind}", str(n), "")
    u = r["user_turns"]
    t.add_row("user turns after the opening", f"{u['later_turns']} ({u['distinct']} distinct)", "")
    t.add_row("  share of the 3 most common", f"{u['top3_share']:.1%}", "")
    o = r["openings_citing_unknown_ids"]
    t.add_row("openings citing ids not yet existing", str(o["tasks"]), "0")
    Console(highlight=False).print(t)
