"""Hotel scenarios: availability and overlaps, stay length, capacity, cancellation fees, stays, charges, points."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("hotel")


def test_search_rooms_excludes_taken_and_maintenance(env):
    ids = {r["room_id"] for r in ok(env, "search_rooms", {"check_in": "2025-08-11", "nights": 1, "party": 2})}
    assert "R201" in ids and "R102" not in ids and "R202" not in ids and "R101" not in ids


def test_book_room(env):
    r = ok(env, "book_room", {"guest_id": "G00002", "room_id": "R201", "check_in": "2025-08-05", "nights": 2,
                              "party": 3})
    assert r["check_out"] == "2025-08-07" and r["room_total"] == 640 and r["status"] == "booked"
    assert row(env, "reservation", r["reservation_id"])["guest_id"] == "G00002"


@pytest.mark.parametrize("args, message", [
    ({"room_id": "R201", "check_in": "2025-08-05", "nights": 15}, "A stay is 1 to 14 nights"),
    ({"room_id": "R201", "check_in": "2025-07-31", "nights": 1}, "The arrival date is in the past"),
    ({"room_id": "R202", "check_in": "2025-08-05", "nights": 1}, "The room is under maintenance"),
    ({"room_id": "R101", "check_in": "2025-08-20", "nights": 1, "party": 2}, "The room does not hold the party"),
    ({"room_id": "R102", "check_in": "2025-08-12", "nights": 3}, "The room is not free for those nights"),
    ({"room_id": "R101", "check_in": "2025-08-20", "nights": 1}, "A guest may hold at most 3 upcoming reservations"),
])
def test_book_room_refusals(env, args, message):
    refused(env, "book_room", {"guest_id": "G00001", **args}, message)


def test_book_room_back_to_back_is_free(env):
    r = ok(env, "book_room", {"guest_id": "G00003", "room_id": "R102", "check_in": "2025-08-13", "nights": 1})
    assert r["check_in"] == "2025-08-13"


def test_cancel_reservation(env):
    r = ok(env, "cancel_reservation", {"guest_id": "G00001", "reservation_id": "RS000001"})
    assert r == {"reservation_id": "RS000001", "status": "cancelled", "fee": 0}
    assert row(env, "reservation", "RS000001")["charges"] == []
    late = ok(env, "cancel_reservation", {"guest_id": "G00001", "reservation_id": "RS000002"})
    assert late["fee"] == 320
    assert row(env, "reservation", "RS000002")["charges"][0]["category"] == "late_cancellation"
    refused(env, "cancel_reservation", {"guest_id": "G00001", "reservation_id": "RS000002"},
            "Only a booked reservation can be cancelled")
    refused(env, "cancel_reservation", {"guest_id": "G00001", "reservation_id": "RS000003"},
            "The reservation belongs to another guest")


def test_change_dates(env):
    r = ok(env, "change_dates", {"guest_id": "G00001", "reservation_id": "RS000001", "check_in": "2025-08-11",
                                 "nights": 4})
    assert r["check_out"] == "2025-08-15" and r["room_total"] == 560
    refused(env, "change_dates", {"guest_id": "G00001", "reservation_id": "RS000001", "check_in": "2025-08-01",
                                  "nights": 2}, "The room is not free for those nights")
    refused(env, "change_dates", {"guest_id": "G00003", "reservation_id": "RS000004", "check_in": "2025-08-20",
                                  "nights": 2}, "Only a booked reservation can change")


def test_change_room(env):
    r = ok(env, "change_room", {"guest_id": "G00001", "reservation_id": "RS000001", "room_id": "R201"})
    assert r["room_id"] == "R201" and r["room_total"] == 960
    refused(env, "change_room", {"guest_id": "G00001", "reservation_id": "RS000005", "room_id": "R202"},
            "The room is under maintenance")
    refused(env, "change_room", {"guest_id": "G00001", "reservation_id": "RS000002", "room_id": "R101"},
            "The room does not hold the party")
    refused(env, "change_room", {"guest_id": "G00001", "reservation_id": "RS000005", "room_id": "R101"},
            "The reservation is already in that room")


def test_check_in_charges_and_check_out(env):
    assert ok(env, "check_in", {"guest_id": "G00002", "reservation_id": "RS000003"})["status"] == "checked_in"
    refused(env, "check_in", {"guest_id": "G00001", "reservation_id": "RS000002"}, "Check-in is only on the arrival day")
    assert ok(env, "add_room_charge", {"reservation_id": "RS000003", "category": "spa", "amount": 60})["charges"] == 60
    refused(env, "add_room_charge", {"reservation_id": "RS000001", "category": "spa", "amount": 60},
            "Charges are added only during a stay")
    refused(env, "add_room_charge", {"reservation_id": "RS000003", "category": "spa", "amount": 0},
            "A charge is between 0.01 and 1000.00")
    r = ok(env, "check_out", {"guest_id": "G00002", "reservation_id": "RS000003"})
    assert r == {"reservation_id": "RS000003", "bill": 240, "points_earned": 180}
    assert row(env, "guest", "G00002")["points"] == 380
    refused(env, "check_out", {"guest_id": "G00002", "reservation_id": "RS000003"}, "The guest is not checked in")


def test_redeem_points(env):
    r = ok(env, "redeem_points", {"guest_id": "G00001", "reservation_id": "RS000001"})
    assert r == {"reservation_id": "RS000001", "discount": 140, "points_left": 500}
    refused(env, "redeem_points", {"guest_id": "G00001", "reservation_id": "RS000001"},
            "Points were already redeemed on this reservation")
    refused(env, "redeem_points", {"guest_id": "G00001", "reservation_id": "RS000002"},
            "At least 1000 points are needed")
    refused(env, "redeem_points", {"guest_id": "G00003", "reservation_id": "RS000004"},
            "Points are redeemed only before check-in")


def test_special_requests(env):
    for i in range(5):
        ok(env, "add_special_request", {"guest_id": "G00001", "reservation_id": "RS000001", "request": f"wish {i}"})
    assert row(env, "reservation", "RS000001")["requests"][-1] == "wish 4"
    refused(env, "add_special_request", {"guest_id": "G00001", "reservation_id": "RS000001", "request": "more"},
            "At most 5 special requests per reservation")
    ok(env, "add_special_request", {"guest_id": "G00001", "reservation_id": "RS000002", "request": " late arrival "})
    refused(env, "add_special_request", {"guest_id": "G00001", "reservation_id": "RS000002", "request": "late arrival"},
            "That request is already noted")


def test_set_room_maintenance(env):
    assert ok(env, "set_room_maintenance", {"room_id": "R202", "status": "available"})["status"] == "available"
    refused(env, "set_room_maintenance", {"room_id": "R102", "status": "maintenance"}, "A guest is staying in the room")
    refused(env, "set_room_maintenance", {"room_id": "R101", "status": "available"}, "The room already has that status")
    assert ok(env, "set_room_maintenance", {"room_id": "R101", "status": "maintenance"})["status"] == "maintenance"
