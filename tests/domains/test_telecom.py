"""Telecom scenarios after τ²-bench's telecom domain: the agent's account tools, the user's phone tools, the task
set-ups that break the phone or the account, and the gold fixes, replayed from the initial state."""

from __future__ import annotations

import pytest
from scenario_steps import refused, row

JOHN = [("set_user_info", {"name": "John Smith", "phone_number": "555-123-2002"})]
C, L = "C1001", "L1002"


@pytest.fixture
def env(open_env):
    return open_env("telecom")


def ok(env, tool, args=None):
    r = env.call(tool, args or {})
    assert r.ok, r.content
    return r.value


def phone(env):
    return row(env, "phone", "phone")


def world(env):
    return row(env, "surroundings", "user")


def check(env, tool, args=None):
    """An `actor: env` assertion (τ²'s assert_* functions)."""
    return ok(env, tool, args)


# ---- agent side: look-ups ---------------------------------------------------------------------------------

def test_lookups(env):
    assert ok(env, "get_customer_by_phone", {"phone_number": "555-123-2003"})["customer_id"] == "C1001"
    assert ok(env, "get_customer_by_phone", {"phone_number": "555-123-1002"})["customer_id"] == "C1002"
    refused(env, "get_customer_by_phone", {"phone_number": "555-000-0000"},
            "Customer with phone number 555-000-0000 not found")
    assert ok(env, "get_customer_by_name", {"full_name": "john smith", "dob": "1985-06-15"})[0]["customer_id"] == C
    assert ok(env, "get_customer_by_name", {"full_name": "John Smith", "dob": "1985-06-16"}) == []
    refused(env, "get_customer_by_id", {"customer_id": "C9999"}, "Customer with ID C9999 not found")
    d = ok(env, "get_details_by_id", {"id": "P1002"})
    assert d["type"] == "plan" and d["plan"]["data_refueling_price_per_gb"] == 2.0 and d["line"] is None
    refused(env, "get_details_by_id", {"id": "X1"}, "Unknown ID format or type: X1")
    refused(env, "get_details_by_id", {"id": "B9999"}, "Bill with ID B9999 not found")
    assert [b["bill_id"] for b in ok(env, "get_bills_for_customer", {"customer_id": C})] == ["B1003", "B1002", "B1001"]
    assert [b["bill_id"] for b in ok(env, "get_bills_for_customer", {"customer_id": C, "limit": 1})] == ["B1003"]
    assert ok(env, "get_data_usage", {"customer_id": C, "line_id": L}) == {
        "line_id": L, "data_used_gb": 8.7, "data_limit_gb": 15.0, "data_refueling_gb": 0.0,
        "cycle_end_date": "2025-02-28"}
    refused(env, "get_data_usage", {"customer_id": C, "line_id": "L1004"}, "Line L1004 not found for customer C1001")


# ---- agent side: lines ------------------------------------------------------------------------------------

def test_suspend_and_resume_line(env):
    env.reset(setup=JOHN)
    r = ok(env, "suspend_line", {"customer_id": C, "line_id": L, "reason": "travelling"})
    assert r["message"] == "Line suspended successfully. $5/month holding fee will apply."
    line = row(env, "line", L)
    assert line["status"] == "Suspended" and str(line["suspension_start_date"]) == "2025-02-25"
    assert world(env)["line_active"] is False  # the phone's side follows (τ²'s sync)
    refused(env, "suspend_line", {"customer_id": C, "line_id": L, "reason": "x"}, "Line must be active to suspend")
    r = ok(env, "resume_line", {"customer_id": C, "line_id": L})
    assert r["message"] == "Line resumed successfully" and r["line"]["status"] == "Active"
    assert row(env, "line", L)["suspension_start_date"] is None and world(env)["line_active"] is True
    refused(env, "resume_line", {"customer_id": C, "line_id": L}, "Line must be suspended to resume")


