"""Airline scenarios after τ²-bench's airline domain: each replays calls from the seeded state and checks the
exact rows τ²'s tools would leave (payments, certificate and gift-card amounts, seats, ids, statuses), and that
refusals give τ²'s error text and change nothing.

Seed facts used here (specs/airline.env.yaml, random_seed 2024): user `aarav_harris_9623` (regular) holds
credit_card_1068034, gift_card_1068056 (101.0) and certificate_1068130 (250.0) and the reservations AOYPPY,
IYNHCI, Q8B8Y2 and ZH00LM.
"""

from __future__ import annotations

import pytest

USER = "aarav_harris_9623"
CARD, GIFT, CERT = "credit_card_1068034", "gift_card_1068056", "certificate_1068130"
ME = {"first_name": "Aarav", "last_name": "Harris", "dob": "1958-05-17"}
KID = {"first_name": "Ariel", "last_name": "Perry", "dob": "2013-03-19"}


@pytest.fixture
def env(open_env):
    return open_env("airline")


def row(env, entity, key):
    k = env.domain.info.entities[entity].key
    return next(r for r in env.rows(entity) if r[k] == key)


def seats(env, flight, date):
    return row(env, "flight", flight)["dates"][date]["available_seats"]


def error(result):
    assert not result.ok, result.content
    return result.value["error"]["message"]


def refused(env, tool, args, message):
    before = env.digest()
    assert error(env.call(tool, args)) == message
    assert env.digest() == before


def book(env, **over):
    args = {"user_id": USER, "origin": "SFO", "destination": "JFK", "flight_type": "one_way", "cabin": "economy",
            "flights": [{"flight_number": "HAT001", "date": "2024-05-20"}], "passengers": [ME, KID],
            "payment_methods": [{"payment_id": CARD, "amount": 210}], "total_baggages": 0, "nonfree_baggages": 0,
            "insurance": "no"}
    args.update(over)
    return env.call("book_reservation", args)


# ---- book_reservation

def test_book_one_way_with_a_card(env):
    r = book(env)
    assert r.ok, r.content
    assert r.value == {
        "reservation_id": "HATHAT", "user_id": USER, "origin": "SFO", "destination": "JFK", "flight_type": "one_way",
        "cabin": "economy",
        "flights": [{"flight_number": "HAT001", "origin": "SFO", "destination": "JFK", "date": "2024-05-20",
                     "price": 105}],
        "passengers": [ME, KID], "payment_history": [{"payment_id": CARD, "amount": 210}],
        "created_at": "2024-05-15T15:00:00", "total_baggages": 0, "nonfree_baggages": 0, "insurance": "no",
        "status": None}
    assert seats(env, "HAT001", "2024-05-20") == {"basic_economy": 6, "business": 7, "economy": 11}
    assert row(env, "user", USER)["reservations"] == ["AOYPPY", "IYNHCI", "Q8B8Y2", "ZH00LM", "HATHAT"]
    assert row(env, "user", USER)["payment_methods"][GIFT]["amount"] == 101.0


def test_book_with_certificate_gift_card_and_card_insurance_and_bags(env):
    # business HAT003 on 05-20: 200 + insurance 30 + one paid bag 50 = 280
    r = book(env, origin="ATL", destination="IAH", cabin="business", passengers=[ME],
             flights=[{"flight_number": "HAT003", "date": "2024-05-20"}], insurance="yes", total_baggages=2,
             nonfree_baggages=1,
             payment_methods=[{"payment_id": CERT, "amount": 150}, {"payment_id": GIFT, "amount": 100},
                              {"payment_id": CARD, "amount": 30}])
    assert r.ok, r.content
    assert r.value["payment_history"] == [{"payment_id": CERT, "amount": 150}, {"payment_id": GIFT, "amount": 100},
                                          {"payment_id": CARD, "amount": 30}]
    methods = row(env, "user", USER)["payment_methods"]
    assert CERT not in methods  # a certificate is used up whole, even when only 150 of 250 is paid
    assert methods[GIFT]["amount"] == 1.0
    assert set(methods) == {CARD, GIFT}
    assert seats(env, "HAT003", "2024-05-20") == {"basic_economy": 13, "business": 4, "economy": 17}


