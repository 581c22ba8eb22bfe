"""What a synthesised task asks for reads like a user's errand: free text from the spec's `examples:` (else a value
that fits the parameter's name), and never a `requested_by: staff` tool as the user's goal."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest

from ascc.compiler.build import compile_file
from ascc.lang.compiled import ParamUses
from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment
from ascc.sim import freetext
from ascc.sim.synth import TaskSampler, signature

DESK = """
domain: desk
description: A help desk for tickets.
entities:
  user:
    key: user_id
    fields:
      user_id: str
      name: str
      email: str
  ticket:
    key: ticket_id
    fields:
      ticket_id: str
      user_id: {ref: user}
      status: {enum: [open, closed], default: open}
      comment: {type: str, default: ""}
      guest: {type: str, default: ""}
      approved: {type: bool, default: false}
tools:
  find_user:
    kind: read
    description: Find a user's id from their email.
    params:
      email: str
    returns: user.one(email == $email)
  get_ticket:
    kind: read
    description: Get a ticket.
    params:
      ticket_id: {ref: ticket}
    returns: ticket[$ticket_id]
  comment_ticket:
    kind: write
    description: Replace the comment of an open ticket.
    intent: "comment on ticket {ticket_id}: {text}"
    params:
      ticket_id: {ref: ticket}
      text: {type: str, examples: ["It broke again.", "Any news?"]}
    let:
      t: ticket[$ticket_id] else "No ticket"
    requires:
      - t.status == open else "The ticket is closed"
    effects:
      - update t: {comment: $text}
    returns: t
  close_ticket:
    kind: write
    description: Close a ticket, with a reason.
    intent: "close ticket {ticket_id} because of {reason}"
    params:
      ticket_id: {ref: ticket}
      reason: str
      guest_name: str
    let:
      t: ticket[$ticket_id] else "No ticket"
    requires:
      - t.status == open else "The ticket is closed"
    effects:
      - update t: {status: closed, comment: $reason, guest: $guest_name}
    returns: t
  approve_ticket:
    kind: write
    requested_by: staff
    description: Approve a ticket (back office).
    params:
      ticket_id: {ref: ticket}
    let:
      t: ticket[$ticket_id] else "No ticket"
    requires:
      - not t.approved else "Already approved"
    effects:
      - update t: {approved: true}
    returns: t
  all_open_tickets:
    kind: read
    requested_by: staff
    description: Every open ticket, for the back office.
    sql: SELECT ticket_id, user_id FROM ticket WHERE status = 'open' ORDER BY ticket_id
seed:
  random_seed: 3
  generate:
    user:
      count: 6
      fields:
        user_id: seq("U", 3)
        name: faker.name
        email: format("u{}@example.com", index())
    ticket:
      count: 18
      fields:
        ticket_id: seq("T", 4)
        user_id: pick(user)
        status: choice(open, open, closed)
