"""One conversation: a simulated user and an agent talking, the agent's tool calls run in an Environment.

The loop: reset the environment to the task's initial state; the system message is the domain's policy; the
user speaks first; then the agent answers — each tool call it makes is executed at once and answered by a
`tool` message, and the agent is asked again — until it writes text, which goes to the user. The conversation
ends when the user stops (`UserTurn.stop`), the agent's backend fails, or `max_turns` agent messages were
written. Nothing the agent sends can raise here: the runtime turns bad calls into error results.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from ascc.runtime.env import Environment
from ascc.runtime.tasks import Task
from ascc.sim.protocols import Agent, UserSimulator

MESSAGE_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name")


@dataclass
class CallOutcome:
    tool: str
    arguments: object  # as the agent sent them (a JSON string, usually)
    ok: bool
    error_code: str | None
    wrote: bool


@dataclass
class Episode:
    task: Task
    messages: list[dict]
    calls: list[CallOutcome] = field(default_factory=list)
    end: str = "user_stop"  # user_stop | max_turns | agent_error | user_error
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


async def rollout(task: Task, env: Environment, agent: Agent, user: UserSimulator, tools: list[dict],
                  max_turns: int = 30) -> Episode:
    started = time.perf_counter()
    env.reset(**task.initial_state.reset_kwargs())
    ep = Episode(task, [{"role": "system", "content": env.domain.policy}])
    try:
        await _talk(ep, env, agent, user, tools, max_turns)
    except Exception as exc:  # a backend bug or outage ends this episode, not the run
        ep.end, ep.error = "agent_error", f"{type(exc).__name__}: {exc}"
    ep.seconds = time.perf_counter() - started
    return ep


async def _talk(ep: Episode, env: Environment, agent: Agent, user: UserSimulator, tools: list[dict],
                max_turns: int) -> None:
    if await _user_says(ep, user):
        return
    for _ in range(max_turns):
        reply = await agent.respond(list(ep.messages), tools)
        ep.prompt_tokens += reply.prompt_tokens
        ep.completion_tokens += reply.completion_tokens
        if reply.error:
            ep.end, ep.error = "agent_error", reply.error
            return
        message = _assistant(reply.message)
        ep.messages.append(message)
        if message.get("tool_calls"):
            for tc in message["tool_calls"]:
                ep.messages.append(_execute(ep, env, tc))
            continue
        if await _user_says(ep, user):
            return
    ep.end = "max_turns"


async def _user_says(ep: Episode, user: UserSimulator) -> bool:
    """The user's next message, appended; True when the conversation ends (the user stops, or fails)."""
    try:
        turn = await user.reply(list(ep.messages))
    except Exception as exc:
        ep.end, ep.error = "user_error", f"{type(exc).__name__}: {exc}"
        return True
    ep.messages.append({"role": "user", "content": turn.text})
    return turn.stop


def _assistant(message) -> dict:
    """The assistant message with only the trace format's keys; odd shapes are kept for the validity filter."""
    if not isinstance(message, dict):
        return {"role": "assistant", "content": str(message)}
    out = {k: message[k] for k in MESSAGE_KEYS if message.get(k) is not None}
    out["role"] = "assistant"
    out.setdefault("content", None)
    return out


def _execute(ep: Episode, env: Environment, tc) -> dict:
    fn = tc.get("function") if isinstance(tc, dict) else None
    name = fn.get("name") if isinstance(fn, dict) else None
    arguments = fn.get("arguments") if isinstance(fn, dict) else None
    call_id = tc.get("id") if isinstance(tc, dict) else None
    r = env.call(name if isinstance(name, str) else str(name), arguments)
    ep.calls.append(CallOutcome(str(name), arguments, r.ok, r.error_code, r.wrote))
    return {"role": "tool", "tool_call_id": str(call_id), "name": str(name), "content": r.content}


def tool_arguments(arguments) -> dict | None:
    """A call's arguments as an object, or None when they are not a JSON object."""
    if isinstance(arguments, dict):
        return arguments
    if isinstance(arguments, str):
        try:
            v = json.loads(arguments) if arguments.strip() else {}
        except (json.JSONDecodeError, RecursionError):
            return None
        return v if isinstance(v, dict) else None
    return None
