"""Logistics scenarios: rates, weight and credit limits, cancel before pickup, redirects, holds, upgrades, pickups, claims."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("logistics")


C1 = "CUS0001"


def test_create_shipment(env):
    assert ok(env, "quote_rate", {"service": "express", "weight_kg": 5, "declared_value": 200, "insured": True}) == 22
    s = ok(env, "create_shipment", {"customer_id": C1, "address_key": "warehouse", "service": "express",
                                    "weight_kg": 5, "declared_value": 200, "insured": True})
    assert s["cost"] == 22 and s["to"]["city"] == "Portville" and s["status"] == "label_created"
    assert s["events"][0]["status"] == "label created"
    assert row(env, "customer", C1)["balance"] == 122


@pytest.mark.parametrize("args, message", [
    ({"address_key": "moon"}, "Unknown saved address"),
    ({"weight_kg": 71}, "Parcels weigh 0.1 to 70 kg"),
    ({"service": "overnight", "weight_kg": 31}, "Overnight parcels weigh at most 30 kg"),
    ({"declared_value": 6000}, "Declared values are at most 5000.00"),
    ({"weight_kg": 70, "service": "overnight"}, "Overnight parcels weigh at most 30 kg"),
    ({"weight_kg": 30, "service": "overnight", "declared_value": 5000, "insured": True},
     "The charge would exceed the credit limit"),
])
def test_create_refusals(env, args, message):
    refused(env, "create_shipment", {"customer_id": C1, "address_key": "store", "service": "ground", "weight_kg": 1,
                                     **args}, message)


def test_cancel_shipment(env):
    r = ok(env, "cancel_shipment", {"customer_id": C1, "tracking_no": "1Z00000001"})
    assert r == {"tracking_no": "1Z00000001", "status": "cancelled", "refunded": 15}
    assert row(env, "customer", C1)["balance"] == 85 and row(env, "pickup", "PU000001")["shipments"] == []
    refused(env, "cancel_shipment", {"customer_id": C1, "tracking_no": "1Z00000002"},
            "Only shipments not yet picked up can be cancelled")
    refused(env, "cancel_shipment", {"customer_id": "CUS0002", "tracking_no": "1Z00000001"},
            "The shipment belongs to another customer")


def test_redirect(env):
    r = ok(env, "redirect_shipment", {"customer_id": C1, "tracking_no": "1Z00000002", "address_key": "warehouse"})
    assert r["to"]["city"] == "Portville" and r["fee"] == 7.5
    s = row(env, "shipment", "1Z00000002")
    assert s["cost"] == 97.5 and s["events"][-1]["status"] == "redirected"
    refused(env, "redirect_shipment", {"customer_id": C1, "tracking_no": "1Z00000006", "address_key": "warehouse"},
            "The shipment can no longer be redirected")
    refused(env, "redirect_shipment", {"customer_id": C1, "tracking_no": "1Z00000002", "address_key": "warehouse"},
            "The shipment already goes there")


def test_hold(env):
    assert ok(env, "hold_at_facility", {"customer_id": C1, "tracking_no": "1Z00000002", "days": 5})["hold_until"] == "2025-03-08"
    refused(env, "hold_at_facility", {"customer_id": C1, "tracking_no": "1Z00000002", "days": 5},
            "The shipment is already on hold")
    refused(env, "hold_at_facility", {"customer_id": C1, "tracking_no": "1Z00000001", "days": 5},
            "Only a shipment in transit can be held")
    refused(env, "hold_at_facility", {"customer_id": C1, "tracking_no": "1Z00000002", "days": 15},
            "A hold lasts 1 to 14 days")


def test_upgrade(env):
    r = ok(env, "upgrade_service", {"customer_id": C1, "tracking_no": "1Z00000001", "service": "overnight"})
    assert r == {"tracking_no": "1Z00000001", "service": "overnight", "charged": 45}
    assert row(env, "customer", C1)["balance"] == 145
    refused(env, "upgrade_service", {"customer_id": C1, "tracking_no": "1Z00000001", "service": "express"},
            "That is not an upgrade")
    refused(env, "upgrade_service", {"customer_id": C1, "tracking_no": "1Z00000002", "service": "overnight"},
            "The service changes only before transit")


def test_pickups(env):
    s = ok(env, "create_shipment", {"customer_id": C1, "address_key": "store", "service": "ground", "weight_kg": 1})
    refused(env, "schedule_pickup", {"customer_id": C1, "date": "2025-03-06", "shipments": ["1Z00000001"]},
            "A shipment is already in another pickup")
    refused(env, "schedule_pickup", {"customer_id": C1, "date": "2025-03-05", "shipments": [s["tracking_no"]]},
            "A pickup is already booked that day")
    refused(env, "schedule_pickup", {"customer_id": C1, "date": "2025-03-06", "shipments": ["1Z00000002"]},
            "Every shipment must be the customer's and not yet picked up")
    refused(env, "schedule_pickup", {"customer_id": C1, "date": "2025-03-03", "shipments": [s["tracking_no"]]},
            "Pickups are booked 1 to 14 days ahead")
    p = ok(env, "schedule_pickup", {"customer_id": C1, "date": "2025-03-06", "shipments": [s["tracking_no"]]})
    assert p["status"] == "scheduled" and p["shipments"] == [s["tracking_no"]]
    assert ok(env, "cancel_pickup", {"customer_id": C1, "pickup_id": p["pickup_id"]})["status"] == "cancelled"
    refused(env, "cancel_pickup", {"customer_id": C1, "pickup_id": p["pickup_id"]}, "The pickup is not scheduled")
    refused(env, "cancel_pickup", {"customer_id": "CUS0002", "pickup_id": "PU000001"},
            "The pickup belongs to another customer")


def test_add_address(env):
    a = ok(env, "add_address", {"customer_id": "CUS0002", "key": "work", "street": "2 Oak", "city": "Bay",
                                "zip": " 40004 ", "country": "us"})
    assert a["work"] == {"street": "2 Oak", "city": "Bay", "zip": "40004", "country": "US"}
    refused(env, "add_address", {"customer_id": "CUS0002", "key": "work", "street": "x", "city": "y", "zip": "12345"},
            "An address with that name is saved")


def test_damage_claim(env):
    r = ok(env, "file_damage_claim", {"customer_id": C1, "tracking_no": "1Z00000003", "amount": 500})
    assert r == {"tracking_no": "1Z00000003", "claim_amount": 500, "covered_up_to": 800}
    refused(env, "file_damage_claim", {"customer_id": C1, "tracking_no": "1Z00000003", "amount": 10},
            "A claim was already filed")
    refused(env, "file_damage_claim", {"customer_id": "CUS0002", "tracking_no": "1Z00000005", "amount": 150},
            "The claim exceeds what is covered")
    refused(env, "file_damage_claim", {"customer_id": "CUS0002", "tracking_no": "1Z00000004", "amount": 50},
            "Claims are filed within 30 days of delivery")
    refused(env, "file_damage_claim", {"customer_id": C1, "tracking_no": "1Z00000002", "amount": 50},
            "Only delivered shipments can be claimed")
