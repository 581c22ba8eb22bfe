"""Coworking scenarios: hour bookings without overlaps, plan rules, per-day limits, credit refunds, guests, credits and plans."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("co_working")


def test_book_space(env):
    b = ok(env, "book_space", {"member_id": "CW0001", "room_id": "ROOM-1", "day": "2026-01-14", "start_hour": 12,
                               "end_hour": 14, "attendees": 3})
    assert b["credits"] == 8 and b["status"] == "booked" and row(env, "member", "CW0001")["credits"] == 12


@pytest.mark.parametrize("member, room, day, start, end, message", [
    ("CW0001", "ROOM-1", "2026-01-14", 11, 13, "The room is already booked at that time"),
    ("CW0001", "ROOM-1", "2026-01-14", 7, 9, "Bookings are whole hours between 08:00 and 20:00"),
    ("CW0001", "ROOM-1", "2026-03-14", 9, 10, "Bookings are for today up to 30 days ahead"),
    ("CW0002", "ROOM-1", "2026-01-15", 9, 10, "Meeting rooms need a flex or team plan"),
    ("CW0002", "BOOTH-1", "2026-01-15", 9, 11, "Not enough credits"),
])
def test_book_space_refusals(env, member, room, day, start, end, message):
    refused(env, "book_space", {"member_id": member, "room_id": room, "day": day, "start_hour": start,
                                "end_hour": end}, message)


def test_per_day_limit(env):
    ok(env, "book_space", {"member_id": "CW0001", "room_id": "BOOTH-1", "day": "2026-01-12", "start_hour": 14,
                           "end_hour": 15})
    refused(env, "book_space", {"member_id": "CW0001", "room_id": "BOOTH-1", "day": "2026-01-12", "start_hour": 16,
                                "end_hour": 17}, "At most 2 bookings per member per day")


def test_cancel_booking(env):
    refused(env, "cancel_booking", {"booking_id": "BK900001", "member_id": "CW0002"},
            "The booking belongs to another member")
    assert ok(env, "cancel_booking", {"booking_id": "BK900001", "member_id": "CW0001"})["credits_returned"] == 8
    assert ok(env, "cancel_booking", {"booking_id": "BK900002", "member_id": "CW0001"})["credits_returned"] == 0
    assert row(env, "member", "CW0001")["credits"] == 28
    refused(env, "cancel_booking", {"booking_id": "BK900001", "member_id": "CW0001"}, "The booking is already cancelled")


def test_add_guest(env):
    for name in ["Cy", "Di", "Ed"]:
        guests = ok(env, "add_guest", {"booking_id": "BK900001", "guest_name": name})
    assert guests == ["Cy", "Di", "Ed"]
    refused(env, "add_guest", {"booking_id": "BK900001", "guest_name": "Fa"},
            "The room has no seat left for another guest")
    refused(env, "add_guest", {"booking_id": "BK900002", "guest_name": "Fa"},
            "The room has no seat left for another guest")


def test_buy_credits(env):
    assert ok(env, "buy_credits", {"member_id": "CW0002", "packs": 2})["credits"] == 23
    refused(env, "buy_credits", {"member_id": "CW0002", "packs": 11}, "Buy 1 to 10 packs")


def test_change_plan(env):
    refused(env, "change_plan", {"member_id": "CW0002", "plan": "team"}, "Team plans need a company name")
    m = ok(env, "change_plan", {"member_id": "CW0002", "plan": "team", "company": "Acme"})
    assert m["plan"] == "team" and m["company"] == "Acme"
    refused(env, "change_plan", {"member_id": "CW0002", "plan": "team"}, "The member is already on that plan")


def test_reads(env):
    assert ok(env, "find_member", {"email": "ARI@example.com"})["member_id"] == "CW0001"
    assert ok(env, "room_schedule", {"room_id": "ROOM-1", "day": "2026-01-14"})[0]["booking_id"] == "BK900001"
    assert len(ok(env, "list_rooms", {})) == 3
    assert len(ok(env, "my_bookings", {"member_id": "CW0001"})) == 2
