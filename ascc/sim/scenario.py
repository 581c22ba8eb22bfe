"""A task's user scenario: who the user is, what they know and don't, what they want, what they must be told.

The scenario is the task's free-form `user` object (docs/runtime.md), read by the simulated users and the oracle:

| key | meaning |
| --- | --- |
| `persona` | who the user is, from a seeded row the task touches (`"Ann Lee (ann3@example.com), a customer"`) |
| `persona_row` | that row's entity, key and identifying fields |
| `known` | `{label: value}`: what the user can tell the agent when asked (`"order id": "#W0000001"`) |
| `unknown` | labels the user does not know; the agent must look them up (`"customer id"`) |
| `instructions` | the goal in the second person, for an LLM user, rendered from the tools' `intent` phrases |
| `request` | the same goal in the first person: a scripted user's opening message |
| `facts` | texts the agent's answers must contain before the user is satisfied |
| `plan` | per gold call, `{"tool", "ask": {argument: label}}`: which arguments come from the user |
| `refusal` | for refusal tasks: `{"call": {"tool", "arguments"}, "ask", "error"}`, the forbidden request |
"""

from __future__ import annotations

import json

from ascc.runtime.domain import CompiledDomain
from ascc.runtime.env import Environment, to_jsonable

MAX_FACTS_PER_RESULT = 5
_IDENTIFYING = ("name", "email", "phone")


def label(param: str) -> str:
    """How a user names an argument: `order_id` -> `order id`."""
    return param.replace("_", " ").strip()


def show(value) -> str:
    """A value as it appears in text (and in JSON tool results): strings bare, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def build_scenario(domain: CompiledDomain, env: Environment, walk, seed: int) -> dict:
    steps = list(walk.steps) + ([walk.refused] if walk.refused is not None else [])
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
        plan.append({"tool": s.tool, "ask": ask})
    unknown = [u for u in unknown if u not in known]
    goals = [s for s in walk.steps if not s.used or s.tool in walk.writes]
    persona, row = _persona(domain, env, walk.refs)
    parts = [_goal(domain, s) for s in goals if s is not walk.refused]
    if walk.refused is not None:
        parts.append(_goal(domain, walk.refused))
    parts = [p for i, p in enumerate(parts) if p not in parts[:i]]
    scenario = {
        "persona": persona,
        "persona_row": row,
        "known": {k: to_jsonable(v) for k, v in known.items()},
        "unknown": unknown,
        "instructions": " ".join(f"{'You want' if i == 0 else 'Then you want'} {p}." for i, p in enumerate(parts)),
        "request": " ".join(f"{'I would like' if i == 0 else 'Then I would like'} {p}." for i, p in enumerate(parts)),
        "facts": _facts(goals, walk),
        "plan": plan[: len(walk.steps)],
        "seed": seed,
    }
    if walk.refused is not None:
        r = walk.refused
        scenario["refusal"] = {"call": {"tool": r.tool, "arguments": r.arguments}, "ask": plan[-1]["ask"],
                               "error": r.error}
        scenario["instructions"] += " If the agent says this cannot be done and why, accept it and end."
    return scenario


def _goal(domain: CompiledDomain, step) -> str:
    """One thing the user wants, from the tool's `intent` (`to cancel order #W1 …`) or its description."""
    tool = domain.meta["tools"][step.tool]
    if tool.get("intent"):
        text = tool["intent"]
        for name, value in step.arguments.items():
            text = text.replace("{" + name + "}", show(value))
        return "to " + text.replace("{{", "{").replace("}}", "}")
    purpose = tool["description"].strip().rstrip(".")
    purpose = purpose[:1].lower() + purpose[1:]
    shown = [f"{label(n)} {show(v)}" for n, v in step.arguments.items() if n not in step.derived]
    return f"the agent to {purpose}" + (f" ({', '.join(shown)})" if shown else "")


def _facts(goals, walk) -> list[str]:
    out: list[str] = [walk.refused.error] if walk.refused is not None else []
    for s in goals:
        leaves: list[str] = []
        _leaves(json.loads(s.content), leaves)
        for leaf in leaves[:MAX_FACTS_PER_RESULT]:
            if leaf not in out:
                out.append(leaf)
    return out


def _leaves(value, out: list[str]) -> None:
    if isinstance(value, dict):
        for v in value.values():
            _leaves(v, out)
    elif isinstance(value, list):
        for v in value:
            _leaves(v, out)
    elif value is not None and show(value).strip():
        out.append(show(value))


def _persona(domain: CompiledDomain, env: Environment, refs) -> tuple[str, dict | None]:
    """A person among the rows the task touches: an entity with a `name`, directly or one reference away."""
    entities = domain.meta["entities"]
    for entity, key in refs:
        for ent, k in [(entity, key), *_referenced(domain, env, entity, key)]:
            if "name" in entities[ent]["fields"]:
                row = _row(domain, env, ent, k)
                if row is not None:
                    ident = {f: to_jsonable(row[f]) for f in row if any(w in f for w in _IDENTIFYING)
                             and isinstance(row[f], str)}
                    extra = ", ".join(v for f, v in ident.items() if f != "name")
                    text = f"{row['name']}{f' ({extra})' if extra else ''}, a {ent.replace('_', ' ')}"
                    return text, {"entity": ent, "key": to_jsonable(k), **ident}
    return f"a {domain.name} user", None


def _referenced(domain: CompiledDomain, env: Environment, entity: str, key) -> list[tuple[str, object]]:
    row = _row(domain, env, entity, key)
    if row is None:
        return []
    return [(f["ref"], row[n]) for n, f in domain.meta["entities"][entity]["fields"].items()
            if f.get("ref") and row.get(n) is not None]


def _row(domain: CompiledDomain, env: Environment, entity: str, key) -> dict | None:
    k = domain.meta["entities"][entity]["key"]
    q = '"' + entity.replace('"', '""') + '"'
    cur = env.con.execute(f'SELECT * FROM {q} WHERE "{k}" = ?', [key])
    r = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], r)) if r else None