@pytest.mark.parametrize("tool, args, message", [
    ("suspend_line", {"customer_id": "C9", "line_id": L, "reason": "x"}, "Customer with ID C9 not found"),
    ("suspend_line", {"customer_id": C, "line_id": "L1009", "reason": "x"}, "Line L1009 not found for customer C1001"),
    ("resume_line", {"customer_id": C, "line_id": "L1001"}, "Line must be suspended to resume"),
    ("enable_roaming", {"customer_id": "C1003", "line_id": L}, "Line L1002 not found for customer C1003"),
    ("disable_roaming", {"customer_id": "C9", "line_id": L}, "Customer with ID C9 not found"),
    ("refuel_data", {"customer_id": C, "line_id": L, "gb_amount": 0}, "Refuel amount must be positive"),
    ("refuel_data", {"customer_id": C, "line_id": "L1004", "gb_amount": 1.0}, "Line L1004 not found for customer C1001"),
    ("send_payment_request", {"customer_id": C, "bill_id": "B1005"}, "Bill B1005 not found for customer C1001"),
    ("send_payment_request", {"customer_id": "C9", "bill_id": "B1005"}, "Customer with ID C9 not found"),
])
def test_agent_write_refusals(env, tool, args, message):
    env.reset(setup=JOHN)
    refused(env, tool, args, message)


def test_resume_pending_activation_line_of_another_customer(env):
    env.reset(setup=JOHN)
    ok(env, "suspend_line", {"customer_id": "C1002", "line_id": "L1004", "reason": "lost phone"})
    assert world(env)["line_active"] is True  # not the user's line: the phone's side is untouched
    ok(env, "resume_line", {"customer_id": "C1002", "line_id": "L1004"})
    assert row(env, "line", "L1004")["status"] == "Active"


# ---- agent side: roaming, data, bills ---------------------------------------------------------------------

def test_roaming_messages_and_sync(env):
    env.reset(setup=JOHN)
    assert world(env)["roaming_allowed"] is True
    assert ok(env, "enable_roaming", {"customer_id": C, "line_id": L}) == "Roaming was already enabled"
    assert ok(env, "disable_roaming", {"customer_id": C, "line_id": L}) == "Roaming disabled successfully"
    assert row(env, "line", L)["roaming_enabled"] is False and world(env)["roaming_allowed"] is False
    assert ok(env, "disable_roaming", {"customer_id": C, "line_id": L}) == "Roaming was already disabled"
    assert ok(env, "enable_roaming", {"customer_id": C, "line_id": L}) == "Roaming enabled successfully"
    assert world(env)["roaming_allowed"] is True


def test_refuel_data_charges_the_draft_bill(env):
    """τ²'s data_usage_exceeded task: usage set over the limit; gold fix refuel_data 2.0 GB."""
    env.reset(setup=[*JOHN, ("set_data_usage", {"customer_id": C, "line_id": L, "data_used_gb": 15.1})])
    assert world(env)["mobile_data_usage_exceeded"] is True
    assert check(env, "assert_mobile_data_status", {"expected_status": False})
    r = ok(env, "refuel_data", {"customer_id": C, "line_id": L, "gb_amount": 2.0})
    assert r == {"message": "Successfully added 2.0 GB of data for line L1002 for $4.00",
                 "new_data_refueling_gb": 2.0, "charge": 4.0}
    b = row(env, "bill", "B1003")
    assert b["total_due"] == 4.0 and b["status"] == "Draft"
    assert [(i["description"], i["amount"], str(i["date"]), i["item_type"]) for i in b["line_items"]] == [
        ("Data refueling: 2.0 GB at $2.0/GB", 4.0, "2025-02-25", "Charge")]
    assert row(env, "line", L)["data_refueling_gb"] == 2.0
    assert world(env)["mobile_data_usage_exceeded"] is False
    assert check(env, "assert_data_refueling_amount", {"customer_id": C, "line_id": L, "expected_amount": 2.0})
    assert check(env, "assert_mobile_data_status", {"expected_status": True})
    # the phone has not searched since the seed: 5G with τ²'s default "good" signal, 220 Mbps
    assert ok(env, "run_speed_test") == "Speed Test Result: 220.00 Mbps (Excellent). Connection is very fast."
    assert check(env, "assert_internet_speed", {"expected_speed": 200, "expected_desc": "excellent"})


