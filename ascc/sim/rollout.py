"""One conversation: a simulated user and an agent talking, the agent's tool calls run in an Environment.

The loop: reset the environment to the task's initial state; the system message is the domain's policy; the
user speaks first; then the agent answers — each tool call it makes is executed at once and answered by a
`tool` message, and the agent is asked again — until it writes text, which goes to the user. The conversation
ends when the user stops (`UserTurn.stop`), the agent's backend fails, or `max_turns` agent messages were
written. Nothing the agent sends can raise here: the runtime turns bad calls into error results.

Dual control (τ²-bench's telecom): a user turn may carry tool calls to the domain's `actor: user` tools. They run
in the same environment as the agent's (atomic, the same error shape; ascc/runtime/actors.py), their results go
back to the user, who is asked again until it says something; only its words reach the agent. So
`Episode.messages` stays what the agent sees — valid OpenAI chat for training, the user's actions known to the
agent only as the user reports them — and the user's side is kept apart in `Episode.user_side`: τ²-style user
messages with `tool_calls` and their `tool` results, each with the index of the `messages` entry it came
before. `full_trajectory` merges the two: τ²'s view, and what the user is shown. A side calling the other
side's tool gets an `unknown_tool` error and nothing runs.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from ascc.runtime.actors import call_as
from ascc.runtime.env import Environment
from ascc.runtime.tasks import Task
from ascc.sim.protocols import Agent, UserSimulator, UserTurn

MESSAGE_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name")
MAX_USER_ROUNDS = 8  # rounds of user tool calls in one user turn before it must say something


@dataclass
class CallOutcome:
    tool: str
    arguments: object  # as the agent sent them (a JSON string, usually)
    ok: bool
    error_code: str | None
    wrote: bool
    internal: dict | None = None  # an `internal` error's exception, traceback and spec line (for the developer)


@dataclass
class Episode:
    task: Task
    messages: list[dict]
    calls: list[CallOutcome] = field(default_factory=list)  # the agent's
    user_calls: list[CallOutcome] = field(default_factory=list)  # the user's own (dual control)
    user_side: list[tuple[int, dict]] = field(default_factory=list)  # (index in messages it precedes, message)
    end: str = "user_stop"  # user_stop | max_turns | agent_error | user_error
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


async def rollout(task: Task, env: Environment, agent: Agent, user: UserSimulator, tools: list[dict],
                  max_turns: int = 30) -> Episode:
    started = time.perf_counter()
    env.reset(**task.initial_state.reset_kwargs())
    bind = getattr(agent, "bind_environment", None)  # the oracle evaluates policy rules in the live state
    if bind is not None:
        bind(env)
    ep = Episode(task, [{"role": "system", "content": env.domain.policy}])
    try:
        await _talk(ep, env, agent, user, tools, max_turns)
    except Exception as exc:  # a backend bug or outage ends this episode, not the run
        ep.end, ep.error = "agent_error", f"{type(exc).__name__}: {exc}"
    ep.seconds = time.perf_counter() - started
    return ep


async def _talk(ep: Episode, env: Environment, agent: Agent, user: UserSimulator, tools: list[dict],
                max_turns: int) -> None:
    if await _user_says(ep, env, user):
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
                ep.messages.append(_execute(ep, env, tc, "agent", ep.calls))
            continue
        if await _user_says(ep, env, user):
            return
    ep.end = "max_turns"


async def _user_says(ep: Episode, env: Environment, user: UserSimulator) -> bool:
    """The user's next message, appended; True when the conversation ends (the user stops, or fails).

    While the user answers with tool calls, they are run and the user is asked again with their results."""
    for _ in range(MAX_USER_ROUNDS + 1):
        try:
            turn = await user.reply(full_trajectory(ep.messages, ep.user_side))
        except Exception as exc:
            ep.end, ep.error = "user_error", f"{type(exc).__name__}: {exc}"
            return True
        if not turn.tool_calls:
            ep.messages.append({"role": "user", "content": turn.text})
            return turn.stop
        _user_acts(ep, env, turn)
    ep.end, ep.error = "user_error", f"the user made tool calls {MAX_USER_ROUNDS} times without saying anything"
    return True


def _user_acts(ep: Episode, env: Environment, turn: UserTurn) -> None:
    """Run a user turn's tool calls; the call message and the results join the user's side, not the agent's."""
    at = len(ep.messages)
    used = {tc.get("id") for m in ep.messages + [m for _, m in ep.user_side] for tc in m.get("tool_calls") or []
            if isinstance(tc, dict)}
    calls = []
    for tc in turn.tool_calls:
        tc = dict(tc) if isinstance(tc, dict) else {"function": {"name": str(tc), "arguments": "{}"}}
        if not isinstance(tc.get("id"), str) or not tc["id"] or tc["id"] in used:  # ids stay unique in τ²'s view
            tc["id"] = f"user_call_{len(ep.user_calls) + len(calls) + 1}"
        used.add(tc["id"])
        tc.setdefault("type", "function")
        calls.append(tc)
    ep.user_side.append((at, {"role": "user", "content": turn.text or None, "tool_calls": calls}))
    for tc in calls:
        ep.user_side.append((at, _execute(ep, env, tc, "user", ep.user_calls)))


def full_trajectory(messages: list[dict], user_side: list[tuple[int, dict]]) -> list[dict]:
    """τ²'s trajectory: every message of both sides in order (user messages may carry `tool_calls`). It is also
    what the user is shown: its own calls and their results where they happened, among the agent's messages."""
    if not user_side:
        return list(messages)
    out, j = [], 0
    for i, m in enumerate(messages):
        while j < len(user_side) and user_side[j][0] <= i:
            out.append(user_side[j][1])
            j += 1
        out.append(m)
    out += [m for _, m in user_side[j:]]
    return out


def _assistant(message) -> dict:
    """The assistant message with only the trace format's keys; odd shapes are kept for the validity filter."""
    if not isinstance(message, dict):
        return {"role": "assistant", "content": str(message)}
    out = {k: message[k] for k in MESSAGE_KEYS if message.get(k) is not None}
    out["role"] = "assistant"
    out.setdefault("content", None)
    return out


def _execute(ep: Episode, env: Environment, tc, side: str, record: list[CallOutcome]) -> dict:
    """One call by `side` (`agent` or `user`), run only when the tool is that side's; its `tool` message."""
    fn = tc.get("function") if isinstance(tc, dict) else None
    name = fn.get("name") if isinstance(fn, dict) else None
    arguments = fn.get("arguments") if isinstance(fn, dict) else None
    call_id = tc.get("id") if isinstance(tc, dict) else None
    r = call_as(env, side, name if isinstance(name, str) else str(name), arguments)
    record.append(CallOutcome(str(name), arguments, r.ok, r.error_code, r.wrote, r.internal))
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
