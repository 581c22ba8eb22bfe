"""The error a tool call reports to the agent: a code and a message, never a traceback."""

from __future__ import annotations


class ToolError(Exception):
    """A refusal or failure the agent is told about; the database is left as it was before the call.

    Codes: `precondition` (a spec `requires`/`else` message), `not_found`, `invalid_arguments`, `unknown_tool`,
    `conflict` (a key or unique value already taken, a reference to nothing), `timeout`, `too_large`,
    `internal` (a bug: the call's effects are rolled back and the message says no more than that).
    """

    def __init__(self, message: str, code: str = "precondition"):
        super().__init__(message)
        self.message = message
        self.code = code

    def to_json(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}
