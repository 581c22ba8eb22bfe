"""Retail scenarios after τ²-bench's retail domain (docs/design/tau2-reference.md §3).

Each test replays calls from the initial state and checks the exact final state of the rows they touch: the
expected rows are built from the initial rows with τ²'s own arithmetic (floats, `round(…, 2)` on gift-card
balances and exchange differences, unrounded item-modification differences), so a test fails on any drift
from τ²'s final state. Refused calls must return τ²'s error text and leave the digest unchanged.

The ids below come from the deterministic seed of specs/retail.env.yaml.
"""

from __future__ import annotations

import copy
import json

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("retail")


def variant(env, item_id):
    return next(p["variants"][item_id] for p in env.rows("product") if item_id in p["variants"])


def payment(kind, amount, method):
    return {"transaction_type": kind, "amount": amount, "payment_method_id": method}


def balance(env, user_id, method):
    return row(env, "user", user_id)["payment_methods"][method]["balance"]


# ---- seed ids (see the module docstring)
GIFT_PAID = "#W0228702"  # pending, paid 655.65 with gift_card_3367306 (balance 95.0); 4 items
GIFT_USER = "willie_roach_1067"
CARD_PAID = "#W0048821"  # pending, two laptops, paid 3852.74 with credit_card_8217998
CARD_USER = "david_nelson_7528"
MIXED = "#W0267397"  # pending, 5 items of 5 products, paid 1080.3 with credit_card_2173031
SMALL = "#W4198248"  # pending, one fleece jacket 172.25 by credit_card_6346258; gift_card_3057060 holds 186.0
DELIVERED = "#W0125692"  # delivered, 5 items, paid with credit_card_4748566; user also has gift_card_8245468
DELIVERED_GIFT = "#W0152507"  # delivered, paid with gift_card_4210879; user also has gift_card_8429922
PROCESSED = "#W0082448"
CANCELLED = "#W0175324"


def test_seed_scale(env):
    products = env.rows("product")
    assert len(products) == 50 and len(env.rows("user")) == 500 and len(env.rows("order")) == 1000
    assert 550 <= sum(len(p["variants"]) for p in products) <= 700
    statuses = {o["status"] for o in env.rows("order")}
    assert {"pending", "processed", "delivered", "cancelled"} <= statuses
    u = row(env, "user", GIFT_USER)
    assert set(u["orders"]) >= {GIFT_PAID} and all(row(env, "order", o)["user_id"] == GIFT_USER for o in u["orders"])
    o = row(env, "order", CANCELLED)
    assert [p["transaction_type"] for p in o["payment_history"]] == ["payment", "refund"] and o["cancel_reason"] is None


def test_identification_reads(env):
    assert ok(env, "find_user_id_by_email", {"email": "Willie.Roach3921@EXAMPLE.com"}) == GIFT_USER
    assert ok(env, "find_user_id_by_name_zip", {"first_name": "willie", "last_name": "ROACH", "zip": "57134"}) == GIFT_USER
    refused(env, "find_user_id_by_name_zip", {"first_name": "Willie", "last_name": "Roach", "zip": "57135"}, "User not found")
    refused(env, "find_user_id_by_email", {"email": "nobody@example.com"}, "User not found")
    assert ok(env, "get_user_details", {"user_id": GIFT_USER}) == row(env, "user", GIFT_USER)
    assert ok(env, "get_order_details", {"order_id": GIFT_PAID}) == row(env, "order", GIFT_PAID)
    refused(env, "get_order_details", {"order_id": "W0228702"}, "Order not found")
    refused(env, "get_user_details", {"user_id": "nobody_1"}, "User not found")
    refused(env, "get_product_details", {"product_id": "4907753172"}, "Product not found")  # an item id
    p = ok(env, "get_product_details", {"product_id": "1502936381"})
    assert p["name"] == "LED Light Bulb" and "4907753172" in p["variants"]
    assert ok(env, "get_item_details", {"item_id": "4907753172"}) == p["variants"]["4907753172"]
    refused(env, "get_item_details", {"item_id": "1502936381"}, "Item not found")  # a product id


