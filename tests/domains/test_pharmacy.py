"""Pharmacy scenarios: refills, controlled-drug spacing, allergies, pick-up and the patient account."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("pharmacy")


def test_find_patient(env):
    assert ok(env, "find_patient", {"email": "ADA@example.com", "birth_date": "1980-02-14"}) == "PT0001"
    refused(env, "find_patient", {"email": "ada@example.com", "birth_date": "1980-02-15"},
            "The date of birth does not match")


def test_request_refill(env):
    o = ok(env, "request_refill", {"patient_id": "PT0001", "rx_id": "RX000001"})
    assert o["status"] == "pending" and o["quantity"] == 30 and o["copay"] == 5.0 and o["placed"] == "2025-05-12"
    rx = row(env, "prescription", "RX000001")
    assert rx["refills_left"] == 1 and rx["fills"][-1]["order_id"] == o["order_id"]
    assert row(env, "drug", "00001-0002")["stock"] == 470
    refused(env, "request_refill", {"patient_id": "PT0001", "rx_id": "RX000001"},
            "A fill of this prescription is already pending")


@pytest.mark.parametrize("patient, rx, message", [
    ("PT0002", "RX000001", "The prescription belongs to another patient"),
    ("PT0002", "RX000004", "No refills left; request a renewal from the prescriber"),
    ("PT0002", "RX000005", "The prescription has expired"),
    ("PT0001", "RX000003", "The patient is allergic to an ingredient of this drug"),
    ("PT0001", "RX000002", "Controlled drugs can be refilled only 25 days after the last fill"),
])
def test_request_refill_refusals(env, patient, rx, message):
    refused(env, "request_refill", {"patient_id": patient, "rx_id": rx}, message)


def test_controlled_refill_after_25_days(env):
    env.reset(today="2025-05-26")
    o = ok(env, "request_refill", {"patient_id": "PT0001", "rx_id": "RX000002"})
    assert o["quantity"] == 20 and row(env, "drug", "00001-0003")["stock"] == 80


def test_cancel_fill_order(env):
    o = ok(env, "request_refill", {"patient_id": "PT0001", "rx_id": "RX000001"})
    c = ok(env, "cancel_fill_order", {"order_id": o["order_id"]})
    assert c["status"] == "cancelled"
    rx = row(env, "prescription", "RX000001")
    assert rx["refills_left"] == 2 and rx["fills"] == []
    assert row(env, "drug", "00001-0002")["stock"] == 500
    refused(env, "cancel_fill_order", {"order_id": "FO900002"}, "Only pending fill orders can be cancelled")


def test_pick_up_order(env):
    r = ok(env, "pick_up_order", {"order_id": "FO900002"})
    assert r == {"order_id": "FO900002", "status": "picked_up", "balance": 45.0}
    refused(env, "pick_up_order", {"order_id": "FO900002"}, "The order is not ready for pick-up")
    refused(env, "pick_up_order", {"order_id": "FO900004"}, "The balance does not cover the co-pay")


def test_add_funds(env):
    assert ok(env, "add_funds", {"patient_id": "PT0002", "amount": 20})["balance"] == 25.0
    refused(env, "add_funds", {"patient_id": "PT0002", "amount": 900}, "The amount must be between 1 and 500")


def test_transfer_prescription(env):
    assert ok(env, "transfer_prescription", {"rx_id": "RX000001", "pharmacy": "Main St"})["status"] == "transferred"
    refused(env, "transfer_prescription", {"rx_id": "RX000001", "pharmacy": "Main St"},
            "Only active prescriptions can be transferred")
    refused(env, "transfer_prescription", {"rx_id": "RX000004", "pharmacy": "Main St"},
            "Cancel the pending fill first")


def test_request_renewal(env):
    assert ok(env, "request_renewal", {"rx_id": "RX000004"})["renewal_requested"] is True
    refused(env, "request_renewal", {"rx_id": "RX000004"}, "A renewal request is already open")
    refused(env, "request_renewal", {"rx_id": "RX000001"},
            "The prescription still has refills; request a refill instead")


def test_add_allergy(env):
    assert ok(env, "add_allergy", {"patient_id": "PT0001", "ingredient": "Sulfa"}) == ["penicillin", "sulfa"]
    refused(env, "add_allergy", {"patient_id": "PT0001", "ingredient": "penicillin"},
            "The allergy is already recorded")


def test_set_auto_refill(env):
    assert ok(env, "set_auto_refill", {"patient_id": "PT0001", "enabled": True})["auto_refill"] is True
    refused(env, "set_auto_refill", {"patient_id": "PT0002", "enabled": True},
            "Automatic refills need a balance of at least 20")


def test_update_address(env):
    a = ok(env, "update_address", {"patient_id": "PT0002", "street": "1 Elm St", "city": "Salem", "zip": "97301"})
    assert a == {"street": "1 Elm St", "city": "Salem", "zip": "97301"}
    assert row(env, "patient", "PT0002")["address"]["city"] == "Salem"
    refused(env, "update_address", {"patient_id": "PT0002", "street": "x", "city": "y", "zip": "123"},
            "The postal code must have five digits")


def test_reads(env):
    assert ok(env, "search_drugs", {"query": "oxy"})[0]["schedule"] == "II"
    assert [o["order_id"] for o in ok(env, "list_fill_orders", {"patient_id": "PT0002"})] == ["FO900003", "FO900004"]
    assert "RX000001" in ok(env, "get_patient", {"patient_id": "PT0001"})["prescriptions"]
    assert len(ok(env, "get_prescription", {"rx_id": "RX000002"})["fills"]) == 1
    assert "RX000005" in [r["rx_id"] for r in ok(env, "expiring_prescriptions", {"before": "2025-06-01"})]
