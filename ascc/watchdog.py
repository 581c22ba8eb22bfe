"""The watchdog that stops a call running past its deadline: the runtime's tool calls and the compiler's seed
generators (where `env` is None) share it, one thread per process."""

from __future__ import annotations

import ctypes
import itertools
import queue
import threading
import time
from dataclasses import dataclass


class CallTimeout(BaseException):  # noqa: N818 - like KeyboardInterrupt: nothing but `_run` may catch it
    """Raised in the thread of a tool call that ran past its time, wherever its Python code is."""


@dataclass(eq=False)
class _Armed:
    token: int
    deadline: float
    env: object | None
    thread: int
    fired: bool = False


class _Watchdog:
    """One thread that stops calls running past their time, for every environment of the process.

    At a call's deadline it interrupts the environment's DuckDB statement and raises `CallTimeout` in the
    call's thread (`PyThreadState_SetAsyncExc`), which stops Python code between two bytecodes: a long
    comprehension, a builtin's loop. (One C-level operation is not interruptible; the builtins bound the sizes
    of those instead.) The calling thread never takes a lock while armed — an exception arriving inside a
    lock's acquisition could leave it held — so arming is a dict store (and a put on a C-level queue when the
    thread would otherwise sleep past the new deadline), and disarming a dict pop; a pop that finds the entry
    gone means the watchdog took it, and the caller waits until it has fired, then clears any exception not yet
    delivered. Either way none arrives after `disarm`.
    """

    def __init__(self):
        self.active: dict[int, _Armed] = {}
        self.wakeups: queue.SimpleQueue = queue.SimpleQueue()
        self.tokens = itertools.count()
        self.wake = float("inf")  # when the thread next looks at `active` by itself
        self.started = threading.Lock()
        self.thread: threading.Thread | None = None

    def arm(self, env: object | None, deadline: float) -> _Armed:
        if self.thread is None:
            with self.started:
                if self.thread is None:
                    self.thread = threading.Thread(target=self._loop, name="ascc-call-watchdog", daemon=True)
                    self.thread.start()
        armed = _Armed(next(self.tokens), deadline, env, threading.get_ident())
        self.active[armed.token] = armed
        if deadline < self.wake:  # the thread would sleep past it: it recomputes its next wake-up
            self.wakeups.put(None)
        return armed

    def disarm(self, armed: _Armed) -> None:
        if self.active.pop(armed.token, None) is not None:
            return
        while not armed.fired:  # the watchdog took it and is firing: the exception may arrive in this loop
            time.sleep(0.0001)
        _async_raise(armed.thread, None)

    def _loop(self) -> None:
        while True:
            self.wake = 0.0  # while this pass reads `active`, arming wakes nobody: the re-check below sees it
            now = time.monotonic()
            for token, armed in list(self.active.items()):
                if armed.deadline <= now and self.active.pop(token, None) is not None:
                    try:
                        if armed.env is not None:  # None: the compiler's seed generation, Python only
                            armed.env.interrupt()
                    except Exception:  # noqa: BLE001 - a closed connection: the Python side still stops
                        pass
                    try:
                        _async_raise(armed.thread, CallTimeout)
                    finally:
                        armed.fired = True  # `disarm` waits for this
            wake = min((a.deadline for a in list(self.active.values())), default=float("inf"))
            self.wake = wake
            if min((a.deadline for a in list(self.active.values())), default=wake) < wake:
                continue  # armed while this pass ran
            try:
                self.wakeups.get(timeout=None if wake == float("inf") else max(0.0, wake - time.monotonic()))
            except queue.Empty:
                pass


def _async_raise(thread: int, exc: type[BaseException] | None) -> None:
    """Raise `exc` in another thread at its next bytecode (None: clear one not yet raised)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread),
                                               ctypes.py_object(exc) if exc is not None else None)


WATCHDOG = _Watchdog()