def test_list_all_product_types_is_a_sorted_json_text(env):
    text = ok(env, "list_all_product_types", {})
    assert isinstance(text, str)
    expected = {p["name"]: p["product_id"] for p in env.rows("product")}
    assert text == json.dumps(expected, sort_keys=True)
    assert len(json.loads(text)) == 50


def test_calculate_and_transfer(env):
    assert ok(env, "calculate", {"expression": "(2139.02 - 1713.72) * 2"}) == str(round(float((2139.02 - 1713.72) * 2), 2))
    assert ok(env, "calculate", {"expression": "10 / 4"}) == "2.5"
    r = env.call("calculate", {"expression": "import os"})
    assert not r.ok and r.value["error"]["message"] == "Invalid characters in expression"
    assert ok(env, "transfer_to_human_agents", {"summary": "wants a refund to a closed card"}) == "Transfer successful"


# ---- cancel_pending_order
def test_cancel_gift_card_order_refunds_the_gift_card_at_once(env):
    order, gift = copy.deepcopy(row(env, "order", GIFT_PAID)), balance(env, GIFT_USER, "gift_card_3367306")
    ok(env, "find_user_id_by_email", {"email": "willie.roach3921@example.com"})
    ok(env, "get_order_details", {"order_id": GIFT_PAID})
    got = ok(env, "cancel_pending_order", {"order_id": GIFT_PAID, "reason": "no longer needed"})
    order.update(status="cancelled", cancel_reason="no longer needed")
    order["payment_history"].append(payment("refund", 655.65, "gift_card_3367306"))
    assert row(env, "order", GIFT_PAID) == order == got
    assert balance(env, GIFT_USER, "gift_card_3367306") == round(gift + 655.65, 2) == 750.65


def test_cancel_card_order_changes_no_balance(env):
    user = copy.deepcopy(row(env, "user", CARD_USER))
    ok(env, "cancel_pending_order", {"order_id": CARD_PAID, "reason": "ordered by mistake"})
    o = row(env, "order", CARD_PAID)
    assert o["status"] == "cancelled" and o["cancel_reason"] == "ordered by mistake"
    assert o["payment_history"] == [payment("payment", 3852.74, "credit_card_8217998"),
                                    payment("refund", 3852.74, "credit_card_8217998")]
    assert row(env, "user", CARD_USER) == user


def test_cancel_refusals(env):
    refused(env, "cancel_pending_order", {"order_id": "#W0000001", "reason": "no longer needed"}, "Order not found")
    refused(env, "cancel_pending_order", {"order_id": PROCESSED, "reason": "no longer needed"},
            "Non-pending order cannot be cancelled")
    refused(env, "cancel_pending_order", {"order_id": CANCELLED, "reason": "no longer needed"},
            "Non-pending order cannot be cancelled")
    # the status is checked before the reason
    refused(env, "cancel_pending_order", {"order_id": PROCESSED, "reason": "too expensive"},
            "Non-pending order cannot be cancelled")
    refused(env, "cancel_pending_order", {"order_id": GIFT_PAID, "reason": "too expensive"}, "Invalid reason")
    refused(env, "cancel_pending_order", {"order_id": GIFT_PAID, "reason": "No longer needed"}, "Invalid reason")
    # after an item modification the order is "pending (item modified)": no longer cancellable
    ok(env, "modify_pending_order_items", {"order_id": CARD_PAID, "item_ids": ["4553654705"],
                                           "new_item_ids": ["3870064851"], "payment_method_id": "credit_card_8217998"})
    refused(env, "cancel_pending_order", {"order_id": CARD_PAID, "reason": "no longer needed"},
            "Non-pending order cannot be cancelled")


