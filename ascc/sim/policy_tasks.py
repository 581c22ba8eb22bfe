"""Policy-decided tasks: the user asks for a write that a policy rule forbids, and the rule, not the tool, decides.

A spec's `rules:` (docs/spec-language.md) state what the agent must check itself because the tool does not (τ²'s
design: a basic-economy reservation that is not insured cannot be cancelled, yet `cancel_reservation` would do
it). A policy task is made like a refusal task (`synth.py`): the walk picks its persona and identifies it, then
binds a write tool's arguments from the persona's rows until a `refuse` or `transfer` rule of that tool is met
in the live state (`Environment.rules_met`, the compiled rule), then adds the lookups a careful agent makes
before that write (read tools whose required parameters the write's arguments give: `get_reservation_details`).

The gold is those reads, then — for a `transfer` rule with a hand-off tool (`via:`) — the hand-off call with the
rule's message as its summary; the state does not change. The forbidden call is kept under `user.policy`
(`{"call", "ask", "rule", "outcome", "message", "via"}`); the task's kind is `refusal`, and its first fact is the
rule's message. An agent that makes the forbidden write anyway changes the state (or makes a write the gold has
not) and fails the `state` and `calls` filters (`broken:ignore-policy` shows it).
"""

from __future__ import annotations

import json
import random

from ascc.lang.compiled import RuleInfo, ToolInfo
from ascc.runtime.env import ToolResult
from ascc.runtime.tasks import Task, ToolCall
from ascc.sim.synth import READ_KINDS, Step, Walk, _collect, _mark_used, _Unbindable

POLICY_SHARE = 0.5  # of a domain's tasks, where it has tools with `refuse` or `transfer` rules
BIND_TRIES = 6  # argument bindings tried per walk for one that meets a rule
ATTEMPTS = 5  # walks (personas) tried per task
READ_GOAL_SHARE = 0.6  # of policy tasks: the user first asks about its records (a read goal), then for the write
SCAN_WALKS, SCAN_BINDS = 24, 3  # walks and bindings each that look for a rule a tool's calls can meet at all
DECIDES = ("refuse", "transfer")
TRANSFER_NOTE = " If the agent says it is handing you over to a human agent, accept it and end."
REFUSAL_NOTE = " If the agent says this cannot be done and why, accept it and end."


def policy_tools(sampler) -> list[str]:
    """The user-requestable write tools with at least one rule that decides (refuses or transfers)."""
    return sorted(n for n in sampler.writes if n not in sampler.staff
                  and any(r.outcome in DECIDES for r in sampler.domain.tool_rules(n)))


def decidable_tools(sampler) -> list[str]:
    """The policy tools whose rules some walk can meet in the initial state: a few walks each (seeded by the domain,
    the seed and the tool only, so every process finds the same), so that a rule the data never meets (no shipment
    is declared above 1000.00) costs no walks per task."""
    out = []
    for tool in policy_tools(sampler):
        for k in range(SCAN_WALKS):
            rng = random.Random(f"{sampler.domain.name}:{sampler.seed}:policy-scan:{tool}:{k}")
            if _walk(sampler, rng, 0, [tool], SCAN_BINDS) is not None:
                out.append(tool)
                break
    return out


def wants_policy(sampler, index: int) -> bool:
    """Whether task `index` is to be a policy task: a draw of its own, so other tasks stay as they were."""
    if sampler.policy_tools is None:
        sampler.policy_tools = decidable_tools(sampler)
    if not sampler.policy_tools:
        return False
    return random.Random(f"{sampler.domain.name}:{sampler.seed}:{index}:policy").random() < POLICY_SHARE


def sample_policy(sampler, index: int) -> Task | None:
    """A policy task at `index`, or None when no walk met a rule."""
    for attempt in range(ATTEMPTS):
        rng = random.Random(f"{sampler.domain.name}:{sampler.seed}:{index}:policy:{attempt}")
        found = _walk(sampler, rng, index, sampler.policy_tools, BIND_TRIES)
        if found is not None:
            return _task(sampler, *found, index)
    return None


def forbidden(sampler, tool: str, arguments: dict) -> ToolResult | None:
    """A refusal in the tool's error shape when a rule decides the call (so no walk makes it a gold write)."""
    if sampler.rule_tools is None:
        sampler.rule_tools = frozenset(policy_tools(sampler))
    if tool not in sampler.rule_tools or (hit := decided(sampler.env, tool, arguments)) is None:
        return None
    content = json.dumps({"error": {"code": "policy", "message": hit[1]}}, ensure_ascii=False)
    return ToolResult(tool, arguments, False, content, "policy")


def decided(env, tool: str, arguments: dict) -> tuple[RuleInfo, str] | None:
    """The first `refuse` or `transfer` rule of `tool` that the call meets in `env`'s state, with its message."""
    rules = {r.name: r for r in env.domain.tool_rules(tool)}
    for name, message in env.rules_met(tool, arguments):
        if name in rules and rules[name].outcome in DECIDES:
            return rules[name], message
    return None


