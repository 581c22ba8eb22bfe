"""Every failed call leaves the state exactly as it was; every successful write changes exactly what it says."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from ascc.runtime.env import Environment, Limits

INJECTIONS = [
    "'; DROP TABLE account; --",
    "\" OR 1=1 --",
    "Robert'); DELETE FROM entry WHERE ('1'='1",
    "x' UNION SELECT * FROM account --",
    "$name",
    "?",
    "%s %d {0}",
    "\\x00\\'",
    "\u0000nul",
    "名前 🙂 \u202e",
]


def pending_order(env, gift_card: bool | None = None) -> dict:
    for o in env.rows("order"):
        methods = {p["method_id"] for p in o["payments"]}
        if o["status"] == "pending" and (gift_card is None or ("gift_card" in methods) == gift_card):
            return o
    raise AssertionError("the shop seed has no such pending order")


def assert_refused(env, name, args, code, *, contains: str | None = None):
    before = env.digest()
    r = env.call(name, args)
    assert not r.ok and r.error_code == code, r.content
    assert json.loads(r.content)["error"]["code"] == code
    if contains:
        assert contains in r.content
    assert env.digest() == before
    return r


# ---- shop: refusals change nothing


def test_precondition_refusal(shop_env):
    o = next(o for o in shop_env.rows("order") if o["status"] == "delivered")
    assert_refused(shop_env, "cancel_pending_order", {"order_id": o["order_id"], "reason": "ordered by mistake"},
                   "precondition", contains="Non-pending")


def test_not_found_refusal(shop_env):
    assert_refused(shop_env, "get_order", {"order_id": "#W0000000"}, "precondition", contains="Order not found")


def test_unknown_tool(shop_env):
    assert_refused(shop_env, "drop_everything", {}, "unknown_tool")
    assert_refused(shop_env, None, {}, "unknown_tool")
    assert_refused(shop_env, 42, {}, "unknown_tool")


def test_bad_arguments(shop_env):
    oid = pending_order(shop_env)["order_id"]
    assert_refused(shop_env, "cancel_pending_order", {"order_id": oid}, "invalid_arguments", contains="reason")
    assert_refused(shop_env, "cancel_pending_order", {"order_id": oid, "reason": "bored"}, "invalid_arguments")
    assert_refused(shop_env, "cancel_pending_order", "{not json", "invalid_arguments")


def test_change_quantity_refusals(shop_env):
    o = pending_order(shop_env)
    sku = o["items"][0]["sku"]
    assert_refused(shop_env, "change_item_quantity", {"order_id": o["order_id"], "sku": sku, "quantity": 0},
                   "precondition", contains="at least 1")
    assert_refused(shop_env, "change_item_quantity", {"order_id": o["order_id"], "sku": sku, "quantity": 10 ** 6},
                   "precondition")


def test_refusal_after_earlier_writes_keeps_them(shop_env):
    o = pending_order(shop_env)
    assert shop_env.call("cancel_pending_order", {"order_id": o["order_id"], "reason": "no longer needed"}).ok
    after_write = shop_env.digest()
    assert_refused(shop_env, "cancel_pending_order", {"order_id": o["order_id"], "reason": "no longer needed"},
                   "precondition")
    assert shop_env.digest() == after_write


# ---- shop: writes change exactly the expected fields


def test_cancel_changes_exactly_what_it_says(shop_env):
    o = pending_order(shop_env, gift_card=True)
    before = shop_env.state()
    cust = next(c for c in before["customer"] if c["customer_id"] == o["customer_id"])
    r = shop_env.call("cancel_pending_order", {"order_id": o["order_id"], "reason": "ordered by mistake"})
    assert r.ok and r.wrote, r.content
    after = shop_env.state()
    new = next(x for x in after["order"] if x["order_id"] == o["order_id"])
    assert new["status"] == "cancelled" and new["cancel_reason"] == "ordered by mistake"
    assert new["items"] == o["items"]
    refunds = [{"kind": "refund", "amount": p["amount"], "method_id": p["method_id"]} for p in o["payments"]]
    assert new["payments"] == o["payments"] + refunds
    gift = sum((p["amount"] for p in o["payments"] if p["method_id"] == "gift_card"), Decimal(0))
    assert gift > 0
    new_cust = next(c for c in after["customer"] if c["customer_id"] == o["customer_id"])
    assert new_cust["gift_card_balance"] == cust["gift_card_balance"] + gift
    restocked = {}
    for it in o["items"]:
        restocked[it["sku"]] = restocked.get(it["sku"], 0) + it["quantity"]
    for p_before, p_after in zip(before["product"], after["product"], strict=True):
        assert p_after["stock"] == p_before["stock"] + restocked.get(p_before["sku"], 0)
    # nothing else moved
    assert [x for x in after["order"] if x["order_id"] != o["order_id"]] == \
        [x for x in before["order"] if x["order_id"] != o["order_id"]]
    assert [c for c in after["customer"] if c["customer_id"] != o["customer_id"]] == \
        [c for c in before["customer"] if c["customer_id"] != o["customer_id"]]
    assert r.value["status"] == "cancelled"


def test_change_quantity_charges_gift_card(shop_env):
    o = pending_order(shop_env)
    line = o["items"][0]
    cust = next(c for c in shop_env.rows("customer") if c["customer_id"] == o["customer_id"])
    stock = next(p for p in shop_env.rows("product") if p["sku"] == line["sku"])["stock"]
    new_q = line["quantity"] + 1
    r = shop_env.call("change_item_quantity", {"order_id": o["order_id"], "sku": line["sku"], "quantity": new_q})
    if cust["gift_card_balance"] < line["price"]:
        assert r.error_code == "precondition"
        return
    assert r.ok, r.content
    new = next(x for x in shop_env.rows("order") if x["order_id"] == o["order_id"])
    assert new["items"][0]["quantity"] == new_q
    assert new["payments"][-1] == {"kind": "payment", "amount": line["price"], "method_id": "gift_card"}
    assert next(p for p in shop_env.rows("product") if p["sku"] == line["sku"])["stock"] == stock - 1
    new_cust = next(c for c in shop_env.rows("customer") if c["customer_id"] == o["customer_id"])
    assert new_cust["gift_card_balance"] == cust["gift_card_balance"] - line["price"]


# ---- lab: failures in the middle of effects, DuckDB errors, timeouts


def test_failure_after_writes_is_undone(lab_env):
    before = lab_env.state()
    d0 = lab_env.digest()
    # the target is credited and an entry inserted before the source's overdraft check fails
    r = lab_env.call("transfer", {"source": "A002", "target": "A001", "amount": 50})
    assert r.error_code == "precondition" and "balance >= 0" in r.content
    assert lab_env.digest() == d0 and lab_env.state() == before
    assert lab_env.call("transfer", {"source": "A001", "target": "A002", "amount": 1}).ok


def test_failed_call_does_not_consume_ids(lab, lab_env):
    lab_env.call("transfer", {"source": "A002", "target": "A001", "amount": 50})
    first = lab_env.call("add_entry", {"account_id": "A001", "amount": 1}).value["entry_id"]
    with Environment(lab) as other:
        assert other.call("add_entry", {"account_id": "A001", "amount": 1}).value["entry_id"] == first


def test_key_conflict(lab_env):
    assert_refused(lab_env, "open_account", {"account_id": "A001", "name": "x", "email": "new@x", "tags": {}},
                   "conflict")
    assert_refused(lab_env, "open_account", {"account_id": "A100", "name": "x", "email": "ann@example.com",
                                             "tags": {}}, "conflict", contains="email")
    assert_refused(lab_env, "open_account", {"account_id": "bad", "name": "x", "email": "n@x", "tags": {}},
                   "invalid_arguments", contains="account_id")


def test_duckdb_error_after_raw_sql_write(lab_env):
    assert lab_env.call("bump_all", {"by": 2}).ok
    assert lab_env.call("rename", {"account_id": "A003", "name": "Cy"}).ok
    d = lab_env.digest()
    assert_refused(lab_env, "parse_number", {"text": "not a number"}, "internal")
    assert lab_env.digest() == d
    assert lab_env.rows("account")[2]["visits"] == 9 and lab_env.rows("account")[2]["name"] == "Cy"
    # the environment is still usable afterwards
    assert lab_env.call("parse_number", {"text": "5"}).value == [{"n": 10}]


def test_timeout(lab_env):
    assert lab_env.call("rename", {"account_id": "A001", "name": "Before"}).ok
    d = lab_env.digest()
    r = assert_refused(lab_env, "slow_count", {"n": 1}, "timeout")
    assert r.seconds < 5
    assert lab_env.call("get_account", {"account_id": "A001"}).value["name"] == "Before"
    assert lab_env.digest() == d


def test_timeout_after_raw_write_replays(lab_env):
    assert lab_env.call("bump_all", {"by": 1}).ok
    d = lab_env.digest()
    assert_refused(lab_env, "slow_count", {"n": 1}, "timeout")
    assert lab_env.digest() == d


def test_result_too_large(lab):
    with Environment(lab, Limits(max_result_bytes=200)) as env:
        assert_refused(env, "get_account", {"account_id": "A001"}, "too_large")
        d = env.digest()
        assert_refused(env, "rename", {"account_id": "A001", "name": "y" * 300}, "too_large")
        assert env.digest() == d and env.rows("account")[0]["name"] == "Ann"


def test_huge_arguments(lab_env):
    assert_refused(lab_env, "rename", {"account_id": "A001", "name": "x" * (70 * 1024)}, "too_large")
    assert_refused(lab_env, "rename", json.dumps({"account_id": "A001", "name": "x" * (70 * 1024)}), "too_large")
    assert_refused(lab_env, "set_tags", {"account_id": "A001", "tags": {f"k{i}": "v" * 50 for i in range(2000)}},
                   "too_large")


def test_delete_then_failure_restores_row(lab_env):
    d = lab_env.digest()
    assert lab_env.call("delete_entry", {"entry_id": "E000001"}).ok
    assert lab_env.digest() != d
    assert_refused(lab_env, "delete_entry", {"entry_id": "E000001"}, "precondition")


# ---- injection strings are data


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_are_stored_verbatim(lab_env, text):
    before = lab_env.state()
    r = lab_env.call("rename", {"account_id": "A002", "name": text})
    assert r.ok, r.content
    assert r.value["name"] == text
    after = lab_env.state()
    assert after["entry"] == before["entry"]
    assert after["account"][0] == before["account"][0] and after["account"][2] == before["account"][2]
    assert after["account"][1] == {**before["account"][1], "name": text}
    assert lab_env.call("find_by_name", {"name": text}).value == ["A002"]
    assert lab_env.call("find_by_name", {"name": "Ann"}).value == ["A001"]
    d = lab_env.digest()
    assert_refused(lab_env, "get_account", {"account_id": text}, "precondition")
    assert_refused(lab_env, "parse_number", {"text": text}, "internal")
    assert lab_env.digest() == d


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_in_map_and_list_fields(lab_env, text):
    assert lab_env.call("set_tags", {"account_id": "A003", "tags": {text: text}}).ok
    assert lab_env.call("add_note", {"account_id": "A003", "text": text}).ok
    row = lab_env.rows("account")[2]
    assert row["tags"] == {text: text} and row["notes"][-1]["text"] == text
    assert len(lab_env.rows("account")) == 3 and len(lab_env.rows("entry")) == 2


# ---- reset, snapshot, ids


def test_reset_restores_initial_digest(lab_env):
    d0 = lab_env.digest()
    for args in ({"by": 1},):
        assert lab_env.call("bump_all", args).ok
    assert lab_env.call("transfer", {"source": "A001", "target": "A003", "amount": 7}).ok
    assert lab_env.call("delete_entry", {"entry_id": "E000002"}).ok
    assert lab_env.digest() != d0
    lab_env.reset()
    assert lab_env.digest() == d0 and lab_env.log == []


def test_reset_with_setup(lab_env):
    d0 = lab_env.digest()
    lab_env.reset(setup=[("rename", {"account_id": "A001", "name": "Set"})])
    d1 = lab_env.digest()
    assert d1 != d0 and lab_env.log == []
    assert lab_env.call("rename", {"account_id": "A002", "name": "x"}).ok
    assert_refused(lab_env, "parse_number", {"text": "y"}, "internal")  # recovery replays the setup too
    assert lab_env.rows("account")[0]["name"] == "Set"
    lab_env.reset(setup=[("rename", {"account_id": "A001", "name": "Set"})])
    assert lab_env.digest() == d1
    with pytest.raises(ValueError):
        lab_env.reset(setup=[("rename", {"account_id": "A999", "name": "x"})])


def test_snapshot_restore_round_trip(lab_env):
    assert lab_env.call("add_entry", {"account_id": "A001", "amount": 4}).ok
    snap = lab_env.snapshot()
    d_snap, state_snap = lab_env.digest(), lab_env.state()
    assert lab_env.call("add_entry", {"account_id": "A002", "amount": 5}).ok
    assert lab_env.call("bump_all", {"by": 3}).ok
    lab_env.restore(snap)
    assert lab_env.digest() == d_snap and lab_env.state() == state_snap
    # ids continue from the snapshot's counter: the next id equals the one made after the snapshot
    a = lab_env.call("add_entry", {"account_id": "A002", "amount": 5}).value["entry_id"]
    lab_env.restore(snap)
    assert lab_env.call("add_entry", {"account_id": "A002", "amount": 5}).value["entry_id"] == a


def test_new_id_is_deterministic(lab):
    calls = [("add_entry", {"account_id": "A001", "amount": 1}), ("transfer", {"source": "A001", "target": "A002",
             "amount": 2}), ("add_entry", {"account_id": "A003", "amount": 3, "memo": "m"})]
    runs = []
    for _ in range(2):
        with Environment(lab) as env:
            ids = [env.call(n, a).content for n, a in calls]
            runs.append((ids, env.digest()))
    assert runs[0] == runs[1]
    with Environment(lab) as env:
        env.reset(id_seed=1)
        assert env.call(*calls[0]).content != runs[0][0][0]
