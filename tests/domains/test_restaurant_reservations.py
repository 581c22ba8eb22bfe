"""Restaurant scenarios: seats and party limits, one booking a day, no-show bans, deposits, waitlists, dietary notes."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("restaurant_reservations")


def test_book_table(env):
    b = ok(env, "book_table", {"diner_id": "D0003", "slot_id": "SL0002", "party": 3, "occasion": "birthday"})
    assert b["deposit"] == 30 and b["date"] == "2025-05-22" and b["restaurant_id"] == "RE001" and b["occasion"] == "birthday"
    assert row(env, "slot", "SL0002")["seats_left"] == 3


@pytest.mark.parametrize("diner, slot, party, message", [
    ("D0002", "SL0002", 2, "Diners with 3 or more no-shows cannot book"),
    ("D0003", "SL0005", 2, "The slot is in the past"),
    ("D0003", "SL0001", 9, "The party is larger than the restaurant takes"),
    ("D0003", "SL0003", 3, "Not enough seats left; offer the waitlist"),
    ("D0001", "SL0003", 2, "The diner already has a booking at this restaurant that day"),
    ("D0001", "SL0003", 0, "The party must have at least one person"),
])
def test_book_table_refusals(env, diner, slot, party, message):
    refused(env, "book_table", {"diner_id": diner, "slot_id": slot, "party": party}, message)


def test_cancel_booking(env):
    r = ok(env, "cancel_booking", {"diner_id": "D0001", "booking_id": "BK000001"})
    assert r == {"booking_id": "BK000001", "status": "cancelled", "refunded": 40}
    assert row(env, "booking", "BK000001")["deposit_refunded"] is True and row(env, "slot", "SL0002")["seats_left"] == 10
    same_day = ok(env, "cancel_booking", {"diner_id": "D0003", "booking_id": "BK000002"})
    assert same_day["refunded"] == 0 and row(env, "booking", "BK000002")["deposit_refunded"] is False
    refused(env, "cancel_booking", {"diner_id": "D0001", "booking_id": "BK000001"},
            "Only a confirmed booking can be cancelled")
    refused(env, "cancel_booking", {"diner_id": "D0001", "booking_id": "BK000003"},
            "The booking belongs to another diner")


def test_change_party_size(env):
    b = ok(env, "change_party_size", {"diner_id": "D0001", "booking_id": "BK000001", "party": 6})
    assert b["party"] == 6 and b["deposit"] == 60 and row(env, "slot", "SL0002")["seats_left"] == 4
    ok(env, "book_table", {"diner_id": "D0003", "slot_id": "SL0002", "party": 3})
    refused(env, "change_party_size", {"diner_id": "D0001", "booking_id": "BK000001", "party": 8},
            "Not enough seats left")
    refused(env, "change_party_size", {"diner_id": "D0003", "booking_id": "BK000002", "party": 3},
            "Changes are made before the booking's day")
    refused(env, "change_party_size", {"diner_id": "D0001", "booking_id": "BK000001", "party": 6},
            "The party already has that size")


def test_move_booking(env):
    refused(env, "move_booking", {"diner_id": "D0001", "booking_id": "BK000001", "slot_id": "SL0003"},
            "Not enough seats left")
    refused(env, "move_booking", {"diner_id": "D0001", "booking_id": "BK000001", "slot_id": "SL0004"},
            "The slot is at another restaurant")
    ok(env, "change_party_size", {"diner_id": "D0001", "booking_id": "BK000001", "party": 2})
    b = ok(env, "move_booking", {"diner_id": "D0001", "booking_id": "BK000001", "slot_id": "SL0003"})
    assert b["slot_id"] == "SL0003"
    assert row(env, "slot", "SL0003")["seats_left"] == 0 and row(env, "slot", "SL0002")["seats_left"] == 10


def test_waitlist(env):
    w = ok(env, "join_waitlist", {"diner_id": "D0001", "slot_id": "SL0004", "party": 2})
    assert w["diner_id"] == "D0001" and w["party"] == 2 and w["added"] == "2025-05-20T16:00:00"
    refused(env, "join_waitlist", {"diner_id": "D0003", "slot_id": "SL0004", "party": 2},
            "The diner is already on this waitlist")
    refused(env, "join_waitlist", {"diner_id": "D0003", "slot_id": "SL0002", "party": 2},
            "Seats are available; book the table instead")
    refused(env, "leave_waitlist", {"diner_id": "D0001", "entry_id": "WL000001"}, "The entry belongs to another diner")
    assert ok(env, "leave_waitlist", {"diner_id": "D0003", "entry_id": "WL000001"}) == "removed"
    assert [e["entry_id"] for e in env.rows("waitlist_entry")] == [w["entry_id"]]


def test_seat_and_no_show(env):
    assert ok(env, "seat_booking", {"booking_id": "BK000002"})["status"] == "seated"
    refused(env, "seat_booking", {"booking_id": "BK000001"}, "A booking is seated only on its day")
    refused(env, "mark_no_show", {"booking_id": "BK000001"}, "The booking's day has not passed")
    assert ok(env, "mark_no_show", {"booking_id": "BK000003"}) == {"booking_id": "BK000003", "status": "no_show",
                                                                   "no_shows": 1}
    refused(env, "mark_no_show", {"booking_id": "BK000003"}, "Only a confirmed booking can be a no-show")


def test_dietary_notes(env):
    assert ok(env, "set_dietary_note", {"diner_id": "D0001", "topic": "diet", "note": " vegetarian "}) == {
        "allergy": "peanuts", "diet": "vegetarian"}
    refused(env, "set_dietary_note", {"diner_id": "D0001", "topic": "diet", "note": "  "}, "The note cannot be empty")
    assert ok(env, "clear_dietary_note", {"diner_id": "D0001", "topic": "allergy"}) == {"diet": "vegetarian"}
    refused(env, "clear_dietary_note", {"diner_id": "D0001", "topic": "allergy"}, "The diner has no such note")


def test_reads(env):
    assert [s["slot_id"] for s in ok(env, "list_slots", {"restaurant_id": "RE001", "date": "2025-05-22"})] == [
        "SL0002", "SL0003"]
    assert ok(env, "get_booking", {"booking_id": "BK000001"})["time"] == "19:00"
    names = [r["name"] for r in ok(env, "search_restaurants", {"city": "springfield", "cuisine": "italian"})]
    assert "Trattoria Uno" in names
