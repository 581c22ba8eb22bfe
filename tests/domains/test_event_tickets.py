"""Event-ticket scenarios: section capacity and per-customer limits, refund window, transfers, waitlists."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("event_tickets")


def test_buy_tickets(env):
    o = ok(env, "buy_tickets", {"customer_id": "TC0001", "event_id": "EV0002", "section": "stand", "quantity": 2})
    assert o["total"] == 50.0 and o["status"] == "confirmed" and o["history"] == [{"at": "2025-06-01", "action": "bought"}]
    assert row(env, "customer", "TC0001")["wallet"] == 250
    assert row(env, "event", "EV0002")["sections"]["stand"]["sold"] == 102


@pytest.mark.parametrize("customer, event, section, qty, message", [
    ("TC0001", "EV0001", "floor", 2, "That exceeds the per-customer ticket limit for this event"),
    ("TC0001", "EV0001", "balcony", 1, "Not enough seats left in that section"),
    ("TC0001", "EV0001", "pit", 1, "The event has no such section"),
    ("TC0001", "EV0003", "stalls", 1, "The event has already taken place"),
    ("TC0001", "EV0004", "field", 1, "The event is not on sale"),
    ("TC0002", "EV0001", "floor", 1, "The wallet balance is too low"),
    ("TC0002", "EV0001", "floor", 0, "Buy at least one ticket"),
])
def test_buy_tickets_refusals(env, customer, event, section, qty, message):
    refused(env, "buy_tickets", {"customer_id": customer, "event_id": event, "section": section, "quantity": qty},
            message)


def test_refund_order(env):
    r = ok(env, "refund_order", {"order_id": "TO900001"})
    assert r == {"order_id": "TO900001", "status": "refunded", "refunded": 240.0}
    assert row(env, "customer", "TC0001")["wallet"] == 540
    assert row(env, "event", "EV0001")["sections"]["floor"]["sold"] == 7
    refused(env, "refund_order", {"order_id": "TO900001"}, "The order was already refunded")
    refused(env, "refund_order", {"order_id": "TO900002"}, "Refunds close 7 days before the event")
    assert ok(env, "refund_order", {"order_id": "TO900003"})["refunded"] == 120.0  # cancelled event


def test_transfer_order(env):
    o = ok(env, "transfer_order", {"order_id": "TO900002", "email": "gil@example.com"})
    assert o["customer_id"] == "TC0001" and o["history"][-1]["action"] == "transferred to TC0001"
    refused(env, "transfer_order", {"order_id": "TO900002", "email": "gil@example.com"},
            "The order already belongs to that customer")
    refused(env, "transfer_order", {"order_id": "TO900001", "email": "nobody@example.com"},
            "The receiver has no account")
    env.reset(today="2025-06-20")
    refused(env, "transfer_order", {"order_id": "TO900001", "email": "ivy@example.com"},
            "Transfers close the day before the event")


def test_transfer_limit(env):
    ok(env, "buy_tickets", {"customer_id": "TC0001", "event_id": "EV0002", "section": "stand", "quantity": 5})
    refused(env, "transfer_order", {"order_id": "TO900002", "email": "gil@example.com"},
            "The receiver would exceed the per-customer ticket limit")


def test_change_section(env):
    r = ok(env, "change_section", {"order_id": "TO900001", "section": "terrace"})
    assert r == {"order_id": "TO900001", "section": "terrace", "total": 300.0, "charged": 60.0}
    sections = row(env, "event", "EV0001")["sections"]
    assert sections["floor"]["sold"] == 7 and sections["terrace"]["sold"] == 3
    assert row(env, "customer", "TC0001")["wallet"] == 240
    refused(env, "change_section", {"order_id": "TO900001", "section": "terrace"},
            "The order is already in that section")
    refused(env, "change_section", {"order_id": "TO900001", "section": "balcony"},
            "Not enough seats left in that section")


def test_join_and_leave_waitlist(env):
    w = ok(env, "join_waitlist", {"customer_id": "TC0002", "event_id": "EV0001", "section": "balcony"})
    assert w["section"] == "balcony" and w["joined"] == "2025-06-01"
    refused(env, "join_waitlist", {"customer_id": "TC0002", "event_id": "EV0001", "section": "balcony"},
            "The customer is already on this event's waitlist")
    refused(env, "join_waitlist", {"customer_id": "TC0001", "event_id": "EV0001", "section": "floor"},
            "Seats are still available; buy them instead")
    refused(env, "leave_waitlist", {"entry_id": w["entry_id"], "customer_id": "TC0001"},
            "That entry belongs to another customer")
    assert ok(env, "leave_waitlist", {"entry_id": w["entry_id"], "customer_id": "TC0002"}) == "removed"
    assert ok(env, "list_waitlist", {"customer_id": "TC0002"}) == []


def test_top_up_wallet(env):
    assert ok(env, "top_up_wallet", {"customer_id": "TC0002", "amount": 30})["wallet"] == 50
    refused(env, "top_up_wallet", {"customer_id": "TC0002", "amount": 2}, "Top-ups are between 5 and 1000")


def test_reads(env):
    assert ok(env, "find_customer", {"email": "IVY@example.com"}) == "TC0002"
    assert ok(env, "get_customer", {"customer_id": "TC0002"})["orders"] == ["TO900002", "TO900003"]
    assert ok(env, "get_event", {"event_id": "EV0001"})["sections"]["balcony"]["capacity"] == 2
    assert ok(env, "search_events", {"query": "jazz"})[0]["event_id"] == "EV0001"
    assert ok(env, "get_order", {"order_id": "TO900001"})["quantity"] == 3
