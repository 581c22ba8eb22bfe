"""Utilities scenarios: paying and disputing bills, meter readings, payment plans, autopay, reconnection, stopping service, outages."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("utilities")


def test_pay_bill(env):
    assert ok(env, "pay_bill", {"bill_id": "B-1001", "amount": 84.2})["status"] == "paid"
    refused(env, "pay_bill", {"bill_id": "B-1001", "amount": 84.2}, "The bill is already paid")
    refused(env, "pay_bill", {"bill_id": "B-1002", "amount": 50}, "Bills are paid in full; the amount must equal the bill")
    refused(env, "pay_bill", {"bill_id": "B-1004", "amount": 45}, "The bill is under dispute")


def test_dispute_bill(env):
    b = ok(env, "dispute_bill", {"bill_id": "B-1001", "reason": "estimated reading"})
    assert b["status"] == "disputed" and b["dispute_reason"] == "estimated reading"
    refused(env, "dispute_bill", {"bill_id": "B-1002", "reason": "wrong tariff"},
            "Bills can be disputed only within 30 days of issue")
    refused(env, "dispute_bill", {"bill_id": "B-1003", "reason": "wrong tariff"}, "Only unpaid bills can be disputed")


def test_submit_reading(env):
    assert ok(env, "submit_reading", {"meter_id": "MT-1", "value": 5400}) == {"meter_id": "MT-1",
                                                                              "usage_since_last": 280}
    assert row(env, "meter", "MT-1")["readings"][-1] == {"on": __import__("datetime").date(2025, 11, 20),
                                                         "value": 5400}
    refused(env, "submit_reading", {"meter_id": "MT-1", "value": 5500}, "The meter already has a reading today")
    env.reset(today="2025-11-21")
    refused(env, "submit_reading", {"meter_id": "MT-1", "value": 5000}, "A reading cannot be lower than the last one")


def test_start_payment_plan(env):
    p = ok(env, "start_payment_plan", {"account_no": "UA000001", "instalments": 4})
    assert p == {"instalments": 4, "monthly": 43.8, "started": "2025-11-20"}
    refused(env, "start_payment_plan", {"account_no": "UA000001", "instalments": 4},
            "The account already has a payment plan")
    refused(env, "start_payment_plan", {"account_no": "UA000002", "instalments": 3},
            "Payment plans are for balances of 100.00 or more")
    refused(env, "start_payment_plan", {"account_no": "UA000002", "instalments": 24}, "A plan has 3 to 12 instalments")


def test_set_autopay(env):
    assert ok(env, "set_autopay", {"account_no": "UA000001", "enabled": True})["autopay"] is True
    refused(env, "set_autopay", {"account_no": "UA000003", "enabled": True},
            "Autopay cannot start while a bill is disputed")


def test_reconnect_service(env):
    r = ok(env, "reconnect_service", {"account_no": "UA000002"})
    assert r == {"account_no": "UA000002", "status": "active", "fees": 25.0}
    refused(env, "reconnect_service", {"account_no": "UA000003"}, "All bills must be paid before reconnection")
    refused(env, "reconnect_service", {"account_no": "UA000002"}, "The account is not disconnected")


def test_stop_service(env):
    refused(env, "stop_service", {"account_no": "UA000001", "stop_on": "2025-12-01"}, "All bills must be paid first")
    ok(env, "pay_bill", {"bill_id": "B-1001", "amount": 84.2})
    ok(env, "pay_bill", {"bill_id": "B-1002", "amount": 91})
    refused(env, "stop_service", {"account_no": "UA000001", "stop_on": "2025-11-21"},
            "Service stops at least 3 days from today")
    a = ok(env, "stop_service", {"account_no": "UA000001", "stop_on": "2025-12-01"})
    assert a["status"] == "stopping" and a["stop_on"] == "2025-12-01"


def test_report_outage(env):
    o = ok(env, "report_outage", {"account_no": "UA000001", "kind": "gas"})
    assert o["open"] is True and o["reported"] == "2025-11-20T16:10:00"
    refused(env, "report_outage", {"account_no": "UA000001", "kind": "water"},
            "The account already has an open outage report")
    refused(env, "report_outage", {"account_no": "UA000002", "kind": "water"}, "The account has no active service")


def test_reads(env):
    assert ok(env, "verify_account", {"account_no": "UA000001", "zip": "30301"})["balance"] == 175.2
    refused(env, "verify_account", {"account_no": "UA000001", "zip": "99999"},
            "The postal code does not match the account")
    assert [b["bill_id"] for b in ok(env, "list_bills", {"account_no": "UA000001"})] == ["B-1001", "B-1002"]
    assert ok(env, "get_meter", {"meter_id": "MT-2"})["kind"] == "water"
