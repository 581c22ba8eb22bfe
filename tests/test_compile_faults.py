"""`ascc compile` when writing fails or is cut short: one clear error, no temporary files, no mixed build.

A build folder that cannot be written (a file where the folder should be; a full disk, made real by pointing a
temporary output at /dev/full) gives E095 naming the file, exit 1 and nothing half-written. A compile killed
(SIGKILL) between `tools.py` and `manifest.json`, followed by reverting the spec, used to leave the new
`tools.py` under the old manifest, and the next compile called it unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ascc.compiler.build import compile_file

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "specs" / "shop.env.yaml"


def _ascc(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "ascc", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def _leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if ".tmp" in p.name or ".probe" in p.name)


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    target = tmp_path / "shop.env.yaml"
    shutil.copy(SHOP, target)
    return target


def test_an_unwritable_build_folder_is_one_line_and_exit_1(tmp_path, spec):
    (tmp_path / "build").write_text("a file where the build folder should be")
    p = _ascc("compile", str(spec), "--out", "build/out", cwd=tmp_path)
    assert p.returncode == 1
    assert "Traceback" not in p.stderr and "E900" not in p.stderr
    assert "error[E095]: cannot write `build/out" in p.stderr, p.stderr
    assert p.stderr.count("error[E095]") == 1
    assert _leftovers(tmp_path) == []


def test_a_full_disk_is_reported_and_leaves_no_temporary_file(tmp_path, spec):
    out = tmp_path / "build"
    (out / "shop").mkdir(parents=True)
    # the compiler's next temporary file for tools.py writes to /dev/full: a real ENOSPC
    (out / "shop" / f"tools.py.tmp{os.getpid()}").symlink_to("/dev/full")
    result = compile_file(spec, out)
    assert [d.code for d in result.diagnostics] == ["E095"], result.diagnostics
    message = result.diagnostics[0].message
    assert "tools.py" in message and "No space left on device" in message
    assert _leftovers(out) == []
    assert not (out / "shop" / "manifest.json").exists()
    again = compile_file(spec, out)  # space again: the next compile builds it, not "unchanged"
    assert again.ok and not again.cached


KILL_AFTER_TOOLS = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from ascc.compiler import build

    real = build._write
    def write(path, data):
        real(path, data)
        if path.name == "tools.py":
            os.kill(os.getpid(), signal.SIGKILL)
    build._write = write
    build.compile_file(Path(sys.argv[1]), Path(sys.argv[2]))
""")


def test_a_compile_killed_before_its_manifest_is_not_taken_as_unchanged(tmp_path, spec):
    out = tmp_path / "build"
    original = spec.read_text()
    first = compile_file(spec, out)
    assert first.ok
    tools_a = (out / "shop" / "tools.py").read_bytes()
    spec.write_text(original.replace("A small online shop's customer-service desk.",
                                     "A small online shop's help desk.", 1))
    script = tmp_path / "kill.py"
    script.write_text(KILL_AFTER_TOOLS)
    p = subprocess.run([sys.executable, str(script), str(spec), str(out)], env={**os.environ, "PYTHONPATH": str(ROOT)},
                       capture_output=True, timeout=120)
    assert p.returncode == -9
    assert (out / "shop" / "tools.py").read_bytes() != tools_a  # the killed compile got that far
    spec.write_text(original)  # revert
    again = compile_file(spec, out)
    assert again.ok and not again.cached
    assert (out / "shop" / "tools.py").read_bytes() == tools_a
    assert _leftovers(out) == []


def test_manifest_lists_every_output_and_a_changed_output_is_rebuilt(tmp_path, spec):
    out = tmp_path / "build"
    assert compile_file(spec, out).ok
    manifest = json.loads((out / "shop" / "manifest.json").read_text())
    files = {str(p.relative_to(out / "shop")) for p in (out / "shop").rglob("*") if p.is_file()}
    assert set(manifest["outputs"]) == files - {"manifest.json"}
    assert compile_file(spec, out).cached
    state = out / "shop" / "state" / "order.parquet"
    good = state.read_bytes()
    state.write_bytes(good[: len(good) // 2])  # a half-written output
    again = compile_file(spec, out)
    assert again.ok and not again.cached
    assert state.read_bytes() == good
