"""Book-club scenarios: RSVP rules (status, dues, capacity, limits), hosting meetings, the lending shelf with fines and renewals, polls, dues and fines."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("book_club")


PRIDE, FOUNDATION, CHRISTIE, ROAD = "9780141439518", "9780553293357", "9780062073488", "9780307387899"


def test_rsvp_meeting(env):
    r = ok(env, "rsvp_meeting", {"member_id": "BM0005", "meeting_id": "MT0005"})
    assert r == {"meeting_id": "MT0005", "day": "2025-03-20", "free_places": 8}
    last = row(env, "meeting", "MT0005")["rsvps"][-1]
    assert last["member_id"] == "BM0005" and str(last["at"]) == "2025-02-10"


@pytest.mark.parametrize("member, meeting, message", [
    ("BM0003", "MT0005", "Only active members can RSVP"),
    ("BM0002", "MT0004", "The meeting is not upcoming"),
    ("BM0002", "MT0002", "Dues must be paid through the meeting day"),
    ("BM0005", "MT0001", "The member has already RSVPed"),
    ("BM0001", "MT0006", "A member may hold at most 4 upcoming RSVPs"),
])
def test_rsvp_refusals(env, member, meeting, message):
    refused(env, "rsvp_meeting", {"member_id": member, "meeting_id": meeting}, message)


def test_meeting_full(env):
    assert ok(env, "rsvp_meeting", {"member_id": "BM0002", "meeting_id": "MT0001"})["free_places"] == 0
    ok(env, "pay_dues", {"member_id": "BM0003", "months": 1, "amount": 5})
    refused(env, "rsvp_meeting", {"member_id": "BM0003", "meeting_id": "MT0001"}, "The meeting is full")


def test_cancel_rsvp(env):
    assert ok(env, "cancel_rsvp", {"member_id": "BM0005", "meeting_id": "MT0001"}) == {"meeting_id": "MT0001",
                                                                                       "free_places": 2}
    assert [r["member_id"] for r in row(env, "meeting", "MT0001")["rsvps"]] == ["BM0001"]
    refused(env, "cancel_rsvp", {"member_id": "BM0005", "meeting_id": "MT0001"},
            "The member has not RSVPed to this meeting")
    refused(env, "cancel_rsvp", {"member_id": "BM0002", "meeting_id": "MT0003"},
            "RSVPs can be cancelled only until the day before")
    refused(env, "cancel_rsvp", {"member_id": "BM0001", "meeting_id": "MT0001"},
            "The host cannot cancel their RSVP; cancel the meeting instead")


def test_schedule_meeting(env):
    m = ok(env, "schedule_meeting", {"host": "BM0005", "isbn": ROAD, "day": "2025-03-10", "time": "19:00",
                                     "venue": "Corner Cafe", "capacity": 10})
    assert m["status"] == "scheduled" and m["capacity"] == 10 and m["day"] == "2025-03-10"
    assert m["rsvps"] == [{"member_id": "BM0005", "at": "2025-02-10"}]


@pytest.mark.parametrize("host, day, time, capacity, message", [
    ("BM0002", "2025-03-10", "19:00", 10, "Only active hosts can schedule meetings"),
    ("BM0005", "2025-02-12", "19:00", 10, "Meetings are scheduled 7 to 90 days ahead"),
    ("BM0005", "2025-05-20", "19:00", 10, "Meetings are scheduled 7 to 90 days ahead"),
    ("BM0005", "2025-03-10", "19:00", 2, "A meeting is for 4 to 30 people"),
    ("BM0005", "2025-03-10", "22:00", 10, "Meetings start between 09:00 and 20:00 (HH:MM)"),
    ("BM0005", "2025-03-04", "12:00", 10, "Another meeting is already scheduled that day"),
])
def test_schedule_meeting_refusals(env, host, day, time, capacity, message):
    refused(env, "schedule_meeting", {"host": host, "isbn": ROAD, "day": day, "time": time, "venue": "Cafe",
                                      "capacity": capacity}, message)


def test_cancel_meeting(env):
    r = ok(env, "cancel_meeting", {"meeting_id": "MT0001", "host": "BM0001"})
    assert r == {"meeting_id": "MT0001", "status": "cancelled", "notified": ["BM0005"]}
    refused(env, "cancel_meeting", {"meeting_id": "MT0001", "host": "BM0001"}, "The meeting is not upcoming")
    refused(env, "cancel_meeting", {"meeting_id": "MT0002", "host": "BM0001"}, "Only the meeting's host can cancel it")
    refused(env, "cancel_meeting", {"meeting_id": "MT0004", "host": "BM0005"}, "The meeting is not upcoming")


def test_borrow_book(env):
    loan = ok(env, "borrow_book", {"member_id": "BM0001", "isbn": CHRISTIE})
    assert loan["borrowed"] == "2025-02-10" and loan["due"] == "2025-03-10" and loan["renewed"] is False
    assert loan["returned_on"] is None and row(env, "book", CHRISTIE)["available"] == 1
    refused(env, "borrow_book", {"member_id": "BM0001", "isbn": ROAD}, "A member may borrow at most 2 books at a time")


@pytest.mark.parametrize("member, isbn, message", [
    ("BM0003", ROAD, "Only active members can borrow"),
    ("BM0002", ROAD, "Fines above 5.00 must be paid first"),
    ("BM0001", FOUNDATION, "No copy is on the shelf"),
    ("BM0001", PRIDE, "The member already has this book"),
])
def test_borrow_refusals(env, member, isbn, message):
    refused(env, "borrow_book", {"member_id": member, "isbn": isbn}, message)


def test_borrow_with_overdue_loan(env):
    ok(env, "pay_fines", {"member_id": "BM0002", "amount": 7.5})
    refused(env, "borrow_book", {"member_id": "BM0002", "isbn": ROAD}, "An overdue book must be returned first")


def test_return_book(env):
    assert ok(env, "return_book", {"loan_id": "LN000002"}) == {"loan_id": "LN000002", "days_late": 11, "fine": 5.5}
    assert float(row(env, "member", "BM0002")["fines"]) == 13.0 and row(env, "book", FOUNDATION)["available"] == 1
    assert str(row(env, "loan", "LN000002")["returned_on"]) == "2025-02-10"
    assert ok(env, "return_book", {"loan_id": "LN000001"})["fine"] == 0
    refused(env, "return_book", {"loan_id": "LN000002"}, "The book was already returned")


def test_renew_loan(env):
    assert ok(env, "renew_loan", {"loan_id": "LN000001", "member_id": "BM0001"}) == {"loan_id": "LN000001",
                                                                                     "due": "2025-03-03"}
    refused(env, "renew_loan", {"loan_id": "LN000001", "member_id": "BM0001"}, "A loan can be renewed only once")
    refused(env, "renew_loan", {"loan_id": "LN000002", "member_id": "BM0002"}, "Overdue loans cannot be renewed")
    refused(env, "renew_loan", {"loan_id": "LN000004", "member_id": "BM0001"}, "The loan belongs to another member")


def test_vote(env):
    r = ok(env, "vote", {"poll_id": "PL001", "member_id": "BM0001", "isbn": ROAD})
    assert r["options"] == {ROAD: 3, CHRISTIE: 1}
    assert row(env, "poll", "PL001")["voters"][-1] == "BM0001"
    refused(env, "vote", {"poll_id": "PL001", "member_id": "BM0001", "isbn": CHRISTIE}, "The member has already voted")


@pytest.mark.parametrize("poll, member, isbn, message", [
    ("PL002", "BM0001", PRIDE, "The poll is closed"),
    ("PL001", "BM0004", ROAD, "Only active members can vote"),
    ("PL001", "BM0001", PRIDE, "That book is not on the poll"),
])
def test_vote_refusals(env, poll, member, isbn, message):
    refused(env, "vote", {"poll_id": poll, "member_id": member, "isbn": isbn}, message)


def test_suggest_book(env):
    r = ok(env, "suggest_book", {"poll_id": "PL001", "member_id": "BM0001", "isbn": FOUNDATION})
    assert r["options"] == {ROAD: 2, CHRISTIE: 1, FOUNDATION: 0}
    refused(env, "suggest_book", {"poll_id": "PL001", "member_id": "BM0001", "isbn": ROAD},
            "The book is already on the poll")
    refused(env, "suggest_book", {"poll_id": "PL003", "member_id": "BM0001", "isbn": ROAD},
            "The poll already has 6 options")
    refused(env, "suggest_book", {"poll_id": "PL002", "member_id": "BM0001", "isbn": ROAD}, "The poll is closed")


def test_pay_dues(env):
    r = ok(env, "pay_dues", {"member_id": "BM0003", "months": 2, "amount": 10})
    assert r == {"member_id": "BM0003", "status": "active", "dues_paid_until": "2025-04-11"}
    assert ok(env, "pay_dues", {"member_id": "BM0001", "months": 1, "amount": 5})["dues_paid_until"] == "2025-07-30"
    refused(env, "pay_dues", {"member_id": "BM0002", "months": 3, "amount": 10}, "The amount must be 5.00 per month")
    refused(env, "pay_dues", {"member_id": "BM0004", "months": 1, "amount": 5}, "Banned members cannot pay dues")
    refused(env, "pay_dues", {"member_id": "BM0002", "months": 13, "amount": 65}, "Dues are paid for 1 to 12 months")


def test_pay_fines(env):
    refused(env, "pay_fines", {"member_id": "BM0002", "amount": 5},
            "Fines are paid in full: the amount must equal the fines owed")
    assert ok(env, "pay_fines", {"member_id": "BM0002", "amount": 7.5}) == {"member_id": "BM0002", "fines": 0}
    refused(env, "pay_fines", {"member_id": "BM0002", "amount": 1}, "There are no fines to pay")


def test_reads(env):
    assert ok(env, "find_member", {"email": "EVA@example.com"})["member_id"] == "BM0001"
    m = ok(env, "get_member", {"member_id": "BM0001"})
    assert m["upcoming_rsvps"] == ["MT0001", "MT0002", "MT0003", "MT0005"] and len(m["open_loans"]) == 1
    meetings = ok(env, "list_meetings", {})
    assert [x["meeting_id"] for x in meetings] == ["MT0003", "MT0001", "MT0002", "MT0005", "MT0006"]
    assert meetings[1]["free_places"] == 1 and meetings[1]["title"] == "Pride and Prejudice"
    assert ok(env, "search_books", {"query": "asimov"})[0]["available"] == 0
    assert ok(env, "get_poll", {"poll_id": "PL001"})["votes_cast"] == 3