# ---- modify_pending_order_payment
def test_payment_change_from_gift_card_refunds_it_then_cancel_refunds_every_entry(env):
    order = copy.deepcopy(row(env, "order", GIFT_PAID))
    ok(env, "modify_pending_order_payment", {"order_id": GIFT_PAID, "payment_method_id": "credit_card_4710645"})
    order["payment_history"] += [payment("payment", 655.65, "credit_card_4710645"),
                                 payment("refund", 655.65, "gift_card_3367306")]
    assert row(env, "order", GIFT_PAID) == order
    gift = round(95.0 + 655.65, 2)
    assert balance(env, GIFT_USER, "gift_card_3367306") == gift == 750.65
    refused(env, "modify_pending_order_payment", {"order_id": GIFT_PAID, "payment_method_id": "paypal_3530323"},
            "There should be exactly one payment for a pending order")
    # τ² refunds all three entries, whatever their type, and credits the gift card for each gift-card entry
    ok(env, "cancel_pending_order", {"order_id": GIFT_PAID, "reason": "ordered by mistake"})
    order["payment_history"] += [payment("refund", 655.65, "gift_card_3367306"),
                                 payment("refund", 655.65, "credit_card_4710645"),
                                 payment("refund", 655.65, "gift_card_3367306")]
    order.update(status="cancelled", cancel_reason="ordered by mistake")
    assert row(env, "order", GIFT_PAID) == order
    gift = round(gift + 655.65, 2)
    gift = round(gift + 655.65, 2)
    assert balance(env, GIFT_USER, "gift_card_3367306") == gift == 2061.95


def test_payment_change_to_a_gift_card_charges_it(env):
    ok(env, "modify_pending_order_payment", {"order_id": SMALL, "payment_method_id": "gift_card_3057060"})
    assert row(env, "order", SMALL)["payment_history"] == [payment("payment", 172.25, "credit_card_6346258"),
                                                           payment("payment", 172.25, "gift_card_3057060"),
                                                           payment("refund", 172.25, "credit_card_6346258")]
    assert row(env, "order", SMALL)["status"] == "pending"
    assert balance(env, "jennifer_andrews_1707", "gift_card_3057060") == round(186.0 - 172.25, 2) == 13.75


def test_payment_change_refusals(env):
    refused(env, "modify_pending_order_payment", {"order_id": "#W0000001", "payment_method_id": "paypal_1"},
            "Order not found")
    refused(env, "modify_pending_order_payment", {"order_id": DELIVERED, "payment_method_id": "gift_card_8245468"},
            "Non-pending order cannot be modified")
    refused(env, "modify_pending_order_payment", {"order_id": CARD_PAID, "payment_method_id": "gift_card_3367306"},
            "Payment method not found")  # another customer's card
    refused(env, "modify_pending_order_payment", {"order_id": CARD_PAID, "payment_method_id": "credit_card_8217998"},
            "The new payment method should be different from the current one")
    refused(env, "modify_pending_order_payment", {"order_id": CARD_PAID, "payment_method_id": "gift_card_2464729"},
            "Insufficient gift card balance to pay for the order")  # 170.0 < 3852.74
    # an item modification adds a second entry: the payment can no longer change, even for a pending-like order
    ok(env, "modify_pending_order_items", {"order_id": CARD_PAID, "item_ids": ["4553654705"],
                                           "new_item_ids": ["3870064851"], "payment_method_id": "credit_card_5103070"})
    refused(env, "modify_pending_order_payment", {"order_id": CARD_PAID, "payment_method_id": "credit_card_5103070"},
            "There should be exactly one payment for a pending order")


