"""Clinic scenarios: booking limits, referrals for specialists, new-patient rule, late-cancel fee, copays, no-shows."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("clinic_appointments")


def test_book_specialist_uses_referral(env):
    a = ok(env, "book_appointment", {"patient_id": "P00001", "slot_id": "SL00003", "reason": "Palpitations"})
    assert a["referral_id"] == "RF000001" and a["date"] == "2025-03-20" and a["status"] == "booked"
    assert row(env, "referral", "RF000001")["used"] is True and row(env, "slot", "SL00003")["open"] is False
    c = ok(env, "cancel_appointment", {"patient_id": "P00001", "appointment_id": a["appointment_id"]})
    assert c["fee"] == 0 and row(env, "referral", "RF000001")["used"] is False
    assert row(env, "slot", "SL00003")["open"] is True


@pytest.mark.parametrize("patient, slot, message", [
    ("P00003", "SL00001", "The patient has 3 or more no-shows; the front desk must clear them"),
    ("P00002", "SL00001", "The balance above 200.00 must be paid first"),
    ("P00004", "SL00006", "The slot is taken"),
    ("P00004", "SL00004", "The doctor does not accept new patients"),
    ("P00004", "SL00003", "A specialist visit needs a valid referral"),
    ("P00004", "SL00002", "The patient already has an appointment with this doctor"),
])
def test_book_refusals(env, patient, slot, message):
    refused(env, "book_appointment", {"patient_id": patient, "slot_id": slot, "reason": "x"}, message)


def test_upcoming_limit(env):
    ok(env, "book_appointment", {"patient_id": "P00001", "slot_id": "SL00003", "reason": "x"})
    refused(env, "book_appointment", {"patient_id": "P00001", "slot_id": "SL00004", "reason": "x"},
            "A patient holds at most 2 upcoming appointments")


def test_cancel_on_the_day(env):
    r = ok(env, "cancel_appointment", {"patient_id": "P00004", "appointment_id": "AP000001"})
    assert r["fee"] == 25 and row(env, "patient", "P00004")["balance"] == 25
    refused(env, "cancel_appointment", {"patient_id": "P00004", "appointment_id": "AP000001"},
            "Only a booked appointment can be cancelled")
    refused(env, "cancel_appointment", {"patient_id": "P00004", "appointment_id": "AP000003"},
            "The appointment belongs to another patient")


def test_reschedule(env):
    a = ok(env, "reschedule_appointment", {"patient_id": "P00001", "appointment_id": "AP000003", "slot_id": "SL00002"})
    assert a["slot_id"] == "SL00002" and a["date"] == "2025-03-19"
    assert row(env, "slot", "SL00006")["open"] is True and row(env, "slot", "SL00002")["open"] is False
    refused(env, "reschedule_appointment", {"patient_id": "P00001", "appointment_id": "AP000003", "slot_id": "SL00003"},
            "The new slot is with another doctor")
    refused(env, "reschedule_appointment", {"patient_id": "P00004", "appointment_id": "AP000001", "slot_id": "SL00001"},
            "An appointment moves only before its day")


def test_check_in_and_complete(env):
    refused(env, "complete_visit", {"appointment_id": "AP000001"}, "The patient is not checked in")
    assert ok(env, "check_in", {"patient_id": "P00004", "appointment_id": "AP000001"})["status"] == "checked_in"
    refused(env, "check_in", {"patient_id": "P00001", "appointment_id": "AP000003"}, "Check-in is on the appointment's day")
    r = ok(env, "complete_visit", {"appointment_id": "AP000001"})
    assert r == {"appointment_id": "AP000001", "copay": 30, "balance": 30}
    assert row(env, "appointment", "AP000001")["status"] == "completed"


def test_no_show(env):
    assert ok(env, "mark_no_show", {"appointment_id": "AP000002"}) == {"appointment_id": "AP000002", "no_shows": 1}
    refused(env, "mark_no_show", {"appointment_id": "AP000002"}, "Only a booked appointment can be a no-show")
    refused(env, "mark_no_show", {"appointment_id": "AP000001"}, "The appointment's day has not passed")


def test_issue_referral(env):
    r = ok(env, "issue_referral", {"patient_id": "P00001", "specialty": "dermatology"})
    assert r["expires"] == "2025-09-13" and r["used"] is False
    refused(env, "issue_referral", {"patient_id": "P00001", "specialty": "cardiology"},
            "The patient already has a valid referral for this specialty")
    refused(env, "issue_referral", {"patient_id": "P00004", "specialty": "cardiology"},
            "A referral needs a completed general-practice visit in the last 90 days")


def test_pay_balance_and_allergies(env):
    assert ok(env, "pay_balance", {"patient_id": "P00002", "amount": 100})["balance"] == 150
    refused(env, "pay_balance", {"patient_id": "P00002", "amount": 151},
            "The amount must be positive and at most the balance")
    refused(env, "pay_balance", {"patient_id": "P00001", "amount": 1}, "Nothing is owed")
    assert ok(env, "add_allergy", {"patient_id": "P00001", "allergy": " Latex "})["allergies"] == ["penicillin", "latex"]
    refused(env, "add_allergy", {"patient_id": "P00001", "allergy": "PENICILLIN"}, "The allergy is already recorded")


def test_reads(env):
    assert [s["slot_id"] for s in ok(env, "list_open_slots", {"doctor_id": "DOC001", "from_date": "2025-03-17",
                                                               "to_date": "2025-03-31"})] == ["SL00001", "SL00002"]
    assert ok(env, "get_appointment", {"appointment_id": "AP000003"})["time"] == "09:00"
