"""`ascc import tau2 DIR`: τ²-bench's domain data and tasks as an ascc spec, seed files and a task file."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

MAX_LISTED = 20


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
