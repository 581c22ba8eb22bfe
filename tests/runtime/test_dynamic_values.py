"""json and union values, grouping, merging and mixed lists (tests/runtime/specs/tickets.env.yaml), end to end:
stored as JSON text, compared and returned as given, narrowed by `type_of()` tests."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ascc.runtime.env import Environment


@pytest.fixture
def env(test_domains):
    with Environment(test_domains["tickets"]) as env:
        yield env


def value(env: Environment, tool: str, **args):
    got = env.call(tool, args)
    return got.value if got.ok else {"error": got.value["error"]["message"]}


def test_union_and_json_fields_come_back_as_seeded(env) -> None:
    assert value(env, "get_ticket", id="a") == {"id": "a", "ref": 7423, "priority": "High",
                                                "data": {"tags": ["x", 1]}, "note": None}
    assert value(env, "get_ticket", id="b") == {"id": "b", "ref": "ticket_001", "priority": 3, "data": {}, "note": 5}


def test_type_of_narrows_both_branches(env) -> None:
    assert value(env, "urgency", id="a") == 9  # the word "High"
    assert value(env, "urgency", id="b") == 7  # the number 3
    assert value(env, "numeric_ref", id="a") == 7424
    assert value(env, "numeric_ref", id="b") == {"error": "ticket b has a text ref"}


def test_any_value_is_stored_compared_and_returned_as_given(env) -> None:
    for v in ([1, "x", {"k": None}], {"n": 1.5, "ok": True}, "text", 0, None):
        got = value(env, "set_data", id="b", value=v)
        assert got == {"data": v, "priority": 3, "same": True}
        assert value(env, "get_ticket", id="b")["data"] == v
    assert value(env, "set_data", id="b", value=1, priority="Low")["priority"] == "Low"
    assert value(env, "urgency", id="b") == 1


def test_a_union_parameter_takes_only_its_members(env) -> None:
    assert value(env, "add", id="c", ref=5)[-1]["ref"] == 5
    assert value(env, "add", id="d", ref="x")[-1]["ref"] == "x"
    assert "expected int | str" in value(env, "add", id="e", ref=1.5)["error"]
    assert "expected int | str" in value(env, "set_data", id="b", value=1, priority=[1])["error"]


def test_rows_hold_json_text_so_digests_see_the_value(env) -> None:
    before = env.digest()
    value(env, "set_data", id="b", value={"a": 1})
    assert env.digest() != before
    assert [r["data"] for r in env.rows("ticket") if r["id"] == "b"] == ['{"a":1}']
    value(env, "set_data", id="b", value={})
    assert env.digest() == before


def test_group_by_merge_and_mixed_lists(env) -> None:
    inbox = value(env, "inbox")
    assert list(inbox) == ["bob", "ann"]  # groups in the order first seen
    assert [m["id"] for m in inbox["bob"]] == ["m1", "m3"]
    assert value(env, "card", id="a") == {"id": "a", "tags": ["x", 1]}
    assert value(env, "card", id="b") == {"id": "b"}
    assert value(env, "mixed", id="a") == [7423, "x", 1, {"tags": ["x", 1]}, {"a": 1, "b": "two"}]


_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
                                 st.sampled_from(["a", "b", "/", "..", "/home", "High", "{}", "[1]"])),
                       lambda inner: st.one_of(st.lists(inner, max_size=3),
                                               st.dictionaries(st.text(max_size=4), inner, max_size=3)),
                       max_leaves=8)


@pytest.mark.parametrize("domain", ["tickets", "filesystem"])
def test_any_arguments_answer_json_and_a_refused_call_changes_nothing(test_domains, domain) -> None:
    meta = test_domains[domain].meta["tools"]
    calls = st.lists(st.tuples(st.sampled_from(sorted(meta)), st.data()), min_size=1, max_size=6)

    @settings(max_examples=150 if os.environ.get("ASCC_SLOW") else 6, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(calls)
    def run(steps):
        with Environment(test_domains[domain]) as env:
            for tool, data in steps:
                args = {p["name"]: data.draw(_VALUES) for p in meta[tool]["params"] if data.draw(st.booleans())}
                before = env.digest()
                got = env.call(tool, args)  # must not raise
                body = json.loads(got.content)
                if not got.ok:
                    assert set(body) == {"error"} and env.digest() == before, (tool, args, got.content)

    run()
