"""Real-estate scenarios: viewing limits, offers after viewing, pre-approval, owner-only decisions, counters, closings."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("real_estate")


def test_schedule_viewing(env):
    v = ok(env, "schedule_viewing", {"client_id": "CL0004", "listing_id": "L00002", "date": "2025-04-10", "time": "09:00"})
    assert v["status"] == "scheduled" and v["date"] == "2025-04-10"


@pytest.mark.parametrize("args, message", [
    ({"client_id": "CL0002", "listing_id": "L00003"}, "The listing is not active"),
    ({"client_id": "CL0001", "listing_id": "L00001"}, "Owners do not view their own listing"),
    ({"client_id": "CL0002", "listing_id": "L00001", "date": "2025-04-07"}, "Viewings are booked 1 to 30 days ahead"),
    ({"client_id": "CL0002", "listing_id": "L00002"}, "The client already has a viewing of this listing"),
    ({"client_id": "CL0004", "listing_id": "L00002", "date": "2025-04-09", "time": "17:00"}, "That time is taken"),
])
def test_viewing_refusals(env, args, message):
    refused(env, "schedule_viewing", {"date": "2025-04-12", "time": "12:00", **args}, message)


def test_viewing_limit_and_cancel(env):
    others = [x["listing_id"] for x in env.rows("listing") if x["status"] == "active" and x["owner_id"] != "CL0004"
              and x["listing_id"] not in ("L00001", "L00002")]
    for i, lid in enumerate(others[:3]):
        ok(env, "schedule_viewing", {"client_id": "CL0004", "listing_id": lid, "date": "2025-04-15", "time": f"1{i}:00"})
    refused(env, "schedule_viewing", {"client_id": "CL0004", "listing_id": others[3], "date": "2025-04-15",
                                      "time": "16:00"}, "A client holds at most 3 upcoming viewings")
    assert ok(env, "cancel_viewing", {"client_id": "CL0002", "viewing_id": "V000004"})["status"] == "cancelled"
    refused(env, "cancel_viewing", {"client_id": "CL0003", "viewing_id": "V000005"}, "A viewing is cancelled before its day")
    refused(env, "cancel_viewing", {"client_id": "CL0003", "viewing_id": "V000004"}, "The viewing belongs to another client")


def test_make_offer(env):
    o = ok(env, "make_offer", {"client_id": "CL0002", "listing_id": "L00001", "amount": 380000, "valid_days": 5,
                               "conditions": ["inspection"]})
    assert o["status"] == "pending" and o["expires"] == "2025-04-12" and o["conditions"] == ["inspection"]
    refused(env, "make_offer", {"client_id": "CL0002", "listing_id": "L00001", "amount": 390000},
            "The client already has an open offer on this listing")


@pytest.mark.parametrize("args, message", [
    ({"client_id": "CL0003", "listing_id": "L00001", "amount": 400000}, "The client must view the property first"),
    ({"client_id": "CL0002", "listing_id": "L00001", "amount": 300000}, "Offers start at 80% of the asking price"),
    ({"client_id": "CL0002", "listing_id": "L00001", "amount": 460000}, "The offer exceeds the client's pre-approval"),
    ({"client_id": "CL0002", "listing_id": "L00001", "amount": 400000, "valid_days": 10}, "Offers stay valid 1 to 7 days"),
    ({"client_id": "CL0001", "listing_id": "L00001", "amount": 400000}, "Owners cannot offer on their own listing"),
])
def test_offer_refusals(env, args, message):
    refused(env, "make_offer", args, message)


def test_rent_offer_needs_no_preapproval(env):
    ok(env, "withdraw_offer", {"client_id": "CL0003", "offer_id": "OF000002"})
    assert ok(env, "make_offer", {"client_id": "CL0003", "listing_id": "L00002", "amount": 1900})["amount"] == 1900
    refused(env, "withdraw_offer", {"client_id": "CL0003", "offer_id": "OF000002"}, "Only an open offer can be withdrawn")


def test_accept_offer_rejects_others(env):
    mine = ok(env, "make_offer", {"client_id": "CL0002", "listing_id": "L00001", "amount": 390000})
    refused(env, "accept_offer", {"owner_id": "CL0002", "offer_id": mine["offer_id"]}, "Only the listing's owner can decide")
    r = ok(env, "accept_offer", {"owner_id": "CL0001", "offer_id": mine["offer_id"]})
    assert r == {"offer_id": mine["offer_id"], "status": "accepted", "listing_status": "under_offer"}
    assert row(env, "offer", "OF000001")["status"] == "rejected"
    refused(env, "change_price", {"owner_id": "CL0001", "listing_id": "L00001", "price": 410000}, "The listing is not active")
    c = ok(env, "close_listing", {"owner_id": "CL0001", "listing_id": "L00001"})
    assert c == {"listing_id": "L00001", "status": "sold", "final_price": 390000}
    refused(env, "close_listing", {"owner_id": "CL0001", "listing_id": "L00001"}, "The listing is not under offer")


def test_expired_and_reject(env):
    refused(env, "accept_offer", {"owner_id": "CL0001", "offer_id": "OF000002"}, "The offer has expired")
    assert ok(env, "reject_offer", {"owner_id": "CL0001", "offer_id": "OF000002"})["status"] == "rejected"
    refused(env, "reject_offer", {"owner_id": "CL0001", "offer_id": "OF000002"}, "Only an open offer can be rejected")


def test_counter(env):
    refused(env, "counter_offer", {"owner_id": "CL0001", "offer_id": "OF000001", "amount": 420000},
            "A counter lies above the offer and at most the asking price")
    o = ok(env, "counter_offer", {"owner_id": "CL0001", "offer_id": "OF000001", "amount": 360000})
    assert o["status"] == "countered" and o["counter"] == 360000 and o["expires"] == "2025-04-10"
    refused(env, "accept_offer", {"owner_id": "CL0001", "offer_id": "OF000001"},
            "Only a pending offer can be accepted; a countered offer is accepted by the client")
    refused(env, "accept_counter", {"client_id": "CL0004", "offer_id": "OF000001"},
            "The counter exceeds the client's pre-approval")


def test_accept_counter(env):
    mine = ok(env, "make_offer", {"client_id": "CL0002", "listing_id": "L00001", "amount": 370000})["offer_id"]
    refused(env, "accept_counter", {"client_id": "CL0002", "offer_id": mine}, "The offer is not countered")
    ok(env, "counter_offer", {"owner_id": "CL0001", "offer_id": mine, "amount": 390000})
    refused(env, "accept_counter", {"client_id": "CL0004", "offer_id": mine}, "The offer belongs to another client")
    r = ok(env, "accept_counter", {"client_id": "CL0002", "offer_id": mine})
    assert r == {"offer_id": mine, "status": "accepted", "amount": 390000}
    assert row(env, "listing", "L00001")["status"] == "under_offer" and row(env, "offer", "OF000001")["status"] == "rejected"


def test_change_price(env):
    r = ok(env, "change_price", {"owner_id": "CL0001", "listing_id": "L00001", "price": 360000})
    assert r["price"] == 360000 and r["history"] == ["2025-04-07 400000.00 -> 360000.00"]
    refused(env, "change_price", {"owner_id": "CL0001", "listing_id": "L00001", "price": 200000},
            "The price changes by at most 20% at a time")
    refused(env, "change_price", {"owner_id": "CL0002", "listing_id": "L00001", "price": 350000},
            "Only the listing's owner can change it")
