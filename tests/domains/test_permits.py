"""Permit scenarios: ownership and licences, zones, one open application, fees and documents, decisions, inspections."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("permits")


def test_create_application(env):
    a = ok(env, "create_application", {"applicant_id": "AP0002", "parcel_id": "PCL-00001", "type_id": "building",
                                       "description": "Garage"})
    assert a["status"] == "draft" and a["created"] == "2025-10-13" and a["fee_paid"] == 0


@pytest.mark.parametrize("args, message", [
    ({"applicant_id": "AP0003", "parcel_id": "PCL-00001", "type_id": "fence"}, "The applicant is suspended"),
    ({"applicant_id": "AP0002", "parcel_id": "PCL-00001", "type_id": "fence"},
     "Only the owner, or a licensed business for this permit type, may apply"),
    ({"applicant_id": "AP0001", "parcel_id": "PCL-00002", "type_id": "fence"},
     "The permit type is not allowed in the parcel's zone"),
    ({"applicant_id": "AP0001", "parcel_id": "PCL-00001", "type_id": "event"},
     "The parcel already has an open application of this type"),
])
def test_create_refusals(env, args, message):
    refused(env, "create_application", {"description": "x", **args}, message)


def test_fee_documents_and_submit(env):
    a = ok(env, "create_application", {"applicant_id": "AP0001", "parcel_id": "PCL-00001", "type_id": "building",
                                       "description": "Porch"})["app_id"]
    base = {"applicant_id": "AP0001", "app_id": a}
    refused(env, "submit_application", base, "The fee must be paid first")
    refused(env, "pay_fee", {**base, "amount": 100}, "The amount must equal the permit fee")
    assert ok(env, "pay_fee", {**base, "amount": 400})["fee_paid"] == 400
    refused(env, "pay_fee", {**base, "amount": 400}, "The fee is already paid")
    ok(env, "add_document", {**base, "document": "site_plan"})
    refused(env, "add_document", {**base, "document": "site_plan"}, "The document is already attached")
    refused(env, "submit_application", base, "Required documents are missing")
    assert ok(env, "add_document", {**base, "document": "structural_calc"})["documents"] == ["site_plan", "structural_calc"]
    assert ok(env, "submit_application", base) == {"app_id": a, "status": "submitted"}
    refused(env, "add_document", {**base, "document": "photo"}, "Documents are added to drafts only")
    refused(env, "submit_application", {"applicant_id": "AP0002", "app_id": a},
            "The application belongs to another applicant")


def test_withdraw(env):
    r = ok(env, "withdraw_application", {"applicant_id": "AP0001", "app_id": "PA000001"})
    assert r == {"app_id": "PA000001", "status": "withdrawn", "refunded": 60}
    assert ok(env, "withdraw_application", {"applicant_id": "AP0001", "app_id": "PA000002"})["refunded"] == 0
    refused(env, "withdraw_application", {"applicant_id": "AP0002", "app_id": "PA000003"},
            "Only a draft or submitted application can be withdrawn")


def test_decisions(env):
    r = ok(env, "approve_application", {"app_id": "PA000002"})
    assert r == {"app_id": "PA000002", "status": "approved", "expires": "2025-11-12"}
    refused(env, "approve_application", {"app_id": "PA000002"}, "Only a submitted application can be decided")
    refused(env, "reject_application", {"app_id": "PA000001", "reason": "x"}, "Only a submitted application can be decided")
    ok(env, "submit_application", {"applicant_id": "AP0001", "app_id": "PA000001"})
    refused(env, "reject_application", {"app_id": "PA000001", "reason": " "}, "A rejection needs a reason")
    assert ok(env, "reject_application", {"app_id": "PA000001", "reason": "Too tall"})["status"] == "rejected"
    assert row(env, "application", "PA000001")["reason"] == "Too tall"


def test_inspections(env):
    base = {"applicant_id": "AP0002", "app_id": "PA000003"}
    refused(env, "schedule_inspection", {**base, "date": "2025-10-14"}, "Inspections are booked 2 to 60 days ahead")
    r = ok(env, "schedule_inspection", {**base, "date": "2025-10-20"})
    assert r["inspections"][-1] == {"date": "2025-10-20", "result": "pending", "notes": None}
    refused(env, "schedule_inspection", {**base, "date": "2025-10-21"}, "An inspection is already pending")
    refused(env, "schedule_inspection", {"applicant_id": "AP0001", "app_id": "PA000004", "date": "2025-10-20"},
            "Inspections are for approved, unexpired permits")
    r = ok(env, "record_inspection_result", {"app_id": "PA000003", "result": "failed", "notes": "No railing"})
    assert r == {"app_id": "PA000003", "status": "revoked", "failed_inspections": 2}
    refused(env, "record_inspection_result", {"app_id": "PA000003", "result": "passed"}, "No inspection is pending")


def test_passed_inspection_keeps_permit(env):
    ok(env, "schedule_inspection", {"applicant_id": "AP0002", "app_id": "PA000003", "date": "2025-10-20"})
    r = ok(env, "record_inspection_result", {"app_id": "PA000003", "result": "passed"})
    assert r["status"] == "approved" and r["failed_inspections"] == 1


def test_extend_permit(env):
    r = ok(env, "extend_permit", {"applicant_id": "AP0002", "app_id": "PA000003"})
    assert r == {"app_id": "PA000003", "expires": "2026-08-30", "fee": 100}
    assert row(env, "application", "PA000003")["fee_paid"] == 500
    refused(env, "extend_permit", {"applicant_id": "AP0002", "app_id": "PA000003"}, "A permit is extended only once")
    refused(env, "extend_permit", {"applicant_id": "AP0001", "app_id": "PA000004"}, "The permit has expired")
    refused(env, "extend_permit", {"applicant_id": "AP0001", "app_id": "PA000001"},
            "Only an approved permit can be extended")
