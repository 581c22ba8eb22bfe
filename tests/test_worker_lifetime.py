"""Worker processes exit when the process that started them is killed with SIGKILL.

`compile` (a fork server and its workers) and `simulate` (spawned workers holding loaded domains, ~460 MB each)
used to leave their workers running after a `kill -9` of the main process: they block on a queue whose write end
they hold themselves. Only the main process is killed here, not its process group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def running(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in (b"Z", b"X"):
            alive.add(pid)
    return alive


def kill_main_and_watch_workers(cmd: list[str], workers: int, cwd: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        seen: set[int] = set()
        while time.monotonic() < deadline and proc.poll() is None:
            seen = descendants(proc.pid)
            if len(seen) >= workers:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert len(seen) >= workers, seen
        time.sleep(1.0)  # let the workers start working
        seen |= descendants(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while running(seen) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not running(seen), f"still running after the main process was killed: {sorted(running(seen))}"
    finally:
        for pid in running(descendants(proc.pid)):  # a failed test must not leave them behind either
            os.kill(pid, signal.SIGKILL)


def test_compile_workers_exit_when_compile_is_killed(tmp_path):
    script = ("import sys; from pathlib import Path; from ascc.compiler.driver import compile_many; "
              "compile_many([Path(sys.argv[1])] * 4, Path(sys.argv[2]), force=True, jobs=2)")
    # the fork server and two workers; the spec library four times over keeps them busy
    kill_main_and_watch_workers([sys.executable, "-c", script, str(ROOT / "specs"), str(tmp_path / "build")], 3,
                                tmp_path)


def test_simulate_workers_exit_when_simulate_is_killed(tmp_path):
    cmd = [sys.executable, "-m", "ascc", "simulate", str(ROOT / "specs" / "shop.env.yaml"), "--tasks", "3000",
           "--jobs", "2", "--executor", "process", "--out", str(tmp_path / "run"), "--build", str(tmp_path / "build"),
           "--format", "json"]
    kill_main_and_watch_workers(cmd, 2, tmp_path)
