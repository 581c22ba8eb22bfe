"""Gym scenarios: class capacity and premium classes, booking limits, late cancellation fees, freezes, plans, guest passes."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("gym")


def test_book_class(env):
    r = ok(env, "book_class", {"member_no": "M00003", "class_id": "GC004"})
    assert r == {"class_id": "GC004", "day": "2025-10-10", "time": "19:00", "free_spots": 14}
    assert row(env, "gym_class", "GC004")["booked"] == ["M00003"]


@pytest.mark.parametrize("member, cls, message", [
    ("M00004", "GC004", "Only active members can book classes"),
    ("M00003", "GC006", "The class is in the past"),
    ("M00003", "GC003", "This class is for premium members"),
    ("M00001", "GC001", "The member is already booked into this class"),
    ("M00001", "GC002", "The class is full"),
    ("M00001", "GC004", "A member may hold at most 3 upcoming bookings"),
])
def test_book_class_refusals(env, member, cls, message):
    refused(env, "book_class", {"member_no": member, "class_id": cls}, message)


def test_cancel_booking(env):
    assert ok(env, "cancel_booking", {"member_no": "M00001", "class_id": "GC005"}) == {"class_id": "GC005",
                                                                                       "late_fee": 0}
    assert ok(env, "cancel_booking", {"member_no": "M00001", "class_id": "GC001"})["late_fee"] == 5
    assert row(env, "member", "M00001")["balance_due"] == 5 and row(env, "gym_class", "GC001")["booked"] == []
    refused(env, "cancel_booking", {"member_no": "M00001", "class_id": "GC001"},
            "The member is not booked into this class")


def test_freeze_and_unfreeze(env):
    m = ok(env, "freeze_membership", {"member_no": "M00001", "days": 14})
    assert m["status"] == "frozen" and m["contract_end"] == "2026-03-15"
    assert m["freezes"] == [{"start": "2025-10-06", "days": 14}]
    refused(env, "freeze_membership", {"member_no": "M00003", "days": 7}, "At most 30 freeze days per year")
    refused(env, "freeze_membership", {"member_no": "M00002", "days": 7}, "The balance due must be paid first")
    refused(env, "freeze_membership", {"member_no": "M00003", "days": 3}, "A freeze lasts 7 to 30 days")
    assert ok(env, "unfreeze_membership", {"member_no": "M00004"})["status"] == "active"
    refused(env, "unfreeze_membership", {"member_no": "M00004"}, "The membership is not frozen")


def test_change_plan(env):
    refused(env, "change_plan", {"member_no": "M00001", "plan": "basic"},
            "Cancel the premium-only bookings before downgrading")
    assert ok(env, "change_plan", {"member_no": "M00003", "plan": "premium"})["guest_passes"] == 2
    refused(env, "change_plan", {"member_no": "M00003", "plan": "premium"}, "The member is already on that plan")
    ok(env, "cancel_booking", {"member_no": "M00001", "class_id": "GC003"})
    assert ok(env, "change_plan", {"member_no": "M00001", "plan": "basic"}) == {"member_no": "M00001", "plan": "basic",
                                                                                "guest_passes": 0}


def test_use_guest_pass(env):
    assert ok(env, "use_guest_pass", {"member_no": "M00001", "guest_name": "Ann"})["guest_passes"] == 0
    assert row(env, "member", "M00001")["guests"] == ["2025-10-06 Ann"]
    refused(env, "use_guest_pass", {"member_no": "M00001", "guest_name": "Bo"}, "No guest passes left")
    refused(env, "use_guest_pass", {"member_no": "M00003", "guest_name": "Bo"}, "Guest passes are a premium benefit")


def test_pay_balance(env):
    refused(env, "pay_balance", {"member_no": "M00002", "amount": 10}, "The amount must equal the balance due")
    assert ok(env, "pay_balance", {"member_no": "M00002", "amount": 12.5})["balance_due"] == 0
    refused(env, "pay_balance", {"member_no": "M00002", "amount": 12.5}, "Nothing is due")


def test_cancel_membership(env):
    refused(env, "cancel_membership", {"member_no": "M00001"},
            "Cancelling before the contract end costs 50.00; the member must agree to pay it")
    refused(env, "cancel_membership", {"member_no": "M00002"}, "The balance due must be paid first")
    r = ok(env, "cancel_membership", {"member_no": "M00001", "pay_fee": True})
    assert r == {"member_no": "M00001", "status": "cancelled", "fee": 50}
    assert all("M00001" not in c["booked"] for c in env.rows("gym_class") if str(c["day"]) >= "2025-10-06")
    refused(env, "cancel_membership", {"member_no": "M00001"}, "The membership is already cancelled")


def test_reads(env):
    assert ok(env, "get_member", {"member_no": "M00001"})["bookings"] == ["GC001", "GC003", "GC005"]
    assert ok(env, "list_classes", {"day": "2025-10-08"})[0]["free_spots"] == 0
    assert ok(env, "get_class", {"class_id": "GC003"})["premium_only"] is True
