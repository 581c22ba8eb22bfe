"""The error a tool call reports to the agent: a code and a message, never a traceback."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    """`text` with each lone surrogate (not text: UTF-8 cannot hold it) written out as `\\udXXX`."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class ToolError(Exception):
    """A refusal or failure the agent is told about; the database is left as it was before the call.

    Codes: `precondition` (a spec `requires`/`else` message), `not_found`, `invalid_arguments`, `unknown_tool`,
    `conflict` (a key or unique value already taken, a reference to nothing), `timeout`, `too_large`,
    `internal` (a bug: the call's effects are rolled back and the message says no more than that).
    """

    def __init__(self, message: str, code: str = "precondition"):
        message = escape_surrogates(str(message))  # it may quote the model's text; it must encode as UTF-8
        super().__init__(message)
        self.message = message
        self.code = code

    def to_json(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}
