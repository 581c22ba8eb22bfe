"""Smart-home scenarios: membership and roles, offline devices, limits, modes and the alarm, automations, guest codes."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused, row


@pytest.fixture
def env(open_env):
    return open_env("smart_home")


def test_set_light(env):
    assert ok(env, "set_light", {"member": "Kim", "device_id": "D-001", "level": 0}) == {"device_id": "D-001",
                                                                                      "on": False, "level": 0}
    assert row(env, "device", "D-001")["on"] is False
    refused(env, "set_light", {"member": "Kim", "device_id": "D-004", "level": 50}, "The device is offline")
    refused(env, "set_light", {"member": "Jo", "device_id": "D-001", "level": 50},
            "The member does not belong to this home")
    refused(env, "set_light", {"member": "Sam", "device_id": "D-001", "level": 150}, "The level is 0 to 100")
    refused(env, "set_light", {"member": "Sam", "device_id": "D-003", "level": 50}, "The device is not a light")


def test_set_thermostat(env):
    assert float(ok(env, "set_thermostat", {"member": "Sam", "device_id": "D-003", "temperature": 22.5})["target_temp"]) == 22.5
    refused(env, "set_thermostat", {"member": "Sam", "device_id": "D-003", "temperature": 31},
            "The temperature is 10 to 30 degrees")
    refused(env, "set_thermostat", {"member": "Jo", "device_id": "D-007", "temperature": 20},
            "At most 18 degrees while the home is away")
    assert ok(env, "set_thermostat", {"member": "Jo", "device_id": "D-007", "temperature": 18})["target_temp"] == 18


def test_set_lock(env):
    assert ok(env, "set_lock", {"member": "Sam", "device_id": "D-002", "locked": False})["locked"] is False
    refused(env, "set_lock", {"member": "Kim", "device_id": "D-005", "locked": False}, "Only adults can unlock doors")
    assert ok(env, "set_lock", {"member": "Kim", "device_id": "D-005", "locked": True})["locked"] is True
    refused(env, "set_lock", {"member": "Jo", "device_id": "D-006", "locked": False}, "Disarm the alarm before unlocking")
    refused(env, "set_lock", {"member": "Sam", "device_id": "D-002", "locked": False}, "The lock is already in that state")


def test_set_mode(env):
    r = ok(env, "set_mode", {"member": "Alex", "home_id": "H0001", "mode": "away"})
    assert r == {"home_id": "H0001", "mode": "away", "alarm_armed": True}
    assert row(env, "device", "D-005")["locked"] is True and row(env, "device", "D-001")["level"] == 0
    assert row(env, "device", "D-001")["on"] is False
    refused(env, "set_mode", {"member": "Kim", "home_id": "H0001", "mode": "home"}, "Only adults can change the home mode")
    refused(env, "set_mode", {"member": "Alex", "home_id": "H0001", "mode": "away"}, "The home is already in that mode")
    assert ok(env, "set_mode", {"member": "Jo", "home_id": "H0002", "mode": "home"})["alarm_armed"] is False


def test_automations(env):
    a = ok(env, "create_automation", {"member": "Sam", "home_id": "H0001", "name": "Lock up", "trigger": "time",
                                      "at_time": "23:00", "actions": [{"device_id": "D-002", "command": "lock"},
                                                                      {"device_id": "D-005", "command": "lock"}]})
    assert a["at_time"] == "23:00" and len(a["actions"]) == 2 and a["enabled"] is True
    base = {"member": "Sam", "home_id": "H0001", "name": "x", "trigger": "sunset"}
    refused(env, "create_automation", {**base, "actions": [{"device_id": "D-006", "command": "lock"}]},
            "Automations act only on the home's own devices")
    refused(env, "create_automation", {**base, "at_time": "07:00", "actions": [{"device_id": "D-001", "command": "turn_on"}]},
            "A time is given exactly for the 'time' trigger")
    refused(env, "create_automation", {**base, "actions": [{"device_id": "D-001", "command": "set_level"}]},
            "Level and temperature actions need a value")
    refused(env, "create_automation", {**base, "member": "Kim", "actions": [{"device_id": "D-001", "command": "turn_on"}]},
            "Only adults can create automations")
    assert ok(env, "set_automation_enabled", {"member": "Kim", "automation_id": "AU00001", "enabled": False}) == {
        "automation_id": "AU00001", "enabled": False}
    refused(env, "set_automation_enabled", {"member": "Kim", "automation_id": "AU00001", "enabled": False},
            "The automation is already in that state")


def test_guest_codes(env):
    refused(env, "create_guest_code", {"member": "Sam", "lock_id": "D-002", "code": "444444", "label": "x",
                                       "valid_from": "2025-12-02", "valid_until": "2025-12-10"},
            "A code is valid for 1 to 7 days")
    g = ok(env, "create_guest_code", {"member": "Sam", "lock_id": "D-002", "code": "444444", "label": "Plumber",
                                      "valid_from": "2025-12-02", "valid_until": "2025-12-02"})
    assert g["label"] == "Plumber" and g["revoked"] is False
    refused(env, "create_guest_code", {"member": "Sam", "lock_id": "D-002", "code": "555555", "label": "x",
                                       "valid_from": "2025-12-02", "valid_until": "2025-12-03"},
            "A lock has at most 3 active guest codes")
    refused(env, "create_guest_code", {"member": "Kim", "lock_id": "D-005", "code": "555555", "label": "x",
                                       "valid_from": "2025-12-02", "valid_until": "2025-12-03"},
            "Only adults can create guest codes")
    assert ok(env, "revoke_guest_code", {"member": "Kim", "code_id": "GC000001"})["revoked"] is True
    refused(env, "revoke_guest_code", {"member": "Kim", "code_id": "GC000001"}, "The code is already revoked")
    refused(env, "revoke_guest_code", {"member": "Kim", "code_id": "GC000003"}, "The code has already expired")
    assert [c["code_id"] for c in ok(env, "list_guest_codes", {"home_id": "H0001"})] == ["GC000002", g["code_id"]]


def test_add_member(env):
    m = ok(env, "add_member", {"member": "Alex", "home_id": "H0001", "name": "Lee", "role": "guest"})
    assert m["Lee"] == {"role": "guest", "added": "2025-12-01"}
    refused(env, "add_member", {"member": "Sam", "home_id": "H0001", "name": "Max", "role": "adult"},
            "Only the owner adds members")
    refused(env, "add_member", {"member": "Alex", "home_id": "H0001", "name": "Kim", "role": "adult"},
            "A member with that name exists")
