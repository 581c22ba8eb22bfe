"""The LLM user: a model behind an OpenAI-compatible endpoint plays the customer, τ²-bench style.

Its system prompt is built from the task's user scenario: who the user is (`persona`), what they know
(`known`: order ids, emails, …) and what they want (`instructions`). The conversation is shown to it with the
roles flipped: the agent's words arrive as `user` messages and its own earlier words as `assistant`; tool calls
and tool results stay hidden, as a customer does not see them. It ends the conversation by writing a stop token:
`###STOP###` when done, `###TRANSFER###` when handed to a human, `###OUT-OF-SCOPE###` when its scenario does not
say what to answer. The token is left in `UserTurn.text` (τ²-bench keeps it too) and sets `UserTurn.stop`.

Dual control (τ²'s telecom): a domain's `actor: user` tools (the user's phone) are offered to the model as its
own tools, as τ² does. Its tool calls come back in `UserTurn.tool_calls`; the rollout runs them and asks again,
and the model sees its own calls and their results (never the agent's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ascc.sim.backends.endpoint import Endpoint, EndpointConfig, describe_error, endpoint, wire_messages
from ascc.sim.backends.openai_agent import Sampling
from ascc.sim.protocols import OUT_OF_SCOPE, STOP, TRANSFER, UserTurn

STOP_TOKENS = (STOP, TRANSFER, OUT_OF_SCOPE)
# What the user hears first when the agent has not spoken yet (τ²-bench's agent greeting).
GREETING = "Hi! How can I help you today?"

GUIDELINES = f"""You are a customer talking to a customer service agent. You are NOT the agent: never offer \
help, never use the agent's tools, never invent facts about the company's systems.

- Write one message at a time, short and natural, as a person would type it.
- Reveal what you know only when it is needed or asked for; do not recite your whole scenario at once.
- Never make up an identifier, date or amount that your scenario does not give you.
- Stay in character and follow your instructions; do not accept an outcome your instructions reject.
- When your goal is reached (or cannot be reached and you have nothing more to ask), write {STOP} on its own \
as your whole message.
- If you are transferred to a human agent, write {TRANSFER} as your whole message.
- If the agent asks something your scenario does not cover and you cannot reasonably answer, write \
{OUT_OF_SCOPE} as your whole message."""

DEVICE = """# Your own tools
You can act on your own side (your phone, your device) with the tools you are given; they are yours, not the \
agent's. Use one when the agent asks you to do or check something there and your instructions allow it, then \
tell the agent in your own words what you did and what you saw. Do not use them unasked."""


class UserBackendError(RuntimeError):
    """The user's endpoint failed (after the client's retries); the rollout cannot go on."""


@dataclass
class LLMUser:
    """A simulated user driven by a chat model; `name` is `openai:<model>` in trace files."""

    model: str
    scenario: dict[str, Any]
    config: EndpointConfig = field(default_factory=EndpointConfig.from_env)
    sampling: Sampling = field(default_factory=lambda: Sampling(temperature=0.0))
    tools: list[dict] = field(default_factory=list)  # the domain's `actor: user` tool schemas

    def __post_init__(self) -> None:
        self.name = f"openai:{self.model}"
        self.system_prompt = user_system_prompt(self.scenario) + (f"\n\n{DEVICE}" if self.tools else "")
        self._endpoint: Endpoint = endpoint(self.config)

    async def reply(self, messages: list[dict]) -> UserTurn:
        """The user's next message; raises `UserBackendError` when the endpoint fails."""
        request = {"model": self.model, "messages": [{"role": "system", "content": self.system_prompt},
                                                     *wire_messages(flip_roles(messages))],
                   **self.sampling.request_fields()}
        if self.tools:
            request["tools"] = self.tools
        try:
            completion = await self._endpoint.chat(**request)
            reply = completion.choices[0].message if completion.choices else None
        except Exception as exc:
            raise UserBackendError(describe_error(exc)) from exc
        text = (reply.content or "").strip() if reply is not None else ""
        calls = [{"id": c.id or f"user_call_{i}", "type": "function",
                  "function": {"name": c.function.name, "arguments": c.function.arguments or "{}"}}
                 for i, c in enumerate((getattr(reply, "tool_calls", None) or []) if self.tools else [])]
        return UserTurn(text=text, stop=is_stop(text) and not calls, tool_calls=calls)


def is_stop(text: str) -> bool:
    """Whether a user message ends the conversation (any τ²-style stop token, anywhere in it)."""
    return any(token in text for token in STOP_TOKENS)


def user_system_prompt(scenario: dict[str, Any]) -> str:
    """The user's instructions: the guidelines, then the scenario (`ascc.sim.scenario`) the user may see.

    Only `persona`, `known`, `unknown` and `instructions` are shown: the scenario's `facts`, `plan`, `request` and
    `refusal` describe the gold solution, for the verifier and the scripted user, and would leak it.
    """
    parts = [GUIDELINES, "# Your scenario"]
    if scenario.get("persona"):
        parts.append(f"Who you are: {_as_text(scenario['persona'])}")
    if scenario.get("known"):
        parts.append(f"What you know (tell the agent when it is needed):\n{_as_text(scenario['known'])}")
    if scenario.get("unknown"):
        parts.append("What you do not know (if asked, say so; never guess):\n" + _as_text(scenario["unknown"]))
    instructions = scenario.get("instructions")
    parts.append(f"What you want: {_as_text(instructions) if instructions else 'ask the agent for help.'}")
    return "\n\n".join(parts)


def flip_roles(messages: list[dict]) -> list[dict]:
    """The conversation as the user's model sees it: agent text as `user`, the user's own words as `assistant`.

    System messages (the agent's policy), the agent's tool calls and their results are dropped; consecutive
    messages of one side are joined, since several chat templates require alternating roles. The user's own tool
    calls (dual control: `user` messages carrying `tool_calls`) become its `assistant` tool calls, followed by
    their `tool` results. The user's model must answer a `user` message, so the agent's greeting is supplied
    when the agent has not spoken.
    """
    flipped: list[dict] = []
    own: set = set()  # ids of the user's own tool calls
    for message in messages:
        role = {"assistant": "user", "user": "assistant"}.get(message.get("role", ""))
        text = message.get("content")
        if role == "assistant" and message.get("tool_calls"):
            own |= {c.get("id") for c in message["tool_calls"] if isinstance(c, dict)}
            flipped.append({"role": "assistant", "content": text if isinstance(text, str) and text else None,
                            "tool_calls": message["tool_calls"]})
            continue
        if message.get("role") == "tool" and message.get("tool_call_id") in own:
            flipped.append({k: message[k] for k in ("role", "tool_call_id", "name", "content") if k in message})
            continue
        if role is None or not isinstance(text, str) or not text.strip():
            continue
        if flipped and flipped[-1]["role"] == role and not flipped[-1].get("tool_calls"):
            flipped[-1]["content"] += "\n\n" + text
        else:
            flipped.append({"role": role, "content": text})
    if not flipped or flipped[0]["role"] != "user":
        flipped.insert(0, {"role": "user", "content": GREETING})
    return flipped


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(f"- {key}: {_as_text(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return "\n".join(f"- {_as_text(item)}" for item in value)
    return json.dumps(value, ensure_ascii=False, default=str)
