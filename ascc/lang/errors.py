"""The error a tool call reports to the agent: a code and a message, never a traceback."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    """`text` with each lone surrogate (not text: UTF-8 cannot hold it) written out as its escape: `\\u` and
    four hex digits, such as `\\udc80`."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class ToolError(Exception):
    """A refusal or failure the agent is told about; the database is left as it was before the call.

    Codes: `precondition` (a spec `requires`/`else` message), `not_found`, `invalid_arguments`, `unknown_tool`,
    `conflict` (a key or unique value already taken, a reference to nothing), `timeout`, `too_large`,
    `internal` (a bug: the call's effects are rolled back and the message says no more than that).
    """

    def __init__(self, message: str, code: str = "precondition", internal: dict | None = None):
        message = escape_surrogates(str(message))  # it may quote the model's text; it must encode as UTF-8
        super().__init__(message)
        self.message = message
        self.code = code
        self.internal = internal  # for `internal`: what went wrong, for the developer (never shown to the agent)

    def to_json(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


def internal_detail(exc: BaseException, fn) -> dict:
    """What a developer needs of a tool that raised: the exception, its traceback, and the spec line of the
    generated statement that raised (from the `# spec: file:line` comment on or above it)."""
    import traceback

    tb = traceback.TracebackException.from_exception(exc)
    code_file = getattr(getattr(fn, "__code__", None), "co_filename", None)
    spec = None
    for frame in tb.stack:
        if frame.filename == code_file and frame.lineno:
            spec = _spec_comment(frame.filename, frame.lineno) or spec
    return {"type": type(exc).__name__, "message": escape_surrogates(str(exc))[:2000], "spec": spec,
            "traceback": escape_surrogates("".join(tb.format()))[-8000:]}


_SPEC = re.compile(r"#\s*spec:\s*(.+):(\d+)\s*$")


def _spec_comment(filename: str, lineno: int) -> str | None:
    """The `# spec:` comment on line `lineno` of a generated module, or on the nearest line above it in the same
    function (a statement that spans lines carries it on its first); a `return` carries none, so it falls back to
    the tool's own line, the comment above its `def`."""
    import linecache

    for n in range(lineno, 0, -1):
        line = linecache.getline(filename, n)
        if m := _SPEC.search(line):
            return f"{m.group(1)}:{m.group(2)}"
        if line.startswith("def "):
            m = _SPEC.search(linecache.getline(filename, n - 1))
            return f"{m.group(1)}:{m.group(2)}" if m else None
    return None


KEPT_ERROR = "failed_with_changes"  # the error code of a call that failed after its effects, which stay


class KeptError:
    """A tool's result when a `fails_after_effects:` condition is false: the call's writes are kept (committed
    like a success), and the agent gets an error result. Returned, not raised, so nothing is undone."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message

    def to_json(self) -> dict:
        return {"error": {"code": KEPT_ERROR, "message": self.message, "changes_kept": True}}
