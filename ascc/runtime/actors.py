"""Who may call which tool: dual control (τ²-bench's telecom) in one environment.

A spec's tool has an `actor`: `agent` (the default: the support agent's tools, `tools.json`), `user` (the
user's own side, e.g. their phone: `user_tools.json`) or `env` (task setup and checks only). Both sides call into
the same `Environment`, so a user's call is as atomic as the agent's and changes the same state. A side that
calls a tool that is not its own gets the runtime's usual error shape, `{"error": {"code": "unknown_tool",
"message": …}}`, and nothing runs: the tool is not among the schemas that side was given.
"""

from __future__ import annotations

import json
import time

from ascc.lang.compiled import DomainInfo
from ascc.runtime.env import Environment, ToolResult, printable
from ascc.runtime.errors import ToolError

SIDES = ("agent", "user")


def actor_of(info: DomainInfo, tool) -> str | None:
    """The actor of a tool of the domain (`agent`, `user`, `env`), or None for a tool it does not have."""
    t = info.tools.get(tool) if isinstance(tool, str) else None
    return None if t is None else t.actor


def call_as(env: Environment, side: str, name, arguments) -> ToolResult:
    """`env.call(name, arguments)` when the tool is `side`'s own; else an `unknown_tool` error, nothing run."""
    actor = actor_of(env.domain.info, name)
    if actor is None or actor == side:
        return env.call(name, arguments)
    started = time.perf_counter()
    if actor in SIDES:
        other = "the user's" if actor == "user" else "the agent's"
        hint = " (ask the user to do it)" if side == "agent" else " (ask the agent)"
        message = f"unknown tool `{name}`: it is {other} tool, not yours{hint}"
    else:
        message = f"unknown tool `{name}`"
    err = ToolError(message, "unknown_tool")
    return ToolResult(str(name), printable(arguments), False, json.dumps(err.to_json(), ensure_ascii=False),
                      err.code, False, time.perf_counter() - started)
