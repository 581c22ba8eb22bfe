"""One OpenAI-compatible endpoint (vLLM, SGLang, Ollama, a hosted API) as the simulator's backends share it.

An `Endpoint` is configured once (flags, else environment) and hands each running event loop its own
`AsyncOpenAI` client and `asyncio.Semaphore`: both are bound to the loop they first wait on, and a simulator may
run several loops in turn (one `asyncio.run` per batch, a Ray worker per job). Agents and simulated users that
talk to the same base URL with the same key share one `Endpoint` (`endpoint(...)`), so the concurrency limit
covers every request a process sends there.

Retries are the client's own: exponential backoff from 0.5 s (doubling, capped at 8 s, up to 25% jitter) on 408,
409, 429, 5xx, timeouts and connection errors, honouring `Retry-After`/`retry-after-ms`; `max_retries` sets how
many.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from dataclasses import dataclass, field
from typing import Any

ENV_BASE_URL = "ASCC_OPENAI_BASE_URL"
ENV_API_KEY = "ASCC_OPENAI_API_KEY"
DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"  # vLLM's and SGLang's default `serve` address
# Keys a chat message may carry on the wire; anything else (a parser's `error` note) stays in ascc.
_MESSAGE_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name")


@dataclass(frozen=True)
class EndpointConfig:
    """Where and how to reach an OpenAI-compatible chat completions API."""

    base_url: str
    api_key: str
    timeout_s: float = 120.0
    max_retries: int = 4
    max_concurrency: int = 16

    @classmethod
    def from_env(cls, base_url: str | None = None, api_key: str | None = None, **limits: Any) -> EndpointConfig:
        """Flags first, then `ASCC_OPENAI_BASE_URL`, `ASCC_OPENAI_API_KEY` / `OPENAI_API_KEY`.

        A local server usually wants no key; the client insists on one, so it gets `EMPTY` (vLLM's convention).
        """
        url = base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL
        key = api_key or os.environ.get(ENV_API_KEY) or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        return cls(url.rstrip("/"), key, **{k: v for k, v in limits.items() if v is not None})


@dataclass
class Endpoint:
    """An endpoint's configuration plus, per running event loop, its client and concurrency gate."""

    config: EndpointConfig
    _per_loop: weakref.WeakKeyDictionary = field(default_factory=weakref.WeakKeyDictionary, repr=False)

    def _state(self) -> tuple[Any, asyncio.Semaphore]:
        loop = asyncio.get_running_loop()
        state = self._per_loop.get(loop)
        if state is None:
            from openai import AsyncOpenAI  # the `sim` extra; imported here so `ascc` imports without it

            client = AsyncOpenAI(base_url=self.config.base_url, api_key=self.config.api_key,
                                 timeout=self.config.timeout_s, max_retries=self.config.max_retries)
            state = self._per_loop[loop] = (client, asyncio.Semaphore(self.config.max_concurrency))
        return state

    async def chat(self, **request: Any) -> Any:
        """One `chat.completions.create` call, waiting for a free slot first; raises the client's errors."""
        client, gate = self._state()
        async with gate:
            return await client.chat.completions.create(**request)


_ENDPOINTS: dict[EndpointConfig, Endpoint] = {}


def endpoint(config: EndpointConfig) -> Endpoint:
    """The process-wide `Endpoint` for a configuration: equal configurations share one concurrency limit."""
    return _ENDPOINTS.setdefault(config, Endpoint(config))


def wire_messages(messages: list[dict]) -> list[dict]:
    """Messages as an OpenAI-compatible server accepts them.

    Trace rows read back through `datasets` carry every key with null for the ones a message lacks, and some
    servers reject `tool_calls: null` or `[]`; a tool call keeps only `id`, `type` and `function`.
    """
    out = []
    for message in messages:
        clean = {k: message[k] for k in _MESSAGE_KEYS if message.get(k) is not None}
        if message.get("role") == "assistant":
            clean.setdefault("content", None)
        if clean.get("tool_calls"):
            clean["tool_calls"] = [{"id": c.get("id"), "type": "function",
                                    "function": {"name": c["function"]["name"],
                                                 "arguments": c["function"]["arguments"]}}
                                   for c in clean["tool_calls"]]
        else:
            clean.pop("tool_calls", None)
        out.append(clean)
    return out


def describe_error(exc: BaseException) -> str:
    """One line for `AgentTurn.error`: the error's kind, the HTTP status when there is one, the message."""
    status = getattr(exc, "status_code", None)
    head = type(exc).__name__ + (f" {status}" if status else "")
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{head}: {text[:300]}" if text else head
