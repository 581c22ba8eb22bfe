"""`ascc shell` as a real subprocess with piped commands, and the runtime commands' registration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "shop.env.yaml"
ORDER = "#W0065976"  # pending in the shop seed (random_seed 7)


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("build")


def shell(build: Path, *lines: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from ascc.cli import main; main()", "shell", str(SPEC),
                           "--build-dir", str(build)], input="\n".join(lines) + "\n", capture_output=True,
                          text=True, timeout=60, env={"COLUMNS": "200", "PYTHONIOENCODING": "utf-8"})


def test_shell_session(build):
    r = shell(build, "tools", "tables", f'get_order {{"order_id": "{ORDER}"}}',
              f'call cancel_pending_order {{"order_id": "{ORDER}", "reason": "no longer needed"}}',
              f'cancel_pending_order {{"order_id": "{ORDER}", "reason": "no longer needed"}}',
              "digest", "diff", "log", "show product 2", "reset", "diff", "quit", "tools")
    assert r.returncode == 0, r.stderr
    o = r.stdout
    assert "cancel_pending_order" in o and "reason: {no longer needed|ordered by mistake}" in o
    assert "list[line_item]" in o  # types are not eaten as rich markup
    assert "✓ get_order" in o and "✓ cancel_pending_order (wrote)" in o
    assert "✗ cancel_pending_order: precondition: Non-pending order cannot be cancelled" in o
    assert '"pending" → "cancelled"' in o and "payments[+1]" in o
    assert "P-100" in o and "product: 2 of 3 rows" in o
    assert o.index("reset to the initial state") < o.rindex("no differences")
    assert o.rstrip().endswith("> quit")  # nothing runs after quit


def test_shell_survives_bad_input(build):
    r = shell(build, "frobnicate", "get_order {not json", "get_order []", "show", "show order x", "call",
              'get_order {"order_id": 5}', "", "# a comment", "digest")
    assert r.returncode == 0, r.stderr
    o = r.stdout
    assert "unknown command or tool `frobnicate`" in o
    assert o.count("invalid_arguments") >= 2
    assert "usage: show TABLE" in o and "error: ValueError" in o and "usage: call TOOL" in o
    assert len([ln for ln in o.splitlines() if len(ln) == 64 and ln.isalnum()]) == 1  # digest still works
    assert "Traceback" not in r.stderr


def test_shell_suggests_the_tool_table_or_command_meant(build):
    r = shell(build, f'get_ordr {{"order_id": "{ORDER}"}}', "call cancel_pendng_order {}", "show ordr", "tols",
              "call zzz {}")
    assert r.returncode == 0, r.stderr
    o = r.stdout
    assert "unknown command or tool `get_ordr`; did you mean `get_order`?" in o
    assert "unknown tool `cancel_pendng_order`; did you mean `cancel_pending_order`?" in o
    assert "did you mean `order`?" in o and "did you mean `tools`?" in o
    assert "unknown tool `zzz`; `tools` lists them" in o


def test_shell_ends_at_eof(build):
    r = shell(build, "tables")
    assert r.returncode == 0 and "order_id" in r.stdout


def test_runtime_commands_are_registered():
    r = subprocess.run([sys.executable, "-c", "from ascc.cli import main; main()", "--help"],
                       capture_output=True, text=True, timeout=60, env={"COLUMNS": "200"})
    for cmd in ("replay", "shell", "serve"):
        assert cmd in r.stdout


def test_bad_spec_path(build):
    r = subprocess.run([sys.executable, "-c", "from ascc.cli import main; main()", "shell", "nope.env.yaml"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "no such spec" in r.stderr


def test_python_dash_m_ascc_is_the_command():
    r = subprocess.run([sys.executable, "-m", "ascc", "--help"], capture_output=True, text=True, timeout=60,
                       env={"COLUMNS": "200"})
    assert r.returncode == 0
    for cmd in ("compile", "simulate", "train", "eval", "replay"):
        assert cmd in r.stdout


def test_shell_survives_hostile_arguments(build):
    """Lone surrogates and 5,000-digit numbers are refused, and echoing them (`log`) does not crash the shell."""
    r = shell(build, 'get_order {"\\ud800": 1}', 'get_order {"order_id": "#W\\udc00"}',
              'get_order {"order_id": ' + "9" * 5000 + "}", "log", "digest")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("invalid_arguments") >= 3 and "Traceback" not in r.stderr
    assert len([ln for ln in r.stdout.splitlines() if len(ln) == 64 and ln.isalnum()]) == 1