def test_round_trip_and_reservation_ids_in_order(env):
    r = book(env, origin="ATL", destination="MIA", flight_type="round_trip", passengers=[ME],
             flights=[{"flight_number": "HAT090", "date": "2024-05-19"}, {"flight_number": "HAT089", "date": "2024-05-20"}],
             payment_methods=[{"payment_id": CARD, "amount": 280}])
    assert r.ok and r.value["reservation_id"] == "HATHAT"
    assert [f["price"] for f in r.value["flights"]] == [120, 160]
    assert seats(env, "HAT089", "2024-05-20")["economy"] == 1
    assert book(env, payment_methods=[{"payment_id": CARD, "amount": 210}]).value["reservation_id"] == "HATHAU"
    assert book(env, payment_methods=[{"payment_id": CARD, "amount": 210}]).value["reservation_id"] == "HATHAV"
    assert seats(env, "HAT001", "2024-05-20")["economy"] == 9
    refused(env, "book_reservation", {
        "user_id": USER, "origin": "SFO", "destination": "JFK", "flight_type": "one_way", "cabin": "economy",
        "flights": [{"flight_number": "HAT001", "date": "2024-05-20"}], "passengers": [ME],
        "payment_methods": [{"payment_id": CARD, "amount": 105}], "total_baggages": 0, "nonfree_baggages": 0,
        "insurance": "no"}, "Too many reservations")


def test_same_flight_twice_is_checked_once_and_taken_twice(env):
    r = book(env, passengers=[ME], flights=[{"flight_number": "HAT001", "date": "2024-05-20"}] * 2)
    assert r.ok, r.content
    assert seats(env, "HAT001", "2024-05-20")["economy"] == 11


def test_duplicated_gift_card_is_checked_against_the_full_amount(env):
    # τ² checks each payment against the current amount, then deducts each: 60 + 60 from 101 leaves -19
    r = book(env, payment_methods=[{"payment_id": GIFT, "amount": 60}, {"payment_id": GIFT, "amount": 60},
                                   {"payment_id": CARD, "amount": 90}])
    assert r.ok, r.content
    assert row(env, "user", USER)["payment_methods"][GIFT]["amount"] == -19.0


def test_book_refusals_in_tau2_order(env):
    refused(env, "book_reservation", {**_args(), "user_id": "nobody_1"}, "User nobody_1 not found")
    refused(env, "book_reservation", _args(payment_methods=[{"payment_id": CARD, "amount": 200}]),
            "Payment amount does not add up, total price is 210, but paid 200")
    refused(env, "book_reservation", _args(flights=[{"flight_number": "HAT999", "date": "2024-05-20"}]),
            "Flight HAT999 not found")
    refused(env, "book_reservation", _args(flights=[{"flight_number": "HAT001", "date": "2024-06-01"}]),
            "Flight HAT001 not found on date 2024-06-01")
    refused(env, "book_reservation", _args(flights=[{"flight_number": "HAT001", "date": "2024-05-10"}]),
            "Flight HAT001 not available on date 2024-05-10")
    # the first failing flight wins, with its first failing check: HAT008 has no business seat left on 05-20
    refused(env, "book_reservation", _args(cabin="business", flights=[
        {"flight_number": "HAT008", "date": "2024-05-20"}, {"flight_number": "HAT999", "date": "2024-05-20"}]),
        "Not enough seats on flight HAT008")
    # flights are checked before payments
    refused(env, "book_reservation", _args(flights=[{"flight_number": "HAT999", "date": "2024-05-20"}],
                                           payment_methods=[{"payment_id": "paypal_1", "amount": 210}]),
            "Flight HAT999 not found")
    refused(env, "book_reservation", _args(payment_methods=[{"payment_id": "paypal_1", "amount": 210}]),
            "Payment method paypal_1 not found")
    refused(env, "book_reservation", _args(payment_methods=[{"payment_id": GIFT, "amount": 150},
                                                            {"payment_id": CARD, "amount": 60}]),
            f"Not enough balance in payment method {GIFT}")
    assert seats(env, "HAT001", "2024-05-20")["economy"] == 13


