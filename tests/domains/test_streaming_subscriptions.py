"""Streaming scenarios: plan changes that must fit, pauses once a year, cancel and reactivate, profiles, devices, credit."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("streaming_subscriptions")


def test_upgrade_charges_difference_credit_first(env):
    r = ok(env, "change_plan", {"account_id": "AC00001", "plan_id": "premium"})
    assert r == {"account_id": "AC00001", "plan_id": "premium", "charged": 7, "credit": 0}
    inv = [i for i in env.rows("invoice") if i["account_id"] == "AC00001" and i["reason"] == "upgrade to premium"]
    assert len(inv) == 1 and float(inv[0]["amount"]) == 7 and float(inv[0]["paid_with_credit"]) == 3


def test_downgrade(env):
    refused(env, "change_plan", {"account_id": "AC00001", "plan_id": "basic"}, "Remove profiles to fit the new plan first")
    ok(env, "remove_profile", {"account_id": "AC00001", "name": "Bob"})
    ok(env, "register_device", {"account_id": "AC00001", "device_name": "console", "kind": "console"})
    refused(env, "change_plan", {"account_id": "AC00001", "plan_id": "basic"}, "Remove devices to fit the new plan first")
    assert "console" not in ok(env, "remove_device", {"account_id": "AC00001", "device_name": "console"})
    before = len(env.rows("invoice"))
    assert ok(env, "change_plan", {"account_id": "AC00001", "plan_id": "basic"})["charged"] == 0
    assert len(env.rows("invoice")) == before
    refused(env, "change_plan", {"account_id": "AC00004", "plan_id": "premium"}, "Only an active account can change plans")
    refused(env, "change_plan", {"account_id": "AC00003", "plan_id": "premium"}, "The account is already on that plan")


def test_pause_and_resume(env):
    r = ok(env, "pause_subscription", {"account_id": "AC00003", "months": 2})
    assert r == {"account_id": "AC00003", "status": "paused", "renews": "2025-07-09"}
    refused(env, "pause_subscription", {"account_id": "AC00001", "months": 4}, "A pause lasts 1 to 3 months")
    refused(env, "pause_subscription", {"account_id": "AC00003", "months": 1}, "Only an active subscription can be paused")
    assert ok(env, "resume_subscription", {"account_id": "AC00004"})["status"] == "active"
    refused(env, "pause_subscription", {"account_id": "AC00004", "months": 1}, "One pause per 12 months")
    refused(env, "resume_subscription", {"account_id": "AC00004"}, "The subscription is not paused")


def test_cancel_and_reactivate(env):
    r = ok(env, "cancel_subscription", {"account_id": "AC00001", "reason": "price"})
    assert r == {"account_id": "AC00001", "status": "cancelled", "usable_until": "2025-05-01"}
    refused(env, "cancel_subscription", {"account_id": "AC00001", "reason": "price"},
            "The subscription is already cancelled")
    assert ok(env, "reactivate_subscription", {"account_id": "AC00002"})["status"] == "active"
    refused(env, "reactivate_subscription", {"account_id": "AC00005"},
            "The paid period is over; a new subscription is needed")
    refused(env, "reactivate_subscription", {"account_id": "AC00003"}, "The subscription is not cancelled")


def test_profiles(env):
    names = [p["name"] for p in ok(env, "add_profile", {"account_id": "AC00001", "name": " Dee ", "kids": True})]
    assert names == ["Ann", "Kids", "Bob", "Dee"]
    refused(env, "add_profile", {"account_id": "AC00001", "name": "dee"}, "A profile with that name exists")
    refused(env, "add_profile", {"account_id": "AC00001", "name": "Eve"}, "The plan's profile limit is reached")
    refused(env, "remove_profile", {"account_id": "AC00001", "name": "Ann"}, "The main profile cannot be removed")
    refused(env, "remove_profile", {"account_id": "AC00001", "name": "Zed"}, "No profile with that name")
    r = ok(env, "set_profile_pin", {"account_id": "AC00001", "name": "Kids", "pin": 4321})
    assert r[1] == {"name": "Kids", "has_pin": True}
    assert row(env, "account", "AC00001")["profiles"][1]["pin"] == "4321"
    refused(env, "set_profile_pin", {"account_id": "AC00001", "name": "Kids", "pin": 123},
            "A PIN is 4 digits, not starting with 0")


def test_devices(env):
    d = ok(env, "register_device", {"account_id": "AC00001", "device_name": "tablet1", "kind": "tablet"})
    assert d["tablet1"] == {"kind": "tablet", "registered": "2025-04-15"}
    ok(env, "register_device", {"account_id": "AC00001", "device_name": "pc", "kind": "browser"})
    refused(env, "register_device", {"account_id": "AC00001", "device_name": "pc2", "kind": "browser"},
            "The plan's device limit is reached")
    refused(env, "register_device", {"account_id": "AC00001", "device_name": "pc", "kind": "browser"},
            "A device with that name is registered")
    refused(env, "register_device", {"account_id": "AC00004", "device_name": "tv", "kind": "tv"},
            "Devices cannot be added while paused")
    refused(env, "remove_device", {"account_id": "AC00003", "device_name": "pc"}, "No device with that name")


def test_gift_card(env):
    assert ok(env, "redeem_gift_card", {"account_id": "AC00001", "code": "gift-abc123"}) == {"account_id": "AC00001",
                                                                                          "credit": 28}
    assert row(env, "gift_card", "GIFT-ABC123")["redeemed_by"] == "AC00001"
    refused(env, "redeem_gift_card", {"account_id": "AC00003", "code": "GIFT-ABC123"}, "The gift card was already redeemed")
    refused(env, "redeem_gift_card", {"account_id": "AC00003", "code": "GIFT-NOPE00"}, "Unknown gift card")


def test_refund_invoice(env):
    r = ok(env, "refund_invoice", {"account_id": "AC00001", "invoice_id": "IN0000001"})
    assert r == {"invoice_id": "IN0000001", "status": "refunded", "to_card": 10.99, "to_credit": 2}
    assert row(env, "account", "AC00001")["credit"] == 5
    refused(env, "refund_invoice", {"account_id": "AC00001", "invoice_id": "IN0000001"}, "The invoice was already refunded")
    refused(env, "refund_invoice", {"account_id": "AC00001", "invoice_id": "IN0000002"},
            "Invoices are refunded within 14 days")
    refused(env, "refund_invoice", {"account_id": "AC00003", "invoice_id": "IN0000002"},
            "The invoice belongs to another account")
