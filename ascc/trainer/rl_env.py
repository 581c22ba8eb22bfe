"""Compiled domains as TRL environments: `GRPOTrainer(environment_factory={domain: factory})`.

TRL's multi-turn GRPO loop (trl >= 1.16) takes, per environment name, a factory of objects whose public methods
are the tools, whose `reset(**example)` starts an episode and whose `get_reward()` scores it. `environment_class`
builds that class for one compiled domain:

- one method per agent-side tool (the tools `ascc simulate` and `ascc eval` offer the agent; user-side and setup
  tools are not the agent's), with a signature, type hints and a Google docstring made from the compiled tool
  schema, so transformers can render it; `exact_tool_schemas` makes the prompt carry the compiled schema itself,
  the same JSON as in `simulate` and `eval`;
- every call goes through `Environment.call`: a refused, malformed, mistyped or unknown-argument call comes back
  as the runtime's structured error text, an observation for the model, never an exception in the trainer;
- `reset(task=..., **_)` loads the task's initial state (its setup calls, clock and id seed);
- `get_reward()` judges the episode with the simulator's own `state` and `calls` filters (the ones that apply
  without a simulated user): 1.0 when both pass, else 0.0; with `reward: partial`, a failed episode still earns
  0.9 x the share of the gold writes it reproduced in order from the first (so only a passing one earns 1.0).

The task text is the "solo" framing (`solo_prompt`): TRL's loop has no user turns, so the whole request, what
the user knows and their consent to the writes are in the first user message.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any, Literal

from ascc.runtime.domain import CompiledDomain
from ascc.runtime.env import Environment
from ascc.runtime.tasks import Task, parse_task
from ascc.sim.rollout import CallOutcome, Episode
from ascc.sim.verify import calls as calls_filter
from ascc.sim.verify import normal_writes
from ascc.sim.verify import state as state_filter

Reward = Literal["binary", "partial"]
_JSON_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool, "array": list,
                               "object": dict}
CONSENT = "You have my consent for every change this needs; no need to ask me to confirm."


def agent_schemas(domain: CompiledDomain) -> list[dict]:
    """The tool schemas the agent is offered (OpenAI format), as in `ascc simulate` and `ascc eval`."""
    return list(domain.schemas)


def solo_prompt(task: Task) -> str:
    """The whole request in one user message: the user's opening, what it knows, and consent to the writes."""
    user = task.user or {}
    opening = user.get("request") or user.get("instructions") or f"Please help me with task {task.id}."
    said = opening.lower()
    known = [f"My {k} is {v}." for k, v in (user.get("known") or {}).items()
             if str(v).lower() not in said and not isinstance(v, dict | list)]
    parts = [opening, *known]
    if task.kind == "write":
        parts.append(CONSENT)
    return " ".join(parts)


def environment_class(domain: CompiledDomain, reward: Reward = "binary") -> type:
    """A class whose instances are one isolated environment of `domain`, shaped for TRL's GRPO loop."""
    namespace: dict[str, Any] = {
        "__doc__": f"The `{domain.name}` domain as a TRL environment.",
        "__init__": _init, "reset": _reset, "get_reward": _reward_of(reward), "_domain": domain,
    }
    for schema in agent_schemas(domain):
        fn = schema["function"]
        if fn["name"] in namespace or fn["name"].startswith("_"):
            raise ValueError(f"domain `{domain.name}`: a tool named `{fn['name']}` cannot be a TRL environment method "
                             "(TRL reserves `reset`, `get_reward` and names starting with `_`)")
        namespace[fn["name"]] = _tool_method(fn)
    return type(f"{_camel(domain.name)}Environment", (), namespace)


def environment_factories(domains: dict[str, CompiledDomain], reward: Reward = "binary") -> dict[str, Callable]:
    """`{domain name: class}` for `GRPOTrainer(environment_factory=...)` (a class is a zero-argument factory)."""
    return {name: environment_class(d, reward) for name, d in domains.items()}


# ---- the methods every environment class shares
def _init(self) -> None:
    self._env = Environment(self._domain)
    self._task: Task | None = None


