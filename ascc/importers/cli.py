"""`ascc import tau2 DIR`: τ²-bench's domain data and tasks as an ascc spec, seed files and a task file."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

MAX_LISTED = 20

# Options the two API importers (`openapi`, `tools`) share: one definition, so their flags cannot drift apart.
MIN_TOOLS = typer.Option(4, "--min-tools", help="Smaller groups are merged with related ones.")
MAX_TOOLS = typer.Option(40, "--max-tools", help="Larger APIs are split along tool-graph communities.")
SEED = typer.Option(0, "--seed", help="Louvain's seed: the same input and seed give the same domains.")
JOBS = typer.Option(0, "--jobs", "-j", help="Processes drafting and compiling domains (0: one per core).")
LLM = typer.Option(None, "--llm", help="An OpenAI-compatible endpoint (e.g. http://127.0.0.1:8000/v1): a model "
                   "refines each domain's names, descriptions, policy and preconditions; every edit is compiled.")
MODEL = typer.Option(None, "--model", help="The model to ask (with --llm).")
ROUNDS = typer.Option(2, "--rounds", help="Repair rounds per domain when an edit does not compile (with --llm).")
LLM_TIMEOUT = typer.Option(120.0, "--llm-timeout", help="Seconds to wait for one answer.")


def register(app: typer.Typer) -> None:
    imp = typer.Typer(name="import", no_args_is_help=True, help="Bring other benchmarks' data and tasks into ascc.")
    app.add_typer(imp, name="import")

    @imp.command("tau2")
    def tau2_cmd(
        folder: Path = typer.Argument(..., help="A τ²-bench domain folder (db.json or db.toml, tasks.json), or "
                                                "τ²'s data/tau2/domains/ folder for all three."),
        domain: str = typer.Option("auto", "--domain", "-d", help="retail, airline, telecom or auto."),
        out_dir: Path = typer.Option(Path("tau2_import"), "--out", "-o", help="Where <domain>.env.yaml and "
                                                                                 "<domain>/ go."),
        spec: Path | None = typer.Option(None, "--spec", help="The ascc spec to import into (default "
                                                               "specs/<domain>.env.yaml)."),
        build_dir: Path | None = typer.Option(None, "--build-dir", help="Where the imported spec is compiled "
                                                                         "(default OUT/build)."),
        keep_failing: bool = typer.Option(False, "--keep-failing", help="Keep tasks whose gold calls ascc "
                                          "refuses or whose gold state fails τ²'s env assertions (still "
                                          "reported)."),
        drop_unknown_fields: bool = typer.Option(False, "--drop-unknown-fields", help="Import records without "
                                                 "the τ² fields the spec lacks (reported) instead of skipping "
                                                 "them."),
        split: str | None = typer.Option(None, "--split", help="Only the tasks of this split in "
                                                                "split_tasks.json (e.g. test, base)."),
        limit: int | None = typer.Option(None, "--limit", help="Only the first N tasks."),
        strict: bool = typer.Option(False, "--strict", help="Exit 1 when any record or task is left out."),
    ) -> None:
        """Convert τ²-bench's domain data and tasks into an ascc spec with seed files and a task file."""
        from ascc.importers.tau2 import Tau2ImportError, import_tau2

        if domain not in ("auto", "airline", "retail", "telecom"):
            err.print(f"error: --domain must be auto, airline, retail or telecom, not `{domain}`")
            raise typer.Exit(2)
        try:
            reports = import_tau2(folder, out_dir, domain, spec=spec, build_dir=build_dir,
                                  keep_failing=keep_failing, drop_unknown_fields=drop_unknown_fields,
                                  split=split, limit=limit)
        except Tau2ImportError as exc:
            err.print(f"error: {exc}")
            raise typer.Exit(1) from None
        for r in reports:
            print_report(r)
        left_out = any(r.skipped_records or r.skipped_tasks for r in reports)
        raise typer.Exit(1 if strict and left_out else 0)


    @imp.command("openapi")
    def openapi_cmd(
        paths: list[Path] = typer.Argument(..., help="OpenAPI 3.x / Swagger 2.0 files (JSON or YAML) or folders "
                                                     "of them."),
        out_dir: Path = typer.Option(Path("imported"), "--out", "-o", help="Where the specs and "
                                                                          "import_report.json go."),
        one_domain_per_api: bool = typer.Option(False, "--one-domain-per-api", help="Keep each API whole: one "
                                                "domain per description, never split or merged."),
        min_size: int = MIN_TOOLS,
        max_size: int = MAX_TOOLS,
        seed: int = SEED,
        strict: bool = typer.Option(False, "--strict", help="Exit 1 when any operation is left out."),
        build_dir: Path | None = typer.Option(None, "--build-dir", help="Also write each domain's build here "
                                              "while checking it (a later `ascc compile` finds it cached)."),
        jobs: int = JOBS,
        llm: str | None = LLM,
        model: str | None = MODEL,
        rounds: int = ROUNDS,
        llm_timeout: float = LLM_TIMEOUT,
    ) -> None:
        """Draft one compiled spec per domain from API descriptions; every operation is imported or reported."""
        from ascc.importers.openapi.run import import_openapi

        _run_api_import(import_openapi, paths, out_dir, strict, min_size=min_size, max_size=max_size,
                        one_domain_per_api=one_domain_per_api, seed=seed, build_dir=build_dir,
                        jobs=jobs or (os.cpu_count() or 1), refine=_refine_config(llm, model, rounds, llm_timeout))

    @imp.command("tools")
    def tools_cmd(
        paths: list[Path] = typer.Argument(..., help="OpenAI function/tool schema lists or MCP tools/list "
                                                     "results (JSON or YAML), or folders of them."),
        out_dir: Path = typer.Option(Path("imported"), "--out", "-o", help="Where the specs and "
                                                                          "import_report.json go."),
        one_domain_per_api: bool = typer.Option(False, "--one-domain-per-api", help="One domain per file."),
        min_size: int = MIN_TOOLS,
        max_size: int = MAX_TOOLS,
        seed: int = SEED,
        strict: bool = typer.Option(False, "--strict", help="Exit 1 when any tool is left out."),
        jobs: int = JOBS,
        llm: str | None = LLM,
        model: str | None = MODEL,
        rounds: int = ROUNDS,
        llm_timeout: float = LLM_TIMEOUT,
    ) -> None:
        """Draft compiled specs from tool lists that carry no paths or HTTP methods."""
        from ascc.importers.openapi.run import import_tools

        _run_api_import(import_tools, paths, out_dir, strict, min_size=min_size, max_size=max_size,
                        one_domain_per_api=one_domain_per_api, seed=seed,
                        jobs=jobs or (os.cpu_count() or 1), refine=_refine_config(llm, model, rounds, llm_timeout))


