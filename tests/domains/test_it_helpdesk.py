"""IT help-desk scenarios: ticket limits, comments by the owner, reopen window, password resets, licence seats, loaner laptops."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("it_helpdesk")


def test_open_ticket(env):
    t = ok(env, "open_ticket", {"employee_id": "E00001", "title": "  Outlook crashes ", "category": "software"})
    assert t["title"] == "Outlook crashes" and t["status"] == "open" and t["priority"] == "normal"
    refused(env, "open_ticket", {"employee_id": "E00001", "title": "One more issue", "category": "software"},
            "The employee already has 3 open tickets")
    refused(env, "open_ticket", {"employee_id": "E00002", "title": "Laptop slow", "category": "hardware",
                                 "priority": "urgent"}, "Urgent priority is only for outages")
    refused(env, "open_ticket", {"employee_id": "E00002", "title": "hi", "category": "hardware"},
            "The title must have at least 5 characters")


def test_add_comment(env):
    comments = ok(env, "add_comment", {"ticket_id": "INC900001", "employee_id": "E00001", "text": "Still dropping"})
    assert comments == [{"at": "2025-09-03T08:45:00", "author": "E00001", "text": "Still dropping"}]
    refused(env, "add_comment", {"ticket_id": "INC900001", "employee_id": "E00002", "text": "me too"},
            "Only the ticket's owner can comment")
    refused(env, "add_comment", {"ticket_id": "INC900003", "employee_id": "E00001", "text": "thanks"},
            "The ticket is closed")


def test_close_and_reopen_ticket(env):
    t = ok(env, "close_ticket", {"ticket_id": "INC900001"})
    assert t["status"] == "closed" and t["closed_on"] == "2025-09-03"
    refused(env, "close_ticket", {"ticket_id": "INC900001"}, "The ticket is already closed")
    assert ok(env, "reopen_ticket", {"ticket_id": "INC900003"})["status"] == "open"
    assert row(env, "ticket", "INC900003")["closed_on"] is None
    refused(env, "reopen_ticket", {"ticket_id": "INC900004"},
            "Tickets closed more than 14 days ago cannot be reopened")
    refused(env, "reopen_ticket", {"ticket_id": "INC900002"}, "Only closed tickets can be reopened")


def test_reset_password(env):
    r = ok(env, "reset_password", {"employee_id": "E00001"})
    assert r == {"employee_id": "E00001", "resets_today": 1, "temporary_password_sent_to": "mia@corp.example"}
    refused(env, "reset_password", {"employee_id": "E00002"}, "The account is locked by security; open an access ticket")
    refused(env, "reset_password", {"employee_id": "E00003"}, "The password was already reset 3 times today")


def test_grant_license(env):
    assert ok(env, "grant_license", {"employee_id": "E00001", "software": "Figma Pro"})["licenses"] == ["VS Pro",
                                                                                                       "Figma Pro"]
    assert row(env, "software", "Figma Pro")["used"] == 5
    refused(env, "grant_license", {"employee_id": "E00001", "software": "VS Pro"}, "The employee already has this licence")
    refused(env, "grant_license", {"employee_id": "E00003", "software": "DataLab"}, "No free seats for this software")
    refused(env, "grant_license", {"employee_id": "E00003", "software": "Ledger X"},
            "Restricted software needs the manager's approval")


def test_revoke_license(env):
    assert ok(env, "revoke_license", {"employee_id": "E00001", "software": "VS Pro"})["licenses"] == []
    assert row(env, "software", "VS Pro")["used"] == 9
    refused(env, "revoke_license", {"employee_id": "E00001", "software": "VS Pro"}, "The employee has no such licence")


def test_lend_and_return_laptop(env):
    lap = ok(env, "lend_laptop", {"employee_id": "E00001", "asset_tag": "LT-0001", "days": 10})
    assert lap["lent_to"] == "E00001" and lap["due"] == "2025-09-13"
    refused(env, "lend_laptop", {"employee_id": "E00001", "asset_tag": "LT-1000"}, "The employee already has a loaner")
    refused(env, "lend_laptop", {"employee_id": "E00002", "asset_tag": "LT-0002"}, "That laptop is already lent out")
    refused(env, "lend_laptop", {"employee_id": "E00002", "asset_tag": "LT-1001", "days": 30},
            "Loaners are lent for 1 to 14 days")
    assert ok(env, "return_laptop", {"asset_tag": "LT-0002"}) == {"asset_tag": "LT-0002", "days_late": 3}
    assert row(env, "laptop", "LT-0002")["lent_to"] is None
    refused(env, "return_laptop", {"asset_tag": "LT-0002"}, "That laptop is not lent out")


def test_reads(env):
    assert ok(env, "verify_employee", {"employee_id": "E00001", "email": "MIA@corp.example"})["name"] == "Mia Stone"
    refused(env, "verify_employee", {"employee_id": "E00001", "email": "x@corp.example"},
            "The email does not match the employee")
    assert len(ok(env, "list_tickets", {"employee_id": "E00001"})) == 3
    assert ok(env, "get_ticket", {"ticket_id": "INC900002"})["status"] == "in_progress"
    assert {"name": "DataLab", "free_seats": 0, "restricted": False} in ok(env, "list_software", {})