# ---- modify_pending_order_items
def test_modify_one_item_refund_on_gift_card(env):
    order = copy.deepcopy(row(env, "order", GIFT_PAID))
    new = variant(env, "0161554265")
    got = ok(env, "modify_pending_order_items", {"order_id": GIFT_PAID, "item_ids": ["4907753172"],
                                                 "new_item_ids": ["0161554265"],
                                                 "payment_method_id": "gift_card_3367306"})
    diff = 0
    diff += new["price"] - 46.29  # τ² keeps the difference unrounded
    order["payment_history"].append(payment("refund", abs(diff), "gift_card_3367306"))
    order["items"][0].update(item_id="0161554265", price=new["price"], options=new["options"])
    order["status"] = "pending (item modified)"
    assert row(env, "order", GIFT_PAID) == order == got
    assert balance(env, GIFT_USER, "gift_card_3367306") == round(95.0 - diff, 2) == 104.04
    refused(env, "modify_pending_order_items", {"order_id": GIFT_PAID, "item_ids": ["7995034276"],
                                                "new_item_ids": ["0232645175"], "payment_method_id": "gift_card_3367306"},
            "Non-pending order cannot be modified")  # once per order
    ok(env, "modify_pending_order_address", {"order_id": GIFT_PAID, "address1": "1 Elm St", "address2": "",
                                             "city": "Austin", "state": "TX", "country": "USA", "zip": "78701"})


def test_modify_several_items_keeps_the_last_variant_bug(env):
    """τ²'s bug: every changed item gets the price and options of the last pair's new variant."""
    order = copy.deepcopy(row(env, "order", MIXED))
    jacket, dumbbells = variant(env, "0412998773"), variant(env, "0909001477")
    ok(env, "modify_pending_order_items", {"order_id": MIXED, "item_ids": ["2760746371", "6276357421"],
                                           "new_item_ids": ["0412998773", "0909001477"],
                                           "payment_method_id": "credit_card_2173031"})
    diff = 0
    diff += jacket["price"] - 125.99
    diff += dumbbells["price"] - 295.78
    order["payment_history"].append(payment("payment", abs(diff), "credit_card_2173031"))
    order["items"][0].update(item_id="0412998773", price=dumbbells["price"], options=dumbbells["options"])
    order["items"][1].update(item_id="0909001477", price=dumbbells["price"], options=dumbbells["options"])
    order["status"] = "pending (item modified)"
    assert row(env, "order", MIXED) == order
    assert row(env, "order", MIXED)["items"][0]["price"] == 303.01  # not the jacket's 204.57


def test_modify_items_result_depends_on_argument_order(open_env):
    a, b = open_env("retail"), open_env("retail")
    ok(a, "modify_pending_order_items", {"order_id": MIXED, "item_ids": ["2760746371", "6276357421"],
                                         "new_item_ids": ["0412998773", "0909001477"],
                                         "payment_method_id": "credit_card_2173031"})
    ok(b, "modify_pending_order_items", {"order_id": MIXED, "item_ids": ["6276357421", "2760746371"],
                                         "new_item_ids": ["0909001477", "0412998773"],
                                         "payment_method_id": "credit_card_2173031"})
    ia, ib = row(a, "order", MIXED)["items"], row(b, "order", MIXED)["items"]
    assert [i["item_id"] for i in ia] == [i["item_id"] for i in ib]
    assert ia[0]["price"] == ia[1]["price"] == 303.01 and ib[0]["price"] == ib[1]["price"] == 204.57
    assert a.digest() != b.digest()


def test_modify_items_replaces_the_current_first_match(env):
    """Two laptops; the first pair's new id is the second pair's old id: the second pair takes the item the
    first pair just changed (the first current match), as τ²'s loop does."""
    order = copy.deepcopy(row(env, "order", CARD_PAID))
    assert [i["item_id"] for i in order["items"]] == ["4553654705", "0829736498"]
    mid, top = variant(env, "0829736498"), variant(env, "1394449073")
    ok(env, "modify_pending_order_items", {"order_id": CARD_PAID, "item_ids": ["4553654705", "0829736498"],
                                           "new_item_ids": ["0829736498", "1394449073"],
                                           "payment_method_id": "credit_card_5103070"})
    diff = 0
    diff += mid["price"] - 2139.02  # the original first 4553654705
    diff += top["price"] - 1713.72  # the original first 0829736498
    order["items"][0].update(item_id="1394449073", price=top["price"], options=top["options"])
    order["payment_history"].append(payment("payment", abs(diff), "credit_card_5103070"))
    order["status"] = "pending (item modified)"
    assert row(env, "order", CARD_PAID) == order
    assert row(env, "order", CARD_PAID)["items"][1] == order["items"][1]  # the second laptop is untouched