def test_refuel_without_draft_bill_creates_one(env):
    ok(env, "refuel_data", {"customer_id": "C1002", "line_id": "L1004", "gb_amount": 1.5})
    c = row(env, "customer", "C1002")
    assert len(c["bill_ids"]) == 3
    new = row(env, "bill", c["bill_ids"][-1])
    assert new["status"] == "Draft" and str(new["period_start"]) == "2025-03-01" and str(new["due_date"]) == "2025-03-15"
    assert new["total_due"] == pytest.approx(0.15) and new["line_items"][0]["description"] == \
        "Data refueling: 1.5 GB at $0.1/GB"


def test_overdue_bill_suspension_gold_fix(env):
    """τ²'s overdue_bill_suspension: gold send_payment_request, make_payment, resume_line, reboot_device."""
    setup = [*JOHN, ("suspend_line_for_overdue_bill", {"customer_id": C, "line_id": L, "new_bill_id": "B1234321",
                                                       "contract_ended": False}),
             ("simulate_network_search", {})]
    env.reset(setup=setup)
    assert phone(env)["network_connection_status"] == "no_service"
    assert check(env, "assert_overdue_bill_exists", {"customer_id": C, "overdue_bill_id": "B1234321"})
    b = row(env, "bill", "B1234321")
    assert (b["total_due"], b["status"], str(b["issue_date"]), str(b["due_date"])) == (65.0, "Overdue", "2025-01-01",
                                                                                        "2025-01-15")
    assert b["line_items"][0]["description"] == "Charge for line L1002"
    assert row(env, "customer", C)["bill_ids"] == ["B1001", "B1002", "B1003", "B1234321"]
    refused(env, "suspend_line_for_overdue_bill", {"customer_id": C, "line_id": "L1001", "new_bill_id": "B7",
                                                   "contract_ended": True}, "Customer already has an overdue bill")
    assert ok(env, "check_payment_request") == "No payment request has been made."
    assert ok(env, "send_payment_request", {"customer_id": C, "bill_id": "B1234321"}) == \
        "Payment request sent to the customer for bill B1234321"
    assert world(env)["payment_request"] == {"bill_id": "B1234321", "amount_due": 65.0, "paid": False}
    refused(env, "send_payment_request", {"customer_id": C, "bill_id": "B1002"},
            "A bill is already awaiting payment for this customer")
    assert ok(env, "make_payment") == "Payment of 65.0 USD has been made for bill B1234321."
    assert row(env, "bill", "B1234321")["status"] == "Paid" and world(env)["payment_request"] is None
    assert check(env, "assert_no_overdue_bill", {"overdue_bill_id": "B1234321"})
    ok(env, "resume_line", {"customer_id": C, "line_id": L})
    assert phone(env)["network_connection_status"] == "no_service"  # no search until the phone restarts
    r = ok(env, "reboot_device")
    assert r["message"] == "Restarting network services..."
    assert check(env, "assert_service_status", {"expected_status": "connected"})
    assert check(env, "assert_line_status", {"customer_id": C, "line_id": L, "expected_status": "Active"})
    refused(env, "suspend_line_for_overdue_bill", {"customer_id": C, "line_id": "L1003", "new_bill_id": "B7",
                                                   "contract_ended": True}, "Line must be active to suspend for unpaid bill")


def test_make_payment_without_request(env):
    env.reset(setup=JOHN)
    before = env.digest()
    assert ok(env, "make_payment") == "You do not have a payment request."
    assert env.digest() == before