def _refine_config(llm: str | None, model: str | None, rounds: int, timeout: float):
    if llm is None and model is None:
        return None
    if not llm or not model:
        err.print("error: --llm and --model go together (the endpoint and the model to ask there)")
        raise typer.Exit(2)
    if rounds < 0 or timeout <= 0:
        err.print("error: --rounds must be at least 0 and --llm-timeout positive")
        raise typer.Exit(2)
    try:
        import openai  # noqa: F401
    except ImportError:
        err.print("error: --llm needs the `openai` package (pip install 'ascc[sim]')")
        raise typer.Exit(2) from None
    from ascc.importers.openapi.refine import RefineConfig
    from ascc.sim.backends.endpoint import ENV_API_KEY

    key = os.environ.get(ENV_API_KEY) or os.environ.get("OPENAI_API_KEY") or "EMPTY"
    return RefineConfig(llm, model, rounds=rounds, timeout_s=timeout, api_key=key)


def _run_api_import(fn, paths: list[Path], out_dir: Path, strict: bool, **kw) -> None:
    missing = [p for p in paths if not p.exists()]
    if missing:
        err.print(f"error: no such file or folder: {', '.join(str(m) for m in missing)}", markup=False)
        raise typer.Exit(2)
    if kw["min_size"] < 1 or kw["max_size"] < kw["min_size"]:
        err.print("error: --min-tools must be at least 1 and at most --max-tools")
        raise typer.Exit(2)
    report = fn(paths, out_dir, **kw)
    print_api_report(report, out_dir)
    if report.imported == 0:
        raise typer.Exit(1)
    raise typer.Exit(1 if strict and report.imported < len(report.operations) else 0)


