"""The runtime's commands: `ascc replay`, `ascc shell`, `ascc serve`. `register(app)` adds them to the main app."""

from __future__ import annotations

import json
import sys
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

Spec = Annotated[Path, typer.Argument(help="The domain's *.env.yaml spec.")]
BuildDir = Annotated[Path, typer.Option("--build-dir", help="Where the spec is compiled to (cached when unchanged).")]


def load_spec(spec: Path, build_dir: Path):
    """Compile and load a spec, or print its diagnostics and exit 1."""
    from ascc.runtime.domain import SpecError, compile_and_load

    if not spec.exists():
        err.print(f"error: no such spec `{spec}`", markup=False)
        raise typer.Exit(1)
    if spec.is_dir():
        err.print(f"error: `{spec}` is a folder; this command takes one spec file, e.g. specs/shop.env.yaml",
                  markup=False)
        raise typer.Exit(1)
    try:
        return compile_and_load(spec, build_dir)
    except SpecError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None


def load_specs(spec: Path, build_dir: Path) -> dict:
    """One spec, or every spec under a folder, compiled (cached) and loaded by domain name; a spec that does
    not compile prints its diagnostics and exits 1."""
    if not spec.is_dir():
        domain = load_spec(spec, build_dir)
        return {domain.name: domain}
    from ascc.compiler.driver import compile_many
    from ascc.diagnostics import SourceCache, render_all
    from ascc.runtime.domain import load_domain

    results = compile_many([spec], build_dir, console=err)
    diags = [d for r in results if not r.ok for d in r.diagnostics]
    if diags:
        sys.stderr.write(render_all(diags, SourceCache()) + "\n")
        raise typer.Exit(1)
    return {r.domain: load_domain(str(r.out_dir)) for r in results}


def tasks_with_a_domain(spec: Path, domains: dict, tasks: list) -> list:
    """The tasks whose domain is loaded. With a folder, a task of another domain is an error; with one spec, the
    others are left out with a warning (a task file from `ascc simulate specs/` holds every domain's)."""
    others = [t for t in tasks if t.domain not in domains]
    if not others:
        return tasks
    names = ", ".join(sorted({t.domain for t in others}))
    if spec.is_dir():
        err.print(f"error: {len(others)} tasks are for domains with no spec under {spec}: {names}", markup=False)
        raise typer.Exit(1)
    mine = [t for t in tasks if t.domain in domains]
    err.print(f"warning: leaving out {len(others)} of {len(tasks)} tasks, which are for other domains ({names}); "
              f"`ascc replay {spec.parent} TASKS` replays each task in its own domain", markup=False, soft_wrap=True)
    if not mine:
        err.print(f"error: no task in the file is for `{next(iter(domains))}`", markup=False)
        raise typer.Exit(1)
    return mine


def replay_cmd(
    spec: Annotated[Path, typer.Argument(help="The domain's *.env.yaml spec, or a folder of specs: each task is "
                                              "replayed in its own domain.")],
    tasks: Annotated[Path, typer.Argument(help="A JSONL task file (see docs/runtime.md).")],
    report: Annotated[Path | None, typer.Option("--out", "-o", help="Write the per-task report as JSON here.")] = None,
    state_file: Annotated[Path | None, typer.Option(
        "--state-file", help="Write each task's final state to DIR/<task-id>/<table>.jsonl.")] = None,
    init_state: Annotated[Path | None, typer.Option(
        "--init-state", help="A folder of <table>.json/.jsonl/.parquet files to start from instead of the "
                             "compiled seed (tables without a file start empty; one domain only).")] = None,
    expect_state: Annotated[Path | None, typer.Option(
        "--expect-state", help="Expected rows: a JSON file {table: rows} or {\"tasks\": {id: {table: rows}}}, "
                               "or a folder as --state-file writes (one domain only).")] = None,
    build_dir: BuildDir = Path("build"),
) -> None:
    """Replay each task's gold calls and check the final state digest; explain mismatches with a state diff."""
    from ascc.runtime import replay as rp
    from ascc.runtime.tasks import TaskFileError, load_tasks

    if not spec.exists():
        err.print(f"error: no such spec or folder `{spec}`", markup=False)
        raise typer.Exit(1)
    domains = load_specs(spec, build_dir)
    try:
        task_list = tasks_with_a_domain(spec, domains, load_tasks(tasks))
        used = list(dict.fromkeys(t.domain for t in task_list))
        if (init_state or expect_state) and len(used) > 1:
            err.print(f"error: --init-state and --expect-state describe one domain's tables; the tasks are for "
                      f"{len(used)} domains ({', '.join(used)})", markup=False)
            raise typer.Exit(2)
        if init_state is not None:
            domains[used[0]] = rp.with_initial_state(domains[used[0]], init_state)
        expected_all, expected_per = rp.load_expected(domains[used[0]], expect_state) if expect_state else (None, {})
    except TaskFileError as exc:
        for p in exc.problems:
            err.print(f"error: {p}", markup=False)
        raise typer.Exit(1) from None
    except rp.StateError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None
    outcomes = rp.replay_by_domain(domains, task_list, expected_all, expected_per)
    _print_outcomes(outcomes, show_domain=len(used) > 1)
    if state_file is not None:
        for o in outcomes:
            if o.state is not None:
                rp.write_state(o.state, state_file / rp.task_dir_name(o.task.id))
    if report is not None:
        report.write_text(json.dumps(rp.report_json(str(spec), used, outcomes), indent=1, ensure_ascii=False)
                          + "\n", encoding="utf-8")
    raise typer.Exit(1 if any(o.failed for o in outcomes) else 0)


