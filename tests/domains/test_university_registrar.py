"""Registrar scenarios: holds, prerequisites, credit limit, capacity and waitlists, drop vs withdraw deadlines, fees."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("university_registrar")


def test_enroll(env):
    r = ok(env, "enroll", {"student_id": "S000001", "course_id": "CS201"})
    assert r == {"course_id": "CS201", "credits_this_term": 16, "seats_left": 0}
    assert row(env, "course", "CS201")["enrolled"] == ["S000003", "S000001"]


@pytest.mark.parametrize("student, course, message", [
    ("S000004", "PHYS101", "Only active students can register"),
    ("S000002", "PHYS101", "The student has a hold; registration is blocked"),
    ("S000001", "ECON101", "The add deadline has passed"),
    ("S000003", "CS101", "The student is already enrolled"),
    ("S000003", "MATH201", "A prerequisite is missing"),
    ("S000001", "CS101", "The course is full; offer the waitlist"),
])
def test_enroll_refusals(env, student, course, message):
    refused(env, "enroll", {"student_id": student, "course_id": course}, message)


def test_credit_limit(env):
    ok(env, "enroll", {"student_id": "S000001", "course_id": "CS201"})
    refused(env, "enroll", {"student_id": "S000001", "course_id": "PHYS101"}, "At most 18 credits per term")


def test_prerequisite_with_failing_grade(env):
    ok(env, "drop_course", {"student_id": "S000003", "course_id": "CS201"})
    refused(env, "enroll", {"student_id": "S000003", "course_id": "CS201"}, "A prerequisite is missing")


def test_waitlist(env):
    refused(env, "join_waitlist", {"student_id": "S000001", "course_id": "CS101"},
            "The student is already enrolled or waitlisted")
    refused(env, "join_waitlist", {"student_id": "S000001", "course_id": "PHYS101"}, "Seats are free; enroll instead")
    refused(env, "join_waitlist", {"student_id": "S000002", "course_id": "CS101"}, "The student cannot register")
    ok(env, "enroll", {"student_id": "S000001", "course_id": "CS201"})
    other = next(s["student_id"] for s in env.rows("student")
                 if s["status"] == "active" and not s["holds"] and s["student_id"] not in ("S000001", "S000003"))
    assert ok(env, "join_waitlist", {"student_id": other, "course_id": "CS201"}) == {"course_id": "CS201", "position": 1}
    assert ok(env, "leave_waitlist", {"student_id": "S000001", "course_id": "CS101"}) == {"course_id": "CS101",
                                                                                         "waitlist": []}
    refused(env, "leave_waitlist", {"student_id": "S000001", "course_id": "CS101"}, "The student is not on the waitlist")


def test_drop_promotes_waitlist(env):
    r = ok(env, "drop_course", {"student_id": "S000003", "course_id": "CS101"})
    assert r == {"course_id": "CS101", "promoted": "S000001"}
    c = row(env, "course", "CS101")
    assert c["enrolled"] == ["S000001"] and c["waitlist"] == []
    refused(env, "drop_course", {"student_id": "S000003", "course_id": "CS101"}, "The student is not enrolled")
    refused(env, "withdraw_course", {"student_id": "S000001", "course_id": "CS101"},
            "Before the drop deadline, drop the course instead")


def test_withdraw_after_drop_deadline(env):
    env.reset(today="2025-10-10")
    refused(env, "drop_course", {"student_id": "S000001", "course_id": "HIST110"},
            "The drop deadline has passed; the course can only be withdrawn")
    r = ok(env, "withdraw_course", {"student_id": "S000001", "course_id": "HIST110"})
    assert r == {"course_id": "HIST110", "record": "W", "promoted": None}
    assert row(env, "student", "S000001")["withdrawals"] == ["2025F HIST110"]
    env.reset(today="2025-11-20")
    refused(env, "withdraw_course", {"student_id": "S000001", "course_id": "HIST110"},
            "The withdrawal deadline has passed")


def test_transcripts_and_balance(env):
    refused(env, "request_transcript", {"student_id": "S000002", "send_to": "x"},
            "Transcripts are not issued with a financial hold")
    r = ok(env, "request_transcript", {"student_id": "S000001", "copies": 2, "send_to": "grad@school.example"})
    assert r == {"student_id": "S000001", "fee": 20, "balance": 20}
    assert row(env, "student", "S000001")["transcripts"][0]["copies"] == 2
    refused(env, "request_transcript", {"student_id": "S000001", "copies": 6, "send_to": "x"}, "1 to 5 copies per request")
    assert ok(env, "pay_balance", {"student_id": "S000002", "amount": 20})["holds"] == ["financial"]
    assert ok(env, "pay_balance", {"student_id": "S000002", "amount": 100}) == {"student_id": "S000002", "balance": 0,
                                                                                "holds": []}
    refused(env, "pay_balance", {"student_id": "S000002", "amount": 1}, "Nothing is owed")


def test_declare_major_and_leave(env):
    assert ok(env, "declare_major", {"student_id": "S000001", "major": "computer science"})["major"] == "computer science"
    refused(env, "declare_major", {"student_id": "S000002", "major": "history"}, "A major is declared from the second year on")
    refused(env, "declare_major", {"student_id": "S000003", "major": "physics"}, "That is already the student's major")
    refused(env, "request_leave", {"student_id": "S000001", "reason": "medical"},
            "Drop or withdraw from current courses first")
    assert ok(env, "request_leave", {"student_id": "S000002", "reason": "financial"})["status"] == "on_leave"
    refused(env, "request_leave", {"student_id": "S000004", "reason": "medical"}, "Only active students can take leave")