def print_api_report(r, out_dir: Path) -> None:
    from collections import Counter

    t = Table(title=f"import → {out_dir}", title_justify="left")
    for col, just in (("domain", "left"), ("apis", "right"), ("tools", "right"), ("reads", "right"),
                      ("writes", "right"), ("compiles", "left")):
        t.add_column(col, justify=just)
    kinds: dict[str, Counter] = {}
    for o in r.operations:
        if o.status == "imported":
            kinds.setdefault(o.domain, Counter())[o.kind in ("lookup", "query")] += 1
    shown = r.domains[:MAX_LISTED * 2]
    for d in shown:
        k = kinds.get(d.name, Counter())
        t.add_row(d.name, str(len(set(d.apis))), str(d.tools), str(k[True]), str(k[False]),
                  "yes" if d.compiled else "[red]no[/red]")
    if len(r.domains) > len(shown):
        t.add_row(f"… {len(r.domains) - len(shown)} more", "", "", "", "", "")
    out.print(t)
    n = len(r.operations)
    ok = sum(d.compiled for d in r.domains)
    out.print(f"{r.files} files, {n} operations: {r.imported} imported ({100 * r.imported / max(n, 1):.1f}%) "
              f"into {ok} domains that compile; {n - r.imported} left out; {len(r.problems)} files not imported "
              f"({r.seconds.get('total', 0):.1f} s)")
    _listing("files not imported", [f"{p['file']}: {p['reason']}" for p in r.problems])
    reasons = Counter(o.reason for o in r.operations if o.status != "imported")
    _listing("operations left out, by reason", [f"{c} × {why}" for why, c in reasons.most_common()])
    refined = [d for d in r.domains if d.refinement]
    if refined:
        st = Counter(d.refinement["status"] for d in refined)
        out.print(f"LLM refinement: {st['accepted']} accepted, {st['unchanged']} unchanged, {st['rejected']} "
                  f"rejected, {st['failed']} failed (rejected and failed domains keep their draft)")
        _listing("refinements", [f"{d.name}: {d.refinement['status']}: " + (
            "; ".join(d.refinement["changes"]) if d.refinement["status"] == "accepted" else d.refinement["reason"])
            for d in refined])
    out.print(f"report: {out_dir / 'import_report.json'}")


def print_report(r) -> None:
    t = Table(title=f"τ² {r.domain} → {r.out_spec}", title_justify="left")
    t.add_column("what")
    t.add_column("read", justify="right")
    t.add_column("converted", justify="right")
    t.add_column("left out", justify="right")
    for ent, s in r.records.items():
        t.add_row(f"{ent} records", str(s["read"]), str(s["converted"]), _red(s["read"] - s["converted"]))
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(r.kinds.items()))
    t.add_row(f"tasks{f' ({kinds})' if kinds else ''}", str(r.tasks_read), str(r.tasks_converted),
              _red(len(r.skipped_tasks)))
    out.print(t)
    _listing("left-out records", [f"{x['entity']} {x['key']}: {x['reason']}" for x in r.skipped_records])
    _listing("not imported", [f"{x.get('collection') or x['entity'] + ' ' + x['key'] + '.' + x['field']}: "
                              f"{x['reason']}" for x in r.unmapped])
    _listing("left-out tasks", [f"{x['id']}: {x['reason']}" for x in r.skipped_tasks])
    _listing("task warnings", [f"{x['id']}: {x['warning']}" for x in r.task_warnings])
    where = Path(r.out_spec).parent / r.domain
    out.print(f"report: {where / 'import_report.json'}" + (f"   tasks: {r.tasks_file}" if r.tasks_file else ""))
    if r.tasks_file:
        out.print(f"check:  ascc replay {r.out_spec} {r.tasks_file}")


def _red(n: int) -> str:
    return f"[red]{n}[/red]" if n else "0"


def _listing(title: str, items: list[str]) -> None:
    if not items:
        return
    out.print(f"[bold]{title}[/bold] ({len(items)}):")
    for line in items[:MAX_LISTED]:
        out.print(f"  - {line}", markup=False, soft_wrap=True)
    if len(items) > MAX_LISTED:
        out.print(f"  … and {len(items) - MAX_LISTED} more (see the report)")