def _print_outcomes(outcomes, show_domain: bool = False) -> None:
    from ascc.runtime.diff import render_diff
    from ascc.runtime.replay import summary

    table = Table(title="replay", title_justify="left")
    columns = ("domain",) * show_domain + ("task", "kind", "calls", "errors", "digest", "match")
    for col in columns:
        table.add_column(col, justify="right" if col in ("calls", "errors") else "left")
    for o in outcomes:
        mark = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[dim]–[/]"}[o.match]
        if o.setup_error:
            mark = "[red]setup ✗[/]"
        errors = f"[yellow]{o.errors}[/]" if o.errors else "0"
        cells = (o.task.domain,) * show_domain + (o.task.id, o.task.kind, str(len(o.calls)), errors,
                                                   (o.digest or "")[:12], mark)
        table.add_row(*cells)
    out.print(table)
    for o in outcomes:
        if o.setup_error:
            out.print(f"[red]✗ {o.task.id}[/]: {o.setup_error}", markup=True, highlight=False)
        elif o.match is False:
            how = ("final state → expected state" if o.diff_against == "gold_state" else
                   "initial state → final state (no expected rows for this task: this is what the gold calls "
                   "changed)")
            why = (f"digest {o.digest[:12]} ≠ gold {o.task.gold_digest[:12]}" if o.task.gold_digest
                   else "the final state differs from the expected rows")
            out.print(f"[red]✗ {o.task.id}[/]: {why}; diff {how}:")
            out.print(render_diff(o.diff, title=o.task.id))
        for c in o.calls:
            if not c.ok and o.failed:
                out.print(f"  [yellow]{c.tool}[/] refused ({c.error_code}): "
                          f"{json.loads(c.content)['error']['message']}", highlight=False)
    s = summary(outcomes)
    line = f"{s['tasks']} tasks: {s['matched']} passed, {s['failed']} failed"
    if s["unchecked"]:
        line += f", {s['unchecked']} with nothing to compare (no gold digest or expected rows)"
    out.print(line, markup=False)


def shell_cmd(
    spec: Spec,
    build_dir: BuildDir = Path("build"),
) -> None:
    """An interactive session with one environment: call tools, look at tables, digests and diffs."""
    from ascc.runtime.shell import Shell

    Shell(load_spec(spec, build_dir)).run()


def serve_cmd(
    spec: Spec,
    transport: Annotated[str, typer.Option("--transport", help="`stdio` or `http` (streamable HTTP).")] = "stdio",
    host: Annotated[str, typer.Option("--host", help="Address to listen on (http).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on (http).")] = 8765,
    call_seconds: Annotated[float, typer.Option("--call-seconds", help="Time limit of one tool call (SQL and "
                                                "Python alike); a call past it is refused with `timeout`.")] = 5.0,
    build_dir: BuildDir = Path("build"),
) -> None:
    """Serve the domain's tools over the Model Context Protocol; each MCP session gets its own environment."""
    if transport not in ("stdio", "http"):
        err.print(f"error: --transport must be `stdio` or `http`, got `{transport}`")
        raise typer.Exit(2)
    from ascc.extras import needs_extra

    with needs_extra("ascc serve", "sim"):
        from ascc.runtime import serve
    if not call_seconds > 0:
        err.print(f"error: --call-seconds must be positive, got {call_seconds:g}")
        raise typer.Exit(2)
    from ascc.runtime.env import Limits

    domain = load_spec(spec, build_dir)
    say = partial(print, file=sys.stderr, flush=True)  # stdout is the protocol's over stdio
    if transport == "stdio":
        serve.run_stdio(domain, hint=say if sys.stdin.isatty() else None, limits=Limits(call_seconds=call_seconds))
    else:
        serve.run_http(domain, host, port, hint=say, limits=Limits(call_seconds=call_seconds))


def register(app: typer.Typer) -> None:
    app.command("replay")(replay_cmd)
    app.command("shell")(shell_cmd)
    app.command("serve")(serve_cmd)
