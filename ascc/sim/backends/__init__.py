"""Model backends for `ascc simulate` and `ascc eval`: who plays the agent and who plays the user.

Backend names are `<kind>:<target>`, as trace files record them:

| name | plays | what |
| --- | --- | --- |
| `openai:<model>` | agent, user | an OpenAI-compatible endpoint (vLLM, SGLang, Ollama, hosted) |
| `hf:<spec>` | agent | a local transformers model (`ascc.trainer.model` spec: dir, `.gguf`, `smollm2`, `tiny:<tok>`) |

`AGENTS[kind](target, options)` builds an agent and `USERS[kind](target, scenario, options)` a simulated user
(`make_agent`/`make_user` split the name; a user factory is also given the domain's `actor: user` tools when it
has any). `BackendOptions` carries the CLI's flags; endpoint settings left None
come from the environment (`ASCC_OPENAI_BASE_URL`, `ASCC_OPENAI_API_KEY` / `OPENAI_API_KEY`). See docs/backends.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ascc.sim.backends.endpoint import EndpointConfig
from ascc.sim.backends.hf_agent import Generation, HFAgent
from ascc.sim.backends.llm_user import LLMUser
from ascc.sim.backends.openai_agent import OpenAIAgent, Sampling
from ascc.sim.protocols import Agent, UserSimulator


@dataclass(frozen=True)
class BackendOptions:
    """Settings for model backends; None means the backend's default (or the environment's, for endpoints)."""

    base_url: str | None = None
    api_key: str | None = None
    timeout_s: float | None = None
    max_retries: int | None = None
    max_concurrency: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    threads: int | None = None  # hf: torch CPU threads
    device: str | None = None  # hf: `cpu`, `cuda`, `cuda:1`; None picks cuda when available
    user_temperature: float | None = 0.0  # the LLM user's sampling (τ²-bench runs its user greedy)

    def endpoint(self) -> EndpointConfig:
        return EndpointConfig.from_env(self.base_url, self.api_key, timeout_s=self.timeout_s,
                                       max_retries=self.max_retries, max_concurrency=self.max_concurrency)

    def sampling(self, temperature: float | None) -> Sampling:
        return Sampling(temperature=temperature, top_p=self.top_p, max_tokens=self.max_tokens, seed=self.seed)

    def generation(self) -> Generation:
        defaults = Generation()
        return Generation(max_new_tokens=self.max_tokens or defaults.max_new_tokens,
                          temperature=self.temperature or 0.0, top_p=self.top_p or 1.0, seed=self.seed or 0,
                          threads=self.threads, device=self.device)


def openai_agent(model: str, options: BackendOptions) -> Agent:
    return OpenAIAgent(model, options.endpoint(), options.sampling(options.temperature))


def hf_agent(spec: str, options: BackendOptions) -> Agent:
    return HFAgent(spec, options.generation())


def llm_user(model: str, scenario: dict[str, Any], options: BackendOptions, tools: list[dict] = ()) -> UserSimulator:
    return LLMUser(model, scenario, options.endpoint(), options.sampling(options.user_temperature), list(tools))


AGENTS: dict[str, Callable[[str, BackendOptions], Agent]] = {"openai": openai_agent, "hf": hf_agent}
USERS: dict[str, Callable[[str, dict[str, Any], BackendOptions], UserSimulator]] = {"openai": llm_user}


def split_name(name: str) -> tuple[str, str]:
    """`openai:qwen3-8b` -> (`openai`, `qwen3-8b`); the target may hold colons (`hf:tiny:smollm2`)."""
    kind, sep, target = name.partition(":")
    if not sep or not target:
        raise ValueError(f"backend `{name}` needs a target: `{kind}:<model>`")
    return kind, target


def make_agent(name: str, options: BackendOptions | None = None) -> Agent:
    """The agent a backend name names (`openai:<model>`, `hf:<spec>`)."""
    kind, target = split_name(name)
    if kind not in AGENTS:
        raise ValueError(f"unknown agent backend `{kind}`; known: {', '.join(sorted(AGENTS))}")
    return AGENTS[kind](target, options or BackendOptions())


def make_user(name: str, scenario: dict[str, Any], options: BackendOptions | None = None,
              tools: list[dict] = ()) -> UserSimulator:
    """The simulated user a backend name names (`openai:<model>`), playing `scenario`; `tools` are the domain's
    `actor: user` tool schemas (dual control), offered to the user's model as its own tools."""
    kind, target = split_name(name)
    if kind not in USERS:
        raise ValueError(f"unknown user backend `{kind}`; known: {', '.join(sorted(USERS))}")
    if tools:
        return USERS[kind](target, scenario, options or BackendOptions(), tools)
    return USERS[kind](target, scenario, options or BackendOptions())


__all__ = ["AGENTS", "USERS", "BackendOptions", "EndpointConfig", "Generation", "HFAgent", "LLMUser",
           "OpenAIAgent", "Sampling", "make_agent", "make_user", "split_name"]