def _args(**over):
    args = {"user_id": USER, "origin": "SFO", "destination": "JFK", "flight_type": "one_way", "cabin": "economy",
            "flights": [{"flight_number": "HAT001", "date": "2024-05-20"}], "passengers": [ME, KID],
            "payment_methods": [{"payment_id": CARD, "amount": 210}], "total_baggages": 0, "nonfree_baggages": 0,
            "insurance": "no"}
    args.update(over)
    return args


# ---- cancel_reservation

def test_cancel_reverses_every_payment_and_keeps_seats(env):
    before = seats(env, "HAT090", "2024-05-19")
    r = env.call("cancel_reservation", {"reservation_id": "IYNHCI"})
    assert r.ok, r.content
    assert r.value["status"] == "cancelled"
    assert r.value["payment_history"] == [{"payment_id": CARD, "amount": 562}, {"payment_id": CARD, "amount": -562}]
    assert seats(env, "HAT090", "2024-05-19") == before  # τ² releases no seats
    # cancelling again reverses the refund too
    env.call("cancel_reservation", {"reservation_id": "IYNHCI"})
    assert row(env, "reservation", "IYNHCI")["payment_history"] == [
        {"payment_id": CARD, "amount": 562}, {"payment_id": CARD, "amount": -562},
        {"payment_id": CARD, "amount": -562}, {"payment_id": CARD, "amount": 562}]
    refused(env, "cancel_reservation", {"reservation_id": "ZZZZZZ"}, "Reservation ZZZZZZ not found")


def test_book_then_cancel_the_new_reservation(env):
    assert book(env).ok
    r = env.call("cancel_reservation", {"reservation_id": "HATHAT"})
    assert r.value["payment_history"] == [{"payment_id": CARD, "amount": 210}, {"payment_id": CARD, "amount": -210}]
    assert seats(env, "HAT001", "2024-05-20")["economy"] == 11


# ---- update_reservation_baggages

def test_add_paid_bags_with_a_gift_card(env):
    r = env.call("update_reservation_baggages", {"reservation_id": "ZH00LM", "total_baggages": 5,
                                                 "nonfree_baggages": 5, "payment_id": GIFT})
    assert r.ok, r.content
    assert r.value["payment_history"] == [{"payment_id": CARD, "amount": 331}, {"payment_id": GIFT, "amount": 100}]
    assert (r.value["total_baggages"], r.value["nonfree_baggages"]) == (5, 5)
    assert row(env, "user", USER)["payment_methods"][GIFT]["amount"] == 1.0


def test_fewer_bags_cost_nothing_and_add_no_payment(env):
    r = env.call("update_reservation_baggages", {"reservation_id": "ZH00LM", "total_baggages": 1,
                                                 "nonfree_baggages": 0, "payment_id": CARD})
    assert r.ok
    row_ = row(env, "reservation", "ZH00LM")
    assert row_["payment_history"] == [{"payment_id": CARD, "amount": 331}]
    assert (row_["total_baggages"], row_["nonfree_baggages"]) == (1, 0)


def test_baggage_refusals(env):
    base = {"reservation_id": "ZH00LM", "total_baggages": 3, "nonfree_baggages": 3}
    refused(env, "update_reservation_baggages", {**base, "reservation_id": "NOPE00", "payment_id": CARD},
            "Reservation NOPE00 not found")
    refused(env, "update_reservation_baggages", {**base, "payment_id": "paypal_9"}, "Payment method not found")
    # a certificate is refused even when nothing is charged
    refused(env, "update_reservation_baggages", {**base, "payment_id": CERT},
            "Certificate cannot be used to update reservation")
    refused(env, "update_reservation_baggages", {**base, "nonfree_baggages": 6, "total_baggages": 6,
                                                 "payment_id": GIFT}, "Gift card balance is not enough")