# ---- user side: the phone ---------------------------------------------------------------------------------

def test_airplane_mode_on_gold_fix(env):
    env.reset(setup=[*JOHN, ("turn_airplane_mode_on", {})])
    assert ok(env, "check_status_bar") == "✈️ Airplane Mode | 🔋 80%"
    assert ok(env, "run_speed_test") == "Speed test failed: No Connection."
    r = ok(env, "toggle_airplane_mode")
    assert r == {"message": "Airplane Mode is now OFF.", "status_bar": "📶⁴ Excellent | 5G | 📱 Data Enabled | 🔋 80%"}
    p = phone(env)
    assert (p["airplane_mode"], p["network_connection_status"], p["network_technology_connected"],
            p["network_signal_strength"]) == (False, "connected", "5G", "excellent")
    assert ok(env, "run_speed_test") == "Speed Test Result: 275.00 Mbps (Excellent). Connection is very fast."
    assert check(env, "assert_airplane_mode_status", {"expected_status": False})


def test_airplane_mode_on_drops_wifi_and_vpn(env):
    env.reset(setup=[*JOHN, ("break_vpn", {})])
    ok(env, "toggle_wifi")
    ok(env, "toggle_airplane_mode")
    p = phone(env)
    assert (p["airplane_mode"], p["vpn_connected"], p["vpn_details"], p["wifi_enabled"], p["wifi_connected"],
            p["network_connection_status"]) == (True, False, None, True, False, "no_service")
    before = env.digest()
    r = ok(env, "toggle_wifi")  # a soft refusal: a message, no change
    assert r["message"] == "Cannot change Wi-Fi settings while Airplane Mode is ON." and env.digest() == before


def test_unseated_sim_gold_fix(env):
    env.reset(setup=[*JOHN, ("unseat_sim_card", {})])
    assert ok(env, "check_sim_status") == "No SIM card detected in the phone."
    assert phone(env)["network_connection_status"] == "no_service"
    assert ok(env, "reseat_sim_card")["message"] == "SIM card re-seated successfully."
    assert check(env, "assert_service_status", {"expected_status": "connected"})


def test_locked_sim_is_unfixable_on_the_phone(env):
    env.reset(setup=[*JOHN, ("lock_sim_card", {"mode": "pin"})])
    ok(env, "reseat_sim_card")
    ok(env, "reboot_device")
    assert ok(env, "check_sim_status") == "The SIM card is locked with a PIN code."
    assert check(env, "assert_service_status", {"expected_status": "no_service"})
    assert ok(env, "transfer_to_human_agents", {"summary": "I cannot fix the issue."}) == "Transfer successful"


def test_broken_apn_gold_fix(env):
    env.reset(setup=[*JOHN, ("break_apn_settings", {})])
    assert phone(env)["network_connection_status"] == "no_service"
    assert ok(env, "reset_apn_settings")["message"] == "APN settings will reset at reboot."
    assert phone(env)["active_apn_settings"]["reset_at_reboot"] is True
    assert phone(env)["network_connection_status"] == "no_service"  # the reset waits for the restart
    r = ok(env, "reboot_device")
    assert r["message"] == "Resetting APN settings...\nRestarting network services..."
    assert phone(env)["active_apn_settings"] == {"apn_name": "internet", "reset_at_reboot": False, "mms_apn": "mms",
                                                 "mmsc_url": "http://mms.carrier.com/mms/wapenc", "mms_proxy": None,
                                                 "mms_port": None}
    assert check(env, "assert_service_status", {"expected_status": "connected"})


