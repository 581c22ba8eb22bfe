"""Insurance scenarios: coverage and filing windows, documents, approval with deductible, appeals, payouts, beneficiaries."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("insurance_claims")


FILE = {"holder_id": "PH0001", "policy_no": "POL-000001", "incident": "theft", "incident_date": "2025-07-01",
        "amount": 600, "description": "Bike rack stolen"}


def test_file_claim(env):
    c = ok(env, "file_claim", FILE)
    assert c["status"] == "submitted" and c["amount"] == 600 and c["holder_id"] == "PH0001"


@pytest.mark.parametrize("change, message", [
    ({"holder_id": "PH0002"}, "The policy belongs to another holder"),
    ({"incident": "flood"}, "The policy does not cover that incident"),
    ({"incident_date": "2025-07-22"}, "The incident date is in the future"),
    ({"incident_date": "2025-04-01"}, "Claims are filed within 90 days of the incident"),
    ({"amount": 4001}, "The amount exceeds the coverage left this year"),
    ({"amount": 0}, "The amount must be positive"),
    ({"incident": "collision", "incident_date": "2025-07-10"}, "An open claim for that incident date exists"),
    ({"holder_id": "PH0002", "policy_no": "POL-000003", "incident": "fire"}, "The policy is not active"),
    ({"holder_id": "PH0002", "policy_no": "POL-000004", "incident": "baggage", "incident_date": "2025-06-28"},
     "The incident is outside the policy period"),
])
def test_file_claim_refusals(env, change, message):
    refused(env, "file_claim", {**FILE, **change}, message)


def test_documents_and_approval(env):
    refused(env, "approve_claim", {"claim_id": "CL0000001", "amount": 2000}, "Claims above 1000.00 need a document first")
    r = ok(env, "add_document", {"holder_id": "PH0001", "claim_id": "CL0000001", "kind": "estimate", "name": "garage.pdf"})
    assert r == {"claim_id": "CL0000001", "status": "under_review", "documents": 1}
    refused(env, "add_document", {"holder_id": "PH0001", "claim_id": "CL0000001", "kind": "photo", "name": "garage.pdf"},
            "A document with that name is attached")
    refused(env, "approve_claim", {"claim_id": "CL0000001", "amount": 2600},
            "The approved amount must be positive and at most the claimed amount")
    a = ok(env, "approve_claim", {"claim_id": "CL0000001", "amount": 2000})
    assert a == {"claim_id": "CL0000001", "status": "approved", "payout": 1750}
    assert row(env, "policy", "POL-000001")["used_this_year"] == 2750
    refused(env, "approve_claim", {"claim_id": "CL0000001", "amount": 2000}, "Only an open claim can be decided")
    refused(env, "add_document", {"holder_id": "PH0001", "claim_id": "CL0000001", "kind": "photo", "name": "x.jpg"},
            "Documents are added only to open claims")


def test_withdraw_and_reject(env):
    c = ok(env, "file_claim", FILE)
    refused(env, "withdraw_claim", {"holder_id": "PH0002", "claim_id": c["claim_id"]}, "The claim belongs to another holder")
    assert ok(env, "withdraw_claim", {"holder_id": "PH0001", "claim_id": c["claim_id"]})["status"] == "withdrawn"
    refused(env, "withdraw_claim", {"holder_id": "PH0001", "claim_id": c["claim_id"]}, "Only an open claim can be withdrawn")
    refused(env, "reject_claim", {"claim_id": "CL0000001", "reason": ""}, "A rejection needs a reason")
    r = ok(env, "reject_claim", {"claim_id": "CL0000001", "reason": "Driver not insured"})
    assert r["status"] == "rejected" and str(row(env, "claim", "CL0000001")["decided"]) == "2025-07-21"


def test_appeal(env):
    statement = "The crack was caused by road debris on 1 June."
    assert ok(env, "appeal_claim", {"holder_id": "PH0001", "claim_id": "CL0000002", "statement": statement})[
        "status"] == "under_review"
    assert row(env, "claim", "CL0000002")["appeal"] == statement
    refused(env, "appeal_claim", {"holder_id": "PH0001", "claim_id": "CL0000003", "statement": statement},
            "Appeals are made within 30 days of the decision")
    refused(env, "appeal_claim", {"holder_id": "PH0001", "claim_id": "CL0000001", "statement": statement},
            "Only a rejected claim can be appealed")
    ok(env, "reject_claim", {"claim_id": "CL0000002", "reason": "Still pre-existing"})
    refused(env, "appeal_claim", {"holder_id": "PH0001", "claim_id": "CL0000002", "statement": statement},
            "The claim was already appealed")


def test_payout_and_bank_account(env):
    refused(env, "pay_claim", {"claim_id": "CL0000004"}, "The holder has no bank account on file")
    refused(env, "update_bank_account", {"holder_id": "PH0002", "bank_account": "FR1234567890"},
            "An approved claim awaits payment; the account cannot change now")
    r = ok(env, "update_bank_account", {"holder_id": "PH0001", "bank_account": "de9876543210"})
    assert r["bank_account"] == "DE9876543210"
    refused(env, "pay_claim", {"claim_id": "CL0000001"}, "Only an approved claim is paid")


def test_pay_claim(env):
    ok(env, "add_document", {"holder_id": "PH0001", "claim_id": "CL0000001", "kind": "photo", "name": "a.jpg"})
    ok(env, "approve_claim", {"claim_id": "CL0000001", "amount": 1000})
    r = ok(env, "pay_claim", {"claim_id": "CL0000001"})
    assert r == {"claim_id": "CL0000001", "status": "paid", "payout": 750, "to": "GB1234567890"}


def test_beneficiaries(env):
    b = [{"name": "Ned Lowe", "relation": "spouse", "share": 60}, {"name": "Amy Lowe", "relation": "child", "share": 40}]
    assert ok(env, "set_beneficiaries", {"holder_id": "PH0001", "policy_no": "POL-000002", "beneficiaries": b}) == b
    refused(env, "set_beneficiaries", {"holder_id": "PH0001", "policy_no": "POL-000002",
                                       "beneficiaries": [{"name": "A", "relation": "child", "share": 90}]},
            "The shares must add up to 100")
    refused(env, "set_beneficiaries", {"holder_id": "PH0001", "policy_no": "POL-000001", "beneficiaries": b},
            "Only life policies have beneficiaries")