# ---- update_reservation_flights

def test_upgrade_cabin_reprices_every_segment(env):
    # IYNHCI: economy HAT090 05-19 (137) + HAT089 05-20 (144), 2 passengers; business now 232 and 390
    flights = [{"flight_number": "HAT090", "date": "2024-05-19"}, {"flight_number": "HAT089", "date": "2024-05-20"}]
    r = env.call("update_reservation_flights", {"reservation_id": "IYNHCI", "cabin": "business", "flights": flights,
                                                "payment_id": CARD})
    assert r.ok, r.content
    assert r.value["cabin"] == "business"
    assert r.value["flights"] == [
        {"flight_number": "HAT090", "origin": "ATL", "destination": "MIA", "date": "2024-05-19", "price": 232},
        {"flight_number": "HAT089", "origin": "MIA", "destination": "ATL", "date": "2024-05-20", "price": 390}]
    assert r.value["payment_history"][-1] == {"payment_id": CARD, "amount": (232 + 390) * 2 - (137 + 144) * 2}
    assert seats(env, "HAT090", "2024-05-19")["business"] == 13  # τ² moves no seats on a change


def test_change_one_segment_keeps_the_other_at_its_old_price_and_refunds_to_a_gift_card(env):
    flights = [{"flight_number": "HAT090", "date": "2024-05-19"}, {"flight_number": "HAT089", "date": "2024-05-21"}]
    r = env.call("update_reservation_flights", {"reservation_id": "IYNHCI", "cabin": "economy", "flights": flights,
                                                "payment_id": GIFT})
    assert r.ok, r.content
    assert [f["price"] for f in r.value["flights"]] == [137, 124]
    # (137 + 124) * 2 - (137 + 144) * 2 = -40: a negative payment, and the gift card grows
    assert r.value["payment_history"] == [{"payment_id": CARD, "amount": 562}, {"payment_id": GIFT, "amount": -40}]
    assert row(env, "user", USER)["payment_methods"][GIFT]["amount"] == 141.0


def test_same_flights_same_cabin_changes_nothing_but_is_allowed(env):
    flights = [{"flight_number": "HAT090", "date": "2024-05-19"}, {"flight_number": "HAT089", "date": "2024-05-20"}]
    r = env.call("update_reservation_flights", {"reservation_id": "IYNHCI", "cabin": "economy", "flights": flights,
                                                "payment_id": CARD})
    assert r.ok
    assert r.value["payment_history"] == [{"payment_id": CARD, "amount": 562}]


def test_flight_change_refusals(env):
    base = {"reservation_id": "IYNHCI", "cabin": "economy", "payment_id": CARD,
            "flights": [{"flight_number": "HAT090", "date": "2024-05-19"}, {"flight_number": "HAT089", "date": "2024-05-22"}]}
    refused(env, "update_reservation_flights", {**base, "reservation_id": "NOPE00"}, "Reservation NOPE00 not found")
    refused(env, "update_reservation_flights", {**base, "payment_id": CERT},
            "Certificate cannot be used to update reservation")
    refused(env, "update_reservation_flights", {**base, "flights": [{"flight_number": "HAT002", "date": "2024-05-10"}]},
            "Flight HAT002 not available on date 2024-05-10")
    # Q8B8Y2 moved to economy on HAT208 05-27, which has no economy seat left for its three passengers
    refused(env, "update_reservation_flights", {"reservation_id": "Q8B8Y2", "cabin": "economy", "payment_id": CARD,
                                                "flights": [{"flight_number": "HAT208", "date": "2024-05-27"}]},
            "Not enough seats on flight HAT208")
    # the business upgrade of IYNHCI costs 682, more than the gift card's 101
    refused(env, "update_reservation_flights", {**base, "cabin": "business", "payment_id": GIFT,
                                                "flights": base["flights"][:1] + [{"flight_number": "HAT089",
                                                                                  "date": "2024-05-20"}]},
            "Gift card balance is not enough")


