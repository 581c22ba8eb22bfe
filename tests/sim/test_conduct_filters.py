"""The `facts` and `confirm` filters: the agent tells the user what the task found, and asks before confirmed writes.

Both close holes the first three filters leave: an agent that never answers the user (who then gives up) keeps
the state and the calls right; an agent that writes without asking does too.
"""

from __future__ import annotations

import asyncio

import pytest

from ascc.runtime.tasks import Task
from ascc.sim.registry import make_agent_backend, make_user_backend
from ascc.sim.rollout import Episode, rollout
from ascc.sim.synth import TaskSampler
from ascc.sim.verify import FILTERS, confirm, facts, first_failure, kept, verify


@pytest.fixture(scope="module")
def shop_tasks(domains):
    sampler = TaskSampler(domains["shop"], seed=11, env=None)
    out = sampler.tasks(24)
    sampler.close()
    return out


@pytest.fixture(scope="module")
def shop_env(domains):
    from ascc.runtime.env import Environment

    env = Environment(domains["shop"])
    yield env
    env.close()


def play(domains, env, task, agent):
    domain = domains[task.domain]
    a = make_agent_backend(agent).for_task(task, domain)
    u = make_user_backend("scripted").for_task(task, domain)
    ep = asyncio.run(rollout(task, env, a, u, domain.schemas))
    return ep, verify(ep, env, FILTERS)


def test_confirm_flags_come_from_the_spec(domains):
    shop, airline, library = (domains[n].info.tools for n in ("shop", "airline", "library"))
    assert shop["cancel_pending_order"].confirm and not shop["get_order"].confirm
    assert airline["book_reservation"].confirm
    assert not airline["send_certificate"].confirm  # `confirm: false` overrides `confirm_writes`
    assert not airline["transfer_to_human_agents"].confirm  # generic, not write
    assert not any(t.confirm for t in library.values())  # no `confirm_writes` in the library's spec


def test_the_oracle_passes_both(domains, shop_env, shop_tasks):
    for t in shop_tasks:
        ep, v = play(domains, shop_env, t, "oracle")
        assert kept(v) and v["facts"].passed and v["confirm"].passed, t.id


def test_a_silent_agent_fails_facts_even_though_the_user_stopped(domains, shop_env, shop_tasks):
    told = [t for t in shop_tasks if t.user.get("facts")]
    assert told
    for t in told:
        ep, v = play(domains, shop_env, t, "broken:silent")
        assert ep.end == "user_stop" and v["state"].passed and v["calls"].passed, t.id
        assert first_failure(v) == "facts" and v["facts"].detail["missing_facts"], t.id


def test_writing_without_asking_fails_confirm_only(domains, shop_env, shop_tasks):
    wrote = [t for t in shop_tasks if t.kind in ("write", "refusal") and not t.user.get("decline")]
    assert any(t.kind == "write" for t in wrote) and any(t.kind == "refusal" for t in wrote)
    for t in wrote:
        _, v = play(domains, shop_env, t, "broken:no-confirm")
        assert first_failure(v) == "confirm", (t.id, {k: x.to_json() for k, x in v.items()})
        assert "without the user's explicit yes" in v["confirm"].detail[0]
    for t in shop_tasks:
        if t.kind == "read":
            assert kept(play(domains, shop_env, t, "broken:no-confirm")[1]), t.id


# ---- the rules, on hand-made conversations
def _episode(messages: list[dict], user: dict | None = None) -> Episode:
    task = Task("t", "shop", "write", [], user=user or {})
    return Episode(task, [{"role": "system", "content": "policy"}, *messages])


def _call(name: str) -> dict:
    return {"role": "assistant", "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": name, "arguments": "{}"}}]}


def A(text: str) -> dict:  # noqa: N802
    return {"role": "assistant", "content": text}


def U(text: str) -> dict:  # noqa: N802
    return {"role": "user", "content": text}


@pytest.mark.parametrize(("question", "answer", "ok"), [
    ("Just to confirm: I will cancel order #W1. Shall I go ahead?", "Yes please.", True),
    ("Do you want me to cancel it?", "No problem, go ahead.", True),
    ("Shall I proceed?", "No, please don't.", False),
    ("Shall I proceed?", "Hmm, what would that cost?", False),
    ("Could you tell me the zip code?", "Sure, the zip is 12345.", False),  # data, not consent
    ("First, I need to confirm who you are. What is your email?", "Sure, a@b.c.", False),
])
def test_what_counts_as_consent(shop_env, question, answer, ok):
    ep = _episode([U("Cancel my order."), A(question), U(answer), _call("cancel_pending_order")])
    assert confirm(ep, shop_env).passed is ok
    read = _episode([U("Cancel my order."), A(question), U(answer), _call("get_order")])
    assert confirm(read, shop_env).passed  # reads need no consent


def test_a_malformed_call_does_not_crash_confirm(shop_env):
    bad = {"role": "assistant", "content": None, "tool_calls": [{"id": "x", "function": "cancel_pending_order"}, 7]}
    assert confirm(_episode([U("hi"), bad]), shop_env).passed


def test_facts_compare_as_tau2_does(shop_env):
    user = {"facts": ["David Myers", "12 Main St, Springfield"]}
    ok = _episode([U("hi"), A("The name is david myers; the address is 12 Main St Springfield.")], user)
    assert facts(ok, shop_env).passed
    one = _episode([U("hi"), A("The name is David Myers.")], user)
    assert facts(one, shop_env).detail == {"missing_facts": ["12 Main St, Springfield"]}
    assert facts(_episode([U("hi")], {}), shop_env).passed  # nothing to tell


def test_a_refusal_may_be_told_in_other_words(shop_env):
    user = {"facts": ["Order is not pending"], "refusal": {"error": "Order is not pending"}}
    assert facts(_episode([U("cancel #W1"), A("Sorry, I cannot cancel that order: it has shipped.")], user),
                 shop_env).passed
    assert not facts(_episode([U("cancel #W1"), A("All done!")], user), shop_env).passed


def test_facts_are_news_to_the_user(domains):
    """The agent need not say back what the user told it, or the user's own id, to pass `facts`."""
    from ascc.sim.scenario import show

    checked = 0
    for name in ("airline", "retail", "shop", "calendar"):
        sampler = TaskSampler(domains[name], seed=5, env=None)
        for t in sampler.tasks(20):
            told = {show(v) for v in t.user["known"].values()}
            key = (t.user.get("persona_row") or {}).get("key")
            if key is not None:
                told.add(show(key))
            assert not told & set(t.user["facts"]), (t.id, told & set(t.user["facts"]))
            checked += len(t.user["facts"])
        sampler.close()
    assert checked > 40  # most tasks still have news to tell
