"""Policy rules the agent applies itself (`rules:` in a spec): compiled, not enforced by the tool, evaluated by the
runtime without writing, decided tasks synthesised, followed by the oracle, broken by `broken:ignore-policy` and
caught by the filters and the policy audit."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import pytest

from ascc.compiler.build import compile_file
from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment
from ascc.sim.policy_audit import audit_trace, violations
from ascc.sim.policy_tasks import decided
from ascc.sim.registry import make_agent_backend, make_user_backend
from ascc.sim.rollout import rollout
from ascc.sim.run import EpisodeJob, WorkerSetup, trace_record
from ascc.sim.synth import TaskSampler
from ascc.sim.verify import FILTERS, first_failure, kept, verify

SPEC = """
domain: rshop
policy: |
  Only pending orders can be cancelled.
entities:
  customer:
    key: customer_id
    fields:
      customer_id: str
      name: str
      email: str
  order:
    key: order_id
    fields:
      order_id: str
      customer_id: {ref: customer}
      status: {enum: [pending, cancelled], default: pending}
      total: {type: int, default: 0}
tools:
  find_customer:
    kind: read
    description: Find a customer by email.
    params:
      email: str
    let:
      found: "[c.customer_id for c in customer.all() if c.email == $email]"
    requires:
      - len(found) > 0 else "Customer not found"
    returns: found[0]
  get_order:
    kind: read
    description: Get an order.
    params:
      order_id: {ref: order}
    let:
      o: order[$order_id] else "Order not found"
    returns: o
  cancel_order:
    kind: write
    description: Cancel an order.
    intent: "cancel order {order_id} because {reason}"
    params:
      order_id: {ref: order}
      reason: {type: str, examples: ["no longer needed"]}
    let:
      o: order[$order_id] else "Order not found"
    requires:
      - o.status == pending else "Non-pending order cannot be cancelled"
    rules:
      big:
        when: o.total > 100
        outcome: transfer
        via: handoff
        policy: Orders over 100 are cancelled by a human agent.
        message: Order {order_id} is over 100, so a human agent must cancel it.
      tiny:
        when: o.total < 5
        outcome: refuse
        policy: Orders under 5 cannot be cancelled.
        message: Order {order_id} is under 5, so it cannot be cancelled.
      why:
        outcome: ask
        ask: reason
        policy: Ask for the reason.
    effects:
      - update o: {status: cancelled}
    returns: o
  handoff:
    kind: generic
    description: Hand the user over to a human agent.
    params:
      summary: str
    returns: "'ok'"
seed:
  rows:
    customer:
      - {customer_id: c1, name: Ann Lee, email: ann@example.com}
      - {customer_id: c2, name: Bob Roe, email: bob@example.com}
    order:
      - {order_id: a, customer_id: c1, total: 200}
      - {order_id: b, customer_id: c1, total: 2}
      - {order_id: c, customer_id: c2, total: 50}
      - {order_id: d, customer_id: c2, total: 3}
