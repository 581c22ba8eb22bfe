"""The `ascc` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from rich.console import Console

from ascc import __version__

app = typer.Typer(name="ascc", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="The environment compiler for agent training.")
err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


def _version(value: bool) -> None:
    if value:
        print(f"ascc {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit."),
          debug: bool = typer.Option(False, "--debug", help="Log at debug level, and let a tool that raises raise "
                                                            "(its traceback instead of an `internal` error).")) -> None:
    import logging

    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if debug:
        os.environ["ASCC_DEBUG"] = "1"  # read by the runtime, in worker processes too


def _report(results, fmt: str) -> int:
    """Print diagnostics the rustc way (or as JSON); return the exit status."""
    from ascc.diagnostics import SourceCache, render_all, to_json

    diags = [d for r in results for d in r.diagnostics]
    if fmt == "json":
        print(to_json(diags))
    elif diags:
        cwd = Path.cwd()

        def display(f: str) -> str:
            try:
                return str(Path(f).resolve().relative_to(cwd))
            except ValueError:
                return f

        sys.stderr.write(render_all(diags, SourceCache(), display_path=display) + "\n")
    return 1 if any(not r.ok for r in results) else 0


@app.command("compile")
def compile_cmd(
    paths: list[Path] = typer.Argument(..., help="Spec files or folders of *.env.yaml files."),
    build_dir: Path = typer.Option(Path("build"), "--build-dir", help="Where build/<domain>/ folders go."),
    old_out: Path | None = typer.Option(None, "--out", "-o", hidden=True, help="The old name of --build-dir."),
    force: bool = typer.Option(False, "--force", help="Recompile even when the input is unchanged."),
    fmt: str = typer.Option("human", "--format", help="Diagnostics as `human` text or `json`."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes (0: one per core)."),
) -> None:
    """Compile specs into DuckDB schemas, tool modules, tool schemas and dependency graphs."""
    from ascc.compiler.driver import compile_many

    results = compile_many(paths, old_out or build_dir, force=force, jobs=jobs, console=err if fmt == "human" else None)
    raise typer.Exit(_report(results, fmt))


@app.command("check")
def check_cmd(
    paths: list[Path] = typer.Argument(..., help="Spec files or folders."),
    fmt: str = typer.Option("human", "--format", help="Diagnostics as `human` text or `json`."),
) -> None:
    """Check specs and report diagnostics; write nothing."""
    from ascc.compiler.driver import compile_many

    results = compile_many(paths, None, jobs=1, console=None)
    status = _report(results, fmt)
    if fmt == "human" and status == 0:
        err.print(f"checked {len(results)} spec{'s' if len(results) != 1 else ''}: no errors")
    raise typer.Exit(status)


@app.command("explain")
def explain_cmd(code: str = typer.Argument(..., help="A diagnostic code such as E238.")) -> None:
    """Explain a diagnostic code, with an example of the mistake and its fix."""
    from ascc.codes import explain

    text = explain(code.upper())
    if text is None:
        err.print(f"error: no diagnostic code `{code}`")
        raise typer.Exit(1)
    print(text)


CORE = ("check", "compile", "explain")  # defined in this module: they need none of the optional commands


def main() -> None:
    _register_for(sys.argv[1:])
    app()


def _register_for(argv: list[str]) -> None:
    """Register the optional commands unless the command line runs a core one: importing them all (runtime,
    simulation, trainer, evaluation, importers) takes about half a second, a third of `ascc check` on a small spec."""
    words = [a for a in argv if not a.startswith("-")]
    if not words or words[0] not in CORE or "--help" in argv or "-h" in argv:
        _register_optional()


def _register_optional() -> None:
    """Commands from the later stages, registered when their modules are present (once per process)."""
    import importlib

    if getattr(app, "_ascc_registered", False):
        return
    app._ascc_registered = True
    for module in ("ascc.runtime.cli", "ascc.sim.cli", "ascc.trainer.cli", "ascc.eval.cli", "ascc.importers.cli"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue
            raise
        mod.register(app)