def test_modify_items_with_empty_lists_records_a_zero_refund(env):
    order = copy.deepcopy(row(env, "order", SMALL))
    ok(env, "modify_pending_order_items", {"order_id": SMALL, "item_ids": [], "new_item_ids": [],
                                           "payment_method_id": "credit_card_1339416"})
    order["payment_history"].append(payment("refund", 0.0, "credit_card_1339416"))
    order["status"] = "pending (item modified)"
    assert row(env, "order", SMALL) == order


def test_modify_items_refusals(env):
    base = {"order_id": GIFT_PAID, "payment_method_id": "gift_card_3367306"}
    refused(env, "modify_pending_order_items", {**base, "order_id": "#W0000001", "item_ids": [], "new_item_ids": []},
            "Order not found")
    refused(env, "modify_pending_order_items", {**base, "order_id": PROCESSED, "item_ids": ["3462704603"],
                                                "new_item_ids": ["0326954117"]}, "Non-pending order cannot be modified")
    refused(env, "modify_pending_order_items", {**base, "item_ids": ["4907753172", "4907753172"],
                                                "new_item_ids": ["0161554265", "1114525799"]}, "4907753172 not found")
    refused(env, "modify_pending_order_items", {**base, "item_ids": ["1111111111"], "new_item_ids": ["0161554265"]},
            "1111111111 not found")
    refused(env, "modify_pending_order_items", {**base, "item_ids": ["4907753172"], "new_item_ids": []},
            "The number of items to be exchanged should match")
    refused(env, "modify_pending_order_items", {**base, "item_ids": ["4907753172"], "new_item_ids": ["4907753172"]},
            "The new item id should be different from the old item id")
    refused(env, "modify_pending_order_items", {**base, "item_ids": ["4907753172"], "new_item_ids": ["0232645175"]},
            "Variant not found")  # a wall clock for a light bulb
    refused(env, "modify_pending_order_items", {**base, "item_ids": ["4907753172"], "new_item_ids": ["0389313664"]},
            "New item 0389313664 not found or available")
    # pairs are checked in order: the first failing pair's first failing check is reported
    refused(env, "modify_pending_order_items", {**base, "item_ids": ["4907753172", "7995034276"],
                                                "new_item_ids": ["0389313664", "7995034276"]},
            "New item 0389313664 not found or available")
    refused(env, "modify_pending_order_items", {**base, "item_ids": ["4907753172"], "new_item_ids": ["0161554265"],
                                                "payment_method_id": "gift_card_2464729"}, "Payment method not found")
    # 95.0 on the gift card; the wall clock costs 146.13 more
    refused(env, "modify_pending_order_items", {**base, "item_ids": ["7995034276"], "new_item_ids": ["0234873193"]},
            "Insufficient gift card balance to pay for the new item")


# ---- modify_pending_order_address / modify_user_address
def test_address_changes(env):
    new = {"address1": "77 Harbor Rd", "address2": "Apt 4", "city": "Portland", "state": "ME", "country": "USA",
           "zip": "04101"}
    order, user = copy.deepcopy(row(env, "order", SMALL)), copy.deepcopy(row(env, "user", GIFT_USER))
    ok(env, "modify_pending_order_address", {"order_id": SMALL, **new})
    order["address"] = new
    assert row(env, "order", SMALL) == order
    got = ok(env, "modify_user_address", {"user_id": GIFT_USER, **new})
    user["address"] = new
    assert row(env, "user", GIFT_USER) == user == got
    assert row(env, "order", GIFT_PAID)["address"] != new  # orders keep their own address
    refused(env, "modify_pending_order_address", {"order_id": DELIVERED, **new}, "Non-pending order cannot be modified")
    refused(env, "modify_pending_order_address", {"order_id": "#W0000001", **new}, "Order not found")
    refused(env, "modify_user_address", {"user_id": "nobody_1", **new}, "User not found")


