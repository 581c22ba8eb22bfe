"""Worker processes that do not outlive the process that started them.

A pool's workers block on a queue whose write end they hold themselves, so when the parent is killed (kill -9,
the OOM killer) they never see end-of-file and stay alive, each with its loaded domains (~460 MB). Every pool
ascc starts runs `die_with_parent` in each worker: on Linux the kernel sends SIGKILL when the worker's parent
dies (`PR_SET_PDEATHSIG`; a fork server's workers are its children, and the fork server exits when its client
does), and a watchdog thread, on every platform, exits once the parent or the given main process is gone.

Linux sends the signal when the *thread* that started the worker ends, so a pool must be started (its first
`submit`) from a thread that outlives it: ascc's pools are started and used by the calling thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
WATCH_INTERVAL_S = 0.5


def die_with_parent(main_pid: int | None = None) -> None:
    """Make this (worker) process exit when its parent, or `main_pid`, dies. Call it first thing in a worker."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent or not _alive(main_pid):  # died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch, args=(parent, main_pid), name="ascc-die-with-parent", daemon=True).start()


def _watch(parent: int, main_pid: int | None) -> None:
    while os.getppid() == parent and _alive(main_pid):
        time.sleep(WATCH_INTERVAL_S)
    os._exit(1)


def _alive(pid: int | None) -> bool:
    """Whether `pid` is running (a zombie, killed but not yet reaped by its own parent, is not)."""
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except (OSError, IndexError):
        return True
