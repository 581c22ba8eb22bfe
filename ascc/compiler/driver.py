"""Compiling many specs: a process pool over files, with a rich progress bar and a summary table."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ascc.compiler.build import (
    CompileResult,
    _cached,
    check_writable,
    compile_file,
    find_specs,
    write_failure,
)
from ascc.diagnostics import DiagnosticBag
from ascc.procs import die_with_parent


def _one(args) -> CompileResult:
    spec, out_root, force = args
    return compile_file(spec, out_root, force=force)


def compile_many(paths: list[Path], out_root: Path | None, *, force: bool = False, jobs: int = 0,
                 console=None, on_progress: Callable[[int, int], None] | None = None) -> list[CompileResult]:
    """Compile every spec under `paths`; `console` shows a bar and a summary, `on_progress(done, total)` is
    called as specs finish (unchanged ones count at once)."""
    specs = find_specs(paths)
    missing = [p for p in paths if not p.exists()]
    results: list[CompileResult] = []
    for p in missing:
        bag = DiagnosticBag()
        bag.error("E000", f"no such file or folder: `{p}`", None)
        results.append(CompileResult(p, diagnostics=bag.sorted()))
    specs = [s for s in specs if s.exists()]
    if not specs and not missing:
        bag = DiagnosticBag()
        bag.error("E000", f"no `*.env.yaml` specs under {', '.join(map(str, paths))}", None)
        return [CompileResult(paths[0] if paths else Path("."), diagnostics=bag.sorted())]
    if out_root is not None and specs and (exc := check_writable(out_root)) is not None:
        bag = DiagnosticBag()  # one line, not one per spec
        bag.error("E095", write_failure(exc, out_root), None, help="pick a writable folder with `--out`")
        return results + [CompileResult(specs[0], diagnostics=bag.sorted())]
    found = _cache_hits(specs, out_root) if out_root is not None and not force else [None] * len(specs)
    todo = [i for i, hit in enumerate(found) if hit is None]
    jobs = jobs or min(len(todo), os.cpu_count() or 1)
    work = [(specs[i], out_root, force) for i in todo]
    cached = len(specs) - len(todo)

    def tick(n: int) -> None:
        if on_progress:
            on_progress(cached + n, len(specs))

    tick(0)
    if jobs <= 1 or len(todo) < 4:
        done = _run_serial(work, console, tick)
    else:
        done = _run_pool(work, jobs, console, tick)
    for i, r in zip(todo, done):
        found[i] = r
    results += found
    _check_duplicates(results)
    if console is not None and out_root is not None:
        _summary(results, console)
    return results


def _cache_hits(specs: list[Path], out_root: Path) -> list[CompileResult | None]:
    """Each spec's previous build when it is unchanged, found here so that a no-change or one-spec recompile
    starts no worker processes; None where the spec must be compiled (or cannot be read: compile_file says so)."""
    hits: list[CompileResult | None] = []
    for s in specs:
        try:
            hits.append(_cached(s, s.read_text(encoding="utf-8"), out_root))
        except (OSError, UnicodeDecodeError):
            hits.append(None)
    return hits


def _progress(console, total: int):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("compiling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=console is None or total < 8)


def _run_serial(work, console, tick) -> list[CompileResult]:
    out = []
    with _progress(console, len(work)) as bar:
        task = bar.add_task("compile", total=len(work))
        for w in work:
            out.append(_one(w))
            bar.advance(task)
            tick(len(out))
    return out


def _run_pool(work, jobs: int, console, tick) -> list[CompileResult]:
    import multiprocessing as mp

    # not fork: a caller that already opened DuckDB (a test session, `ascc eval`) has its threads and locks, and a
    # forked child that compiles (DuckDB prepares `sql:` tools, checks seed data) can die on them. A fork server
    # starts clean, imports the compiler once, and forks the workers from that.
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["ascc.compiler.build", "ascc.compiler.graph", "ascc.compiler.pygen",
                                "ascc.compiler.schemas", "ascc.compiler.state"])
    # workers (children of the fork server) exit when this process dies, even by kill -9
    with _progress(console, len(work)) as bar, ProcessPoolExecutor(jobs, mp_context=ctx, initializer=die_with_parent,
                                                                   initargs=(os.getpid(),)) as pool:
        task = bar.add_task("compile", total=len(work))
        out = []
        for r in pool.map(_one, work, chunksize=max(1, len(work) // (jobs * 8))):
            out.append(r)
            bar.advance(task)
            tick(len(out))
    return out


def _check_duplicates(results: list[CompileResult]) -> None:
    seen: dict[str, Path] = {}
    for r in results:
        if r.domain and r.ok:
            if r.domain in seen:
                from ascc.diagnostics import Diagnostic

                r.diagnostics.append(Diagnostic("E094", f"domain `{r.domain}` is also defined in {seen[r.domain]}",
                                                None))
            seen.setdefault(r.domain, r.spec)


def _summary(results: list[CompileResult], console) -> None:
    ok = [r for r in results if r.ok]
    cached = sum(r.cached for r in ok)
    tools = sum(r.counts.get("tools", 0) for r in ok)
    failed = len(results) - len(ok)
    line = f"compiled {len(ok)} domain{'s' if len(ok) != 1 else ''} ({cached} unchanged), {tools} tools"
    if failed:
        line += f"; {failed} failed"
    console.print(line)