def test_abroad_roaming_enabled_off_gold_fix(env):
    """τ²'s user_abroad_roaming_enabled_off: the line allows roaming; the phone's data roaming is off."""
    env.reset(setup=[*JOHN, ("set_user_location", {"abroad": True}), ("turn_roaming_off", {}),
                     ("enable_roaming", {"customer_id": C, "line_id": L})])
    assert check(env, "assert_mobile_data_status", {"expected_status": False})
    assert ok(env, "toggle_roaming")["message"] == "Data Roaming is now ON."
    assert check(env, "assert_mobile_data_status", {"expected_status": True})
    assert check(env, "assert_internet_speed", {"expected_speed": 200, "expected_desc": "excellent"})
    assert check(env, "assert_mobile_roaming_status", {"expected_status": True})


def test_abroad_roaming_disabled_off_gold_fix(env):
    env.reset(setup=[*JOHN, ("set_user_location", {"abroad": True}), ("turn_roaming_off", {}),
                     ("disable_roaming", {"customer_id": C, "line_id": L}), ("simulate_network_search", {})])
    assert ok(env, "enable_roaming", {"customer_id": C, "line_id": L}) == "Roaming enabled successfully"
    assert check(env, "assert_mobile_data_status", {"expected_status": False})  # the phone still says no
    ok(env, "toggle_roaming")
    assert check(env, "assert_mobile_data_status", {"expected_status": True})


def test_data_off_and_data_saver_gold_fixes(env):
    env.reset(setup=[*JOHN, ("turn_data_off", {}), ("turn_data_saver_mode_on", {})])
    assert ok(env, "check_status_bar") == "📶⁴ Excellent | 5G | 📵 Data Disabled | 🔋 80%"
    assert ok(env, "toggle_data")["message"] == "Mobile Data is now ON."
    assert ok(env, "run_speed_test") == \
        "Speed Test Result: 55.00 Mbps (Good). Connection is good for most activities, including HD streaming."
    assert check(env, "assert_internet_not_excellent")
    r = ok(env, "toggle_data_saver_mode")
    assert r["message"] == "Data Saver Mode is now OFF." and phone(env)["data_saver_mode"] is False
    assert check(env, "assert_internet_speed", {"expected_speed": 200, "expected_desc": "excellent"})


def test_bad_network_preference_gold_fix(env):
    env.reset(setup=[*JOHN, ("set_network_mode_preference", {"mode": "2g_only"})])
    p = phone(env)
    assert (p["network_technology_connected"], p["network_signal_strength"]) == ("2G", "poor")
    assert ok(env, "run_speed_test").startswith("Speed Test Result: 0.05 Mbps (Very Poor).")
    before = env.digest()
    r = ok(env, "set_network_mode_preference", {"mode": "6g"})
    assert r["message"].startswith("Failed to set network mode: '6g' is not a valid option.") and env.digest() == before
    assert ok(env, "set_network_mode_preference", {"mode": "4g_5g_preferred"})["message"] == \
        "Preferred Network Mode set to: 4g_5g_preferred"
    assert ok(env, "check_network_mode_preference") == "Network Mode Preference: 4g_5g_preferred"
    assert check(env, "assert_internet_speed", {"expected_speed": 200, "expected_desc": "excellent"})


def test_bad_vpn_gold_fix(env):
    env.reset(setup=[*JOHN, ("break_vpn", {})])
    assert phone(env)["vpn_details"] == {"server_address": "192.168.1.1", "protocol": "OpenVPN",
                                         "server_performance": "poor"}
    assert ok(env, "run_speed_test").startswith("Speed Test Result: 22.00 Mbps (Fair).")
    assert ok(env, "connect_vpn")["message"] == "VPN already connected."
    assert ok(env, "disconnect_vpn")["message"] == "VPN disconnected successfully."
    assert phone(env)["vpn_connected"] is False and phone(env)["vpn_details"] is None
    assert ok(env, "disconnect_vpn")["message"] == "No active VPN connection to disconnect."
    assert check(env, "assert_internet_speed", {"expected_speed": 200, "expected_desc": "excellent"})
    ok(env, "connect_vpn")
    assert phone(env)["vpn_details"]["server_performance"] == "excellent"


