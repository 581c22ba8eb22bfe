"""Ride-hailing scenarios: one open ride, fares, cancellation fees, promos, tips, ratings, refunds, payment methods."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("ride_hailing")


def free_rider(env):
    """A generated active rider with no open ride, found from the initial state."""
    busy = {r["rider_id"] for r in env.rows("ride") if r["status"] in ("requested", "accepted", "in_progress")}
    return next(r for r in env.rows("rider") if r["status"] == "active" and r["rider_id"] not in busy
                and r["payment_methods"])


def test_request_ride(env):
    rider = free_rider(env)
    key = next(iter(rider["payment_methods"]))
    r = ok(env, "request_ride", {"rider_id": rider["rider_id"], "pickup": "A", "dropoff": "B", "km": 10,
                                 "payment_method": key})
    assert r["fare"] == 14.5 and r["status"] == "requested" and r["day"] == "2025-09-12"
    refused(env, "request_ride", {"rider_id": rider["rider_id"], "pickup": "A", "dropoff": "C", "km": 2,
                                  "payment_method": key}, "The rider already has an open ride")


@pytest.mark.parametrize("args, message", [
    ({"rider_id": "RD0003", "km": 5, "payment_method": "card"}, "The rider is suspended"),
    ({"rider_id": "RD0002", "km": 0.2, "payment_method": "card"}, "Trips are 0.5 to 100 km"),
    ({"rider_id": "RD0002", "km": 5, "payment_method": "cash"}, "Unknown payment method"),
    ({"rider_id": "RD0002", "km": 5, "payment_method": "card"}, "The rider already has an open ride"),
])
def test_request_ride_refusals(env, args, message):
    refused(env, "request_ride", {"pickup": "A", "dropoff": "B", **args}, message)


def test_cancel_ride(env):
    assert ok(env, "cancel_ride", {"rider_id": "RD0001", "ride_id": "RI0000001"}) == {
        "ride_id": "RI0000001", "status": "cancelled", "fee": 5}
    assert row(env, "driver", "DR0001")["status"] == "available"
    assert ok(env, "cancel_ride", {"rider_id": "RD0002", "ride_id": "RI0000004"})["fee"] == 0
    refused(env, "cancel_ride", {"rider_id": "RD0002", "ride_id": "RI0000005"}, "A ride in progress cannot be cancelled")
    refused(env, "cancel_ride", {"rider_id": "RD0001", "ride_id": "RI0000002"}, "The ride is already over")
    refused(env, "cancel_ride", {"rider_id": "RD0002", "ride_id": "RI0000002"}, "The ride belongs to another rider")


def test_promo_and_destination(env):
    r = ok(env, "apply_promo", {"rider_id": "RD0002", "ride_id": "RI0000004", "code": "save20"})
    assert r == {"ride_id": "RI0000004", "fare": 4.88, "promo": "SAVE20"}
    assert row(env, "promo", "SAVE20")["uses_left"] == 4
    refused(env, "apply_promo", {"rider_id": "RD0002", "ride_id": "RI0000004", "code": "SAVE20"},
            "The ride already has a promo code")
    d = ok(env, "change_destination", {"rider_id": "RD0002", "ride_id": "RI0000004", "dropoff": "Zoo", "km": 10})
    assert d["dropoff"] == "Zoo" and d["fare"] == 11.6
    refused(env, "change_destination", {"rider_id": "RD0002", "ride_id": "RI0000005", "dropoff": "Zoo", "km": 10},
            "The destination changes only before the trip starts")


@pytest.mark.parametrize("code, ride, message", [
    ("OLD10", "RI0000004", "The promo code has expired"),
    ("GONE50", "RI0000004", "The promo code is used up"),
    ("NOPE", "RI0000004", "Unknown promo code"),
    ("SAVE20", "RI0000005", "Promo codes apply only to requested rides"),
])
def test_promo_refusals(env, code, ride, message):
    refused(env, "apply_promo", {"rider_id": "RD0002", "ride_id": ride, "code": code}, message)


def test_tip_and_rate(env):
    assert ok(env, "add_tip", {"rider_id": "RD0001", "ride_id": "RI0000002", "amount": 3})["tip"] == 3
    refused(env, "add_tip", {"rider_id": "RD0001", "ride_id": "RI0000002", "amount": 3}, "The ride was already tipped")
    refused(env, "add_tip", {"rider_id": "RD0001", "ride_id": "RI0000003", "amount": 3},
            "Tips are for rides of the last 7 days")
    refused(env, "add_tip", {"rider_id": "RD0001", "ride_id": "RI0000002", "amount": 60},
            "A tip is between 0.01 and 50.00")
    r = ok(env, "rate_ride", {"rider_id": "RD0001", "ride_id": "RI0000002", "stars": 2, "comment": "rude"})
    assert r["rating"] == 2 and row(env, "ride", "RI0000002")["reports"] == ["rating comment: rude"]
    refused(env, "rate_ride", {"rider_id": "RD0001", "ride_id": "RI0000002", "stars": 5}, "The ride was already rated")
    refused(env, "rate_ride", {"rider_id": "RD0001", "ride_id": "RI0000001", "stars": 5},
            "Only completed rides can be rated")


def test_refund_and_lost_items(env):
    r = ok(env, "request_refund", {"rider_id": "RD0001", "ride_id": "RI0000002", "amount": 4, "reason": "wrong route"})
    assert r == {"ride_id": "RI0000002", "refunded": 4, "wallet": 7}
    refused(env, "request_refund", {"rider_id": "RD0001", "ride_id": "RI0000002", "amount": 1, "reason": "overcharged"},
            "The ride was already refunded")
    refused(env, "request_refund", {"rider_id": "RD0001", "ride_id": "RI0000003", "amount": 1, "reason": "overcharged"},
            "Refunds are for rides of the last 30 days")
    for item in ("umbrella", "scarf", "keys"):
        ok(env, "report_lost_item", {"rider_id": "RD0001", "ride_id": "RI0000002", "item": item})
    assert row(env, "ride", "RI0000002")["reports"][-1] == "lost item: keys"
    refused(env, "report_lost_item", {"rider_id": "RD0001", "ride_id": "RI0000002", "item": "hat"},
            "At most 3 lost-item reports per ride")


def test_payment_methods(env):
    pm = ok(env, "add_payment_method", {"rider_id": "RD0002", "key": "work", "kind": "paypal", "label": "vik@pp"})
    assert pm["work"] == {"kind": "paypal", "label": "vik@pp"}
    refused(env, "add_payment_method", {"rider_id": "RD0002", "key": "work", "kind": "card", "label": "x"},
            "A payment method with that key exists")
    refused(env, "remove_payment_method", {"rider_id": "RD0002", "key": "card"}, "An open ride uses this payment method")
    assert ok(env, "remove_payment_method", {"rider_id": "RD0002", "key": "work"}) == {
        "card": {"kind": "card", "label": "Amex 1005"}}
    refused(env, "remove_payment_method", {"rider_id": "RD0003", "key": "card"},
            "A rider keeps at least one payment method")
