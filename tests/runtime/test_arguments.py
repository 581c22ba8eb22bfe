"""The coercion policy of ascc/runtime/args.py, case by case, through `Environment.call`."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

ECHO = {"day": "2025-02-03", "at": "2025-02-03T04:05:06", "ids": ["a", "b"]}


def refused(env, name, args, path: str | None):
    before = env.digest()
    r = env.call(name, args)
    assert not r.ok and r.error_code == "invalid_arguments", r.content
    if path is not None:
        assert f"`{path}`" in json.loads(r.content)["error"]["message"], r.content
    assert env.digest() == before
    return json.loads(r.content)["error"]["message"]


def echo(env, **changes):
    args = {**ECHO, **changes}
    args = {k: v for k, v in args.items() if v is not ...}
    r = env.call("echo", args)
    assert r.ok, r.content
    return r.value


# ---- strings are never numbers or booleans, numbers never strings


@pytest.mark.parametrize("value", ["5", "5.0", "", " 5", "0x5", True, False, [5], {"v": 5}])
def test_int_takes_only_json_integers(lab_env, value):
    refused(lab_env, "echo", {**ECHO, "count": value}, "count")


@pytest.mark.parametrize("value,expected", [(5, 5), (5.0, 5), (-3, -3), (0, 0), (2 ** 62, 2 ** 62)])
def test_int_accepts_whole_numbers(lab_env, value, expected):
    assert echo(lab_env, count=value)["count"] == expected


@pytest.mark.parametrize("value", [5.5, 2 ** 63, -(2 ** 63), 1e300])
def test_int_refuses_fractions_and_out_of_range(lab_env, value):
    refused(lab_env, "echo", {**ECHO, "count": value}, "count")


@pytest.mark.parametrize("raw", ['"count": NaN', '"count": Infinity', '"ratio": NaN', '"ratio": -Infinity'])
def test_non_finite_numbers_are_refused(lab_env, raw):
    text = json.dumps(ECHO)[:-1] + ", " + raw + "}"
    refused(lab_env, "echo", text, raw.split('"')[1])


def test_float_takes_any_json_number(lab_env):
    assert echo(lab_env, ratio=1)["ratio"] == 1.0
    assert echo(lab_env, ratio=0.1)["ratio"] == 0.1
    refused(lab_env, "echo", {**ECHO, "ratio": "0.1"}, "ratio")
    refused(lab_env, "echo", {**ECHO, "ratio": True}, "ratio")


def test_decimal_takes_any_json_number_at_its_scale(lab_env):
    r = lab_env.call("add_entry", {"account_id": "A001", "amount": 1})
    assert r.ok and r.value["amount"] == 1.0
    r = lab_env.call("add_entry", {"account_id": "A001", "amount": 2.5})
    assert r.ok
    row = next(e for e in lab_env.rows("entry") if e["entry_id"] == r.value["entry_id"])
    assert row["amount"] == Decimal("2.50")
    for bad in ("2.5", True, None, [1]):
        refused(lab_env, "add_entry", {"account_id": "A001", "amount": bad}, "amount")
    refused(lab_env, "add_entry", {"account_id": "A001", "amount": 10 ** 9}, "amount")


def test_str_takes_only_strings(lab_env):
    for bad in (5, 5.0, True, None, ["x"], {"x": 1}):
        refused(lab_env, "rename", {"account_id": "A001", "name": bad}, "name")
    refused(lab_env, "rename", {"account_id": 1, "name": "x"}, "account_id")


def test_bool_takes_only_booleans(lab_env):
    base = {"account_id": "A001", "kind": "gold", "active": True, "score": 1.0, "visits": 1}
    assert lab_env.call("set_flags", base).ok
    for bad in ("true", 1, 0, "yes", None):
        refused(lab_env, "set_flags", {**base, "active": bad}, "active")


# ---- enums, dates, datetimes


@pytest.mark.parametrize("value", ["Gold", "GOLD", " gold", "platinum", "", 1])
def test_enum_is_exact(lab_env, value):
    base = {"account_id": "A001", "kind": value, "active": True, "score": 1.0, "visits": 1}
    refused(lab_env, "set_flags", base, "kind")


def test_dates_and_datetimes(lab_env):
    v = echo(lab_env, day="2024-02-29", at="2024-02-29T23:59:59.123456")
    assert v["day"] == "2024-02-29" and v["at"] == "2024-02-29T23:59:59.123456"
    for bad in ("2024-02-30", "29/02/2024", "yesterday", 20240229, "", None):
        refused(lab_env, "echo", {**ECHO, "day": bad}, "day")
    for bad in ("2024-02-29T25:00:00", "noon", 1700000000, None):
        refused(lab_env, "echo", {**ECHO, "at": bad}, "at")


# ---- null, defaults, missing and unknown arguments


def test_null_only_where_optional(lab_env):
    assert echo(lab_env, ratio=None)["ratio"] is None
    assert echo(lab_env, ratio=...)["ratio"] is None
    assert echo(lab_env, count=None)["count"] == 2  # an optional parameter given null takes its default
    assert echo(lab_env, count=...)["count"] == 2
    refused(lab_env, "echo", {**ECHO, "day": None}, "day")
    refused(lab_env, "echo", {**ECHO, "ids": None}, "ids")
    refused(lab_env, "echo", {**ECHO, "ids": ["a", None]}, "ids[1]")


def test_missing_and_extra_arguments(lab_env):
    msg = refused(lab_env, "echo", {"day": "2025-01-01", "at": "2025-01-01T00:00:00"}, "ids")
    assert "missing" in msg
    msg = refused(lab_env, "echo", {**ECHO, "colour": "red"}, "colour")
    assert "unexpected" in msg
    refused(lab_env, "echo", {**ECHO, "Day": "2025-01-01"}, "Day")


@pytest.mark.parametrize("args", ["[]", "5", '"x"', "null", "true", [], 5, "x", b"\xff\xfe"])
def test_arguments_must_be_an_object(lab_env, args):
    refused(lab_env, "echo", args, None)


@pytest.mark.parametrize("text", ["{", "{'day': 1}", '{"day": }', "{\"a\": 1,}", "not json at all", "\x00"])
def test_malformed_json(lab_env, text):
    msg = refused(lab_env, "echo", text, None)
    assert "JSON" in msg


def test_empty_argument_text_is_an_empty_object(lab_env):
    msg = refused(lab_env, "echo", "   ", "day")
    assert "missing" in msg


def test_json_text_and_dict_are_the_same(lab_env):
    assert lab_env.call("echo", json.dumps(ECHO)).content == lab_env.call("echo", ECHO).content
    assert lab_env.call("echo", json.dumps(ECHO).encode()).content == lab_env.call("echo", ECHO).content


def test_deep_nesting_is_refused(lab_env):
    deep = "[" * 5000 + "]" * 5000
    refused(lab_env, "echo", '{"ids": ' + deep + "}", None)
    nested: list = []
    for _ in range(50):
        nested = [nested]
    refused(lab_env, "echo", {**ECHO, "ids": nested}, None)


# ---- nested values name their path


def test_struct_arguments(lab_env):
    r = lab_env.call("set_address", {"account_id": "A002", "address": {"city": "Bern", "zip": "3000"}})
    assert r.ok and r.value == {"city": "Bern", "zip": "3000"}
    refused(lab_env, "set_address", {"account_id": "A002", "address": {"city": "Bern"}}, "address.zip")
    refused(lab_env, "set_address", {"account_id": "A002", "address": {"city": "B", "zip": 3000}}, "address.zip")
    refused(lab_env, "set_address", {"account_id": "A002", "address": {"city": "B", "zip": "1", "x": 1}},
            "address.x")
    refused(lab_env, "set_address", {"account_id": "A002", "address": "Bern"}, "address")


def test_map_and_list_arguments(lab_env):
    assert lab_env.call("set_tags", {"account_id": "A002", "tags": {"a": "1", "": ""}}).ok
    assert lab_env.rows("account")[1]["tags"] == {"a": "1", "": ""}
    refused(lab_env, "set_tags", {"account_id": "A002", "tags": {"a": 1}}, "tags.a")
    refused(lab_env, "set_tags", {"account_id": "A002", "tags": [["a", "1"]]}, "tags")
    refused(lab_env, "echo", {**ECHO, "ids": ["a", 2]}, "ids[1]")
    refused(lab_env, "echo", {**ECHO, "ids": "a,b"}, "ids")


def test_huge_string_near_the_limit(lab_env):
    name = "n" * (60 * 1024)
    r = lab_env.call("rename", {"account_id": "A001", "name": name})
    assert r.ok and lab_env.rows("account")[0]["name"] == name
    before = lab_env.digest()
    r = lab_env.call("rename", {"account_id": "A001", "name": "n" * (64 * 1024)})
    assert r.error_code == "too_large" and lab_env.digest() == before