def test_mms_fixes(env):
    """τ²'s mms_issue family: Wi-Fi calling with MMS over Wi-Fi, a missing MMSC URL, a missing permission."""
    env.reset(setup=[*JOHN, ("set_wifi_calling", {"enabled": True, "mms_over_wifi": True}),
                     ("break_apn_mms_setting", {}), ("remove_app_permission", {"app_name": "messaging",
                                                                             "permission": "storage"})])
    assert ok(env, "can_send_mms") == "Your messaging app cannot send MMS messages."
    assert ok(env, "check_app_permissions", {"app_name": "messaging"}) == \
        "App 'messaging' has permission for: sms, phone."
    ok(env, "toggle_wifi_calling")
    ok(env, "reset_apn_settings")
    ok(env, "reboot_device")
    assert check(env, "assert_can_send_mms", {"expected_status": False})
    r = ok(env, "grant_app_permission", {"app_name": "messaging", "permission": "STORAGE"})
    assert r["message"] == "Success. Permission 'storage' granted to app 'messaging'."
    assert phone(env)["app_statuses"]["messaging"]["permissions"] == {"sms": True, "storage": True, "phone": True,
                                                                      "network": False}
    assert check(env, "assert_can_send_mms", {"expected_status": True})
    before = env.digest()
    assert ok(env, "grant_app_permission", {"app_name": "camera", "permission": "sms"})["message"] == \
        "Error. App 'camera' not found. Cannot grant permission."
    assert ok(env, "grant_app_permission", {"app_name": "browser", "permission": "camera"})["message"].startswith(
        "Error. Permission 'camera' not tracked for app 'browser'")
    assert env.digest() == before


def test_user_reads(env):
    env.reset(setup=JOHN)
    assert ok(env, "check_installed_apps") == "The following apps are installed on the phone: browser, messaging"
    assert ok(env, "check_app_status", {"app_name": "browser"}) == \
        "Status for App: browser\n - Permissions Granted:\n   - storage\n   - network"
    assert ok(env, "check_app_status", {"app_name": "maps"}) == "App 'maps' not found on this phone."
    assert ok(env, "check_apn_settings").startswith("Current APN Name: internet\nMMSC URL (for picture messages): http")
    assert ok(env, "check_wifi_status") == "Wi-Fi is turned OFF."
    assert ok(env, "check_vpn_status") == "VPN is turned OFF."
    assert ok(env, "check_data_restriction_status") == "Data Saver mode is OFF."
    assert ok(env, "check_wifi_calling_status") == "Wi-Fi Calling is currently turned OFF."
    ok(env, "set_apn_settings", {"apn_settings": {"apn_name": "broken"}})
    assert phone(env)["active_apn_settings"]["mmsc_url"] == "http://mms.carrier.com/mms/wapenc"
    assert phone(env)["network_connection_status"] == "no_service"


def test_schemas_split_by_actor(env):
    agent = {s["function"]["name"] for s in env.domain.schemas}
    user = {s["function"]["name"] for s in env.domain.user_schemas}
    assert agent == {"get_customer_by_phone", "get_customer_by_id", "get_customer_by_name", "get_details_by_id",
                     "suspend_line", "resume_line", "get_bills_for_customer", "send_payment_request",
                     "get_data_usage", "enable_roaming", "disable_roaming", "refuel_data",
                     "transfer_to_human_agents"}
    assert len(user) == 30 and "toggle_airplane_mode" in user and "make_payment" in user
    assert not any(n.startswith(("assert_", "turn_", "break_", "set_user")) for n in agent | user)


def test_setup_for_unknown_line_fails(env):
    with pytest.raises(ValueError, match="Wrong scenario, line not found for phone number 555-000-0000"):
        env.reset(setup=[("set_user_info", {"name": "X", "phone_number": "555-000-0000"})])
