"""Banking scenarios: ownership, overdraft and daily limits, payees, scheduled payments, freezes, cards, disputes."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("banking")


def test_transfer_funds(env):
    r = ok(env, "transfer_funds", {"customer_id": "CU0001", "from_account": "AC000001", "to_account": "AC000002",
                                   "amount": 500})
    assert r["from_balance"] == 700 and r["to_balance"] == 5500
    src = row(env, "account", "AC000001")["transactions"][-1]
    dst = row(env, "account", "AC000002")["transactions"][-1]
    assert src["kind"] == "transfer_out" and dst["kind"] == "transfer_in" and src["txn_id"] == dst["txn_id"]
    assert ok(env, "get_customer", {"customer_id": "CU0001"})["used_today"] == 800


@pytest.mark.parametrize("args, message", [
    ({"from_account": "AC000001", "to_account": "AC000005", "amount": 10}, "Both accounts must belong to the customer"),
    ({"from_account": "AC000001", "to_account": "AC000001", "amount": 10}, "The two accounts must differ"),
    ({"from_account": "AC000001", "to_account": "AC000002", "amount": -5}, "The amount must be positive"),
    ({"from_account": "AC000003", "to_account": "AC000002", "amount": 50}, "Insufficient funds"),
    ({"from_account": "AC000001", "to_account": "AC000002", "amount": 701}, "The transfer exceeds the customer's daily limit"),
])
def test_transfer_refusals(env, args, message):
    refused(env, "transfer_funds", {"customer_id": "CU0001", **args}, message)


def test_transfer_overdraft_and_frozen(env):
    refused(env, "transfer_funds", {"customer_id": "CU0003", "from_account": "AC000008", "to_account": "AC000005",
                                    "amount": 5}, "Both accounts must be active")
    # CU0003 has no overdraft: 900 is the most that can leave AC000005
    refused(env, "transfer_funds", {"customer_id": "CU0003", "from_account": "AC000005", "to_account": "AC000006",
                                    "amount": 900.01}, "Insufficient funds")
    assert ok(env, "transfer_funds", {"customer_id": "CU0003", "from_account": "AC000005", "to_account": "AC000006",
                                      "amount": 900})["from_balance"] == 0


def test_pay_payee(env):
    r = ok(env, "pay_payee", {"customer_id": "CU0001", "account_id": "AC000001", "payee_id": "PY000002", "amount": 100})
    assert r["balance"] == 1100
    t = row(env, "account", "AC000001")["transactions"][-1]
    assert t["kind"] == "payment" and t["memo"] == "Payment to Gym Club" and str(t["date"]) == "2025-06-16"
    refused(env, "pay_payee", {"customer_id": "CU0001", "account_id": "AC000001", "payee_id": "PY000003",
                               "amount": 10}, "The payee belongs to another customer")
    refused(env, "pay_payee", {"customer_id": "CU0001", "account_id": "AC000001", "payee_id": "PY000002",
                               "amount": 601}, "The payment exceeds the customer's daily limit")
    refused(env, "pay_payee", {"customer_id": "CU0002", "account_id": "AC000004", "payee_id": "PY000002",
                               "amount": 1}, "The payee belongs to another customer")


def test_add_and_remove_payee(env):
    p = ok(env, "add_payee", {"customer_id": "CU0001", "name": "Water Co", "account_number": "99990000"})
    assert p["customer_id"] == "CU0001" and p["added"] == "2025-06-16" and p["name"] == "Water Co"
    refused(env, "add_payee", {"customer_id": "CU0001", "name": "Again", "account_number": "99990000"},
            "A payee with that account number is already saved")
    for i in range(5):
        ok(env, "add_payee", {"customer_id": "CU0001", "name": f"P{i}", "account_number": f"5555000{i}"})
    refused(env, "add_payee", {"customer_id": "CU0001", "name": "Ninth", "account_number": "77770000"},
            "A customer may save at most 8 payees")
    refused(env, "remove_payee", {"customer_id": "CU0001", "payee_id": "PY000001"},
            "The payee has scheduled payments; cancel them first")
    refused(env, "remove_payee", {"customer_id": "CU0003", "payee_id": "PY000002"},
            "The payee belongs to another customer")
    assert ok(env, "remove_payee", {"customer_id": "CU0001", "payee_id": "PY000002"}) == "removed"
    assert all(x["payee_id"] != "PY000002" for x in env.rows("payee"))


def test_schedule_and_cancel_payment(env):
    s = ok(env, "schedule_payment", {"customer_id": "CU0001", "account_id": "AC000001", "payee_id": "PY000002",
                                     "amount": 45, "date": "2025-07-15"})
    assert s["status"] == "scheduled" and s["amount"] == 45 and s["date"] == "2025-07-15"
    refused(env, "schedule_payment", {"customer_id": "CU0001", "account_id": "AC000001", "payee_id": "PY000002",
                                      "amount": 45, "date": "2025-06-16"},
            "A payment is scheduled from tomorrow up to 365 days ahead")
    refused(env, "schedule_payment", {"customer_id": "CU0001", "account_id": "AC000001", "payee_id": "PY000002",
                                      "amount": 45, "date": "2026-06-17"},
            "A payment is scheduled from tomorrow up to 365 days ahead")
    c = ok(env, "cancel_scheduled_payment", {"customer_id": "CU0001", "payment_id": s["payment_id"]})
    assert c == {"payment_id": s["payment_id"], "status": "cancelled"}
    refused(env, "cancel_scheduled_payment", {"customer_id": "CU0001", "payment_id": s["payment_id"]},
            "The payment is no longer scheduled")
    refused(env, "cancel_scheduled_payment", {"customer_id": "CU0003", "payment_id": "SP000002"},
            "A payment can be cancelled only until the day before it is due")
    refused(env, "cancel_scheduled_payment", {"customer_id": "CU0003", "payment_id": "SP000001"},
            "The payment belongs to another customer")


def test_freeze_and_unfreeze(env):
    assert ok(env, "freeze_account", {"customer_id": "CU0001", "account_id": "AC000002"})["status"] == "frozen"
    refused(env, "freeze_account", {"customer_id": "CU0001", "account_id": "AC000002"},
            "Only an active account can be frozen")
    refused(env, "unfreeze_account", {"customer_id": "CU0002", "account_id": "AC000004"},
            "The customer's identity must be verified first")
    refused(env, "unfreeze_account", {"customer_id": "CU0001", "account_id": "AC000001"}, "The account is not frozen")
    assert ok(env, "unfreeze_account", {"customer_id": "CU0001", "account_id": "AC000002"})["status"] == "active"


def test_close_account(env):
    assert ok(env, "close_account", {"customer_id": "CU0001", "account_id": "AC000003"})["status"] == "closed"
    assert row(env, "card", "CD000002")["status"] == "blocked"
    refused(env, "close_account", {"customer_id": "CU0001", "account_id": "AC000003"}, "The account is already closed")
    refused(env, "close_account", {"customer_id": "CU0001", "account_id": "AC000002"},
            "The balance must be zero before closing")
    refused(env, "close_account", {"customer_id": "CU0002", "account_id": "AC000002"},
            "The account belongs to another customer")


def test_open_savings_account(env):
    a = ok(env, "open_savings_account", {"customer_id": "CU0001"})
    assert a["kind"] == "savings" and a["balance"] == 0 and a["status"] == "active" and a["customer_id"] == "CU0001"
    refused(env, "open_savings_account", {"customer_id": "CU0001"}, "A customer may have at most 3 savings accounts")
    refused(env, "open_savings_account", {"customer_id": "CU0002"}, "The customer's identity must be verified first")


def test_cards(env):
    r = ok(env, "report_card_lost", {"customer_id": "CU0001", "card_id": "CD000001"})
    assert row(env, "card", "CD000001")["status"] == "lost"
    new = r["replacement"]
    assert new["status"] == "active" and new["spending_limit"] == 1500 and new["account_id"] == "AC000001"
    refused(env, "report_card_lost", {"customer_id": "CU0001", "card_id": "CD000001"},
            "The card is already reported lost")
    refused(env, "report_card_lost", {"customer_id": "CU0001", "card_id": "CD000003"},
            "The card belongs to another customer")
    assert ok(env, "set_card_limit", {"customer_id": "CU0001", "card_id": new["card_id"], "limit": 2500}) == {
        "card_id": new["card_id"], "spending_limit": 2500}
    refused(env, "set_card_limit", {"customer_id": "CU0001", "card_id": new["card_id"], "limit": 6000},
            "The spending limit must be between 100 and 5000")
    refused(env, "set_card_limit", {"customer_id": "CU0003", "card_id": "CD000003", "limit": 500},
            "Only an active card's limit can change")


def test_dispute_transaction(env):
    r = ok(env, "dispute_transaction", {"customer_id": "CU0001", "account_id": "AC000001", "txn_id": "TX00000002"})
    assert r["refunded"] == 15 and row(env, "account", "AC000001")["balance"] == 1215
    t = next(t for t in row(env, "account", "AC000001")["transactions"] if t["txn_id"] == "TX00000002")
    assert t["disputed"] is True
    base = {"customer_id": "CU0001", "account_id": "AC000001"}
    refused(env, "dispute_transaction", {**base, "txn_id": "TX00000002"}, "The transaction is already disputed")
    refused(env, "dispute_transaction", {**base, "txn_id": "TX00000004"}, "Only debits can be disputed")
    refused(env, "dispute_transaction", {**base, "txn_id": "TX00000003"},
            "Transactions older than 60 days cannot be disputed")
    refused(env, "dispute_transaction", {**base, "txn_id": "TX99"}, "Transaction not found on this account")


def test_reads(env):
    assert [p["payee_id"] for p in ok(env, "list_payees", {"customer_id": "CU0001"})] == ["PY000002", "PY000001"]
    assert [c["card_id"] for c in ok(env, "list_cards", {"customer_id": "CU0001"})] == ["CD000001", "CD000002"]
    assert [s["payment_id"] for s in ok(env, "list_scheduled_payments", {"customer_id": "CU0001"})] == ["SP000001"]
    a = ok(env, "get_account", {"account_id": "AC000001"})
    assert a["balance"] == 1200 and {t["txn_id"] for t in a["recent"]} == {"TX00000001", "TX00000002",
                                                                              "TX00000004", "TX00000005"}
