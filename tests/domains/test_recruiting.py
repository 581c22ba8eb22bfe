"""Recruiting scenarios: application limits, interview scheduling and capacity, results, offers, hiring and job status."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("recruiting")


def test_register_candidate(env):
    c = ok(env, "register_candidate", {"name": "Max Poe", "email": "Max@Example.org", "skills": ["Python"]})
    assert c["email"] == "max@example.org" and c["skills"] == ["python"] and c["do_not_contact"] is False
    assert ok(env, "find_candidate", {"email": "max@example.org"})["candidate_id"] == c["candidate_id"]
    refused(env, "register_candidate", {"name": "Ines", "email": "INES@example.com"},
            "A candidate with this email is already registered")
    refused(env, "register_candidate", {"name": "X", "email": "nobody"}, "The email address is not valid")


def test_submit_application(env):
    c = ok(env, "register_candidate", {"name": "Ann Lee", "email": "ann@example.org"})
    a = ok(env, "submit_application", {"candidate_id": c["candidate_id"], "job_id": "JOB001"})
    assert a["stage"] == "applied" and a["applied_on"] == "2025-06-02" and a["interviews"] == [] and a["offer"] is None


@pytest.mark.parametrize("cand, job, message", [
    ("CA00003", "JOB001", "The candidate asked not to be contacted"),
    ("CA00002", "JOB004", "The job is not open for applications"),
    ("CA00002", "JOB003", "Applications for this job have closed"),
    ("CA00002", "JOB001", "The candidate has already applied to this job"),
    ("CA00001", "JOB005", "The job is not open for applications"),
    ("CA99999", "JOB001", "Candidate with ID CA99999 not found"),
])
def test_submit_application_refusals(env, cand, job, message):
    refused(env, "submit_application", {"candidate_id": cand, "job_id": job}, message)


def test_active_application_limit(env):
    job = ok(env, "search_jobs", {"query": ""})[-1]["job_id"]
    refused(env, "submit_application", {"candidate_id": "CA00001", "job_id": job},
            "A candidate may hold at most 3 active applications")


def test_advance_to_screening(env):
    refused(env, "advance_to_screening", {"app_id": "AP000003"}, "The job is not open")
    ok(env, "set_job_status", {"job_id": "JOB004", "status": "open"})
    assert ok(env, "advance_to_screening", {"app_id": "AP000003"}) == {"app_id": "AP000003", "stage": "screening"}
    refused(env, "advance_to_screening", {"app_id": "AP000003"}, "Only new applications can move to screening")


def test_schedule_interview(env):
    a = ok(env, "schedule_interview", {"app_id": "AP000002", "interviewer_id": "IV002", "day": "2025-06-05",
                                       "time": "10:00"})
    assert a["stage"] == "interview"
    assert a["interviews"] == [{"round": 1, "interviewer_id": "IV002", "day": "2025-06-05", "time": "10:00",
                                "status": "scheduled"}]
    assert ok(env, "interviewer_schedule", {"interviewer_id": "IV002"}) == [
        {"app_id": "AP000002", "day": "2025-06-05", "time": "10:00", "round": 1}]
    refused(env, "schedule_interview", {"app_id": "AP000002", "interviewer_id": "IV002", "day": "2025-06-06",
                                        "time": "10:00"}, "The application already has an interview scheduled")


@pytest.mark.parametrize("app, iv, day, time, message", [
    ("AP000003", "IV002", "2025-06-05", "10:00",
     "Interviews can be scheduled only for applications in screening or interview"),
    ("AP000002", "IV002", "2025-06-02", "10:00", "Interviews are scheduled 1 to 30 days ahead"),
    ("AP000002", "IV002", "2025-07-03", "10:00", "Interviews are scheduled 1 to 30 days ahead"),
    ("AP000002", "IV002", "2025-06-05", "19:00", "Interviews start between 08:00 and 17:00 (HH:MM)"),
    ("AP000002", "IV001", "2025-06-05", "10:00", "The interviewer is busy at that time"),
    ("AP000004", "IV002", "2025-06-05", "10:00", "The application already has an interview scheduled"),
    ("AP000009", "IV002", "2025-06-05", "10:00", "An application has at most 3 interview rounds"),
])
def test_schedule_interview_refusals(env, app, iv, day, time, message):
    refused(env, "schedule_interview", {"app_id": app, "interviewer_id": iv, "day": day, "time": time}, message)


def test_interviewer_daily_limit(env):
    # IV001 takes 2 interviews a day and already has AP000006 at 10:00 on 2025-06-05.
    ok(env, "schedule_interview", {"app_id": "AP000002", "interviewer_id": "IV001", "day": "2025-06-05",
                                   "time": "11:00"})
    refused(env, "schedule_interview", {"app_id": "AP000001", "interviewer_id": "IV001", "day": "2025-06-05",
                                        "time": "15:00"}, "The interviewer has no more interview slots that day")
    a = ok(env, "schedule_interview", {"app_id": "AP000001", "interviewer_id": "IV002", "day": "2025-06-05",
                                       "time": "15:00"})
    assert a["interviews"][-1]["round"] == 3


def test_cancel_interview(env):
    i = ok(env, "cancel_interview", {"app_id": "AP000006"})
    assert i[0]["status"] == "cancelled"
    refused(env, "cancel_interview", {"app_id": "AP000006"}, "The application has no scheduled interview")
    refused(env, "cancel_interview", {"app_id": "AP000004"}, "Interviews can be cancelled only until the day before")


def test_record_interview_result(env):
    a = ok(env, "record_interview_result", {"app_id": "AP000004", "outcome": "passed", "score": 4})
    assert a["interviews"][0]["status"] == "passed" and a["scores"] == {"IV003": 4}
    refused(env, "record_interview_result", {"app_id": "AP000004", "outcome": "passed", "score": 4},
            "The application has no scheduled interview")
    refused(env, "record_interview_result", {"app_id": "AP000006", "outcome": "passed", "score": 4},
            "The interview has not taken place yet")
    refused(env, "record_interview_result", {"app_id": "AP000006", "outcome": "passed", "score": 6},
            "The score must be between 1 and 5")


def test_extend_offer(env):
    a = ok(env, "extend_offer", {"app_id": "AP000001", "salary": 110000, "start_date": "2025-07-01"})
    assert a["stage"] == "offer"
    assert a["offer"] == {"salary": 110000.0, "start_date": "2025-07-01", "extended_on": "2025-06-02",
                          "expires": "2025-06-09", "status": "extended"}


@pytest.mark.parametrize("app, salary, start, message", [
    ("AP000001", 150000, "2025-07-01", "The salary must be within the job's band"),
    ("AP000001", 100000, "2025-06-10", "The start date must be at least 14 days away"),
    ("AP000008", 70000, "2025-07-01", "The candidate failed an interview"),
    ("AP000004", 70000, "2025-07-01", "An interview is still scheduled"),
    ("AP000002", 70000, "2025-07-01", "Offers are made only to applications in the interview stage"),
])
def test_extend_offer_refusals(env, app, salary, start, message):
    refused(env, "extend_offer", {"app_id": app, "salary": salary, "start_date": start}, message)


def test_extend_offer_needs_two_passed_rounds(env):
    ok(env, "record_interview_result", {"app_id": "AP000004", "outcome": "passed", "score": 5})
    refused(env, "extend_offer", {"app_id": "AP000004", "salary": 70000, "start_date": "2025-07-01"},
            "An offer needs at least 2 passed interviews")


def test_accept_offer_fills_job_and_withdraws_others(env):
    r = ok(env, "accept_offer", {"app_id": "AP000005", "candidate_id": "CA00002"})
    assert r == {"app_id": "AP000005", "stage": "hired", "job_id": "JOB001", "job_status": "filled",
                 "openings_left": 0}
    assert row(env, "application", "AP000005")["offer"]["status"] == "accepted"
    assert row(env, "application", "AP000004")["stage"] == "withdrawn"
    assert row(env, "job", "JOB001")["hires"] == 2
    refused(env, "extend_offer", {"app_id": "AP000001", "salary": 110000, "start_date": "2025-07-01"},
            "The job is not open")


@pytest.mark.parametrize("app, cand, message", [
    ("AP000005", "CA00001", "The application belongs to another candidate"),
    ("AP000007", "CA00004", "The offer has expired"),
    ("AP000001", "CA00001", "The application has no outstanding offer"),
])
def test_accept_offer_refusals(env, app, cand, message):
    refused(env, "accept_offer", {"app_id": app, "candidate_id": cand}, message)


def test_decline_offer(env):
    assert ok(env, "decline_offer", {"app_id": "AP000005", "candidate_id": "CA00002"}) == {
        "app_id": "AP000005", "stage": "withdrawn"}
    assert row(env, "application", "AP000005")["offer"]["status"] == "declined"
    refused(env, "decline_offer", {"app_id": "AP000005", "candidate_id": "CA00002"},
            "The application has no outstanding offer")
    refused(env, "decline_offer", {"app_id": "AP000007", "candidate_id": "CA00001"},
            "The application belongs to another candidate")


def test_rescind_offer(env):
    r = ok(env, "rescind_offer", {"app_id": "AP000007"})
    assert r["stage"] == "interview" and r["offer"]["status"] == "rescinded" and r["offer"]["salary"] == 70000
    refused(env, "rescind_offer", {"app_id": "AP000007"}, "The application has no outstanding offer")


def test_reject_application(env):
    r = ok(env, "reject_application", {"app_id": "AP000006", "reason": "experience"})
    assert r == {"app_id": "AP000006", "stage": "rejected", "reject_reason": "experience"}
    assert row(env, "application", "AP000006")["interviews"][0]["status"] == "cancelled"
    refused(env, "reject_application", {"app_id": "AP000005", "reason": "other"},
            "Rescind the outstanding offer before rejecting")
    refused(env, "reject_application", {"app_id": "AP000006", "reason": "other"},
            "Only active applications can be rejected")


def test_withdraw_application(env):
    assert ok(env, "withdraw_application", {"app_id": "AP000004", "candidate_id": "CA00002"})["stage"] == "withdrawn"
    assert row(env, "application", "AP000004")["interviews"][0]["status"] == "cancelled"
    refused(env, "withdraw_application", {"app_id": "AP000002", "candidate_id": "CA00002"},
            "The application belongs to another candidate")
    refused(env, "withdraw_application", {"app_id": "AP000005", "candidate_id": "CA00002"},
            "Only active applications without an offer can be withdrawn")


def test_set_job_status(env):
    assert ok(env, "set_job_status", {"job_id": "JOB002", "status": "on_hold"})["status"] == "on_hold"
    refused(env, "set_job_status", {"job_id": "JOB001", "status": "closed"}, "The job has an outstanding offer")
    refused(env, "set_job_status", {"job_id": "JOB005", "status": "open"}, "A filled job cannot be changed")
    refused(env, "set_job_status", {"job_id": "JOB002", "status": "on_hold"}, "The job already has that status")
    refused(env, "set_job_status", {"job_id": "JOB003", "status": "on_hold"}, "The job has an outstanding offer")
    refused(env, "set_job_status", {"job_id": "JOB006", "status": "open"},
            "The closing date has passed; the job cannot be reopened")


def test_reads(env):
    c = ok(env, "get_candidate", {"candidate_id": "CA00001"})
    assert [a["app_id"] for a in c["applications"]] == ["AP000001", "AP000002", "AP000003"]
    assert ok(env, "get_application", {"app_id": "AP000001"})["scores"] == {"IV001": 4, "IV002": 5}
    jobs = ok(env, "search_jobs", {"query": "engineer", "department": "engineering"})
    assert "JOB001" in [j["job_id"] for j in jobs] and "JOB005" not in [j["job_id"] for j in jobs]
