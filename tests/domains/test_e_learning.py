"""E-learning scenarios: enrollment rules (plans, prerequisites, seats, credits), quizzes and attempts, completion and certificates, refunds, drops, extensions, credits and plans."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("e_learning")


def credits(env, learner):
    return float(row(env, "learner", learner)["credits"])


def test_enroll(env):
    e = ok(env, "enroll", {"learner_id": "LR00001", "course_id": "CRS006"})
    assert e["status"] == "active" and e["paid"] == 40 and e["enrolled_on"] == "2025-11-03"
    assert e["deadline"] == "2026-02-01" and e["progress"] == {}
    assert credits(env, "LR00001") == 160 and row(env, "course", "CRS006")["enrolled"] == 1
    e = ok(env, "enroll", {"learner_id": "LR00003", "course_id": "CRS006"})
    assert e["paid"] == 50 and credits(env, "LR00003") == 450


@pytest.mark.parametrize("learner, course, message", [
    ("LR00001", "CRS005", "The course is not open for enrollment"),
    ("LR00003", "CRS003", "This course is for pro learners"),
    ("LR00003", "CRS001", "The learner is already enrolled in or has completed this course"),
    ("LR00001", "CRS002", "The learner has not completed the prerequisites"),
    ("LR00001", "CRS004", "The course is full"),
    ("LR00002", "CRS006", "Not enough credits"),
])
def test_enroll_refusals(env, learner, course, message):
    refused(env, "enroll", {"learner_id": learner, "course_id": course}, message)


def test_submit_quiz(env):
    r = ok(env, "submit_quiz", {"enrollment_id": "EN000002", "module_id": "M3", "score": 85})
    assert r == {"enrollment_id": "EN000002", "module_id": "M3", "score": 85, "attempts": 3, "passed": True}
    assert row(env, "enrollment", "EN000002")["progress"]["M3"] == {"module_id": "M3", "score": 85, "attempts": 3,
                                                                    "passed": True}
    refused(env, "submit_quiz", {"enrollment_id": "EN000002", "module_id": "M3", "score": 90},
            "The module's quiz is already passed")


def test_quiz_attempts_run_out(env):
    r = ok(env, "submit_quiz", {"enrollment_id": "EN000002", "module_id": "M3", "score": 50})
    assert r["score"] == 60 and r["attempts"] == 3 and r["passed"] is False  # the best score is kept
    refused(env, "submit_quiz", {"enrollment_id": "EN000002", "module_id": "M3", "score": 95},
            "No quiz attempts left for this module")


@pytest.mark.parametrize("enrollment, module, score, message", [
    ("EN000002", "M3", 101, "The score must be between 0 and 100"),
    ("EN000004", "M2", 80, "The enrollment is not active"),
    ("EN000003", "M1", 80, "The enrollment's deadline has passed"),
    ("EN000001", "M9", 80, "The course has no such module"),
    ("EN000001", "M1", 80, "This module has no quiz; mark it done instead"),
])
def test_submit_quiz_refusals(env, enrollment, module, score, message):
    refused(env, "submit_quiz", {"enrollment_id": enrollment, "module_id": module, "score": score}, message)


def test_mark_module_done(env):
    p = ok(env, "mark_module_done", {"enrollment_id": "EN000006", "module_id": "M1"})
    assert p == {"M1": {"module_id": "M1", "score": 100, "attempts": 0, "passed": True}}
    refused(env, "mark_module_done", {"enrollment_id": "EN000006", "module_id": "M1"}, "The module is already done")
    refused(env, "mark_module_done", {"enrollment_id": "EN000001", "module_id": "M2"},
            "This module is passed through its quiz")


def test_complete_course(env):
    refused(env, "complete_course", {"enrollment_id": "EN000002"}, "Not every module has passed yet")
    ok(env, "submit_quiz", {"enrollment_id": "EN000002", "module_id": "M3", "score": 85})
    r = ok(env, "complete_course", {"enrollment_id": "EN000002"})
    assert r == {"enrollment_id": "EN000002", "status": "completed",
                 "certificate": {"course_id": "CRS001", "issued": "2025-11-03", "grade": 88}}
    assert row(env, "learner", "LR00002")["certificates"][-1]["grade"] == 88
    refused(env, "complete_course", {"enrollment_id": "EN000002"}, "The enrollment is not active")


def test_request_refund(env):
    r = ok(env, "request_refund", {"enrollment_id": "EN000006", "learner_id": "LR00003"})
    assert r == {"enrollment_id": "EN000006", "status": "refunded", "refunded": 25.0}
    assert credits(env, "LR00003") == 525 and row(env, "course", "CRS004")["enrolled"] == 1


@pytest.mark.parametrize("enrollment, learner, message", [
    ("EN000006", "LR00001", "The enrollment belongs to another learner"),
    ("EN000004", "LR00003", "Only active enrollments can be refunded"),
    ("EN000003", "LR00002", "Refunds are possible only within 14 days of enrolling"),
    ("EN000005", "LR00003", "30% or more of the course is done; it can be dropped but not refunded"),
    ("EN000001", "LR00001", "30% or more of the course is done; it can be dropped but not refunded"),
])
def test_request_refund_refusals(env, enrollment, learner, message):
    refused(env, "request_refund", {"enrollment_id": enrollment, "learner_id": learner}, message)


def test_drop_course(env):
    assert ok(env, "drop_course", {"enrollment_id": "EN000003", "learner_id": "LR00002"}) == {
        "enrollment_id": "EN000003", "status": "dropped"}
    assert row(env, "course", "CRS004")["enrolled"] == 1 and credits(env, "LR00002") == 15
    refused(env, "drop_course", {"enrollment_id": "EN000003", "learner_id": "LR00002"},
            "Only active enrollments can be dropped")
    refused(env, "drop_course", {"enrollment_id": "EN000001", "learner_id": "LR00002"},
            "The enrollment belongs to another learner")


def test_extend_deadline(env):
    r = ok(env, "extend_deadline", {"enrollment_id": "EN000003", "days": 14})
    assert r == {"enrollment_id": "EN000003", "deadline": "2025-11-13", "fee": 10}
    assert credits(env, "LR00002") == 5
    refused(env, "extend_deadline", {"enrollment_id": "EN000003", "days": 7},
            "The deadline has already been extended once")
    refused(env, "extend_deadline", {"enrollment_id": "EN000002", "days": 7},
            "Not enough credits for the 10-credit extension fee")
    refused(env, "extend_deadline", {"enrollment_id": "EN000002", "days": 45}, "An extension is 7 to 30 days")
    assert ok(env, "extend_deadline", {"enrollment_id": "EN000001", "days": 30})["fee"] == 0  # pro


def test_buy_credits(env):
    assert ok(env, "buy_credits", {"learner_id": "LR00002", "amount": 20}) == {"learner_id": "LR00002",
                                                                              "credits": 35.0}
    refused(env, "buy_credits", {"learner_id": "LR00002", "amount": 600}, "Credits are bought 10 to 500 at a time")


def test_change_plan(env):
    assert ok(env, "change_plan", {"learner_id": "LR00003", "plan": "pro"}) == {
        "learner_id": "LR00003", "plan": "pro", "credits": 471.0}
    refused(env, "change_plan", {"learner_id": "LR00003", "plan": "pro"}, "The learner is already on that plan")
    refused(env, "change_plan", {"learner_id": "LR00001", "plan": "free"},
            "Drop or finish the active pro-only courses first")
    refused(env, "change_plan", {"learner_id": "LR00002", "plan": "pro"}, "Not enough credits for the pro plan (29)")
    ok(env, "drop_course", {"enrollment_id": "EN000007", "learner_id": "LR00001"})
    assert ok(env, "change_plan", {"learner_id": "LR00001", "plan": "free"})["plan"] == "free"


def test_reads(env):
    assert ok(env, "find_learner", {"email": "CAI@example.com"})["learner_id"] == "LR00003"
    g = ok(env, "get_learner", {"learner_id": "LR00002"})
    assert [e["enrollment_id"] for e in g["enrollments"]] == ["EN000002", "EN000003"]
    assert [c["course_id"] for c in ok(env, "search_courses", {"query": "python"})] == ["CRS002", "CRS001"]
    assert ok(env, "search_courses", {"query": "pricing"}) == []
    assert len(ok(env, "get_course", {"course_id": "CRS001"})["modules"]) == 3
    e = ok(env, "get_enrollment", {"enrollment_id": "EN000002"})
    assert e["modules_passed"] == 2 and e["modules_total"] == 3
