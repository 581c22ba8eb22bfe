"""Travel-visa scenarios: exemptions, one open application per country, stay and passport rules, documents, submission and processing time, biometrics capacity, expediting, date changes, withdrawal, passports."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("travel_visa")


def start(applicant, code, travel, ret):
    return {"applicant_id": applicant, "visa_code": code, "travel_date": travel, "return_date": ret}


def japan_trip(env, travel="2025-07-20", ret="2025-07-30"):
    app = ok(env, "start_application", start("VA00001", "JP-TOURIST", travel, ret))["app_id"]
    for doc in ["photo", "itinerary"]:
        ok(env, "upload_document", {"app_id": app, "doc_type": doc})
    return app


def test_start_application(env):
    a = ok(env, "start_application", start("VA00001", "JP-TOURIST", "2025-08-01", "2025-08-10"))
    assert a["status"] == "draft" and a["country"] == "JP" and a["documents"] == {} and a["fee_paid"] == 0
    assert a["history"] == [{"on": "2025-07-07", "action": "started"}]


@pytest.mark.parametrize("args, message", [
    (start("VA00002", "GB-TOURIST", "2025-08-01", "2025-08-10"), "The applicant's nationality does not need this visa"),
    (start("VA00001", "GB-STUDENT", "2025-08-01", "2025-08-10"),
     "The applicant already has an open application for this country"),
    (start("VA00001", "JP-TOURIST", "2025-07-07", "2025-07-10"), "The travel date must be after today"),
    (start("VA00001", "JP-TOURIST", "2025-08-10", "2025-08-01"), "The return date must be after the travel date"),
    (start("VA00001", "JP-TOURIST", "2025-08-01", "2025-11-30"), "The stay is longer than this visa allows"),
    (start("VA00002", "US-BUSINESS", "2025-09-01", "2025-09-10"), "The passport expires too soon for these dates"),
])
def test_start_application_refusals(env, args, message):
    refused(env, "start_application", args, message)


def test_upload_and_remove_document(env):
    r = ok(env, "upload_document", {"app_id": "VS000001", "doc_type": "itinerary"})
    assert r["missing"] == [] and r["documents"]["itinerary"] == {"uploaded": "2025-07-07", "verified": False}
    refused(env, "upload_document", {"app_id": "VS000001", "doc_type": "admission_letter"},
            "This visa type does not ask for that document")
    refused(env, "upload_document", {"app_id": "VS000002", "doc_type": "photo"},
            "Documents can be changed only on draft applications")
    r = ok(env, "remove_document", {"app_id": "VS000001", "doc_type": "photo"})
    assert sorted(r["documents"]) == ["bank_statement", "itinerary"]
    refused(env, "remove_document", {"app_id": "VS000001", "doc_type": "photo"}, "No such document was uploaded")
    refused(env, "remove_document", {"app_id": "VS000002", "doc_type": "photo"},
            "Documents can be changed only on draft applications")


def test_submit_application(env):
    refused(env, "submit_application", {"app_id": "VS000001"}, "Required documents are missing")
    ok(env, "upload_document", {"app_id": "VS000001", "doc_type": "itinerary"})
    a = ok(env, "submit_application", {"app_id": "VS000001"})
    assert a["status"] == "submitted" and a["fee_paid"] == 127 and a["decision_due"] == "2025-07-28"
    assert a["expedited"] is False and a["history"][-1] == {"on": "2025-07-07", "action": "submitted"}
    refused(env, "submit_application", {"app_id": "VS000001"}, "Only draft applications can be submitted")


def test_submit_expedited(env):
    ok(env, "upload_document", {"app_id": "VS000001", "doc_type": "itinerary"})
    a = ok(env, "submit_application", {"app_id": "VS000001", "expedite": True})
    assert a["fee_paid"] == 377 and a["expedited"] is True and a["decision_due"] == "2025-07-17"


def test_submit_processing_time_and_expedite_availability(env):
    app = japan_trip(env, "2025-07-12", "2025-07-20")
    refused(env, "submit_application", {"app_id": app, "expedite": True}, "This visa type cannot be expedited")
    refused(env, "submit_application", {"app_id": app},
            "There is not enough processing time before the travel date")


def test_book_biometrics(env):
    r = ok(env, "book_biometrics", {"app_id": "VS000002", "center_id": "BC01", "day": "2025-07-16"})
    assert r == {"app_id": "VS000002", "status": "biometrics_booked", "center_id": "BC01", "day": "2025-07-16"}
    assert ok(env, "center_availability", {"center_id": "BC01", "day": "2025-07-16"})["free"] == 0
    refused(env, "book_biometrics", {"app_id": "VS000002", "center_id": "BC02", "day": "2025-07-17"},
            "Biometrics are booked for submitted applications without a booking")


@pytest.mark.parametrize("app, center, day, message", [
    ("VS000002", "BC01", "2025-07-15", "The centre has no free places that day"),
    ("VS000002", "BC02", "2025-07-30", "Biometrics are booked 1 to 21 days ahead"),
    ("VS000002", "BC02", "2025-07-07", "Biometrics are booked 1 to 21 days ahead"),
    ("VS000001", "BC02", "2025-07-10", "Biometrics are booked for submitted applications without a booking"),
])
def test_book_biometrics_refusals(env, app, center, day, message):
    refused(env, "book_biometrics", {"app_id": app, "center_id": center, "day": day}, message)


def test_biometrics_before_travel(env):
    app = japan_trip(env)
    ok(env, "submit_application", {"app_id": app})
    refused(env, "book_biometrics", {"app_id": app, "center_id": "BC01", "day": "2025-07-22"},
            "Biometrics must be before the travel date")


def test_reschedule_biometrics(env):
    r = ok(env, "reschedule_biometrics", {"app_id": "VS000006", "center_id": "BC02", "day": "2025-07-20"})
    assert r == {"app_id": "VS000006", "center_id": "BC02", "day": "2025-07-20", "moves_left": 1}
    assert row(env, "application", "VS000006")["history"][-1]["action"] == "biometrics moved to BC02 on 2025-07-20"
    refused(env, "reschedule_biometrics", {"app_id": "VS000006", "center_id": "BC02", "day": "2025-07-20"},
            "The booking is already at that centre and day")
    refused(env, "reschedule_biometrics", {"app_id": "VS000004", "center_id": "BC02", "day": "2025-07-20"},
            "A biometrics booking can be moved at most twice")
    refused(env, "reschedule_biometrics", {"app_id": "VS000002", "center_id": "BC02", "day": "2025-07-20"},
            "The application has no biometrics booking")


def test_request_expedite(env):
    assert ok(env, "request_expedite", {"app_id": "VS000002"}) == {"app_id": "VS000002", "fee_paid": 305.0,
                                                                   "decision_due": "2025-07-22"}
    refused(env, "request_expedite", {"app_id": "VS000002"}, "The application is already expedited")
    refused(env, "request_expedite", {"app_id": "VS000006"}, "This visa type cannot be expedited")
    refused(env, "request_expedite", {"app_id": "VS000003"},
            "Only submitted applications not yet in review can be expedited")


def test_change_travel_dates(env):
    r = ok(env, "change_travel_dates", {"app_id": "VS000002", "travel_date": "2025-08-25", "return_date": "2025-09-02"})
    assert r == {"app_id": "VS000002", "travel_date": "2025-08-25", "return_date": "2025-09-02"}


@pytest.mark.parametrize("app, travel, ret, message", [
    ("VS000003", "2025-09-20", "2025-12-20", "Travel dates can change only before the application is in review"),
    ("VS000002", "2025-08-20", "2025-12-01", "The stay is longer than this visa allows"),
    ("VS000002", "2025-07-20", "2025-07-25", "The decision is not due before the new travel date"),
    ("VS000002", "2025-07-01", "2025-07-25", "The travel date must be after today"),
])
def test_change_travel_dates_refusals(env, app, travel, ret, message):
    refused(env, "change_travel_dates", {"app_id": app, "travel_date": travel, "return_date": ret}, message)


def test_withdraw_application(env):
    r = ok(env, "withdraw_application", {"app_id": "VS000004", "applicant_id": "VA00003"})
    assert r == {"app_id": "VS000004", "status": "withdrawn", "refunded": 120.0}
    assert row(env, "application", "VS000004")["fee_paid"] == 185
    assert ok(env, "withdraw_application", {"app_id": "VS000003", "applicant_id": "VA00002"})["refunded"] == 0
    refused(env, "withdraw_application", {"app_id": "VS000005", "applicant_id": "VA00001"},
            "Decided or withdrawn applications cannot be withdrawn")
    refused(env, "withdraw_application", {"app_id": "VS000001", "applicant_id": "VA00002"},
            "The application belongs to another applicant")


def test_update_passport(env):
    r = ok(env, "update_passport", {"applicant_id": "VA00001", "number": "z7654321", "issuing_country": "in",
                                    "expires": "2035-01-01"})
    assert r["passport"] == {"number": "Z7654321", "issuing_country": "IN", "expires": "2035-01-01"}
    refused(env, "update_passport", {"applicant_id": "VA00001", "number": "Z1111111", "issuing_country": "IN",
                                     "expires": "2034-01-01"}, "The new passport must expire later than the current one")
    refused(env, "update_passport", {"applicant_id": "VA00002", "number": "C02Y00T47", "issuing_country": "DE",
                                     "expires": "2035-01-01"},
            "The passport cannot change while an application is in review")
    refused(env, "update_passport", {"applicant_id": "VA00003", "number": "G1", "issuing_country": "MX",
                                     "expires": "2035-01-01"}, "The passport number must have 6 to 12 characters")


def test_reads(env):
    assert ok(env, "find_applicant", {"email": "TOM@example.com"})["applicant_id"] == "VA00002"
    assert [a["app_id"] for a in ok(env, "get_applicant", {"applicant_id": "VA00003"})["applications"]] == [
        "VS000004", "VS000006"]
    assert [v["code"] for v in ok(env, "list_visa_types", {"country": "gb"})] == ["GB-STUDENT", "GB-TOURIST"]
    assert ok(env, "get_application", {"app_id": "VS000001"})["missing_documents"] == ["itinerary"]
    assert ok(env, "center_availability", {"center_id": "BC01", "day": "2025-07-15"})["free"] == 0
