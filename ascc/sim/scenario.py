"""A task's user scenario: who the user is, what they know and don't, what they want, what they must be told.

The scenario is the task's free-form `user` object (docs/runtime.md), read by the simulated users and the oracle:

| key | meaning |
| --- | --- |
| `persona` | who the user is: the task's persona row (`"Ann Lee (ann3@example.com), a customer"`) |
| `persona_row` | that row's entity, key, key field and identifying fields |
| `known` | `{label: value}`: what the user can tell the agent when asked (`"order id": "#W0000001"`) |
| `unknown` | labels the user does not know; the agent must look them up (`"customer id"`) |
| `instructions` | the goal in the second person, for an LLM user, rendered from the tools' `intent` phrases |
| `request` | the same goal in the first person: a scripted user's opening message (details come when asked; in `VOLUNTEER` of the tasks that identify the user, the opening already says who they are) |
| `facts` | texts the agent's answers must contain before the user is satisfied (`ascc.sim.render` phrasing); never a value the user gave or the persona's key |
| `plan` | per gold call, `{"tool", "ask": {argument: label}, "goal", "identify"}`: which arguments come from the user, whether its result is reported, whether it identifies the user |
| `refusal` | for refusal tasks: `{"call": {"tool", "arguments"}, "ask", "error"}`, the forbidden request |
| `decline` | for declined tasks: `{"call": {"tool", "arguments"}, "ask"}`, a write the user says no to at the confirmation |
"""

from __future__ import annotations

import json
import random
import re

from ascc.lang.compiled import ParamInfo
from ascc.runtime.domain import CompiledDomain
from ascc.runtime.env import Environment, to_jsonable
from ascc.sim import render
from ascc.sim.hints import hints

MAX_FACTS_PER_RESULT = 5
_TELL = ("get", "fetch", "show", "return", "returns", "read", "retrieve", "view", "see", "tell")
_VERBS = _TELL + (
    "list", "find", "search", "look", "check", "compute", "calculate", "count", "cancel", "add", "set", "pay", "lend",
    "take", "renew", "reserve", "change", "move", "put", "book", "hand", "spend", "ask", "give", "create", "update",
    "delete", "remove", "send", "place", "mark", "record", "open", "close", "register", "request", "schedule",
    "transfer", "apply", "issue", "compare", "estimate", "quote", "report", "track", "verify", "validate", "measure",
    "turn", "choose", "replace", "reset", "connect", "disconnect", "restart", "submit", "modify", "redeem", "use")
OPEN = ("Hi! ", "Hello! ", "Hi there. ", "Good morning. ")
FIRST_DO = ("I'd like to {x}.", "I need to {x}.", "Could you help me {x}?", "I want to {x}.")
THEN_DO = ("I'd also like to {x}.", "After that, I want to {x}.", "Then I need to {x}.")
VOLUNTEER = 0.3  # the share of identifying tasks whose opening says who the user is, as many customers do
WHO = ("My {x}.", "For reference, my {x}.", "In case you need it, my {x}.")
CHECK = ("Once that's done, {x}, so I can check it?", "When it's done, {x}? I'd like to see how it looks then.",
         "And afterwards, {x}, just to be sure?")


def label(param: str) -> str:
    """How a user names an argument: `order_id` -> `order id`."""
    return param.replace("_", " ").strip()