# ---- return_delivered_order_items
def test_return_to_another_gift_card(env):
    order = copy.deepcopy(row(env, "order", DELIVERED_GIFT))
    user = copy.deepcopy(row(env, "user", "greg_reed_5045"))
    ok(env, "return_delivered_order_items", {"order_id": DELIVERED_GIFT, "item_ids": ["4750854365", "1172994049"],
                                             "payment_method_id": "gift_card_8429922"})
    order.update(status="return requested", return_items=["1172994049", "4750854365"],
                 return_payment_method_id="gift_card_8429922")
    assert row(env, "order", DELIVERED_GIFT) == order
    assert row(env, "user", "greg_reed_5045") == user  # no refund until the items are back


def test_return_refusals(env):
    base = {"order_id": DELIVERED, "item_ids": ["5275794138"], "payment_method_id": "credit_card_4748566"}
    refused(env, "return_delivered_order_items", {**base, "order_id": "#W0000001"}, "Order not found")
    refused(env, "return_delivered_order_items", {**base, "order_id": GIFT_PAID}, "Non-delivered order cannot be returned")
    refused(env, "return_delivered_order_items", {**base, "payment_method_id": "paypal_3530323"}, "Payment method not found")
    refused(env, "return_delivered_order_items", {**base, "payment_method_id": "credit_card_1395340"},
            "Payment method should be the original payment method")
    refused(env, "return_delivered_order_items", {**base, "item_ids": ["5275794138", "5275794138"]}, "Some item not found")
    ok(env, "return_delivered_order_items", {**base, "item_ids": ["9821101612", "5275794138"]})
    o = row(env, "order", DELIVERED)
    assert (o["status"], o["return_items"], o["return_payment_method_id"]) == (
        "return requested", ["5275794138", "9821101612"], "credit_card_4748566")
    refused(env, "return_delivered_order_items", base, "Non-delivered order cannot be returned")
    refused(env, "exchange_delivered_order_items", {**base, "new_item_ids": ["0342482994"]},
            "Non-delivered order cannot be exchanged")


# ---- exchange_delivered_order_items
def test_exchange_gold_replay(env):
    """Like τ²'s task 0: identify the user, read the order and products, then exchange two items."""
    order = copy.deepcopy(row(env, "order", DELIVERED))
    user = copy.deepcopy(row(env, "user", "ashley_thompson_1516"))
    z = user["address"]["zip"]
    assert ok(env, "find_user_id_by_name_zip", {"first_name": user["name"]["first_name"],
                                                "last_name": user["name"]["last_name"], "zip": z}) == user["user_id"]
    ok(env, "get_order_details", {"order_id": DELIVERED})
    ok(env, "get_product_details", {"product_id": "5844821362"})
    ok(env, "get_product_details", {"product_id": "0018381513"})
    ok(env, "exchange_delivered_order_items", {"order_id": DELIVERED, "item_ids": ["9821101612", "9419790875"],
                                               "new_item_ids": ["2079087514", "0934157271"],
                                               "payment_method_id": "credit_card_4748566"})
    diff = 0
    diff += variant(env, "2079087514")["price"] - 56.75
    diff += variant(env, "0934157271")["price"] - 171.96
    order.update(status="exchange requested", exchange_items=["9419790875", "9821101612"],
                 exchange_new_items=["0934157271", "2079087514"], exchange_payment_method_id="credit_card_4748566",
                 exchange_price_difference=round(diff, 2))
    assert row(env, "order", DELIVERED) == order
    assert order["exchange_price_difference"] == 33.94
    assert row(env, "user", "ashley_thompson_1516") == user  # nothing is charged yet


