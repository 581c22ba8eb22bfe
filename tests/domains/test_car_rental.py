"""Car-rental scenarios: bookings and overlaps, cancellation fees, extras, drivers, pick-up, return and upgrades."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("car_rental")


def test_book_vehicle(env):
    r = ok(env, "book_vehicle", {"customer_id": "CU0001", "plate": "7ABC124", "pickup": "2025-07-02",
                                 "return_date": "2025-07-05"})
    assert r["status"] == "booked" and r["total"] == 165.0 and r["customer_id"] == "CU0001"
    assert row(env, "reservation", r["res_id"])["plate"] == "7ABC124"


@pytest.mark.parametrize("customer, plate, pickup, ret, message", [
    ("CU0001", "7ABC124", "2025-06-30", "2025-07-03", "The pick-up date is in the past"),
    ("CU0001", "7ABC124", "2025-07-02", "2025-08-10", "A rental lasts 1 to 30 days"),
    ("CU0003", "7ABC124", "2025-07-02", "2025-07-03", "The customer has unpaid fees"),
    ("CU0002", "7ABC124", "2025-07-08", "2025-07-12", "The driving licence expires before the return date"),
    ("CU0002", "7ABC125", "2025-07-02", "2025-07-04", "Luxury cars need a driver aged 25 or more"),
    ("CU0001", "7ABC126", "2025-07-02", "2025-07-04", "The vehicle is in maintenance"),
    ("CU0001", "7ABC123", "2025-07-03", "2025-07-06", "The vehicle is already booked for those dates"),
])
def test_book_vehicle_refusals(env, customer, plate, pickup, ret, message):
    refused(env, "book_vehicle", {"customer_id": customer, "plate": plate, "pickup": pickup, "return_date": ret},
            message)


def test_cancel_reservation(env):
    assert ok(env, "cancel_reservation", {"res_id": "RS900002"}) == {"res_id": "RS900002", "status": "cancelled",
                                                                     "fee": 0}
    assert ok(env, "cancel_reservation", {"res_id": "RS900001"})["fee"] == 50
    assert row(env, "customer", "CU0001")["fees_due"] == 50
    refused(env, "cancel_reservation", {"res_id": "RS900003"}, "Only booked reservations can be cancelled")


def test_change_dates(env):
    r = ok(env, "change_dates", {"res_id": "RS900002", "pickup": "2025-07-12", "return_date": "2025-07-15"})
    assert r["pickup"] == "2025-07-12" and r["total"] == 120.0
    refused(env, "change_dates", {"res_id": "RS900002", "pickup": "2025-07-03", "return_date": "2025-07-06"},
            "The vehicle is already booked for those dates")


def test_add_extra(env):
    r = ok(env, "add_extra", {"res_id": "RS900002", "extra": "gps"})
    assert r == {"res_id": "RS900002", "extras": ["gps"], "total": 100.0}
    refused(env, "add_extra", {"res_id": "RS900002", "extra": "gps"}, "That extra is already on the reservation")
    refused(env, "add_extra", {"res_id": "RS900004", "extra": "gps"},
            "Extras can be added only to booked reservations")


def test_add_driver(env):
    for i in range(2):
        drivers = ok(env, "add_driver", {"res_id": "RS900002", "name": f"D{i}", "license_no": f"L{i}", "age": 30})
    assert [d["license_no"] for d in drivers] == ["L0", "L1"]
    refused(env, "add_driver", {"res_id": "RS900002", "name": "D", "license_no": "L9", "age": 30},
            "A reservation has at most 2 additional drivers")
    refused(env, "add_driver", {"res_id": "RS900001", "name": "Kid", "license_no": "L7", "age": 20},
            "Additional drivers must be 21 or older")


def test_start_rental(env):
    assert ok(env, "start_rental", {"res_id": "RS900001"})["status"] == "active"
    assert row(env, "vehicle", "7ABC123")["status"] == "rented"
    refused(env, "start_rental", {"res_id": "RS900002"}, "A rental can start only on its pick-up day")


def test_return_vehicle(env):
    r = ok(env, "return_vehicle", {"res_id": "RS900003", "mileage": 8500})
    assert r == {"res_id": "RS900003", "late_days": 2, "late_fee": 165.0, "total": 385.0}
    assert row(env, "vehicle", "7ABC124")["mileage"] == 8500 and row(env, "customer", "CU0002")["points"] == 80
    refused(env, "return_vehicle", {"res_id": "RS900003", "mileage": 9000}, "Only active rentals can be returned")


def test_return_vehicle_mileage(env):
    refused(env, "return_vehicle", {"res_id": "RS900003", "mileage": 100},
            "The mileage cannot be lower than at pick-up")


def test_upgrade_with_points(env):
    refused(env, "upgrade_with_points", {"res_id": "RS900001", "plate": "7ABC125"},
            "The new car must be exactly one class up")
    r = ok(env, "upgrade_with_points", {"res_id": "RS900002", "plate": "7ABC124"})
    assert r == {"res_id": "RS900002", "plate": "7ABC124", "points": 50}
    refused(env, "upgrade_with_points", {"res_id": "RS900001", "plate": "7ABC124"}, "An upgrade needs 100 points")


def test_pay_fees(env):
    refused(env, "pay_fees", {"customer_id": "CU0003", "amount": 20},
            "Fees are paid in full; the amount must equal the fees due")
    assert ok(env, "pay_fees", {"customer_id": "CU0003", "amount": 50})["fees_due"] == 0
    refused(env, "pay_fees", {"customer_id": "CU0003", "amount": 50}, "There are no fees to pay")


def test_reads(env):
    assert ok(env, "find_customer", {"email": "Dana@example.com"}) == "CU0001"
    assert "RS900001" in ok(env, "get_customer", {"customer_id": "CU0001"})["reservations"]
    assert ok(env, "get_reservation", {"res_id": "RS900003"})["status"] == "active"
    cars = ok(env, "search_vehicles", {"location": "SFO", "class": "luxury"})
    assert "7ABC125" in [c["plate"] for c in cars] and all(c["class"] == "luxury" for c in cars)
    assert [x["code"] for x in ok(env, "list_locations", {})] == ["LAX", "SEA", "SFO"]
