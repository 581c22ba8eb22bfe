"""The `openai` agent: any OpenAI-compatible chat completions endpoint plays the assistant.

The request carries the conversation and the domain's tool schemas as they are; the reply's tool calls come back
as the model wrote them. Arguments that are not valid JSON are kept: the runtime answers such a call with an
`invalid_arguments` error, which is what an agent must learn to recover from. A failed request (after the
client's retries) becomes `AgentTurn.error`, never an exception, so one bad rollout does not end a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ascc.sim.backends.endpoint import Endpoint, EndpointConfig, describe_error, endpoint, wire_messages
from ascc.sim.protocols import AgentTurn


@dataclass(frozen=True)
class Sampling:
    """Generation settings sent with every request (None: the server's default)."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None

    def request_fields(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass
class OpenAIAgent:
    """An assistant served by an OpenAI-compatible endpoint; `name` is `openai:<model>` in trace files."""

    model: str
    config: EndpointConfig = field(default_factory=EndpointConfig.from_env)
    sampling: Sampling = field(default_factory=Sampling)
    extra_body: dict[str, Any] | None = None  # server-specific fields, e.g. vLLM's {"top_k": 20}

    def __post_init__(self) -> None:
        self.name = f"openai:{self.model}"
        self._endpoint: Endpoint = endpoint(self.config)

    async def respond(self, messages: list[dict], tools: list[dict]) -> AgentTurn:
        """The endpoint's next assistant message, or an `AgentTurn` with `error` set when the request failed."""
        request: dict[str, Any] = {"model": self.model, "messages": wire_messages(messages),
                                   **self.sampling.request_fields()}
        if tools:
            request["tools"] = tools
        if self.extra_body:
            request["extra_body"] = self.extra_body
        try:
            completion = await self._endpoint.chat(**request)
        except Exception as exc:  # noqa: BLE001 - every backend failure is reported in the turn, not raised
            return AgentTurn({"role": "assistant", "content": None}, error=describe_error(exc))
        return completion_turn(completion, turn=_assistant_turns(messages))


def completion_turn(completion: Any, turn: int) -> AgentTurn:
    """An `AgentTurn` from a chat completion: its first choice as a trace message, plus token usage."""
    if not completion.choices:
        return AgentTurn({"role": "assistant", "content": None}, error="the endpoint returned no choices")
    reply = completion.choices[0].message
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    calls = [_tool_call(call, turn, index) for index, call in enumerate(reply.tool_calls or [])]
    if calls:
        message["tool_calls"] = calls
    usage = completion.usage
    return AgentTurn(message, prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                     completion_tokens=getattr(usage, "completion_tokens", 0) or 0)


def _tool_call(call: Any, turn: int, index: int) -> dict[str, Any]:
    # Some servers (older Ollama, a few proxies) leave the id empty; tool results must point at one.
    call_id = call.id or f"call_{turn}_{index}"
    function = call.function
    return {"id": call_id, "type": "function",
            "function": {"name": function.name, "arguments": function.arguments if function.arguments is not None
                         else ""}}


def _assistant_turns(messages: list[dict]) -> int:
    return sum(1 for message in messages if message.get("role") == "assistant")