def _walk(sampler, rng: random.Random, index: int, tools: list[str], tries: int) -> tuple[Walk, dict] | None:
    env = sampler.env
    sampler.begin(index)
    sampler.persona = None
    walk = Walk([], None, sampler.writes, index=index)
    pool: list = []
    if sampler.persona_entity is not None and not sampler._start_persona(rng, walk, pool):
        return None
    if tries == BIND_TRIES and rng.random() < READ_GOAL_SHARE:
        _read_goal(sampler, rng, walk, pool)
    tool = rng.choice(tools)
    for _ in range(tries):
        try:
            args, derived = sampler._bind(rng, tool, pool, walk)
        except _Unbindable:
            return None
        hit = decided(env, tool, args)
        if hit is not None:
            break
    else:
        return None
    rule, message = hit
    _mark_used(walk.steps, derived)
    for read, read_args in _lookups(sampler, tool, args):
        if any(st.tool == read and st.arguments == read_args for st in walk.steps):
            continue  # read already (the profile): a careful agent does not ask twice
        r = sampler.call(read, read_args)
        if r.ok:
            walk.steps.append(Step(read, read_args, {p: derived[p] for p in read_args if p in derived}, True,
                                   r.content, used=True))
            _collect(json.loads(r.content), len(walk.steps) - 1, "", pool)
    walk.refused = Step(tool, args, derived, False, "", error=message)
    return walk, rule


def _read_goal(sampler, rng: random.Random, walk: Walk, pool: list) -> None:
    """A question about the persona's records before the forbidden request (τ²'s users have several goals): a
    read segment from a read tool the walk has not made, as a read errand's goal; left out when it ends on a staff
    read nothing used."""
    made = {st.tool for st in walk.steps}
    reads = sorted(n for n, t in sampler.tools.items() if t.kind in READ_KINDS and n not in sampler.staff
                   and n not in made and n not in (sampler.identify or ()))
    if not reads:
        return
    n, size = len(walk.steps), len(pool)
    sampler._last = None
    sampler._segment(rng, rng.choice(reads), "read", walk, pool)
    while len(walk.steps) > n and walk.steps[-1].tool in sampler.staff and not walk.steps[-1].used:
        walk.steps.pop()
    if any(st.tool in sampler.staff and not st.used for st in walk.steps[n:]):
        del walk.steps[n:]
    del pool[size:]
    for i in range(n, len(walk.steps)):
        _collect(json.loads(walk.steps[i].content), i, "", pool)


def _lookups(sampler, tool: str, args: dict) -> list[tuple[str, dict]]:
    """Reads a careful agent makes before the write: those whose required parameters the write's arguments (or the
    persona's own key: a member's card) all give and that read what the write changes (at most two, the ones
    taking the most of its arguments first)."""
    writes = set(sampler.tools[tool].writes)
    if sampler.persona is not None:
        args = {sampler.domain.info.entities[sampler.persona_entity].key: sampler.persona, **args}
    found = []
    for name, t in sampler.tools.items():
        if t.kind != "read" or name in sampler.staff or not t.params:
            continue
        required = [p.name for p in t.params if p.required]
        if not required or any(p not in args for p in required) or not writes & set(t.reads):
            continue
        given = {p.name: args[p.name] for p in t.params if p.name in args}
        found.append((-len(given), name, given))
    return [(name, given) for _, name, given in sorted(found)[:2]]


def _task(sampler, walk: Walk, rule: RuleInfo, index: int) -> Task:
    via = rule.via
    handoff = None
    if rule.outcome == "transfer" and via and via in sampler.domain.info.tools:
        handoff = ToolCall(via, _handoff_args(sampler.domain.info.tools[via], walk.refused.error))
        sampler.call(handoff.tool, handoff.arguments)  # changes nothing; the gold calls include it
    task = sampler._task(walk, index)
    if handoff is not None:
        task.gold_calls.append(handoff)
    scenario = task.user
    refusal = scenario.pop("refusal")
    scenario["policy"] = {"call": refusal["call"], "ask": refusal["ask"], "rule": rule.name,
                          "outcome": rule.outcome, "message": walk.refused.error, "via": handoff and handoff.tool}
    if rule.outcome == "transfer":
        scenario["instructions"] = scenario["instructions"].replace(REFUSAL_NOTE, TRANSFER_NOTE)
    return task


def _handoff_args(tool: ToolInfo, message: str) -> dict:
    """The hand-off tool's arguments: the rule's message for its (first) text parameter."""
    texts = [p.name for p in tool.params if p.type.kind == "str"]
    return {texts[0]: message} if texts else {}


__all__ = ["POLICY_SHARE", "decided", "policy_tools", "sample_policy", "wants_policy"]
