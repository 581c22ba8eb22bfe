"""`ascc report`: the shape measures on hand-made retail tasks (real runtime, real replays)."""

from __future__ import annotations

import pytest

from ascc.runtime.tasks import InitialState, Task, ToolCall
from ascc.sim.shape import measure

FIND = ToolCall("find_user_id_by_name_zip", {"first_name": "Alexa", "last_name": "Young", "zip": "33559"})
CANCEL = ToolCall("cancel_pending_order", {"order_id": "#W1106421", "reason": "no longer needed"})
LOOK = ToolCall("get_order_details", {"order_id": "#W1106421"})


def _task(calls, request="Hi! I want to cancel order #W1106421.", **user) -> Task:
    return Task(id="t", domain="retail", kind="write", gold_calls=list(calls), initial_state=InitialState(),
                user={"request": request, **user})


@pytest.fixture(scope="module")
def retail(domains):
    if "retail" not in domains:
        pytest.skip("retail did not compile")
    return {"retail": domains["retail"]}


def test_a_write_is_identified_only_after_a_lookup_of_its_target(retail):
    blind = measure([_task([FIND, CANCEL])], retail)
    careful = measure([_task([FIND, LOOK, CANCEL])], retail)
    assert (blind.total_writes, blind.identified_writes) == (1, 0)
    assert (careful.total_writes, careful.identified_writes) == (1, 1)
    assert careful.to_json()["gold_calls"]["per_task"]["3"] == 1


def test_an_opening_citing_an_id_that_does_not_exist_yet_is_counted(retail):
    ghost = ToolCall("get_order_details", {"order_id": "#W0000000"})
    shape = measure([_task([FIND, ghost], request="Hi! What about order #W0000000?"), _task([FIND, LOOK, CANCEL])],
                    retail)
    assert shape.unknown_id_openings == 1 and shape.examples == ["t: #W0000000"]


def test_refusals_by_kind_and_user_turns(retail):
    refused = _task([FIND], refusal={"call": {"tool": "cancel_pending_order", "arguments": CANCEL.arguments}})
    traces = [{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "?"},
                            {"role": "user", "content": "Yes please."}, {"role": "user", "content": "Yes please."},
                            {"role": "user", "content": "My email is a@b.c."}]}]
    shape = measure([refused], retail, traces)
    out = shape.to_json()
    assert out["refusals"] == {"tool precondition": 1}
    assert out["user_turns"] == {"later_turns": 3, "distinct": 2, "top3_share": 1.0}
    assert out["policy_decided"]["tasks"] == 0


@pytest.fixture(scope="module")
def retail_tasks(retail):
    from ascc.sim.synth import TaskSampler

    sampler = TaskSampler(retail["retail"], seed=0)
    try:
        return sampler.tasks(40)
    finally:
        sampler.close()


def test_synthesised_retail_errands_look_before_they_write(retail, retail_tasks):
    tasks = retail_tasks
    shape = measure(tasks, retail)
    assert shape.total_writes >= 20
    assert shape.identified_writes == shape.total_writes  # the profile, then each order read before its write
    assert shape.unknown_id_openings == 0
    assert shape.total_calls / shape.tasks >= 3.5
    assert any(w >= 2 for w, n in shape.writes.items() if n)  # several writes in one errand


def test_a_write_errand_may_end_with_the_user_checking_the_change(retail, retail_tasks):
    """A write errand may end with the user asking to see the changed row (a goal read of the last write's target,
    asked for in the opening)."""
    from ascc.sim.scenario import CHECK

    domain, tasks = retail["retail"], retail_tasks
    kinds = {n: t["kind"] for n, t in domain.meta["tools"].items()}
    checked = [t for t in tasks if t.kind == "write" and len(t.gold_calls) >= 2
               and kinds[t.gold_calls[-2].tool] == "write" and kinds[t.gold_calls[-1].tool] == "read"
               and t.user["plan"][-1]["goal"]]
    assert checked
    for t in checked:
        write, read = t.gold_calls[-2], t.gold_calls[-1]
        assert set(read.arguments.values()) <= set(write.arguments.values()) | {t.user["persona_row"]["key"]}
        assert any(c.split("{x}")[0] in t.user["request"] for c in CHECK), t.user["request"]



def test_a_policy_decided_request_may_follow_a_question(domains):
    from ascc.sim.synth import TaskSampler

    sampler = TaskSampler(domains["airline"], seed=0)
    try:
        tasks = [t for t in (sampler.sample(i) for i in range(16)) if t is not None]
    finally:
        sampler.close()
    policy = [t for t in tasks if t.user.get("policy")]
    asked_first = [t for t in policy if any(p["goal"] for p in t.user["plan"])]
    assert asked_first and len(asked_first) < len(policy)
    for t in asked_first:
        assert t.user["request"].index("?") < t.user["request"].rindex(".")  # the question, then the request


def test_a_task_is_the_same_whatever_the_sampler_made_before(domains):
    """`sample(i)` is a function of (domain, seed, i): the sampler's caches (reads and rows of the initial state,
    a walk that wrote nothing left without a reset) never leak one walk into another."""
    from ascc.sim.synth import TaskSampler

    domain = domains["airline"]
    warm = TaskSampler(domain, seed=0)
    try:
        made = {i: warm.sample(i) for i in range(15)}
    finally:
        warm.close()
    for i in (3, 14):  # both differed while policy walks kept the live-row caches of the walk before them
        cold = TaskSampler(domain, seed=0)
        try:
            assert cold.sample(i).to_json() == made[i].to_json(), i
        finally:
            cold.close()