"""


@pytest.fixture(scope="module")
def rshop(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rules")
    spec = tmp / "rshop.env.yaml"
    spec.write_text(textwrap.dedent(SPEC))
    result = compile_file(spec, tmp / "build")
    assert result.ok, result.diagnostics
    return load_domain(str(result.out_dir))


def test_rules_are_recorded_shown_and_not_enforced(rshop):
    rules = rshop.tool_rules("cancel_order")
    assert [(r.name, r.outcome) for r in rules] == [("big", "transfer"), ("tiny", "refuse"), ("why", "ask")]
    assert rules[0].via == "handoff" and rules[2].ask == "reason" and rules[1].when == "o.total < 5"
    assert "Orders under 5 cannot be cancelled." in rshop.policy  # the agent's policy text
    with Environment(rshop) as env:
        r = env.call("cancel_order", {"order_id": "b", "reason": "x"})
        assert r.ok and json.loads(r.content)["status"] == "cancelled"  # the tool does not enforce it


def test_rules_met_evaluates_without_writing(rshop):
    with Environment(rshop) as env:
        before = env.digest()
        assert env.rules_met("cancel_order", {"order_id": "a", "reason": "x"}) == [
            ("big", "Order a is over 100, so a human agent must cancel it."), ("why", "Ask for the reason.")]
        assert [n for n, _ in env.rules_met("cancel_order", {"order_id": "b", "reason": "x"})] == ["tiny", "why"]
        assert [n for n, _ in env.rules_met("cancel_order", {"order_id": "c", "reason": "x"})] == ["why"]
        assert env.rules_met("cancel_order", {"order_id": "zz", "reason": "x"}) == []  # the tool refuses it
        assert env.rules_met("get_order", {"order_id": "a"}) == []
        assert env.digest() == before and env.log == []
        env.call("cancel_order", {"order_id": "c", "reason": "x"})
        assert env.rules_met("cancel_order", {"order_id": "c", "reason": "x"}) == []  # no longer pending


def _episode(domain, env, task, agent):
    a = make_agent_backend(agent).for_task(task, domain)
    u = make_user_backend("scripted").for_task(task, domain)
    ep = asyncio.run(rollout(task, env, a, u, domain.schemas))
    return ep, verify(ep, env, FILTERS)


@pytest.fixture(scope="module")
def synthesised(rshop):
    """Tasks of the small domain, and its policy-decided ones."""
    sampler = TaskSampler(rshop, seed=1)
    tasks = [t for t in (sampler.sample(i) for i in range(24)) if t is not None]
    sampler.close()
    return tasks, [t for t in tasks if "policy" in t.user]


def test_policy_tasks_are_decided_by_a_rule_and_no_gold_write_breaks_one(rshop, synthesised):
    tasks, policy = synthesised
    assert {t.user["policy"]["outcome"] for t in policy} == {"refuse", "transfer"}
    with Environment(rshop) as env:
        for t in policy:
            env.reset(**t.initial_state.reset_kwargs())
            call = t.user["policy"]["call"]
            rule, message = decided(env, call["tool"], call["arguments"])
            assert rule.name == t.user["policy"]["rule"] and message == t.user["policy"]["message"]
            assert t.kind == "refusal" and message in t.user["facts"]
            writes = [c for c in t.gold_calls if rshop.info.tools[c.tool].kind == "write"]
            assert not writes and (t.gold_calls[-1].tool == "handoff") == (rule.outcome == "transfer")
        for t in tasks:  # no task's gold makes a write a rule forbids
            env.reset(**t.initial_state.reset_kwargs())
            for c in t.gold_calls:
                assert decided(env, c.tool, c.arguments) is None, t.id
                env.call(c.tool, c.arguments)


def test_the_oracle_follows_the_rules_and_ignoring_them_is_caught(rshop, synthesised):
    tasks, policy = synthesised
    assert policy
    setup = WorkerSetup({}, "oracle", "scripted", FILTERS, 30, 1)
    with Environment(rshop) as env:
        for t in tasks:
            ep, v = _episode(rshop, env, t, "oracle")
            assert kept(v), (t.id, {k: x.to_json() for k, x in v.items()})
            record = trace_record(EpisodeJob(t.id, 0, {}), t, ep.messages, [], setup, None, None, v, ep.user_side)
            assert audit_trace(record, t, env)[1] == [], t.id
        for t in policy:
            ep, v = _episode(rshop, env, t, "broken:ignore-policy")
            assert first_failure(v) == "state" and v["calls"].passed is False, t.id
            record = trace_record(EpisodeJob(t.id, 0, {}), t, ep.messages, [], setup, None, None, v, ep.user_side)
            assert [x["rule"] for x in audit_trace(record, t, env)[1]] == [t.user["policy"]["rule"]]


def test_the_audit_flags_an_ask_rule_whose_value_the_user_did_not_give(rshop):
    with Environment(rshop) as env:
        args = {"order_id": "c", "reason": "no longer needed"}
        assert [n for n, _ in violations(env, "cancel_order", args, "I want to cancel order c")] == ["why"]
        assert violations(env, "cancel_order", args, "cancel c, it is no longer needed") == []


@pytest.mark.slow
def test_library_oracle_traces_have_no_policy_violations(tmp_path: Path, build_dir):
    from ascc.sim.policy_audit import audit_run
    from ascc.sim.run import SimConfig, simulate

    specs = [str(Path(__file__).parents[2] / "specs" / f"{d}.env.yaml") for d in ("airline", "telecom", "retail")]
    report = simulate(SimConfig(specs, tasks=90, out=str(tmp_path / "run"), jobs=1, build=str(build_dir)))
    assert report["kept"] == report["episodes"] == 90
    audit = audit_run(tmp_path / "run", build_dir).to_json()
    assert audit["violations"] == 0 and audit["traces"] == 90
    assert audit["policy_decided_tasks"] >= 9
