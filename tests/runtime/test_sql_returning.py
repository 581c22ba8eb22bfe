"""`sql:` writes: with `RETURNING` the result is the returned rows, without it the count of changed rows; the
tool's `let` values and preconditions run before the statement, and refuse the call before it writes."""

from __future__ import annotations

from ascc.runtime.env import Environment


def test_a_write_with_returning_gives_its_rows(lab_env):
    r = lab_env.call("bump_one", {"account_id": "A001", "by": 2})
    assert r.ok and r.wrote and r.value == [{"account_id": "A001", "visits": 5}]
    assert lab_env.call("bump_all", {"by": 1}).value == 3  # no RETURNING: the count of changed rows
    assert lab_env.rows("account")[0]["visits"] == 6


def test_let_and_requires_refuse_before_the_statement_runs(lab_env):
    before = lab_env.digest()
    for args, message in [({"account_id": "A001", "by": 0}, "Add at least one visit"),
                          ({"account_id": "A002", "by": 1}, "Account A002 is closed")]:
        r = lab_env.call("bump_one", args)
        assert not r.ok and r.value["error"] == {"code": "precondition", "message": message}
        assert not r.wrote
    assert lab_env.digest() == before


def test_returning_writes_are_deterministic(lab, lab_env):
    calls = [("bump_one", {"account_id": "A003", "by": 4}), ("bump_all", {"by": 1})]
    for tool, args in calls:
        assert lab_env.call(tool, args).ok
    with Environment(lab) as again:
        results = [again.call(tool, args).content for tool, args in calls]
        assert again.digest() == lab_env.digest()
    assert results[0] == '[{"account_id": "A003", "visits": 11}]'
