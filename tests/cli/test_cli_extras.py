"""A command whose extra is not installed says so in one line, with the install command that fits the install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ascc.extras import install_command, missing_extra_message

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "shop.env.yaml"


def without(modules: list[str], *argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`ascc ARGV` in a fresh interpreter where importing any of `modules` fails as if it were not installed."""
    block = "; ".join(f"sys.modules[{m!r}] = None" for m in modules)
    code = f"import sys; {block}; from ascc.cli import main; sys.argv = ['ascc', *sys.argv[1:]]; main()"
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env={"PYTHONPATH": str(ROOT), "COLUMNS": "200", "PATH": "/usr/bin:/bin"})


def test_install_command_for_a_checkout_and_a_package(tmp_path):
    assert install_command("train", root=tmp_path, cwd=tmp_path) == "pip install -e '.[train]'"
    assert install_command("train", root=tmp_path, cwd=ROOT) == f"pip install -e '{tmp_path}[train]'"
    # an installed package has no checkout: the name on the index
    import ascc.extras as extras

    real = extras.checkout_root
    extras.checkout_root = lambda: None
    try:
        assert install_command("sim") == "pip install 'ascc[sim]'"
    finally:
        extras.checkout_root = real


def test_a_module_of_no_extra_is_not_explained():
    assert missing_extra_message("ascc train", ModuleNotFoundError("x", name="ascc.nowhere")) is None
    line = missing_extra_message("ascc train", ModuleNotFoundError("x", name="datasets.arrow"), "train")
    assert line.startswith("error: `ascc train` needs the `train` extra (`datasets` is not installed): ")


def test_train_without_the_train_extra_is_one_line(tmp_path):
    config = tmp_path / "train.yaml"
    config.write_text("model: tiny:x\noutput_dir: run\nphases:\n  - name: a\n    traces: t.jsonl\n    epochs: 1\n", encoding="utf-8")
    (tmp_path / "t.jsonl").write_text("", encoding="utf-8")
    r = without(["torch", "transformers", "trl", "peft", "accelerate"], "train", str(config))
    assert r.returncode == 1, r.stderr
    assert r.stderr == ("error: `ascc train` needs the `train` extra (`torch` is not installed): "
                        "pip install -e '.[train]'\n")


def test_serve_without_mcp_keeps_the_brackets(tmp_path):
    r = without(["mcp", "mcp_types"], "serve", str(SPEC), "--build-dir", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert r.stderr == (f"error: `ascc serve` needs the `sim` extra (`mcp_types` is not installed): "
                        f"pip install -e '{ROOT}[sim]'\n")
