"""`Environment.row`, `keys` and `field_values`: the lookups the simulator makes instead of its own SQL on the
environment's connection, against the same rows `Environment.rows` reads."""

from __future__ import annotations

from ascc.runtime.env import Environment


def test_row_keys_and_field_values_agree_with_rows(shop):
    with Environment(shop) as env:
        orders = env.rows("order")
        first = orders[0]
        assert env.row("order", first["order_id"]) == first
        assert env.row("order", "#W0000000-none") is None
        assert env.keys("order") == [o["order_id"] for o in orders]
        assert env.field_values("order", "customer_id") == [(o["customer_id"], o["order_id"]) for o in orders]
        some = sorted({o["customer_id"] for o in orders})[:2]
        assert env.keys("order", "customer_id", some) == [o["order_id"] for o in orders if o["customer_id"] in some]
        assert env.keys("order", "customer_id", []) == []


def test_lookups_see_the_episodes_writes(shop):
    with Environment(shop) as env:
        pending = next(o for o in env.rows("order") if o["status"] == "pending")
        assert env.call("cancel_pending_order", {"order_id": pending["order_id"], "reason": "no longer needed"}).ok
        assert env.row("order", pending["order_id"])["status"] == "cancelled"
        env.reset()
        assert env.row("order", pending["order_id"])["status"] == "pending"
