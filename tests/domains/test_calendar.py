"""Calendar scenarios: organizer-only changes, clashes, rooms and capacity, responses, out-of-office days."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("calendar")


NEW = {"organizer": "U003", "title": "Sync", "date": "2025-11-04", "start_hour": 13, "end_hour": 14}


def test_create_event(env):
    e = ok(env, "create_event", {**NEW, "room_id": "RM1", "attendees": ["U004"]})
    assert e["room_id"] == "RM1" and e["attendees"] == [{"user_id": "U004", "response": "pending"}]
    assert row(env, "event", e["event_id"])["organizer"] == "U003"


@pytest.mark.parametrize("change, message", [
    ({"date": "2025-11-02"}, "Events are scheduled today or later"),
    ({"start_hour": 6}, "Events run between 7 and 20 and end after they start"),
    ({"start_hour": 8, "end_hour": 17}, "An event lasts at most 8 hours"),
    ({"attendees": ["U999"]}, "Some attendees are not users"),
    ({"attendees": ["U003"]}, "The organizer is not an attendee"),
    ({"organizer": "U001", "start_hour": 11}, "The organizer already has an event at that time"),
    ({"date": "2025-11-05", "attendees": ["U002"]}, "An attendee is out of office that day"),
    ({"organizer": "U002", "date": "2025-11-05"}, "The organizer is out of office that day"),
    ({"room_id": "RM2", "start_hour": 11, "end_hour": 13}, "The room is taken at that time"),
    ({"room_id": "RM1", "attendees": ["U001", "U004"]}, "The room is too small"),
])
def test_create_event_refusals(env, change, message):
    refused(env, "create_event", {**NEW, **change}, message)


def test_reschedule_event(env):
    e = ok(env, "reschedule_event", {"user_id": "U001", "event_id": "EV000001", "date": "2025-11-07",
                                     "start_hour": 14, "end_hour": 15})
    assert (e["date"], e["start_hour"], e["end_hour"]) == ("2025-11-07", 14, 15)
    assert all(a["response"] == "pending" for a in e["attendees"])
    refused(env, "reschedule_event", {"user_id": "U002", "event_id": "EV000001", "date": "2025-11-07",
                                      "start_hour": 9, "end_hour": 10}, "Only the organizer can change the event")
    refused(env, "reschedule_event", {"user_id": "U001", "event_id": "EV000004", "date": "2025-11-07",
                                      "start_hour": 9, "end_hour": 10}, "Past events cannot change")
    refused(env, "reschedule_event", {"user_id": "U001", "event_id": "EV000001", "date": "2025-11-06",
                                      "start_hour": 9, "end_hour": 11}, "The organizer already has an event at that time")


def test_cancel_event(env):
    assert ok(env, "cancel_event", {"user_id": "U001", "event_id": "EV000001"}) == {"event_id": "EV000001",
                                                                                  "status": "cancelled"}
    assert row(env, "event", "EV000001")["room_id"] is None
    refused(env, "cancel_event", {"user_id": "U001", "event_id": "EV000001"}, "The event is already cancelled")
    refused(env, "cancel_event", {"user_id": "U003", "event_id": "EV000002"}, "Only the organizer can change the event")


def test_invite_and_remove(env):
    r = ok(env, "invite_attendee", {"user_id": "U001", "event_id": "EV000001", "invitee": "U004"})
    assert r["attendees"] == ["U002", "U003", "U004"]
    refused(env, "invite_attendee", {"user_id": "U001", "event_id": "EV000001", "invitee": "U004"},
            "The user is already on the event")
    refused(env, "invite_attendee", {"user_id": "U001", "event_id": "EV000003", "invitee": "U004"},
            "The room is too small")
    refused(env, "invite_attendee", {"user_id": "U003", "event_id": "EV000005", "invitee": "U002"},
            "The invitee is out of office that day")
    r = ok(env, "remove_attendee", {"user_id": "U001", "event_id": "EV000001", "attendee": "U002"})
    assert r["attendees"] == ["U003", "U004"]
    refused(env, "remove_attendee", {"user_id": "U001", "event_id": "EV000001", "attendee": "U002"},
            "The user is not invited")


def test_respond_to_invitation(env):
    refused(env, "respond_to_invitation", {"user_id": "U002", "event_id": "EV000002", "response": "accepted"},
            "The user already has an event at that time")
    r = ok(env, "respond_to_invitation", {"user_id": "U002", "event_id": "EV000002", "response": "tentative"})
    assert r["response"] == "tentative"
    ok(env, "respond_to_invitation", {"user_id": "U003", "event_id": "EV000002", "response": "accepted"})
    assert row(env, "event", "EV000002")["attendees"][0] == {"user_id": "U003", "response": "accepted"}
    refused(env, "respond_to_invitation", {"user_id": "U004", "event_id": "EV000001", "response": "accepted"},
            "The user is not invited to this event")
    refused(env, "respond_to_invitation", {"user_id": "U002", "event_id": "EV000004", "response": "accepted"},
            "Only upcoming events can be answered")


def test_rooms(env):
    assert ok(env, "release_room", {"user_id": "U001", "event_id": "EV000001"})["room_id"] is None
    refused(env, "release_room", {"user_id": "U001", "event_id": "EV000001"}, "The event has no room")
    assert ok(env, "book_room", {"user_id": "U004", "event_id": "EV000002", "room_id": "RM2"})["room_id"] == "RM2"
    refused(env, "book_room", {"user_id": "U004", "event_id": "EV000002", "room_id": "RM2"},
            "The event already has a room; release it first")
    refused(env, "book_room", {"user_id": "U001", "event_id": "EV000001", "room_id": "RM1"}, "The room is too small")
    rooms = [r["room_id"] for r in ok(env, "find_free_rooms", {"date": "2025-11-04", "start_hour": 11,
                                                               "end_hour": 12, "people": 10})]
    assert "RM2" not in rooms and "RM1" not in rooms and all(r >= "RM1" for r in rooms)


def test_room_clash_on_book(env):
    ok(env, "reschedule_event", {"user_id": "U004", "event_id": "EV000002", "date": "2025-11-04",
                                 "start_hour": 10, "end_hour": 11})
    refused(env, "book_room", {"user_id": "U004", "event_id": "EV000002", "room_id": "RM2"},
            "The room is taken at that time")


def test_transfer_event(env):
    e = ok(env, "transfer_event", {"user_id": "U001", "event_id": "EV000001", "new_organizer": "U003"})
    assert e["organizer"] == "U003"
    assert e["attendees"] == [{"user_id": "U002", "response": "accepted"}, {"user_id": "U001", "response": "accepted"}]
    refused(env, "transfer_event", {"user_id": "U003", "event_id": "EV000001", "new_organizer": "U004"},
            "The new organizer must be an attendee")


def test_out_of_office(env):
    r = ok(env, "set_out_of_office", {"user_id": "U003", "date": "2025-11-04"})
    assert r["out_of_office"] == ["2025-11-04"]
    assert [a["response"] for a in row(env, "event", "EV000002")["attendees"]] == ["declined", "pending"]
    assert row(env, "event", "EV000001")["attendees"][1] == {"user_id": "U003", "response": "declined"}
    refused(env, "set_out_of_office", {"user_id": "U003", "date": "2025-11-04"}, "The day is already out of office")
    refused(env, "set_out_of_office", {"user_id": "U003", "date": "2025-11-01"},
            "Out-of-office days start today or later")


def test_agenda(env):
    agenda = ok(env, "get_agenda", {"user_id": "U002", "date": "2025-11-04"})
    assert [(a["event_id"], a["my_response"]) for a in agenda] == [("EV000001", "accepted"), ("EV000002", "pending")]
