"""Food-delivery scenarios: ordering from a menu map, adding items, cancellation refunds, promo codes, tips, missing items, ratings."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("food_delivery")


def test_place_order(env):
    o = ok(env, "place_order", {"customer_id": "FD0001", "restaurant_id": "R-PIZZA", "item_id": "m1", "quantity": 2})
    assert o["status"] == "placed" and o["items"] == [{"item_id": "m1", "name": "Margherita", "quantity": 2,
                                                       "price": 12.0, "refunded": False}]
    assert row(env, "customer", "FD0001")["wallet"] == 73.5


@pytest.mark.parametrize("customer, restaurant, item, qty, message", [
    ("FD0001", "R-SUSHI", "s1", 1, "The restaurant is closed"),
    ("FD0001", "R-PIZZA", "m2", 1, "That item is not available right now"),
    ("FD0001", "R-PIZZA", "zz", 1, "The restaurant has no such menu item"),
    ("FD0001", "R-PIZZA", "m3", 2, "The subtotal is below the restaurant's minimum order"),
    ("FD0002", "R-PIZZA", "m1", 1, "The wallet balance is too low"),
    ("FD0001", "R-PIZZA", "m1", 0, "Quantity must be between 1 and 20"),
])
def test_place_order_refusals(env, customer, restaurant, item, qty, message):
    refused(env, "place_order", {"customer_id": customer, "restaurant_id": restaurant, "item_id": item,
                                 "quantity": qty}, message)


def test_add_item(env):
    o = ok(env, "add_item", {"order_id": "FO0000001", "item_id": "m3", "quantity": 1})
    assert [i["item_id"] for i in o["items"]] == ["m1", "m3"] and row(env, "customer", "FD0001")["wallet"] == 96
    refused(env, "add_item", {"order_id": "FO0000001", "item_id": "m3"}, "The item is already in the order")
    refused(env, "add_item", {"order_id": "FO0000002", "item_id": "m3"},
            "Items can be added only while the order is placed")


def test_cancel_order(env):
    assert ok(env, "cancel_order", {"order_id": "FO0000001"})["refunded"] == 26.5
    assert ok(env, "cancel_order", {"order_id": "FO0000002"})["refunded"] == 7.25
    assert row(env, "customer", "FD0001")["wallet"] == 133.75
    refused(env, "cancel_order", {"order_id": "FO0000003"}, "The order can no longer be cancelled")


def test_apply_promo(env):
    refused(env, "apply_promo", {"order_id": "FO0000001", "code": "old20"}, "The promo code has expired")
    r = ok(env, "apply_promo", {"order_id": "FO0000001", "code": "save10"})
    assert r == {"order_id": "FO0000001", "promo": "SAVE10", "discount": 2.4}
    assert row(env, "promo", "SAVE10")["used_by"] == ["FD0001"] and float(row(env, "customer", "FD0001")["wallet"]) == 102.4
    refused(env, "apply_promo", {"order_id": "FO0000001", "code": "SAVE10"}, "The order already has a promo code")
    o = ok(env, "place_order", {"customer_id": "FD0001", "restaurant_id": "R-PIZZA", "item_id": "m1", "quantity": 2})
    refused(env, "apply_promo", {"order_id": o["order_id"], "code": "SAVE10"}, "The customer has already used this code")


def test_apply_promo_minimum(env):
    o = ok(env, "place_order", {"customer_id": "FD0001", "restaurant_id": "R-PIZZA", "item_id": "m1", "quantity": 1})
    refused(env, "apply_promo", {"order_id": o["order_id"], "code": "SAVE10"}, "The subtotal is below the code's minimum")


def test_add_tip(env):
    assert ok(env, "add_tip", {"order_id": "FO0000003", "amount": 2})["tip"] == 2
    assert row(env, "customer", "FD0002")["wallet"] == 1
    refused(env, "add_tip", {"order_id": "FO0000003", "amount": 2}, "The wallet balance is too low")
    refused(env, "add_tip", {"order_id": "FO0000001", "amount": 80}, "A tip is between 0.50 and 50")


def test_report_missing_item(env):
    assert ok(env, "report_missing_item", {"order_id": "FO0000003", "item_id": "m3"})["refunded"] == 8
    assert row(env, "food_order", "FO0000003")["items"][1]["refunded"] is True
    assert row(env, "customer", "FD0002")["wallet"] == 11
    refused(env, "report_missing_item", {"order_id": "FO0000003", "item_id": "m3"}, "That item was already refunded")
    refused(env, "report_missing_item", {"order_id": "FO0000004", "item_id": "m3"},
            "Missing items must be reported within 2 days of delivery")
    refused(env, "report_missing_item", {"order_id": "FO0000001", "item_id": "m1"},
            "Only delivered orders can have missing items")


def test_rate_order(env):
    assert ok(env, "rate_order", {"order_id": "FO0000003", "stars": 5}) == {"order_id": "FO0000003", "rating": 5}
    refused(env, "rate_order", {"order_id": "FO0000004", "stars": 3}, "The order was already rated")
    refused(env, "rate_order", {"order_id": "FO0000001", "stars": 3}, "Only delivered orders can be rated")
    refused(env, "rate_order", {"order_id": "FO0000003", "stars": 6}, "Ratings are 1 to 5 stars")


def test_reads(env):
    assert ok(env, "find_customer", {"phone": "5550102"}) == "FD0002"
    assert ok(env, "get_restaurant", {"restaurant_id": "R-PIZZA"})["menu"]["m2"]["available"] is False
    assert "R-PIZZA" in [r["restaurant_id"] for r in ok(env, "search_restaurants", {"cuisine": "pizza"})]
    assert ok(env, "get_order", {"order_id": "FO0000003"})["subtotal"] == 20
    assert [o["order_id"] for o in ok(env, "list_orders", {"customer_id": "FD0002"})] == ["FO0000004", "FO0000003"]
