"""The simulator end to end: synthesis, the oracle on every domain, each filter catching its broken agent."""

from __future__ import annotations

import asyncio
import json

import pytest

from ascc.runtime.env import Environment
from ascc.runtime.replay import replay_task
from ascc.sim.policy_tasks import decided
from ascc.sim.registry import BackendError, make_agent_backend, make_user_backend
from ascc.sim.rollout import rollout
from ascc.sim.run import EpisodeJob, Worker, WorkerSetup, split_counts
from ascc.sim.synth import TaskSampler, signature
from ascc.sim.verify import FILTERS, first_failure, kept, verify

PER_DOMAIN = 14  # shop and library; the rest of the (growing) library gets OTHERS each
OTHERS = 4


@pytest.fixture(scope="module")
def tasks(domains):
    """A few tasks per domain, one sampler (one environment) per domain."""
    out = {}
    for name, domain in domains.items():
        sampler = TaskSampler(domain, seed=3, env=None)
        out[name] = sampler.tasks(PER_DOMAIN if name in ("shop", "library") else OTHERS)
        sampler.close()
    return out


@pytest.fixture(scope="module")
def envs(domains):
    opened = {n: Environment(d) for n, d in domains.items()}
    yield opened
    for e in opened.values():
        e.close()


def run(domains, envs, task, agent="oracle", filters=FILTERS):
    domain = domains[task.domain]
    a = make_agent_backend(agent).for_task(task, domain)
    u = make_user_backend("scripted").for_task(task, domain)
    ep = asyncio.run(rollout(task, envs[task.domain], a, u, domain.schemas))
    return ep, verify(ep, envs[task.domain], filters)


# ---- synthesis
def test_synthesis_is_deterministic_per_domain_seed_and_index(domains):
    shop = domains["shop"]
    a, b = TaskSampler(shop, seed=5), TaskSampler(shop, seed=5)
    first = [a.sample(i) for i in range(8)]
    assert [t.to_json() for t in first] == [b.sample(i).to_json() for i in range(8)]
    assert b.sample(3).to_json() == first[3].to_json()  # an index alone, in any order
    other = TaskSampler(shop, seed=6)
    assert [signature(t) for t in first] != [signature(other.sample(i)) for i in range(8)]


def test_tasks_are_distinct_and_every_kind_appears(tasks):
    for name in ("shop", "library"):
        ts = tasks[name]
        assert len(ts) == PER_DOMAIN
        assert len({signature(t) for t in ts}) == len(ts)
        assert len({t.id for t in ts}) == len(ts)
    kinds = {t.kind for name in ("shop", "library") for t in tasks[name]}
    assert kinds == {"write", "read", "refusal"}


def test_gold_calls_replay_to_the_gold_digest(domains, envs, tasks):
    for name, ts in tasks.items():
        for t in ts:
            if name in ("shop", "library"):  # the code behind `ascc replay`
                outcome = replay_task(envs[name], t)
                assert outcome.match is True and all(c.ok for c in outcome.calls), (t.id, outcome.to_json())
                continue
            envs[name].reset(**t.initial_state.reset_kwargs())
            assert all(envs[name].call(c.tool, c.arguments).ok for c in t.gold_calls), t.id
            assert envs[name].digest() == t.gold_digest, t.id


def test_refusal_and_read_tasks_leave_the_state_as_it_was(domains, envs, tasks):
    for name, ts in tasks.items():
        envs[name].reset()
        initial = envs[name].digest()
        for t in ts:
            if t.kind in ("read", "refusal"):
                assert t.gold_digest == initial, t.id
            if t.kind == "refusal" and "policy" in t.user:  # a rule decides, not the tool (policy_tasks.py)
                policy = t.user["policy"]
                envs[name].reset(**t.initial_state.reset_kwargs())
                rule = decided(envs[name], policy["call"]["tool"], policy["call"]["arguments"])
                assert rule is not None and rule[0].name == policy["rule"] and "refusal" not in t.user, t.id
            elif t.kind == "refusal":
                refusal = t.user["refusal"]
                assert refusal["error"] and refusal["call"]["tool"] in domains[name].info.tools
                r = envs[name].call(refusal["call"]["tool"], refusal["call"]["arguments"])
                assert not r.ok and r.error_code == "precondition"
            else:
                assert t.gold_calls and "refusal" not in t.user


def test_scenario_has_persona_knowledge_and_an_instruction(tasks):
    for t in tasks["shop"] + tasks["library"]:
        u = t.user
        assert u["instructions"].startswith("You want") and u["request"].startswith(("Hi", "Hello", "Good"))
        assert isinstance(u["known"], dict) and isinstance(u["unknown"], list) and u["persona"]
        assert len(u["plan"]) == len(t.gold_calls)
        assert not set(u["unknown"]) & set(u["known"])
    assert any(t.user["persona_row"] for t in tasks["shop"])


