"""The `ascc eval` command; `register(app)` adds it to the main typer app (docs/eval.md)."""

from __future__ import annotations

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

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False)


def eval_command(
    domains: list[str] = typer.Argument(..., help="Spec files or folders, build/<domain> folders, domain names."),
    tasks: Path | None = typer.Option(None, "--tasks", help="A JSONL task file (e.g. from `ascc import tau2`)."),
    synth: int = typer.Option(0, "--synth", help="Synthesize N held-out tasks per domain."),
    seed: int = typer.Option(1000, "--seed", help="Synthesis seed: keep it apart from the training seed."),
    agent: str = typer.Option("oracle", "--agent", help="oracle, broken:<how>, hf:<model spec>, openai:<model>."),
    user: str = typer.Option("scripted", "--user", help="scripted, or openai:<model> (an LLM user)."),
    trials: int = typer.Option(1, "--trials", "-k", help="Trials per task (pass^1..k)."),
    out_dir: Path = typer.Option(Path("runs/eval"), "--out", "-o", help="Where trials.jsonl and report.json go."),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint (openai: agent/user)."),
    api_key: str | None = typer.Option(None, "--api-key", help="Endpoint key (else ASCC_OPENAI_API_KEY)."),
    max_turns: int = typer.Option(30, "--max-turns", help="Assistant messages per conversation."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", help="Tokens per assistant message."),
    temperature: float | None = typer.Option(None, "--temperature", help="Agent sampling (0: greedy)."),
    threads: int | None = typer.Option(None, "--threads", help="hf: torch CPU threads."),
    device: str | None = typer.Option(None, "--device", help="hf: cpu, cuda, cuda:1."),
    concurrency: int = typer.Option(0, "--concurrency", help="Trials at once (0: 1 in-process, 8 endpoint or hf: batched)."),
    filters: str = typer.Option("validity,state,calls,facts,confirm", "--filters",
                                help="Filters that judge a trial (default: all, as `simulate` keeps a trace)."),
    build_dir: Path = typer.Option(Path("build"), "--build-dir", help="Where specs are compiled."),
    fresh: bool = typer.Option(False, "--fresh", help="Discard the trials already in --out."),
    holdout: str | None = typer.Option(None, "--holdout-domains",
                                       help="Evaluate only the domains `simulate --holdout-domains` left out: a "
                                            "count (5), a share (0.2) or names."),
    holdout_seed: int = typer.Option(0, "--holdout-seed", help="The split's seed (as given to simulate)."),
) -> None:
    """Evaluate an agent on held-out tasks: k trials each, verified like `simulate`, pass^k per domain."""
    from ascc.eval.report import print_report, summarize, write_report
    from ascc.eval.run import EvalError, EvalSettings, evaluate, file_tasks, load_domains, synth_tasks
    from ascc.runtime.tasks import TaskFileError
    from ascc.sim.registry import BackendError
    from ascc.sim.splits import SplitError, heldout
    from ascc.sim.verify import FILTERS

    chosen = tuple(f.strip() for f in filters.split(",") if f.strip())
    try:
        if unknown := [f for f in chosen if f not in FILTERS]:
            raise EvalError(f"unknown filter `{unknown[0]}`; known: {', '.join(FILTERS)}")
        if (tasks is None) == (synth <= 0):
            raise EvalError("give either --tasks FILE or --synth N")
        loaded = load_domains(domains, build_dir)
        if holdout is not None:
            loaded = {n: loaded[n] for n in heldout(loaded, holdout, holdout_seed)}
        task_list = file_tasks(tasks, loaded) if tasks else synth_tasks(loaded, synth, seed)
        settings = EvalSettings(agent=agent, user=user, trials=trials, max_turns=max_turns, filters=chosen,
                                concurrency=concurrency,
                                options=_options(agent, user, base_url=base_url, api_key=api_key,
                                                 max_tokens=max_tokens, temperature=temperature, threads=threads,
                                                 device=device, seed=seed))
        err.print(f"ascc eval: {agent} with {user} user on {len(task_list)} tasks × {trials} trials "
                  f"({', '.join(sorted(loaded))}) -> {out_dir}", markup=False)
        bar = TrialProgress(len(task_list) * trials)
        with bar.bars:
            results = evaluate(task_list, loaded, settings, out_dir, fresh, on_result=bar.result,
                               on_reuse=partial(_reusing, bar, out_dir))
    except (EvalError, TaskFileError, BackendError, SplitError) as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    report = summarize(results, trials)
    source = {"tasks": str(tasks)} if tasks else {"synth": synth, "seed": seed}
    meta = {**settings.key(), "trials": trials, **source, "domains": sorted(loaded), "max_tokens": max_tokens,
            "temperature": temperature,
            **({"holdout_domains": holdout, "holdout_seed": holdout_seed} if holdout is not None else {})}
    path = write_report(report, meta, out_dir)
    print_report(report, out, title=f"ascc eval: {agent}")
    err.print(f"report: {path}")


def _options(agent: str, user: str, **values):
    """BackendOptions for model backends (None when both sides are built in: the sim extra is not needed)."""
    if agent.partition(":")[0] in ("oracle", "broken") and user == "scripted":
        return None
    from ascc.sim.backends import BackendOptions

    return BackendOptions(**values)


class TrialProgress:
    """One progress bar over the trials, with the passes so far; trials reused from the run folder count as done."""

    def __init__(self, total: int):
        self.bars = Progress(TextColumn("trials"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("passed {task.fields[passed]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                             console=err)
        self.bar = self.bars.add_task("trials", total=total, passed=0)
        self.passed = 0

    def reused(self, results: list) -> None:
        self.passed += sum(r.passed for r in results)
        self.bars.update(self.bar, completed=len(results), passed=self.passed)

    def result(self, r) -> None:
        self.passed += r.passed
        self.bars.update(self.bar, advance=1, passed=self.passed)


def _reusing(bar: TrialProgress, out_dir: Path, results: list) -> None:
    bar.bars.console.print(f"reusing {len(results)} finished trials from {out_dir}; --fresh to start over",
                           markup=False)
    bar.reused(results)


def register(app: typer.Typer) -> None:
    """Add the `eval` command to `app`."""
    app.command("eval")(eval_command)