def show(value) -> str:
    """A value as it appears in text (and in JSON tool results): strings bare, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def say(value) -> str:
    """A value as a customer says it: strings bare, money and dates as `ascc.sim.render` writes them, records as
    their values in words (`Stephanie Hall, born August 10, 1998`), lists joined with "and"; never JSON."""
    from ascc.sim.render import fmt, join

    if isinstance(value, dict):
        parts = [say(v) if isinstance(v, (dict, list)) else fmt(v, k) for k, v in value.items() if v is not None]
        names = [fmt(v) for k, v in value.items() if "name" in k and isinstance(v, str)]
        rest = [p for (k, v), p in zip([(k, v) for k, v in value.items() if v is not None], parts)
                if not ("name" in k and isinstance(v, str))]
        return ", ".join(([" ".join(names)] if names else []) + rest)
    if isinstance(value, list):
        return join([say(v) for v in value]) or "none"
    if isinstance(value, str):
        return value
    return fmt(value)


def build_scenario(domain: CompiledDomain, env: Environment, walk, seed: int, row=None) -> dict:
    """The scenario of a synthesised walk; `row(entity, key)`, where given, reads a row of the current state (the
    sampler's cached reads), else it is read from `env`."""
    row = row or (lambda entity, key: _row(domain, env, entity, key))
    seeded = f"{domain.name}:{seed}:{getattr(walk, 'index', 0)}"  # the task's phrasing draws: reproducible
    rng = random.Random(f"{seeded}:text")
    extra = [s for s in (walk.refused, getattr(walk, "declined", None)) if s is not None]
    steps = list(walk.steps) + extra
    known: dict[str, object] = {}
    unknown: list[str] = []
    plan = []
    for s in steps:
        ask = {}
        for name, value in s.arguments.items():
            if name in s.derived:
                if label(name) not in known and label(name) not in unknown:
                    unknown.append(label(name))
                continue
            key = label(name)
            while key in known and known[key] != value:
                key = f"other {key}"
            known[key] = value
            ask[name] = key
        plan.append({"tool": s.tool, "ask": ask, "goal": s in walk.steps and _is_goal(s, walk),
                     "identify": bool(getattr(s, "identify", False))})
    unknown = [u for u in unknown if u not in known]
    goals = [s for s in walk.steps if _is_goal(s, walk)]
    persona_entity = None
    if getattr(walk, "persona", None) is not None:
        persona_entity = walk.persona[0]
        persona, prow = _describe_persona(domain, row, *walk.persona)
    else:
        persona, prow = _persona(domain, row, walk.refs)
    wants = [_want(domain, s, persona_entity) for s in goals + extra]
    wants = [("check", w[1]) if getattr(s, "follow", False) and w[0] == "ask" else w for s, w in zip(goals + extra, wants)]
    wants = [w for i, w in enumerate(wants) if w not in wants[:i]]
    scenario = {
        "persona": persona,
        "persona_row": prow,
        "known": {k: to_jsonable(v) for k, v in known.items()},
        "unknown": unknown,
        "instructions": " ".join(_instruction(w, i) for i, w in enumerate(wants)),
        "request": rng.choice(OPEN) + " ".join(_request(rng, w, i) for i, w in enumerate(wants))
        + _volunteered(plan[: len(walk.steps)], known, random.Random(f"{seeded}:who")),
        "facts": _facts(goals, walk, told(known, prow), hints(domain.info).money),
        "plan": plan[: len(walk.steps)],
        "seed": seed,
    }
    if walk.refused is not None:
        r = walk.refused
        scenario["refusal"] = {"call": {"tool": r.tool, "arguments": r.arguments},
                               "ask": plan[len(walk.steps)]["ask"], "error": r.error}
        scenario["instructions"] += " If the agent says this cannot be done and why, accept it and end."
    declined = getattr(walk, "declined", None)
    if declined is not None:
        scenario["decline"] = {"call": {"tool": declined.tool, "arguments": declined.arguments},
                               "ask": plan[-1]["ask"],
                               "text": describe_call(domain, declined.tool, declined.arguments, persona_entity)}
        scenario["instructions"] += (" When the agent asks you to confirm that last change, you change your mind:"
                                     " say no, and do not have it done.")
    return scenario


def _is_goal(step, walk) -> bool:
    return not getattr(step, "identify", False) and (not step.used or step.tool in walk.writes)


# ---- what the user wants, in words
def _want(domain: CompiledDomain, step, persona_entity: str | None) -> tuple[str, str]:
    """`("do", "cancel order #W1 because …")` from the tool's intent, or `("ask", "could you tell me …")`."""
    tool = domain.info.tools[step.tool]
    if tool.intent:
        return "do", intent_text(tool.intent, step.arguments, tool.params)
    return "ask", request_from_description(tool.description, persona_entity)


def intent_text(intent: str, arguments: dict, params: tuple[ParamInfo, ...] = ()) -> str:
    """The intent phrase with the call's arguments filled in; an optional argument the call leaves out is filled
    with the parameter's default (else `{quantity}` would reach the user's words)."""
    text = intent
    defaults = {p.name: to_jsonable(p.default) for p in params if p.default is not None}  # runtime values
    for name, value in {**defaults, **arguments}.items():
        text = text.replace("{" + name + "}", show(value))
    return text.replace("{{", "{").replace("}}", "}")


def describe_call(domain: CompiledDomain, tool: str, arguments: dict, persona_entity: str | None) -> str:
    """A call as the agent says it to the user: the tool's intent, else its description addressed to the user."""
    meta = domain.info.tools.get(tool)
    if meta is None:
        return f"use {tool}"
    if meta.intent:
        return intent_text(meta.intent, arguments, meta.params)
    out = request_from_description(meta.description, persona_entity)
    out = re.sub(r"^could you (tell me )?", "", out)
    out = re.sub(r"\bmy\b", "your", re.sub(r"\bme\b", "you", out))
    args = ", ".join(f"{label(k)} {show(v)}" for k, v in arguments.items() if not isinstance(v, (dict, list)))
    return f"{out} ({args})" if args else out


def request_from_description(description: str, persona_entity: str | None) -> str:
    """`Get a customer's profile and the ids of their orders.` -> `could you tell me my profile and the ids of
    my orders` (the persona's entity becomes `my`/`me`; another entity's `a X's` becomes `the X's`)."""
    first = re.split(r"(?<=[.!?])\s|;\s", description.strip(), maxsplit=1)[0].strip().rstrip(".")
    first = re.sub(r"\s*\([^)]*\)", "", first)
    words = first.split()
    if not words:
        return "could you help me"
    verb = words[0].lower()
    rest = " ".join(words[1:])
    if persona_entity:
        p = re.escape(persona_entity.replace("_", " "))
        before = rest
        rest = re.sub(rf"\b(?:a|an|the) {p}'s\b", "my", rest)
        rest = re.sub(rf"\b(?:a|an|the) {p}\b", "me", rest)
        if rest != before:
            rest = re.sub(r"\btheir\b", "my", rest)
            rest = re.sub(r"\bthey\b", "I", rest)
    rest = re.sub(r"\b(?:a|an) (\w+)'s\b", r"the \1's", rest)
    if verb in _TELL:
        return f"could you tell me {rest}"
    if verb in _VERBS:
        return f"could you {verb} {rest}"
    return f"could you find {first[:1].lower() + first[1:]}"


def _instruction(want: tuple[str, str], i: int) -> str:
    kind, text = want
    head = "You want" if i == 0 else "Then you want"
    if kind == "do":
        return f"{head} to {text}."
    if kind == "check":
        return f"Once that is done, you want to check it: ask the agent \"{text[:1].upper() + text[1:]}?\""
    return f"{head} to ask the agent: \"{text[:1].upper() + text[1:]}?\""


def _volunteered(plan: list[dict], known: dict, rng: random.Random) -> str:
    """For some tasks whose walk identifies the user, who they are, said up front ("My email is ann@x.com."): then
    the agent has what the identifying lookup needs without asking (the oracle asks only for what was not said),
    so the traces show both an agent that asks and one that uses what it was given — the form a task takes where
    the whole request is one message (GRPO's solo prompts, docs/training.md)."""
    step = next((p for p in plan if p.get("identify") and p.get("ask")), None)
    if step is None or rng.random() >= VOLUNTEER:
        return ""
    parts = [f"{'my ' if i else ''}{lab} is {say(to_jsonable(known[lab]))}"
             for i, lab in enumerate(lab for lab in step["ask"].values() if lab in known)]
    return " " + rng.choice(WHO).format(x=render.join(parts)) if parts else ""


def _request(rng: random.Random, want: tuple[str, str], i: int) -> str:
    kind, text = want
    if kind == "do":
        return rng.choice(FIRST_DO if i == 0 else THEN_DO).format(x=text)
    question = text[:1].upper() + text[1:] + "?"
    if kind == "check":
        return rng.choice(CHECK).format(x=text)
    return question if i == 0 else "Also, " + text + "?"


# ---- what the user must be told
def told(known: dict, persona_row: dict | None) -> set[str]:
    """What the user already knows, as text: the values it gives the agent, and its own key."""
    told = {show(to_jsonable(v)) for v in known.values()}
    if persona_row and persona_row.get("key") is not None:
        told.add(show(to_jsonable(persona_row["key"])))
    return told


def _facts(goals, walk, told: set[str], money=frozenset()) -> list[str]:
    """The values from the goal results the user is to be told; not what the user said or is (`told`: the values
    the user gives the agent and the persona's own key), which an agent need not say back to pass `facts`."""
    out: list[str] = [walk.refused.error] if walk.refused is not None else []
    with render.money_fields(money):
        for s in goals:
            for f in render.facts(render.parse(s.content), MAX_FACTS_PER_RESULT, s.arguments, told):
                if f not in out:
                    out.append(f)
    return out


# ---- who the user is
def _describe_persona(domain: CompiledDomain, rows, entity: str, key) -> tuple[str, dict | None]:
    row = rows(entity, key)
    if row is None:
        return f"a {domain.name} user", None
    return _persona_text(domain, entity, key, row)


def _persona_text(domain: CompiledDomain, entity: str, key, row: dict) -> tuple[str, dict]:
    ident = {}
    identifying = hints(domain.info).identify_by  # the spec's `simulation.identify_by`, else name, email, phone
    for f, v in row.items():
        v = to_jsonable(v)
        if isinstance(v, str) and any(w in f for w in identifying):
            ident[f] = v
        elif isinstance(v, dict) and any(w in f for w in identifying):
            ident.update({k: x for k, x in v.items() if isinstance(x, str)})
    name = ident.get("name") or " ".join(str(ident[k]) for k in ("first_name", "last_name") if k in ident) or str(key)
    extra = ", ".join(v for f, v in ident.items() if f not in ("name", "first_name", "last_name"))
    text = f"{name}{f' ({extra})' if extra else ''}, a {entity.replace('_', ' ')}"
    key_field = domain.info.entities[entity].key
    return text, {"entity": entity, "key": to_jsonable(key), "key_field": key_field, **ident}


def _persona(domain: CompiledDomain, rows, refs) -> tuple[str, dict | None]:
    """A person among the rows the task touches: an entity with a `name`, directly or one reference away."""
    entities = domain.info.entities
    for entity, key in refs:
        for ent, k in [(entity, key), *_referenced(domain, rows, entity, key)]:
            if "name" in entities[ent].fields:
                row = rows(ent, k)
                if row is not None:
                    return _persona_text(domain, ent, k, row)
    return f"a {domain.name} user", None


def _referenced(domain: CompiledDomain, rows, entity: str, key) -> list[tuple[str, object]]:
    row = rows(entity, key)
    if row is None:
        return []
    return [(f.ref, row[n]) for n, f in domain.info.entities[entity].fields.items()
            if f.ref and row.get(n) is not None]


def _row(domain: CompiledDomain, env: Environment, entity: str, key) -> dict | None:
    return env.row(entity, key)
