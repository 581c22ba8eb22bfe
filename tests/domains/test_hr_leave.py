"""HR leave scenarios: balances, overlaps, blackouts, staffing limits, manager-only decisions, cancellations."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("hr_leave")


def test_submit(env):
    r = ok(env, "submit_leave_request", {"employee_id": "E0002", "kind": "vacation", "start": "2025-07-07",
                                         "end": "2025-07-11", "note": "Beach"})
    assert r["days"] == 5 and r["status"] == "pending" and r["note"] == "Beach"
    sick = ok(env, "submit_leave_request", {"employee_id": "E0003", "kind": "sick", "start": "2025-05-30",
                                            "end": "2025-05-30"})
    assert sick["days"] == 1


@pytest.mark.parametrize("args, message", [
    ({"employee_id": "E0004", "kind": "unpaid", "start": "2025-07-01", "end": "2025-07-02"},
     "Terminated employees cannot request leave"),
    ({"employee_id": "E0002", "kind": "vacation", "start": "2025-07-02", "end": "2025-07-01"}, "The end is before the start"),
    ({"employee_id": "E0002", "kind": "unpaid", "start": "2025-07-01", "end": "2025-07-21"}, "A request is at most 20 days"),
    ({"employee_id": "E0002", "kind": "vacation", "start": "2025-05-30", "end": "2025-06-03"},
     "Leave starts today or later; sick leave up to 7 days back"),
    ({"employee_id": "E0002", "kind": "unpaid", "start": "2025-06-12", "end": "2025-06-13"},
     "The request overlaps another request"),
    ({"employee_id": "E0003", "kind": "vacation", "start": "2025-07-01", "end": "2025-07-05"}, "Not enough leave balance"),
    ({"employee_id": "E0003", "kind": "personal", "start": "2025-07-01", "end": "2025-07-01"}, "Not enough leave balance"),
    ({"employee_id": "E0003", "kind": "parental", "start": "2025-07-01", "end": "2025-07-05"},
     "Parental leave needs one year of service"),
    ({"employee_id": "E0002", "kind": "vacation", "start": "2025-06-18", "end": "2025-06-21"},
     "Vacation cannot touch a department blackout"),
])
def test_submit_refusals(env, args, message):
    refused(env, "submit_leave_request", args, message)


def test_change_dates_and_approve(env):
    r = ok(env, "change_request_dates", {"employee_id": "E0002", "request_id": "LR000001", "start": "2025-06-13",
                                         "end": "2025-06-16"})
    assert (r["start"], r["end"], r["days"]) == ("2025-06-13", "2025-06-16", 4)
    a = ok(env, "approve_request", {"manager_id": "E0001", "request_id": "LR000001"})
    assert a["status"] == "approved" and a["balances"]["vacation"] == 8
    assert row(env, "leave_request", "LR000001")["decided_by"] == "E0001"
    refused(env, "approve_request", {"manager_id": "E0001", "request_id": "LR000001"}, "The request is not pending")
    refused(env, "change_request_dates", {"employee_id": "E0002", "request_id": "LR000001", "start": "2025-06-13",
                                          "end": "2025-06-14"}, "Only a pending request can change")


def test_approve_refusals(env):
    refused(env, "approve_request", {"manager_id": "E0001", "request_id": "LR000001"},
            "Too many people in the department are already out then")
    refused(env, "approve_request", {"manager_id": "E0003", "request_id": "LR000001"},
            "Only the employee's manager can decide")


def test_reject(env):
    refused(env, "reject_request", {"manager_id": "E0001", "request_id": "LR000001", "reason": " "},
            "A rejection needs a reason")
    r = ok(env, "reject_request", {"manager_id": "E0001", "request_id": "LR000001", "reason": "Coverage"})
    assert r["status"] == "rejected" and row(env, "leave_request", "LR000001")["note"] == "Coverage"


def test_cancel(env):
    r = ok(env, "cancel_request", {"employee_id": "E0002", "request_id": "LR000003"})
    assert r == {"request_id": "LR000003", "status": "cancelled", "days_returned": 1}
    assert row(env, "employee", "E0002")["balances"]["personal"] == 2
    refused(env, "cancel_request", {"employee_id": "E0002", "request_id": "LR000004"},
            "Approved leave can be cancelled only before it starts")
    refused(env, "cancel_request", {"employee_id": "E0002", "request_id": "LR000003"}, "The request is already closed")
    refused(env, "cancel_request", {"employee_id": "E0002", "request_id": "LR000002"},
            "The request belongs to another employee")


def test_adjust_balance(env):
    r = ok(env, "adjust_balance", {"employee_id": "E0003", "kind": "personal", "days": 2, "reason": "Volunteering"})
    assert r["balances"]["personal"] == 2
    assert row(env, "employee", "E0003")["adjustments"] == ["2025-06-02 personal 2 days: Volunteering"]
    refused(env, "adjust_balance", {"employee_id": "E0003", "kind": "vacation", "days": -5, "reason": "x"},
            "A balance cannot go negative")
    refused(env, "adjust_balance", {"employee_id": "E0003", "kind": "vacation", "days": 11, "reason": "x"},
            "An adjustment is 1 to 10 days up or down")


def test_blackout(env):
    b = ok(env, "add_blackout", {"dept_id": "DEP02", "start": "2025-08-01", "end": "2025-08-07", "reason": "Release"})
    assert b == [{"start": "2025-08-01", "end": "2025-08-07", "reason": "Release"}]
    refused(env, "add_blackout", {"dept_id": "DEP02", "start": "2025-08-05", "end": "2025-08-09", "reason": "x"},
            "The period overlaps another blackout")
    refused(env, "add_blackout", {"dept_id": "DEP02", "start": "2025-09-01", "end": "2025-09-20", "reason": "x"},
            "A blackout is 1 to 14 days")


def test_change_manager(env):
    assert ok(env, "change_manager", {"employee_id": "E0003", "manager_id": "E0002"})["manager_id"] == "E0002"
    refused(env, "change_manager", {"employee_id": "E0002", "manager_id": "E0003"}, "The new manager reports to this employee")
    refused(env, "change_manager", {"employee_id": "E0002", "manager_id": "E0004"}, "The new manager is not active")
    refused(env, "change_manager", {"employee_id": "E0002", "manager_id": "E0002"}, "An employee cannot manage themselves")


def test_reads(env):
    assert [r["request_id"] for r in ok(env, "list_team_requests", {"manager_id": "E0001"})] == ["LR000001"]
    assert [r["employee_id"] for r in ok(env, "who_is_out", {"dept_id": "DEP01", "date": "2025-06-11"})] == ["E0003"]
