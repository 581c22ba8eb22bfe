"""Parking scenarios: vehicle registration, paid sessions within a lot's maximum stay and capacity, permits, citations."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("parking")


def test_add_and_remove_vehicle(env):
    refused(env, "add_vehicle", {"driver_id": "D0001", "plate": "q1"}, "That plate is already registered")
    assert ok(env, "add_vehicle", {"driver_id": "D0001", "plate": " new1 "}) == ["ABC123", "XYZ9", "NEW1"]
    refused(env, "add_vehicle", {"driver_id": "D0002", "plate": "Q4"}, "A driver can register at most 3 vehicles")
    assert ok(env, "remove_vehicle", {"driver_id": "D0001", "plate": "abc123"}) == ["XYZ9", "NEW1"]
    refused(env, "remove_vehicle", {"driver_id": "D0001", "plate": "XYZ9"}, "The vehicle has an active parking session")
    refused(env, "remove_vehicle", {"driver_id": "D0001", "plate": "Q1"}, "The driver has no such vehicle")


def test_start_parking(env):
    s = ok(env, "start_parking", {"driver_id": "D0001", "plate": "abc123", "lot_id": "L-MAIN", "hours": 3})
    assert s["paid"] == 9.0 and s["active"] is True and s["started"] == "2025-12-02T10:00:00"
    assert row(env, "lot", "L-MAIN")["occupied"] == 11 and row(env, "driver", "D0001")["balance"] == 31


@pytest.mark.parametrize("driver, plate, lot, hours, message", [
    ("D0001", "Q1", "L-MAIN", 1, "The vehicle is not registered to this driver"),
    ("D0001", "ABC123", "L-MAIN", 5, "The stay must be between 1 hour and the lot's maximum"),
    ("D0001", "XYZ9", "L-MAIN", 1, "The vehicle already has an active session"),
    ("D0001", "ABC123", "L-PIER", 1, "The lot is full"),
    ("D0002", "Q1", "L-MAIN", 1, "The balance is too low"),
])
def test_start_parking_refusals(env, driver, plate, lot, hours, message):
    refused(env, "start_parking", {"driver_id": driver, "plate": plate, "lot_id": lot, "hours": hours}, message)


def test_extend_and_end_parking(env):
    s = ok(env, "extend_parking", {"session_id": "PS9000001", "hours": 2})
    assert s["hours"] == 4 and s["paid"] == 12.0 and row(env, "driver", "D0001")["balance"] == 34
    refused(env, "extend_parking", {"session_id": "PS9000001", "hours": 1}, "That exceeds the lot's maximum stay")
    assert ok(env, "end_parking", {"session_id": "PS9000001"})["active"] is False
    assert row(env, "lot", "L-MAIN")["occupied"] == 9
    refused(env, "end_parking", {"session_id": "PS9000001"}, "The session has already ended")
    refused(env, "extend_parking", {"session_id": "PS9000001", "hours": 1}, "The session has ended")


def test_buy_permit(env):
    p = ok(env, "buy_permit", {"driver_id": "D0001", "lot_id": "L-PIER"})
    assert p["valid_until"] == "2026-01-01" and row(env, "driver", "D0001")["balance"] == 10
    refused(env, "buy_permit", {"driver_id": "D0001", "lot_id": "L-PIER"},
            "The driver already has a valid permit for this lot")
    refused(env, "buy_permit", {"driver_id": "D0001", "lot_id": "L-MAIN"}, "The balance is too low")


def test_pay_citation(env):
    r = ok(env, "pay_citation", {"driver_id": "D0001", "citation_id": "CT-1"})
    assert r == {"citation_id": "CT-1", "status": "paid", "balance": 5.0}
    refused(env, "pay_citation", {"driver_id": "D0001", "citation_id": "CT-1"}, "Only unpaid citations can be paid")
    refused(env, "pay_citation", {"driver_id": "D0001", "citation_id": "CT-2"}, "The balance is too low")
    refused(env, "pay_citation", {"driver_id": "D0001", "citation_id": "CT-3"},
            "The citation is not for one of the driver's vehicles")


def test_appeal_citation(env):
    c = ok(env, "appeal_citation", {"citation_id": "CT-1", "note": "The meter was broken that day"})
    assert c["status"] == "appealed" and c["appeal_note"] == "The meter was broken that day"
    refused(env, "appeal_citation", {"citation_id": "CT-1", "note": "Second try at appealing"},
            "Only unpaid citations can be appealed")
    refused(env, "appeal_citation", {"citation_id": "CT-2", "note": "The meter was broken that day"},
            "Appeals close 21 days after the citation was issued")


def test_top_up(env):
    assert ok(env, "top_up", {"driver_id": "D0002", "amount": 20})["balance"] == 22
    refused(env, "top_up", {"driver_id": "D0002", "amount": 500}, "Top-ups are between 5 and 200")


def test_reads(env):
    assert ok(env, "find_driver", {"phone": "5551002"})["driver_id"] == "D0002"
    assert {x["lot_id"]: x["free_spaces"] for x in ok(env, "list_lots", {})}["L-PIER"] == 0
    assert ok(env, "list_sessions", {"driver_id": "D0001"})[0]["session_id"] == "PS9000001"
    assert [c["citation_id"] for c in ok(env, "list_citations", {"plate": "abc123"})] == ["CT-1", "CT-2"]
