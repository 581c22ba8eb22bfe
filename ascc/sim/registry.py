"""Which agents and simulated users `ascc simulate` can run, by the names trace files record.

A backend is built once per worker process (`make_agent_backend(name, options)`), then asked for one agent or
user per task (`for_task(task, domain)`): the oracle needs the task's plan, a model-backed agent is the same
object for every task. `parallel` says how the run spreads a backend's episodes: `"process"` (CPU-bound, a
process per core) or `"async"` (I/O-bound, many concurrent episodes in one event loop).

Built in: agents `oracle` and `broken:<how>` (broken.py), user `scripted`. Any other `<kind>:<target>` name is
looked up in `ascc.sim.backends` (`AGENTS`, `USERS`: `openai:<model>`, `hf:<spec>`), which registers there.
`register_agent` / `register_user` add more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ascc.runtime.domain import CompiledDomain
from ascc.runtime.tasks import Task
from ascc.sim.protocols import Agent, UserSimulator


@dataclass
class AgentBackend:
    name: str
    for_task: Callable[[Task, CompiledDomain], Agent]
    parallel: str = "process"


@dataclass
class UserBackend:
    name: str
    for_task: Callable[[Task, CompiledDomain], UserSimulator]
    parallel: str = "process"


# kind -> factory(target, options) -> backend
AGENT_KINDS: dict[str, Callable[[str, Any], AgentBackend]] = {}
USER_KINDS: dict[str, Callable[[str, Any], UserBackend]] = {}


def register_agent(kind: str, factory: Callable[[str, Any], AgentBackend]) -> None:
    AGENT_KINDS[kind] = factory


def register_user(kind: str, factory: Callable[[str, Any], UserBackend]) -> None:
    USER_KINDS[kind] = factory


class BackendError(ValueError):
    """An unknown or misconfigured backend name."""


def make_agent_backend(name: str, options: Any = None) -> AgentBackend:
    kind, _, target = name.partition(":")
    if kind in AGENT_KINDS:
        return AGENT_KINDS[kind](target, options)
    try:
        from ascc.sim import backends
    except ImportError as exc:
        raise BackendError(f"agent backend `{name}` needs the `sim` extra: {exc}") from None
    if kind not in backends.AGENTS:
        known = sorted({*AGENT_KINDS, *backends.AGENTS})
        raise BackendError(f"unknown agent backend `{kind}`; known: {', '.join(known)}")
    if not target:
        raise BackendError(f"agent backend `{name}` needs a target: `{kind}:<model>`")
    agent = backends.make_agent(name, options or backends.BackendOptions())
    return AgentBackend(getattr(agent, "name", name), lambda task, domain: agent,
                        "process" if kind == "hf" else "async")


def make_user_backend(name: str, options: Any = None) -> UserBackend:
    kind, _, target = name.partition(":")
    if kind in USER_KINDS:
        return USER_KINDS[kind](target, options)
    try:
        from ascc.sim import backends
    except ImportError as exc:
        raise BackendError(f"user backend `{name}` needs the `sim` extra: {exc}") from None
    if kind not in backends.USERS:
        raise BackendError(f"unknown user backend `{kind}`; known: {', '.join(sorted({*USER_KINDS, *backends.USERS}))}")
    if not target:
        raise BackendError(f"user backend `{name}` needs a target: `{kind}:<model>`")
    opts = options or backends.BackendOptions()
    return UserBackend(name, lambda task, domain: backends.make_user(name, task.user, opts, domain.user_schemas),
                       "async")


def _oracle(target: str, options: Any) -> AgentBackend:
    from ascc.sim.oracle import OracleAgent

    if target:
        raise BackendError("the `oracle` agent takes no target")
    return AgentBackend("oracle", OracleAgent)


def _broken(target: str, options: Any) -> AgentBackend:
    from ascc.sim.broken import BROKEN

    if target not in BROKEN:
        raise BackendError(f"unknown broken agent `{target}`; known: {', '.join(f'broken:{b}' for b in BROKEN)}")
    return AgentBackend(f"broken:{target}", BROKEN[target])


def _scripted(target: str, options: Any) -> UserBackend:
    from ascc.sim.user import ScriptedUser

    if target:
        raise BackendError("the `scripted` user takes no target")
    return UserBackend("scripted", ScriptedUser.for_task)


register_agent("oracle", _oracle)
register_agent("broken", _broken)
register_user("scripted", _scripted)
