"""One name for one thing across commands: `--build-dir` is where specs are compiled, `--out`/`-o` what a run writes.

Old spellings (`compile --out/-o` for the build folder, `simulate/synth --build`) still work but are hidden.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.core import TyperOption

from ascc.cli import _register_optional, app

ROOT = Path(__file__).resolve().parents[2]
BUILDS = ("compile", "simulate", "synth", "shell", "serve", "replay", "eval", "import tau2")
RUN_FOLDERS = ("simulate", "eval")
OLD = {("compile", "--out"): "--build-dir", ("compile", "-o"): "--build-dir", ("simulate", "--build"): "--build-dir",
       ("synth", "--build"): "--build-dir"}


@pytest.fixture(scope="module")
def commands() -> dict:
    _register_optional()
    root = typer.main.get_command(app)
    out = {}
    for name, cmd in root.commands.items():
        if hasattr(cmd, "commands"):  # a group: `import tau2`
            out.update({f"{name} {sub}": c for sub, c in cmd.commands.items()})
        else:
            out[name] = cmd
    return out


def options(cmd, hidden: bool) -> dict[str, TyperOption]:
    return {o: p for p in cmd.params if isinstance(p, TyperOption) and p.hidden == hidden for o in p.opts}


@pytest.mark.parametrize("name", BUILDS)
def test_the_build_folder_is_build_dir_everywhere(commands, name):
    shown = options(commands[name], hidden=False)
    assert "--build-dir" in shown
    assert "--build" not in shown


@pytest.mark.parametrize("name", RUN_FOLDERS)
def test_out_is_the_run_folder(commands, name):
    shown = options(commands[name], hidden=False)
    assert {"--out", "-o"} <= set(shown) and shown["--out"].name != "build_dir"


@pytest.mark.parametrize(("name", "old"), sorted(OLD))
def test_old_spellings_are_hidden_aliases(commands, name, old):
    hidden = options(commands[name], hidden=True)
    assert old in hidden and "old name of --build-dir" in hidden[old].help


def test_every_build_folder_option_is_spelled_the_same(commands):
    for name, cmd in commands.items():
        for opt, p in options(cmd, hidden=False).items():
            if "build" in p.name:
                assert opt == "--build-dir", f"{name} {opt}"


@pytest.mark.parametrize("flag", ["--build-dir", "--out", "-o"])
def test_compile_writes_where_either_name_says(tmp_path, flag):
    r = subprocess.run([sys.executable, "-m", "ascc", "compile", "specs/shop.env.yaml", flag, str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "shop" / "domain.json").is_file()