def _reset(self, task: str | dict | None = None, **_: Any) -> None:
    """Start an episode: the task's initial state (its setup calls, clock and id seed); the prompt is in the data."""
    if task is None:
        raise ValueError(f"a `{self._domain.name}` example carries no `task`")
    self._task = parse_task(json.loads(task) if isinstance(task, str) else task)
    self._env.reset(**self._task.initial_state.reset_kwargs())
    return None


def _reward_of(kind: Reward) -> Callable:
    def get_reward(self) -> float:
        """1.0 when the final state and the calls match the gold ones (`partial`: the share of gold writes made)."""
        if self._task is None:
            return 0.0
        episode = Episode(self._task, [], calls=[_outcome(r) for r in self._env.log])
        passed = state_filter(episode, self._env).passed is not False and calls_filter(episode, self._env).passed
        if passed or kind == "binary":
            return 1.0 if passed else 0.0
        return _share_of_gold_writes(episode, self._env)
    return get_reward


def _outcome(record) -> CallOutcome:
    return CallOutcome(record.tool, record.arguments, record.ok, record.error_code, record.wrote)


def _share_of_gold_writes(episode: Episode, env: Environment) -> float:
    """0.9 x the share of the gold writes that the successful writes reproduce, in order from the first."""
    meta = env.domain.info
    gold = normal_writes(meta, episode.task.gold_calls_of("agent"))
    made = normal_writes(meta, [c for c in episode.calls if c.ok or c.wrote])  # kept errors wrote too
    if not gold:
        return 0.0
    same = next((i for i, (g, m) in enumerate(zip(gold, made)) if g != m), min(len(gold), len(made)))
    return round(0.9 * same / len(gold), 4)


# ---- a tool as a method
def _tool_method(fn: dict) -> Callable:
    name = fn["name"]

    def tool(self, **arguments: Any) -> str:
        return self._env.call(name, arguments).content

    params = fn.get("parameters") or {}
    props: dict[str, dict] = params.get("properties") or {}
    required = set(params.get("required") or [])
    sig_params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    annotations: dict[str, Any] = {}
    for p, schema in props.items():
        hint = _hint(schema)
        annotations[p] = hint if p in required else hint | None
        sig_params.append(inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY, annotation=annotations[p],
                                            default=inspect.Parameter.empty if p in required else None))
    annotations["return"] = str
    tool.__name__ = tool.__qualname__ = name
    tool.__signature__ = inspect.Signature(sig_params, return_annotation=str)
    tool.__annotations__ = annotations
    tool.__doc__ = _docstring(fn.get("description") or name, props)
    tool.ascc_schema = {"type": "function", "function": fn}
    return tool


def _hint(schema: dict) -> Any:
    kind = schema.get("type")
    if isinstance(kind, list):  # ["string", "null"]
        kind = next((k for k in kind if k != "null"), "string")
    return _JSON_TYPES.get(kind, str)


def _docstring(description: str, props: dict[str, dict]) -> str:
    lines = [" ".join(description.split()) or "A tool."]
    if props:
        lines += ["", "Args:"]
        for p, schema in props.items():
            text = " ".join(str(schema.get("description") or p.replace("_", " ")).split())
            enum = schema.get("enum")
            lines.append(f"    {p}: {text}" + (f" (choices: {json.dumps(enum)})" if enum else ""))
    return "\n".join(lines)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) or "Domain"


def exact_tool_schemas(tokenizer: Any) -> Any:
    """Make `tokenizer` render an environment's tools with their compiled schemas, not ones rebuilt from signatures.

    TRL hands the environment's methods to `apply_chat_template(tools=...)`, and transformers rebuilds a schema
    from each method's signature and docstring, which loses formats, patterns and nested shapes. A method made
    by `environment_class` carries its compiled schema (`ascc_schema`); this swaps it in on the way.
    """
    original = tokenizer.apply_chat_template
    if getattr(original, "ascc_exact_schemas", False):
        return tokenizer

    def apply_chat_template(*args: Any, tools: list | None = None, **kwargs: Any) -> Any:
        if tools:
            tools = [getattr(getattr(t, "__func__", t), "ascc_schema", t) for t in tools]
        return original(*args, tools=tools, **kwargs)

    apply_chat_template.ascc_exact_schemas = True
    tokenizer.apply_chat_template = apply_chat_template
    return tokenizer
