"""`fails_after_effects:`: a call that fails after its effects keeps them and answers with an error result
(`failed_with_changes`); the digest, snapshots, recovery from a broken transaction and the `calls` filter treat
it as the write it is (tests/runtime/specs/vehicle.env.yaml)."""

from __future__ import annotations

import pytest

from ascc.runtime.env import Environment, Limits
from ascc.sim.rollout import CallOutcome
from ascc.sim.verify import _side_problems

FAST = {"car_id": "c1", "speed": 150}


@pytest.fixture
def env(test_domains):
    with Environment(test_domains["vehicle"], Limits(call_seconds=0.3)) as e:
        yield e


def test_the_error_result_keeps_the_effects(env):
    before = env.digest()
    r = env.call("set_cruise_speed", FAST)
    assert not r.ok and r.wrote and r.error_code == "failed_with_changes"
    assert r.value == {"error": {"code": "failed_with_changes", "changes_kept": True,
                                 "message": "Invalid speed 150: stored, but cruise control stays off"}}
    car = env.rows("car")[0]
    assert (car["cruise_speed"], car["cruise_on"], car["changes"]) == (150, False, ["speed 150"])
    assert env.digest() != before and env.digest() == env.full_digest()
    assert env.log[-1].ok is False and env.log[-1].wrote is True


def test_a_precondition_still_changes_nothing(env):
    before = env.digest()
    r = env.call("set_cruise_speed", {"car_id": "c1", "speed": -1})
    assert not r.ok and not r.wrote and r.error_code == "precondition"
    assert env.digest() == before


def test_a_fresh_environment_reaches_the_same_state(test_domains, env):
    calls = [("set_cruise_speed", FAST), ("set_temperature", {"car_id": "c1", "degrees": 19}),
             ("set_cruise_speed", {"car_id": "c2", "speed": 90})]
    for tool, args in calls:
        env.call(tool, args)
    with Environment(test_domains["vehicle"]) as again:
        results = [again.call(tool, args).error_code for tool, args in calls]
        assert again.digest() == env.digest()
    assert results == ["failed_with_changes", None, None]


def test_snapshots_and_recovery_replay_kept_errors(env):
    env.call("set_cruise_speed", FAST)
    snap, state = env.snapshot(), env.state()
    env.call("set_temperature", {"car_id": "c1", "degrees": 30})
    env.restore(snap)
    assert env.state() == state
    env._recover(env.id_counter)  # what a broken transaction (a timeout, a DuckDB error) falls back on
    assert env.state() == state and env.digest() == env.full_digest()


def test_the_calls_filter_counts_a_kept_error_as_a_write(env):
    meta = env.domain.info
    gold = [CallOutcome("set_cruise_speed", FAST, True, None, True)]
    made = [CallOutcome("set_cruise_speed", FAST, False, "failed_with_changes", True)]
    assert _side_problems(meta, made, gold) == []
    refused = [CallOutcome("set_cruise_speed", FAST, False, "precondition", False)]
    assert _side_problems(meta, refused, gold) != []
