"""Grocery scenarios: cart limits, age checks, placing orders (slots, minimum, coupons, fees), cancellations, item removal, refunds, wallet and points."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("grocery")


def test_add_to_cart(env):
    cart = ok(env, "add_to_cart", {"customer_id": "GC0001", "sku": "SKU0003", "quantity": 2})
    assert cart["SKU0003"] == {"sku": "SKU0003", "name": "Whole milk 2l", "quantity": 5, "price": 2.49}
    cart = ok(env, "add_to_cart", {"customer_id": "GC0002", "sku": "SKU0002"})
    assert cart == {"SKU0002": {"sku": "SKU0002", "name": "Sourdough loaf", "quantity": 1, "price": 4.2}}
    assert row(env, "customer", "GC0002")["cart"]["SKU0002"]["quantity"] == 1


@pytest.mark.parametrize("cust, sku, qty, message", [
    ("GC0001", "SKU0003", 4, "That exceeds the product's per-order limit"),
    ("GC0002", "SKU0004", 1, "Age-restricted products need a verified age"),
    ("GC0002", "SKU0006", 1, "The product is no longer sold"),
    ("GC0002", "SKU0005", 3, "Not enough stock"),
    ("GC0002", "SKU0001", 0, "The quantity must be at least 1"),
    ("GC9999", "SKU0001", 1, "Customer GC9999 not found"),
])
def test_add_to_cart_refusals(env, cust, sku, qty, message):
    refused(env, "add_to_cart", {"customer_id": cust, "sku": sku, "quantity": qty}, message)


def test_remove_from_cart(env):
    assert ok(env, "remove_from_cart", {"customer_id": "GC0003", "sku": "SKU0002"}) == {}
    refused(env, "remove_from_cart", {"customer_id": "GC0003", "sku": "SKU0002"}, "The product is not in the cart")


def test_place_order(env):
    o = ok(env, "place_order", {"customer_id": "GC0001", "slot_id": "SL0001"})
    assert o["subtotal"] == 29.95 and o["delivery_fee"] == 4.99 and o["total"] == 34.94
    assert [(i["sku"], i["quantity"]) for i in o["items"]] == [("SKU0001", 2), ("SKU0003", 3), ("SKU0005", 1)]
    assert o["status"] == "placed" and o["points_earned"] == 29 and o["placed_on"] == "2025-09-15"
    c = row(env, "customer", "GC0001")
    assert c["cart"] == {} and float(c["wallet"]) == 85.06 and c["points"] == 279
    assert row(env, "product", "SKU0005")["stock"] == 1 and row(env, "slot", "SL0001")["booked"] == 4
    refused(env, "place_order", {"customer_id": "GC0001", "slot_id": "SL0001"}, "The cart is empty")


def test_place_order_with_coupon(env):
    o = ok(env, "place_order", {"customer_id": "GC0001", "slot_id": "SL0005", "coupon": "FRESH10",
                                "allow_substitutions": False})
    assert o["discount_pct"] == 10 and o["coupon"] == "FRESH10" and o["allow_substitutions"] is False
    assert o["total"] == 31.94  # 29.95 less 10% plus 4.99 delivery, rounded half-even
    assert row(env, "coupon", "FRESH10")["used_by"] == ["GC0001"]


@pytest.mark.parametrize("cust, slot, coupon, message", [
    ("GC0001", "SL0003", None, "The delivery slot is in the past"),
    ("GC0001", "SL0002", None, "The delivery slot is full"),
    ("GC0003", "SL0001", None, "The minimum order is 20.00"),
    ("GC0002", "SL0001", None, "The cart is empty"),
    ("GC0001", "SL0001", "NOPE", "Unknown coupon code"),
    ("GC0001", "SL0001", "SUMMER20", "The coupon has expired"),
    ("GC0001", "SL0001", "WELCOME5", "The customer has already used this coupon"),
])
def test_place_order_refusals(env, cust, slot, coupon, message):
    refused(env, "place_order", {"customer_id": cust, "slot_id": slot, "coupon": coupon}, message)


def test_place_order_stock_wallet_and_coupon_minimum(env):
    ok(env, "add_to_cart", {"customer_id": "GC0003", "sku": "SKU0005", "quantity": 2})
    ok(env, "add_to_cart", {"customer_id": "GC0003", "sku": "SKU0001", "quantity": 10})
    refused(env, "place_order", {"customer_id": "GC0003", "slot_id": "SL0001"},
            "The wallet balance does not cover the total")
    ok(env, "top_up_wallet", {"customer_id": "GC0003", "amount": 50})
    ok(env, "place_order", {"customer_id": "GC0003", "slot_id": "SL0001"})
    ok(env, "add_to_cart", {"customer_id": "GC0003", "sku": "SKU0002", "quantity": 4})
    ok(env, "add_to_cart", {"customer_id": "GC0003", "sku": "SKU0001", "quantity": 2})
    refused(env, "place_order", {"customer_id": "GC0003", "slot_id": "SL0001", "coupon": "FRESH10"},
            "The subtotal is below the coupon's minimum")
    o = ok(env, "place_order", {"customer_id": "GC0003", "slot_id": "SL0001"})
    assert o["delivery_fee"] == 0  # plus member


def test_out_of_stock_at_checkout(env):
    ok(env, "add_to_cart", {"customer_id": "GC0003", "sku": "SKU0005", "quantity": 2})
    ok(env, "add_to_cart", {"customer_id": "GC0003", "sku": "SKU0001", "quantity": 5})
    ok(env, "place_order", {"customer_id": "GC0003", "slot_id": "SL0005"})
    refused(env, "place_order", {"customer_id": "GC0001", "slot_id": "SL0001"},
            "An item in the cart is out of stock or no longer sold")


def test_cancel_order(env):
    r = ok(env, "cancel_order", {"order_id": "GO000001", "customer_id": "GC0002"})
    assert r == {"order_id": "GO000001", "status": "cancelled", "refunded": 38.28, "wallet": 46.28}
    assert row(env, "customer", "GC0002")["points"] == 7
    assert row(env, "slot", "SL0001")["booked"] == 2 and row(env, "product", "SKU0002")["stock"] == 14
    refused(env, "cancel_order", {"order_id": "GO000001", "customer_id": "GC0002"},
            "Only placed orders that are not yet packed can be cancelled")
    refused(env, "cancel_order", {"order_id": "GO000004", "customer_id": "GC0003"},
            "Only placed orders that are not yet packed can be cancelled")
    refused(env, "cancel_order", {"order_id": "GO000004", "customer_id": "GC0002"},
            "The order belongs to another customer")


def test_change_delivery_slot(env):
    r = ok(env, "change_delivery_slot", {"order_id": "GO000001", "slot_id": "SL0005"})
    assert r == {"order_id": "GO000001", "slot_id": "SL0005", "day": "2025-09-17", "window": "14-16"}
    assert row(env, "slot", "SL0001")["booked"] == 2 and row(env, "slot", "SL0005")["booked"] == 2
    refused(env, "change_delivery_slot", {"order_id": "GO000001", "slot_id": "SL0002"}, "The delivery slot is full")
    refused(env, "change_delivery_slot", {"order_id": "GO000001", "slot_id": "SL0005"},
            "The order is already in that slot")
    refused(env, "change_delivery_slot", {"order_id": "GO000004", "slot_id": "SL0001"},
            "Only placed orders can be moved")


def test_remove_order_item(env):
    r = ok(env, "remove_order_item", {"order_id": "GO000001", "sku": "SKU0002"})
    assert r == {"order_id": "GO000001", "subtotal": 24.89, "total": 29.88, "refunded": 8.4}
    assert [i["sku"] for i in row(env, "order", "GO000001")["items"]] == ["SKU0001", "SKU0003"]
    assert float(row(env, "customer", "GC0002")["wallet"]) == 16.4
    refused(env, "remove_order_item", {"order_id": "GO000001", "sku": "SKU0003"},
            "The order would fall below the 20.00 minimum")
    refused(env, "remove_order_item", {"order_id": "GO000001", "sku": "SKU0002"}, "The product is not in the order")
    refused(env, "remove_order_item", {"order_id": "GO000002", "sku": "SKU0001"},
            "Items can be removed only from placed orders")


def test_refund_item(env):
    r = ok(env, "refund_item", {"order_id": "GO000002", "sku": "SKU0001", "quantity": 2, "reason": "damaged"})
    assert r["refunded"] == 3.58  # 2 x 1.99 less the 10% coupon
    assert r["refunds"] == [{"sku": "SKU0001", "quantity": 2, "amount": 3.58, "reason": "damaged",
                             "on": "2025-09-15"}]
    assert float(row(env, "customer", "GC0002")["wallet"]) == 11.58
    refused(env, "refund_item", {"order_id": "GO000002", "sku": "SKU0001", "quantity": 3, "reason": "missing"},
            "That is more than was ordered")
    refused(env, "refund_item", {"order_id": "GO000003", "sku": "SKU0003", "quantity": 1, "reason": "expired"},
            "Refunds must be requested within 3 days of delivery")
    refused(env, "refund_item", {"order_id": "GO000001", "sku": "SKU0003", "quantity": 1, "reason": "missing"},
            "Only delivered orders can be refunded")


def test_top_up_wallet(env):
    assert ok(env, "top_up_wallet", {"customer_id": "GC0002", "amount": 12}) == {"customer_id": "GC0002",
                                                                                 "wallet": 20.0}
    refused(env, "top_up_wallet", {"customer_id": "GC0002", "amount": 500}, "Top-ups must be between 5.00 and 300.00")


def test_redeem_points(env):
    assert ok(env, "redeem_points", {"customer_id": "GC0001", "points": 200}) == {"customer_id": "GC0001",
                                                                                  "points": 50, "wallet": 122.0}
    refused(env, "redeem_points", {"customer_id": "GC0001", "points": 150}, "Points are redeemed in blocks of 100")
    refused(env, "redeem_points", {"customer_id": "GC0001", "points": 100}, "Not enough points")


def test_change_membership(env):
    r = ok(env, "change_membership", {"customer_id": "GC0001", "membership": "plus"})
    assert r == {"customer_id": "GC0001", "membership": "plus", "wallet": 110.01}
    refused(env, "change_membership", {"customer_id": "GC0001", "membership": "plus"},
            "The customer already has that membership")
    refused(env, "change_membership", {"customer_id": "GC0002", "membership": "plus"},
            "The wallet balance does not cover the 9.99 plus fee")


def test_reads(env):
    assert ok(env, "find_customer", {"email": "MIA@example.com"})["customer_id"] == "GC0001"
    assert ok(env, "get_customer", {"customer_id": "GC0001"})["cart_subtotal"] == 29.95
    assert [p["sku"] for p in ok(env, "search_products", {"query": "wine"})] == ["SKU0004"]
    assert ok(env, "search_products", {"query": "cider"}) == []
    assert "SL0002" not in [s["slot_id"] for s in ok(env, "list_slots", {"day": "2025-09-16"})]
    assert ok(env, "list_slots", {"day": "2025-09-16"})[0] == {"slot_id": "SL0001", "day": "2025-09-16",
                                                              "window": "08-10", "free": 7}
    assert [o["order_id"] for o in ok(env, "list_orders", {"customer_id": "GC0002"})] == ["GO000001", "GO000002"]
    assert len(ok(env, "get_order", {"order_id": "GO000002"})["items"]) == 2