# ---- update_reservation_passengers

def test_update_passengers(env):
    new = [{"first_name": "Aarav", "last_name": "Harris", "dob": "1958-05-17"}, KID]
    r = env.call("update_reservation_passengers", {"reservation_id": "IYNHCI", "passengers": new})
    assert r.ok
    assert row(env, "reservation", "IYNHCI")["passengers"] == new
    assert row(env, "reservation", "IYNHCI")["payment_history"] == [{"payment_id": CARD, "amount": 562}]
    refused(env, "update_reservation_passengers", {"reservation_id": "IYNHCI", "passengers": [ME]},
            "Number of passengers does not match")
    refused(env, "update_reservation_passengers", {"reservation_id": "NOPE00", "passengers": [ME]},
            "Reservation NOPE00 not found")


# ---- send_certificate

def test_send_certificates_until_the_three_ids_are_used(env):
    r = env.call("send_certificate", {"user_id": USER, "amount": 100})
    assert r.value == f"Certificate certificate_3221322 added to user {USER} with amount 100."
    assert row(env, "user", USER)["payment_methods"]["certificate_3221322"] == {
        "source": "certificate", "id": "certificate_3221322", "brand": None, "last_four": None, "amount": 100.0}
    assert env.call("send_certificate", {"user_id": USER, "amount": 50}).value.startswith(
        "Certificate certificate_3221323 ")
    assert env.call("send_certificate", {"user_id": USER, "amount": 50}).ok
    refused(env, "send_certificate", {"user_id": USER, "amount": 50}, "Too many certificates")
    refused(env, "send_certificate", {"user_id": "nobody_1", "amount": 50}, "User nobody_1 not found")


def test_a_sent_certificate_pays_a_booking_and_is_removed(env):
    env.call("send_certificate", {"user_id": USER, "amount": 300})
    r = book(env, payment_methods=[{"payment_id": "certificate_3221322", "amount": 210}])
    assert r.ok, r.content
    assert "certificate_3221322" not in row(env, "user", USER)["payment_methods"]
    # the id is free again, so the next certificate gets it
    assert "certificate_3221322" in env.call("send_certificate", {"user_id": USER, "amount": 10}).value


# ---- reads and generic tools

def test_reads(env):
    assert env.call("get_flight_status", {"flight_number": "HAT002", "date": "2024-05-10"}).value == "cancelled"
    assert env.call("get_flight_status", {"flight_number": "HAT004", "date": "2024-05-15"}).value == "on time"
    assert error(env.call("get_flight_status", {"flight_number": "HAT004", "date": "2024-06-15"})) == \
        "Flight HAT004 not found on date 2024-06-15"
    direct = env.call("search_direct_flight", {"origin": "SFO", "destination": "JFK", "date": "2024-05-20"}).value
    assert [f["flight_number"] for f in direct] == ["HAT001", "HAT128"]
    assert direct[0]["prices"] == {"basic_economy": 63, "business": 315, "economy": 105} and direct[0]["date"] is None
    onestop = env.call("search_onestop_flight", {"origin": "SFO", "destination": "JFK", "date": "2024-05-20"}).value
    assert (onestop[8][0]["flight_number"], onestop[8][1]["flight_number"], onestop[8][1]["date"]) == \
        ("HAT254", "HAT013", "2024-05-21")
    airports = env.call("list_all_airports", {}).value
    assert len(airports) == 20 and airports[0] == {"iata": "SFO", "city": "San Francisco"}
    assert env.call("calculate", {"expression": "(232 + 390) * 2 - (137 + 144) * 2"}).value == "682.0"
    assert error(env.call("calculate", {"expression": "2 ^ 3"})) == "Invalid characters in expression"
    assert env.call("transfer_to_human_agents", {"summary": "wants a refund"}).value == "Transfer successful"
    assert error(env.call("get_user_details", {"user_id": "x"})) == "User x not found"
    assert env.call("get_reservation_details", {"reservation_id": "ZH00LM"}).value["nonfree_baggages"] == 3