def test_exchange_for_the_same_item_and_empty_lists(open_env):
    env = open_env("retail")
    # the notebook 5275794138 is no longer sold: it cannot be exchanged for itself, the hiking boots can
    refused(env, "exchange_delivered_order_items", {"order_id": DELIVERED, "item_ids": ["5275794138"],
                                                    "new_item_ids": ["5275794138"], "payment_method_id": "gift_card_8245468"},
            "New item 5275794138 not found or available")
    ok(env, "exchange_delivered_order_items", {"order_id": DELIVERED, "item_ids": ["4508251569"],
                                               "new_item_ids": ["4508251569"], "payment_method_id": "gift_card_8245468"})
    o = row(env, "order", DELIVERED)
    assert (o["status"], o["exchange_items"], o["exchange_new_items"], o["exchange_price_difference"]) == (
        "exchange requested", ["4508251569"], ["4508251569"], 0.0)
    other = open_env("retail")
    ok(other, "exchange_delivered_order_items", {"order_id": DELIVERED_GIFT, "item_ids": [], "new_item_ids": [],
                                                 "payment_method_id": "credit_card_0612983"})
    o = row(other, "order", DELIVERED_GIFT)
    assert (o["status"], o["exchange_items"], o["exchange_new_items"], o["exchange_price_difference"]) == (
        "exchange requested", [], [], 0)


def test_exchange_refusals(env):
    base = {"order_id": DELIVERED_GIFT, "payment_method_id": "gift_card_4210879"}
    refused(env, "exchange_delivered_order_items", {**base, "order_id": "#W0000001", "item_ids": [], "new_item_ids": []},
            "Order not found")
    refused(env, "exchange_delivered_order_items", {**base, "order_id": PROCESSED, "item_ids": [], "new_item_ids": []},
            "Non-delivered order cannot be exchanged")
    refused(env, "exchange_delivered_order_items", {**base, "item_ids": ["3408737514", "3408737514"],
                                                    "new_item_ids": ["0983990098", "0985902767"]},
            "Number of 3408737514 not found.")
    refused(env, "exchange_delivered_order_items", {**base, "item_ids": ["3408737514"], "new_item_ids": []},
            "The number of items to be exchanged should match.")
    refused(env, "exchange_delivered_order_items", {**base, "item_ids": ["3408737514"], "new_item_ids": ["0859392877"]},
            "Variant not found")
    refused(env, "exchange_delivered_order_items", {**base, "item_ids": ["3408737514"], "new_item_ids": ["2283240125"]},
            "New item 2283240125 not found or available")
    refused(env, "exchange_delivered_order_items", {**base, "item_ids": ["3408737514"], "new_item_ids": ["0983990098"],
                                                    "payment_method_id": "gift_card_8245468"}, "Payment method not found")
    # 97.0 on the gift card; the camera costs 142.16 more
    refused(env, "exchange_delivered_order_items", {**base, "item_ids": ["3408737514"], "new_item_ids": ["0983990098"]},
            "Insufficient gift card balance to pay for the price difference")
    # a cheaper item can be settled on the same card (a refund needs no balance)
    ok(env, "exchange_delivered_order_items", {**base, "item_ids": ["2047802796"], "new_item_ids": ["0924893220"]})
    o = row(env, "order", DELIVERED_GIFT)
    assert o["exchange_price_difference"] == round(0 + (96.86 - 235.66), 2) == -138.8
    assert balance(env, "greg_reed_5045", "gift_card_4210879") == 97.0
    refused(env, "exchange_delivered_order_items", {**base, "item_ids": ["2047802796"], "new_item_ids": ["0924893220"]},
            "Non-delivered order cannot be exchanged")  # once per order