"""


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    folder = tmp_path_factory.mktemp("desk")
    spec = folder / "desk.env.yaml"
    spec.write_text(DESK, encoding="utf-8")
    result = compile_file(spec, folder / "build")
    assert result.ok, [d.message for d in result.diagnostics]
    return load_domain(str(result.out_dir))


@pytest.fixture(scope="module")
def desk_tasks(desk):
    sampler = TaskSampler(desk, seed=1)
    try:
        return sampler.tasks(60)
    finally:
        sampler.close()


def _calls(task):
    calls = [(c.tool, c.arguments) for c in task.gold_calls]
    for k in ("refusal", "decline"):
        if task.user.get(k):
            calls.append((task.user[k]["call"]["tool"], task.user[k]["call"]["arguments"]))
    return calls


def test_examples_and_requested_by_reach_the_domain_json_but_not_the_agent_schema(desk):
    tools = desk.info.tools
    text = next(p for p in tools["comment_ticket"].params if p.name == "text")
    assert text.examples == ("It broke again.", "Any news?")
    assert tools["approve_ticket"].requested_by == "staff"
    assert tools["comment_ticket"].requested_by == "user"
    schema = (Path(desk.path) / "tools.json").read_text(encoding="utf-8")
    assert "examples" not in schema and "It broke again." not in schema and "requested_by" not in schema
    assert "approve_ticket" in schema  # the agent still has the staff tool


def test_a_parameter_with_examples_takes_one_of_them(desk_tasks):
    texts = [a["text"] for t in desk_tasks for tool, a in _calls(t) if tool == "comment_ticket"]
    assert texts and set(texts) <= {"It broke again.", "Any news?"}


def test_free_text_without_examples_fits_its_name(desk_tasks):
    closing = [a for t in desk_tasks for tool, a in _calls(t) if tool == "close_ticket"]
    assert closing
    for a in closing:
        assert a["reason"] in freetext.PHRASES["reason"]
        assert " " in a["guest_name"]  # a person's name, not a word of the data


def test_staff_tools_are_never_the_users_goal(desk_tasks):
    for t in desk_tasks:
        assert "approve_ticket" not in [tool for tool, _ in _calls(t)]
        for step in t.user["plan"]:
            assert not (step["tool"] == "all_open_tickets" and step["goal"]), t.id
        assert "all_open_tickets" not in t.user["request"]


def test_synthesis_with_examples_and_staff_tools_is_deterministic(desk, desk_tasks):
    again = TaskSampler(desk, seed=1)
    try:
        assert [signature(t) for t in again.tasks(60)] == [signature(t) for t in desk_tasks]
        assert [t.user["request"] for t in again.tasks(60)] == [t.user["request"] for t in desk_tasks]
    finally:
        again.close()


def test_library_staff_tools_are_marked_and_never_goals(domains):
    staff = {n: {t for t, m in d.info.tools.items() if m.requested_by == "staff"}
             for n, d in domains.items()}
    assert {"approve_claim", "reject_claim", "pay_claim", "list_open_claims"} <= staff["insurance_claims"]
    assert {"add_room_charge", "set_room_maintenance"} <= staff["hotel"]
    assert "overdue_report" in staff["library"]
    for name in ("insurance_claims", "recruiting", "hotel", "permits"):
        sampler = TaskSampler(domains[name], seed=0)
        try:
            for t in sampler.tasks(25):
                goals = [s["tool"] for s in t.user["plan"] if s["goal"]]
                extra = [t.user[k]["call"]["tool"] for k in ("refusal", "decline") if t.user.get(k)]
                assert not set(goals + extra) & staff[name], (t.id, goals, extra)
        finally:
            sampler.close()


def test_library_free_text_comes_from_the_specs_examples(domains):
    meta = domains["retail"].info.tools["cancel_pending_order"]
    reason = next(p for p in meta.params if p.name == "reason")
    assert reason.examples == ("no longer needed", "ordered by mistake")
    sampler = TaskSampler(domains["retail"], seed=0)
    try:
        reasons = [a["reason"] for t in sampler.tasks(40) for tool, a in _calls(t) if tool == "cancel_pending_order"]
    finally:
        sampler.close()
    assert reasons and set(reasons) <= set(reason.examples)


@pytest.mark.parametrize("name, check", [
    ("reason", lambda v: v in freetext.PHRASES["reason"]),
    ("cancel_reason", lambda v: v in freetext.PHRASES["reason"]),
    ("comment", lambda v: v in freetext.PHRASES["note"]),
    ("body", lambda v: v in freetext.PHRASES["message"]),
    ("guest_name", lambda v: len(v.split()) >= 2),
    ("first_name", lambda v: v.isalpha()),
    ("email", lambda v: v.endswith("@example.com")),
    ("time", lambda v: len(v) == 5 and v[2] == ":"),
    ("start_time", lambda v: len(v) == 5 and v[2] == ":"),
    ("dob", lambda v: dt.date.fromisoformat(v) < dt.date(2007, 1, 1)),
    ("city", lambda v: bool(v.strip())),
])
def test_guess_fits_the_name(name, check):
    value = freetext.guess(name, random.Random(4), dt.date(2025, 1, 15))
    assert value is not None and check(value), value
    assert freetext.guess(name, random.Random(4), dt.date(2025, 1, 15)) == value  # seeded by the caller's rng


@pytest.mark.parametrize("name", ["query", "device_name", "code", "label", "sku"])
def test_guess_says_nothing_for_names_that_say_nothing(name):
    assert freetext.guess(name, random.Random(0), dt.date(2025, 1, 15)) is None


def test_domain_json_examples_are_json(desk):
    text = (Path(desk.path) / "domain.json").read_text(encoding="utf-8")
    assert json.loads(text)["tools"]["comment_ticket"]["params"][1]["examples"] == ["It broke again.", "Any news?"]


def _gold(task):
    return [(c.tool, c.arguments) for c in task.gold_calls]


def test_the_compiler_records_how_preconditions_use_parameters(domains):
    streaming = domains["streaming_subscriptions"].info.tools
    assert streaming["remove_device"].param_uses == {"device_name": ParamUses(keys_of=("account.devices",))}
    assert streaming["register_device"].param_uses == {"device_name": ParamUses(new_key_of=("account.devices",))}
    assert domains["smart_home"].info.tools["set_mode"].uses("member") == ParamUses(keys_of=("home.members",))
    hr = domains["hr_leave"].info.tools
    assert hr["approve_request"].param_uses == {"manager_id": ParamUses(equals=("employee.manager_id",))}
    assert hr["reject_request"].param_uses == {"manager_id": ParamUses(equals=("employee.manager_id",))}


def test_map_keys_bind_to_the_personas_own_entries(domains):
    """`remove_device`'s `device_name` is a key of the account's `devices` map: the persona's own device (one it has
    from the start, or registered earlier in the task), never a made-up word."""
    domain = domains["streaming_subscriptions"]
    env = Environment(domain)
    devices = {r["account_id"]: set(r["devices"] or {}) for r in env.rows("account")}
    env.close()
    sampler = TaskSampler(domain, seed=0)
    removed = []
    try:
        for index in range(300):
            t = sampler.sample(index)
            if t is None:
                continue
            persona = t.user["persona_row"]["key"]
            registered = {a["device_name"] for tool, a in _gold(t) if tool == "register_device"}
            for tool, a in _calls(t):
                if tool == "remove_device":
                    assert a["account_id"] == persona, (t.id, a)
                    assert a["device_name"] in devices[persona] | registered, (t.id, a)
                    removed.append(a["device_name"])
            assert (t.user.get("refusal") or {}).get("error") != "No device with that name", t.id
    finally:
        sampler.close()
    assert removed


def test_household_members_are_members_of_the_home(domains):
    """smart_home's `member` is a key of the home's `members` map: a real member of the device's home (so refusals
    are about roles and states, not "The member does not belong to this home")."""
    domain = domains["smart_home"]
    env = Environment(domain)
    members = {m for r in env.rows("home") for m in r["members"] or {}}
    env.close()
    sampler = TaskSampler(domain, seed=0)
    try:
        tasks = sampler.tasks(40)
    finally:
        sampler.close()
    bound = [(t.id, a["member"]) for t in tasks for _, a in _calls(t) if "member" in a]
    assert len(bound) >= 10
    added = {a["name"] for t in tasks for tool, a in _gold(t) if tool == "add_member"}
    assert all(m in members | added for _, m in bound), bound
    errors = [t.user["refusal"]["error"] for t in tasks if t.user.get("refusal")]
    assert "The member does not belong to this home" not in errors, errors


def test_a_managers_tool_binds_the_persona_as_a_manager_of_the_requests_owner(domains):
    """hr_leave's approve/reject compare `$manager_id` with the request's employee's `manager_id`: the persona is a
    manager deciding a report's request, so these tasks mostly succeed instead of all being refused."""
    domain = domains["hr_leave"]
    env = Environment(domain)
    manager = {r["employee_id"]: r["manager_id"] for r in env.rows("employee")}
    owner = {r["request_id"]: r["employee_id"] for r in env.rows("leave_request")}
    env.close()
    sampler = TaskSampler(domain, seed=0)
    try:
        tasks = sampler.tasks(150)
        again = TaskSampler(domain, seed=0)
        try:
            assert [signature(again.sample(i)) for i in range(20)] == [signature(sampler.sample(i)) for i in range(20)]
        finally:
            again.close()
    finally:
        sampler.close()
    decided, refused = [], []
    for t in tasks:
        persona = t.user["persona_row"]["key"]
        for tool, a in _calls(t):
            if tool in ("approve_request", "reject_request"):
                assert a["manager_id"] == persona, (t.id, a)
                if a["request_id"] in owner:  # not one submitted in this task
                    assert manager[owner[a["request_id"]]] == persona, (t.id, a)
        decided += [tool for tool, _ in _gold(t) if tool in ("approve_request", "reject_request")]
        if t.user.get("refusal") and t.user["refusal"]["call"]["tool"] in ("approve_request", "reject_request"):
            refused.append(t.user["refusal"]["error"])
    assert {"approve_request", "reject_request"} <= set(decided)
    assert len(decided) > len(refused)
    assert "Only the employee's manager can decide" not in refused, refused


def test_an_intent_placeholder_of_a_left_out_optional_argument_takes_its_default(domains):
    # food_delivery's place_order: "order {quantity} x {item_id} ..." with `quantity` defaulting to 1; a gold call
    # that leaves it out used to reach the user's opening as "order {quantity} x m1" (seed 1000, task 2).
    sampler = TaskSampler(domains["food_delivery"], seed=1000)
    try:
        tasks = sampler.tasks(4)
    finally:
        sampler.close()
    orders = [t for t in tasks if any(c.tool == "place_order" and "quantity" not in c.arguments for c in t.gold_calls)]
    assert orders, "no task of this seed orders without a quantity any more: pick another"
    for task in orders:
        for text in (task.user["request"], task.user["instructions"]):
            assert "{quantity}" not in text and "order 1 x " in text, text