def test_split_counts_spreads_the_remainder():
    assert split_counts(10, ["a", "b", "c"]) == {"a": 4, "b": 3, "c": 3}


# ---- the oracle and the broken agents
def test_oracle_passes_every_filter_on_every_domain(domains, envs, tasks):
    for ts in tasks.values():
        for t in ts:
            ep, verdicts = run(domains, envs, t)
            assert kept(verdicts), (t.id, {k: v.to_json() for k, v in verdicts.items()}, ep.messages[-3:])
            assert ep.end == "user_stop"


def _sample(tasks, kinds=("write", "read", "refusal")):
    return [t for name in ("shop", "library") for t in tasks[name] if t.kind in kinds]


def test_garbage_arguments_fail_validity(domains, envs, tasks):
    for t in _sample(tasks):
        if t.gold_calls or t.kind == "refusal":
            _, v = run(domains, envs, t, "broken:garbage")
            assert first_failure(v) == "validity" and "not a JSON object" in str(v["validity"].detail)


def test_degenerate_repetition_fails_validity(domains, envs, tasks):
    for t in _sample(tasks):
        _, v = run(domains, envs, t, "broken:repeat")
        assert first_failure(v) == "validity" and "repetition" in str(v["validity"].detail), t.id


def test_skipped_writes_fail_state_with_a_diff(domains, envs, tasks):
    for t in _sample(tasks, ("write",)):
        envs[t.domain].reset()
        changes = t.gold_digest != envs[t.domain].digest()  # not so for `place a hold, then cancel it`
        _, v = run(domains, envs, t, "broken:skip-write")
        assert v["validity"].passed and first_failure(v) == ("state" if changes else "calls"), t.id
        if changes:
            assert v["state"].detail["diff_to_gold"], t.id
    for t in _sample(tasks, ("read",)):  # nothing to skip: kept
        assert kept(run(domains, envs, t, "broken:skip-write")[1])


def test_wrong_read_arguments_fail_only_the_calls_filter(domains, envs, tasks):
    reads = [t for t in _sample(tasks, ("read",)) if any(c.arguments for c in t.gold_calls)]
    assert reads
    for t in reads:
        _, v = run(domains, envs, t, "broken:wrong-args")
        assert v["validity"].passed and v["state"].passed and v["calls"].passed is False, t.id


def test_an_agent_that_recovers_from_a_failed_call_is_kept(domains, envs, tasks):
    for t in _sample(tasks):
        ep, v = run(domains, envs, t, "broken:recover")
        assert kept(v), (t.id, {k: x.to_json() for k, x in v.items()})
        if t.gold_calls:
            assert not ep.calls[0].ok and ep.calls[0].error_code == "invalid_arguments"


def test_a_switched_off_filter_reports_null_and_does_not_reject(domains, envs, tasks):
    t = _sample(tasks, ("write",))[0]
    _, v = run(domains, envs, t, "broken:skip-write", filters=("validity", "calls"))
    assert v["state"].passed is None and v["state"].detail == "switched off"
    assert first_failure(v) == "calls"


def test_worker_turns_a_bad_task_into_a_rejected_record(domains):
    setup = WorkerSetup({"shop": str(domains["shop"].path)}, "oracle", "scripted", FILTERS, 30, 0)
    worker = Worker(setup)
    bad = {"id": "x", "domain": "shop", "kind": "write", "gold_calls": [{"tool": "nope", "arguments": {}}],
           "initial_state": {"setup": [{"tool": "nope", "arguments": {}}]}}
    r = asyncio.run(worker.episode(EpisodeJob("shop/x/0", 0, bad)))
    assert not r["kept"] and r["record"]["reason"] == "error" and "setup call nope failed" in r["record"]["error"]


def test_unknown_backends_are_clear_errors():
    with pytest.raises(BackendError, match="unknown broken agent"):
        make_agent_backend("broken:nonsense")
    with pytest.raises(BackendError, match="takes no target"):
        make_agent_backend("oracle:x")
    with pytest.raises(BackendError):
        make_user_backend("nobody")


def test_messages_are_openai_shaped(domains, envs, tasks):
    t = _sample(tasks, ("write",))[0]
    ep, _ = run(domains, envs, t)
    assert ep.messages[0] == {"role": "system", "content": domains[t.domain].policy}
    calls = [tc for m in ep.messages if m["role"] == "assistant" for tc in m.get("tool_calls", [])]
    results = [m for m in ep.messages if m["role"] == "tool"]
    assert [tc["id"] for tc in calls] == [m["tool_call_id"] for m in results]
    assert all(isinstance(tc["function"]["arguments"], str) and tc["type"] == "function" for tc in calls)
    assert all(json.loads(m["content"]) is not None or m["content"] == "null" for m in results)
