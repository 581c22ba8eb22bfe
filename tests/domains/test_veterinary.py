"""Veterinary scenarios: pet limits, booking rules (vets, species, slots, surgery), visits and fees, vaccinations, refills, payments."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("veterinary")


def balance(env, owner):
    return float(row(env, "owner", owner)["balance_due"])


def book(owner, pet, vet, day, time, reason="checkup"):
    return {"owner_id": owner, "pet_id": pet, "vet_id": vet, "day": day, "time": time, "reason": reason}


def test_register_pet(env):
    p = ok(env, "register_pet", {"owner_id": "OW0001", "name": "Pip", "species": "rabbit",
                                 "birth_date": "2024-11-01", "weight_kg": 1.4})
    assert p["owner_id"] == "OW0001" and p["status"] == "active" and p["breed"] == "mixed" and p["vaccinations"] == []
    refused(env, "register_pet", {"owner_id": "OW0001", "name": "Zed", "species": "cat", "birth_date": "2025-05-01",
                                  "weight_kg": 3}, "The birth date cannot be in the future")
    refused(env, "register_pet", {"owner_id": "OW0001", "name": "Zed", "species": "cat", "birth_date": "2025-01-01",
                                  "weight_kg": 0}, "The weight must be between 0 and 120 kg")


def test_active_pet_limit(env):
    for name in ["A", "B", "C"]:
        ok(env, "register_pet", {"owner_id": "OW0001", "name": name, "species": "cat", "birth_date": "2024-01-01",
                                 "weight_kg": 3})
    ok(env, "register_pet", {"owner_id": "OW0003", "name": "D", "species": "cat", "birth_date": "2024-01-01",
                             "weight_kg": 3})
    ok(env, "register_pet", {"owner_id": "OW0001", "name": "E", "species": "cat", "birth_date": "2024-01-01",
                             "weight_kg": 3})
    refused(env, "register_pet", {"owner_id": "OW0001", "name": "F", "species": "cat", "birth_date": "2024-01-01",
                                  "weight_kg": 3}, "An owner may register at most 6 active pets")


def test_book_appointment(env):
    a = ok(env, "book_appointment", book("OW0001", "PET0001", "V002", "2025-04-20", "10:30"))
    assert a["status"] == "booked" and a["fee"] == 55 and a["day"] == "2025-04-20" and a["time"] == "10:30"
    s = ok(env, "book_appointment", book("OW0001", "PET0002", "V001", "2025-04-20", "09:00", "surgery"))
    assert s["fee"] == 400 and s["reason"] == "surgery"


@pytest.mark.parametrize("args, message", [
    (book("OW0002", "PET0001", "V002", "2025-04-20", "10:00"), "The pet belongs to another owner"),
    (book("OW0003", "PET0004", "V002", "2025-04-20", "10:00"), "The pet's record is not active"),
    (book("OW0002", "PET0003", "V003", "2025-04-20", "10:00"), "Owners owing more than 200.00 must pay before booking"),
    (book("OW0001", "PET0001", "V002", "2025-04-20", "10:15"),
     "Appointments start on the hour or half hour between 08:00 and 17:30"),
    (book("OW0001", "PET0001", "V002", "2025-04-20", "18:00"),
     "Appointments start on the hour or half hour between 08:00 and 17:30"),
    (book("OW0001", "PET0001", "V002", "2025-04-14", "10:00"), "Appointments are booked 1 to 60 days ahead"),
    (book("OW0001", "PET0001", "V002", "2025-06-14", "10:00"), "Appointments are booked 1 to 60 days ahead"),
    (book("OW0003", "PET0005", "V001", "2025-04-20", "10:00"), "The vet does not treat this species"),
    (book("OW0001", "PET0002", "V001", "2025-04-16", "09:00"), "The vet is busy at that time"),
    (book("OW0001", "PET0001", "V002", "2025-04-16", "14:00"), "The pet already has an appointment that day"),
    (book("OW0001", "PET0002", "V001", "2025-04-15", "09:00", "surgery"), "Surgery is booked at least 3 days ahead"),
    (book("OW0001", "PET0001", "V001", "2025-04-20", "09:00", "surgery"),
     "Surgery needs a completed check-up in the last 90 days"),
])
def test_book_appointment_refusals(env, args, message):
    refused(env, "book_appointment", args, message)


def test_vet_busy_and_fully_booked(env):
    pet = ok(env, "register_pet", {"owner_id": "OW0001", "name": "Nox", "species": "cat", "birth_date": "2024-01-01",
                                   "weight_kg": 3})["pet_id"]
    ok(env, "book_appointment", book("OW0001", pet, "V001", "2025-04-16", "11:00"))  # V001's third of 3
    pet2 = ok(env, "register_pet", {"owner_id": "OW0001", "name": "Lux", "species": "dog",
                                    "birth_date": "2024-01-01", "weight_kg": 8})["pet_id"]
    refused(env, "book_appointment", book("OW0001", pet2, "V001", "2025-04-16", "12:00"),
            "The vet is fully booked that day")


def test_reschedule_appointment(env):
    a = ok(env, "reschedule_appointment", {"appt_id": "AP000001", "day": "2025-04-17", "time": "08:30"})
    assert a["day"] == "2025-04-17" and a["time"] == "08:30" and a["notes"] == ["2025-04-14: rescheduled"]
    refused(env, "reschedule_appointment", {"appt_id": "AP000002", "day": "2025-04-17", "time": "08:30"},
            "The vet is busy at that time")
    refused(env, "reschedule_appointment", {"appt_id": "AP000002", "day": "2025-04-16", "time": "10:00"},
            "The appointment is already at that time")
    refused(env, "reschedule_appointment", {"appt_id": "AP000004", "day": "2025-04-20", "time": "10:00"},
            "Only booked appointments can be rescheduled")
    refused(env, "reschedule_appointment", {"appt_id": "AP000002", "day": "2025-04-14", "time": "16:00"},
            "Appointments are booked 1 to 60 days ahead")


def test_cancel_appointment(env):
    assert ok(env, "cancel_appointment", {"appt_id": "AP000001", "owner_id": "OW0001"}) == {
        "appt_id": "AP000001", "status": "cancelled", "late_fee": 0}
    assert ok(env, "cancel_appointment", {"appt_id": "AP000003", "owner_id": "OW0001"})["late_fee"] == 25
    assert balance(env, "OW0001") == 25
    refused(env, "cancel_appointment", {"appt_id": "AP000002", "owner_id": "OW0002"},
            "The appointment is for another owner's pet")
    refused(env, "cancel_appointment", {"appt_id": "AP000001", "owner_id": "OW0001"},
            "Only booked appointments can be cancelled")


def test_check_in(env):
    assert ok(env, "check_in", {"appt_id": "AP000003"}) == {"appt_id": "AP000003", "status": "checked_in"}
    refused(env, "check_in", {"appt_id": "AP000001"}, "Check-in is only on the appointment day")
    refused(env, "check_in", {"appt_id": "AP000003"}, "Only booked appointments can be checked in")


def test_complete_visit(env):
    r = ok(env, "complete_visit", {"appt_id": "AP000004", "weight_kg": 2.05, "note": "ear mites treated"})
    assert r == {"appt_id": "AP000004", "status": "completed", "fee": 75.0, "weight_kg": 2.05}
    assert balance(env, "OW0002") == 315 and row(env, "appointment", "AP000004")["notes"] == ["ear mites treated"]
    refused(env, "complete_visit", {"appt_id": "AP000004", "weight_kg": 2}, "Only checked-in visits can be completed")
    refused(env, "complete_visit", {"appt_id": "AP000007", "weight_kg": -1}, "The weight must be between 0 and 120 kg")


def test_mark_no_show(env):
    assert ok(env, "mark_no_show", {"appt_id": "AP000005"}) == {"appt_id": "AP000005", "status": "no_show", "fee": 25}
    assert balance(env, "OW0003") == 55
    refused(env, "mark_no_show", {"appt_id": "AP000001"}, "The appointment has not passed yet")
    refused(env, "mark_no_show", {"appt_id": "AP000005"}, "Only booked appointments can be marked as missed")


def test_record_vaccination(env):
    v = ok(env, "record_vaccination", {"appt_id": "AP000007", "vaccine": "fvrcp"})
    assert v == [{"vaccine": "fvrcp", "given": "2025-04-14", "due": "2026-04-14"}]
    refused(env, "record_vaccination", {"appt_id": "AP000007", "vaccine": "dhpp"},
            "That vaccine is not given to this species")
    refused(env, "record_vaccination", {"appt_id": "AP000004", "vaccine": "rhd"},
            "Vaccines are recorded during a checked-in vaccination visit")
    ok(env, "check_in", {"appt_id": "AP000003"})
    refused(env, "record_vaccination", {"appt_id": "AP000003", "vaccine": "dhpp"}, "The vaccine is not due yet")
    v = ok(env, "record_vaccination", {"appt_id": "AP000003", "vaccine": "rabies"})
    assert {"vaccine": "rabies", "given": "2025-04-14", "due": "2026-04-14"} in v and len(v) == 2


def test_refill_prescription(env):
    r = ok(env, "refill_prescription", {"owner_id": "OW0001", "pet_id": "PET0001", "med_id": "MED001"})
    assert r == {"pet_id": "PET0001", "med_id": "MED001", "refills_left": 1, "charged": 32.0}
    rx = row(env, "pet", "PET0001")["prescriptions"]["MED001"]
    assert rx["refills_left"] == 1 and str(rx["last_filled"]) == "2025-04-14"
    assert row(env, "medication", "MED001")["stock"] == 39 and balance(env, "OW0001") == 32
    refused(env, "refill_prescription", {"owner_id": "OW0001", "pet_id": "PET0001", "med_id": "MED001"},
            "Prescriptions can be refilled at most once every 14 days")


@pytest.mark.parametrize("owner, pet, med, message", [
    ("OW0001", "PET0001", "MED002", "No refills left; book a check-up to renew the prescription"),
    ("OW0001", "PET0002", "MED001", "The pet has no prescription for this medication"),
    ("OW0002", "PET0001", "MED001", "The pet belongs to another owner"),
    ("OW0001", "PET0002", "MED003", "Prescriptions can be refilled at most once every 14 days"),
])
def test_refill_refusals(env, owner, pet, med, message):
    refused(env, "refill_prescription", {"owner_id": owner, "pet_id": pet, "med_id": med}, message)


def test_refill_out_of_stock(env):
    env.reset(today="2025-04-25")
    refused(env, "refill_prescription", {"owner_id": "OW0001", "pet_id": "PET0002", "med_id": "MED003"},
            "The medication is out of stock")


def test_pay_balance(env):
    refused(env, "pay_balance", {"owner_id": "OW0003", "amount": 40},
            "The amount must be more than 0 and at most the balance due")
    assert ok(env, "pay_balance", {"owner_id": "OW0003", "amount": 30}) == {"owner_id": "OW0003", "balance_due": 0}
    refused(env, "pay_balance", {"owner_id": "OW0003", "amount": 1}, "Nothing is due")


def test_reads(env):
    r = ok(env, "find_owner", {"email": "Gail@example.com"})
    assert r["owner"]["owner_id"] == "OW0001" and [p["pet_id"] for p in r["pets"]] == ["PET0001", "PET0002"]
    assert ok(env, "get_pet", {"pet_id": "PET0001"})["prescriptions"]["MED001"]["refills_left"] == 2
    v1 = next(v for v in ok(env, "list_vets", {"day": "2025-04-16"}) if v["vet_id"] == "V001")
    assert v1["booked_times"] == ["09:00", "10:00"]
    assert [a["appt_id"] for a in ok(env, "list_appointments", {"pet_id": "PET0002"})] == [
        "AP000002", "AP000007", "AP000006"]
    assert ok(env, "list_medications", {"query": "carprofen"})[0]["stock"] == 40
