"""The interfaces between the simulator's parts: agents, simulated users and the rollout loop.

Messages are OpenAI chat messages (dicts): `{"role": "system"|"user"|"assistant"|"tool", "content": ...,
"tool_calls": [{"id", "type": "function", "function": {"name", "arguments": "<json string>"}}],
"tool_call_id": ..., "name": ...}` — the same shape the trace files store (docs/traces.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

STOP = "###STOP###"  # what a simulated user says to end the conversation (τ²-bench uses the same kind of token)
TRANSFER = "###TRANSFER###"
OUT_OF_SCOPE = "###OUT-OF-SCOPE###"


@dataclass
class AgentTurn:
    """One assistant message: text and/or tool calls, plus what producing it cost."""

    message: dict
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None  # the backend failed (endpoint down, unparseable output); the rollout is rejected


@dataclass
class UserTurn:
    text: str
    stop: bool = False
    # calls to the domain's `actor: user` tools (dual control), OpenAI-shaped like an assistant's; the rollout
    # runs them and asks the user again with the results, and `text` is not sent to the agent
    tool_calls: list[dict] = field(default_factory=list)


class Agent(Protocol):
    name: str

    async def respond(self, messages: list[dict], tools: list[dict]) -> AgentTurn:
        """The next assistant message for the conversation so far, offered these OpenAI tool schemas."""
        ...


class UserSimulator(Protocol):
    name: str

    async def reply(self, messages: list[dict]) -> UserTurn:
        """The user's next message; `messages` are from the user's point of view (roles as the agent sees them),
        with the user's own tool calls (`user` messages carrying `tool_calls`) and their `tool` results."""
        ...
