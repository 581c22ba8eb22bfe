"""The oracle's and the scripted user's conversations: confirmations, reports, coherent errands, identity first."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from ascc.runtime.env import Environment
from ascc.sim.oracle import yes_or_no
from ascc.sim.registry import make_agent_backend, make_user_backend
from ascc.sim.rollout import rollout
from ascc.sim.scenario import WHO
from ascc.sim.synth import TaskSampler
from ascc.sim.user import ScriptedUser
from ascc.sim.verify import kept, verify

DOMAINS = ("shop", "library", "hotel", "retail")
IDENTIFY = {"shop": {"find_customer_by_email"}, "retail": {"find_user_id_by_email", "find_user_id_by_name_zip"}}
N = 30


@pytest.fixture(scope="module")
def sampled(domains):
    out = {}
    for name in DOMAINS:
        if name not in domains:
            continue
        sampler = TaskSampler(domains[name], seed=11)
        out[name] = (sampler.tasks(N), sampler.persona_entity, sampler.owner, sampler)
    yield out
    for *_, sampler in out.values():
        sampler.close()


@pytest.fixture(scope="module")
def episodes(domains, sampled):
    out = {}
    for name, (tasks, *_) in sampled.items():
        env = Environment(domains[name])
        for t in tasks:
            a = make_agent_backend("oracle").for_task(t, domains[name])
            u = make_user_backend("scripted").for_task(t, domains[name])
            ep = asyncio.run(rollout(t, env, a, u, domains[name].schemas))
            out[t.id] = (ep, verify(ep, env))
        env.close()
    return out


def _is_write(domain, tool):
    return tool in domain.info.tools and domain.info.tools[tool].kind == "write"


def test_every_episode_is_kept(episodes):
    for tid, (ep, v) in episodes.items():
        assert kept(v), (tid, {k: x.to_json() for k, x in v.items()}, ep.messages[-4:])


def test_writes_only_after_an_explicit_yes(domains, episodes):
    declined = 0
    for ep, _ in episodes.values():
        domain = domains[ep.task.domain]
        last_user, last_text = None, None
        for m in ep.messages[1:]:
            if m["role"] == "user":
                last_user = m["content"]
            elif m["role"] == "assistant" and m.get("content"):
                last_text = m["content"]
                if re.search(r"\b(go ahead|proceed)\b", last_text):
                    continue
            for tc in m.get("tool_calls") or []:
                if _is_write(domain, tc["function"]["name"]):
                    assert last_user and yes_or_no(last_user) is True, (ep.task.id, last_user)
                    assert last_text and last_text.rstrip().endswith("?"), (ep.task.id, last_text)
        decline = ep.task.user.get("decline")
        if decline:
            declined += 1
            call = decline["call"]
            replies = [m["content"] for i, m in enumerate(ep.messages) if m["role"] == "user" and i > 1]
            assert any(yes_or_no(r) is False for r in replies), ep.task.id
            done = [(c.tool, c.arguments) for c in ep.calls if c.ok]
            assert all(t != call["tool"] or a != _json(call["arguments"]) for t, a in done), ep.task.id


def test_a_declined_write_is_not_made_and_the_gold_plan_leaves_it_out(domains):
    sampler = TaskSampler(domains["hotel"], seed=11)
    task = next(t for t in (sampler.sample(i) for i in range(400)) if t is not None and "decline" in t.user)
    sampler.close()
    call = task.user["decline"]["call"]
    assert (call["tool"], call["arguments"]) not in [(c.tool, c.arguments) for c in task.gold_calls]
    env = Environment(domains["hotel"])
    a = make_agent_backend("oracle").for_task(task, domains["hotel"])
    u = make_user_backend("scripted").for_task(task, domains["hotel"])
    ep = asyncio.run(rollout(task, env, a, u, domains["hotel"].schemas))
    assert kept(verify(ep, env)) and ep.end == "user_stop"
    env.close()
    replies = [m["content"] for m in ep.messages[2:] if m["role"] == "user"]
    assert any(yes_or_no(r) is False for r in replies)
    assert call["tool"] not in [c.tool for c in ep.calls if c.ok] or call["tool"] in [c.tool for c in task.gold_calls]


def _json(arguments):
    return json.dumps(arguments, ensure_ascii=False)


def test_a_confirmation_that_mentions_a_label_gets_a_yes_not_a_fact():
    user = ScriptedUser({"request": "Hi", "known": {"request": "Heather", "reservation id": "RS1"},
                         "facts": ["x"], "seed": 0})
    q = "Just to confirm: I will add the request 'Heather' to reservation RS1. Shall I go ahead?"
    turn = asyncio.run(user.reply([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": q}]))
    assert yes_or_no(turn.text) is True and "Heather" not in turn.text  # confirmations vary: any clear yes
    ask = "Could you tell me the reservation id?"
    turn = asyncio.run(user.reply([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": ask}]))
    assert "RS1" in turn.text


def test_the_report_is_sentences_that_say_every_fact(episodes):
    for ep, _ in episodes.values():
        final = [m["content"] for m in ep.messages if m["role"] == "assistant" and m.get("content")][-1]
        assert "{" not in final and "}" not in final and '":' not in final, (ep.task.id, final)
        for fact in ep.task.user["facts"]:
            assert fact in final, (ep.task.id, fact, final)
        assert ep.messages[-1]["content"] == "###STOP###"


def volunteered(request: str) -> str | None:
    """The sentence in which an opening says who the user is (scenario.WHO), or None."""
    heads = [w.split("{x}")[0] for w in WHO]
    found = [request.rindex(h) for h in heads if h in request]
    return request[max(found):] if found else None


def test_opening_is_first_person_and_reveals_identity_only_when_it_volunteers_it(sampled):
    """The request never leaks who the user is mid-sentence; some openings (scenario.VOLUNTEER) end by saying it
    the way a customer does ("For reference, my email is ann@x.com."), with exactly what the identifying lookup
    asks for, and the rest leave it for the agent to ask."""
    said = unsaid = 0
    for name, (tasks, *_) in sampled.items():
        for t in tasks:
            request = t.user["request"]
            assert "the agent to" not in request and "I would like the agent" not in request, request
            row = t.user.get("persona_row") or {}
            if name not in IDENTIFY:
                continue
            who = volunteered(request)
            if who is None:
                unsaid += 1
                assert row.get("email") and row["email"] not in request, (t.id, request)
                continue
            said += 1
            step = t.user["plan"][0]
            assert step["identify"] and who.endswith(".") and request.index(who) == len(request) - len(who)
            assert all(str(t.user["known"][lab]) in who for lab in step["ask"].values()), (t.id, who)
            assert row["email"] not in request[: len(request) - len(who)], (t.id, request)
    assert said and unsaid, (said, unsaid)


def test_calls_stay_within_the_personas_own_rows(domains, sampled):
    for name, (tasks, person, owner, sampler) in sampled.items():
        assert person, name
        info = domains[name].info
        env = sampler.env
        for t in tasks:
            key = t.user["persona_row"]["key"]
            env.reset(**t.initial_state.reset_kwargs())
            extra = [t.user[k]["call"] for k in ("refusal", "decline") if t.user.get(k)]
            calls = [(c.tool, c.arguments) for c in t.gold_calls] + [(c["tool"], c["arguments"]) for c in extra]
            for tool, args in calls:
                for p in info.tools[tool].params:
                    ref = sampler._ref(p)
                    if p.name not in args or ref is None:
                        continue
                    value = args[p.name]
                    if ref == person:
                        assert value == key, (t.id, tool, p.name, value, key)
                    elif ref in owner:
                        k, f = info.entities[ref].key, owner[ref]
                        row = env.con.execute(f'SELECT "{f}" FROM "{ref}" WHERE "{k}" = ?', [value]).fetchone()
                        assert row and row[0] == key, (t.id, tool, p.name, value, key)
                env.call(tool, args)


def test_identification_comes_first_where_the_domain_has_a_lookup(domains, sampled, episodes):
    for name, tools in IDENTIFY.items():
        if name not in sampled:
            continue
        tasks, *_ = sampled[name]
        for t in tasks:
            assert t.gold_calls[0].tool in tools and t.user["plan"][0]["identify"], (t.id, t.gold_calls[0])
            assert not t.user["plan"][0]["goal"]
            ep, _ = episodes[t.id]
            first_agent = next(m for m in ep.messages if m["role"] == "assistant")
            if volunteered(t.user["request"]) is None:  # the agent asks who the user is
                assert "your" in first_agent["content"] and first_agent["content"].rstrip().endswith("?"), first_agent
            else:  # told up front: the agent looks the user up with it at once, asking nothing
                assert first_agent.get("tool_calls") and not first_agent.get("content"), first_agent
            first_call = next(m for m in ep.messages if m.get("tool_calls"))
            assert first_call["tool_calls"][0]["function"]["name"] in tools
    assert set(IDENTIFY) & set(sampled)


def test_refusals_are_about_the_personas_own_objects(sampled):
    refusals = [t for tasks, *_ in sampled.values() for t in tasks if t.kind == "refusal"]
    assert refusals
    for t in refusals:  # a tool's refusal, or a policy rule's (policy_tasks.py)
        why = t.user["refusal"]["error"] if "refusal" in t.user else t.user["policy"]["message"]
        assert "another" not in why.lower(), (t.id, why)


def test_phrasing_is_deterministic_per_task(domains, sampled):
    tasks, *_ = sampled["shop"]
    t = tasks[0]
    runs = []
    for _ in range(2):
        env = Environment(domains["shop"])
        a = make_agent_backend("oracle").for_task(t, domains["shop"])
        u = make_user_backend("scripted").for_task(t, domains["shop"])
        runs.append(asyncio.run(rollout(t, env, a, u, domains["shop"].schemas)).messages)
        env.close()
    assert runs[0] == runs[1]


def test_every_confirmation_the_user_gives_is_a_yes_to_the_oracle_and_the_verifier():
    from ascc.sim.user import NO, YES

    assert all(yes_or_no(y) is True for y in YES) and all(yes_or_no(n) is False for n in NO)
    assert len(set(YES)) >= 6


def test_the_user_says_records_in_words_not_json():
    user = ScriptedUser({"request": "Hi", "known": {"passengers": [
        {"first_name": "Stephanie", "last_name": "Hall", "dob": "1998-08-10"}]}, "facts": ["x"], "seed": 0})
    turn = asyncio.run(user.reply([{"role": "user", "content": "Hi"},
                                   {"role": "assistant", "content": "What are the passengers?"}]))
    assert "Stephanie Hall, August 10, 1998" in turn.text
    assert not re.search(r"[{}\[\]\"]|first_name|dob", turn.text)


def test_the_user_sometimes_answers_in_pieces_and_gives_the_rest_when_asked_again():
    """Asked for two things at once, the scripted user gives one of them about three times in ten (`PIECES`);
    asked again for what is missing, it gives the rest, so the oracle (which asks twice) still gets everything."""
    known = {"email": "ann@example.com", "zip": "94107"}
    both = pieces = 0
    for seed in range(40):
        user = ScriptedUser({"request": "Hi", "known": known, "facts": ["x"], "seed": seed})
        first = [{"role": "user", "content": "Hi"},
                 {"role": "assistant", "content": "Could you please give me your email and zip?"}]
        text = asyncio.run(user.reply(first)).text
        given = {lab for lab, v in known.items() if v in text}
        assert given, text
        if given == set(known):
            both += 1
            continue
        pieces += 1
        (missing,) = set(known) - given
        again = first + [{"role": "user", "content": text},
                         {"role": "assistant", "content": f"Thanks. Could you also give me your {missing}?"}]
        assert known[missing] in asyncio.run(user.reply(again)).text
    assert both and 4 <= pieces <= 24  # about 30% of 40
