"""Property test: whatever argument text a model sends — numbers of thousands of digits, lone surrogates, nesting
past any depth, truncated JSON — `env.call` returns a structured result, never raises, leaves the state as it was
when it refuses, and everything it answers or records is valid UTF-8 (issue 15, item 3).

ASCC_FUZZ_ARGS sets the number of examples (default 150).
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ascc.runtime.env import Environment, Limits

EXAMPLES = int(os.environ.get("ASCC_FUZZ_ARGS", "150"))
CODES = {"invalid_arguments", "too_large", "not_found", "precondition", "conflict", "unknown_tool", "timeout",
         "internal"}
TOOLS = ["echo", "get_account", "rename", "set_address", "add_entry", "set_tags", "total_over", "open_account"]

NUMBERS = ["9" * 5000, "-" + "9" * 5000, "9" * 4300, "9" * 4301, "1e999999", "-1e999999", "1e-999999",
           "0." + "0" * 5000 + "1", "1" + "0" * 400 + ".5", "123456789012345678901234567890", "-0", "-0.0",
           "NaN", "Infinity", "-Infinity", "9223372036854775808", "1E400", "5", "2.5"]
STRINGS = ['"\\ud800"', '"\\udfff"', '"a\\ud800b"', '"\\udc00\\ud800"', '"\\ud83d\\ude00"', '"\\u0000"',
           '"\u202e"', '"\ud800"', '"' + "x" * 70_000 + '"', '"2025-02-03"', '"2025-02-03T04:05:06"',
           '"A001"', '"gold"', '"9' + "9" * 5000 + '"', '"1e999999999"']
KEYS = ['"\\ud800"', '"\ud800"', '"a\\udfffb"', '"day"', '"at"', '"ids"', '"count"', '"account_id"', '"name"',
        '"address"', '"amount"', '"tags"', '"\\u0000"', '""']
NESTED = ["[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000, "[" * 50, '{"city": "\\ud800", "zip": 9}',
          '{"\\ud800": "x"}', "[" + ", ".join(["9" * 4000] * 3) + "]", '{"city": "Oslo", "zip": "0150"}']

values = st.recursive(st.sampled_from(NUMBERS + STRINGS + NESTED + ["true", "null", "{}", "[]"]),
                      lambda inner: st.one_of(
                          st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
                          st.lists(st.tuples(st.sampled_from(KEYS), inner), max_size=3).map(
                              lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}")),
                      max_leaves=6)
objects = st.lists(st.tuples(st.sampled_from(KEYS), values), max_size=4).map(
    lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}")
texts = st.one_of(
    objects,
    values,
    st.tuples(objects, st.integers(0, 200)).map(lambda t: t[0][:t[1]]),  # cut short
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=4)
    .map(lambda s: json.dumps({"name": s, s: 1}, ensure_ascii=False)),
)
names = st.one_of(st.sampled_from(TOOLS), st.sampled_from(["\ud800", "echo\udfff", "x" * 10_000, ""]))


@pytest.fixture(scope="module")
def env(lab):
    with Environment(lab, Limits(call_seconds=2.0)) as e:
        yield e


def _encodable(value) -> None:
    json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")


def test_hostile_argument_texts(env):
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(names, texts)
    def run(name, text):
        calls = [text]
        try:
            calls.append(json.loads(text))  # the same arguments as an object (as MCP hands them over)
        except (ValueError, RecursionError):
            pass
        for args in calls:
            before = env.digest()
            r = env.call(name, args)  # must not raise
            body = json.loads(r.content)
            r.content.encode("utf-8")
            r.tool.encode("utf-8")
            _encodable(r.arguments)
            rec = env.log[-1]
            _encodable([rec.tool, rec.arguments, rec.content])
            if not r.ok:
                assert set(body) == {"error"} and body["error"]["code"] == r.error_code in CODES, r.content
                assert r.error_code != "internal", r.content
                assert len(body["error"]["message"]) < 400, r.content[:500]
                assert env.digest() == before
        env.reset()

    run()


ECHO = '"ids": [], "day": "2025-02-03", "at": "2025-02-03T04:05:06"'
ECHO_ARGS = {"ids": [], "day": "2025-02-03", "at": "2025-02-03T04:05:06"}


@pytest.mark.parametrize("text,args", [
    ("{" + ECHO + ', "count": ' + "9" * 5000 + "}", {**ECHO_ARGS, "count": 10 ** 5000}),
    ("{" + ECHO + ', "count": -' + "9" * 4000 + "}", {**ECHO_ARGS, "count": -(10 ** 4000)}),
    ('{"\\ud800": 1}', {"\ud800": 1}),
    ("{" + ECHO + ', "ids": ["\\udc00"]}', {**ECHO_ARGS, "ids": ["\udc00"]}),
    ('{"day": "\\ud800", "at": "2025-02-03T04:05:06", "ids": []}', {**ECHO_ARGS, "day": "\ud800"}),
], ids=["5000-digits", "negative-4000-digits", "surrogate-key", "surrogate-in-list", "surrogate-date"])
def test_examples_from_the_issue(env, text, args):
    for given_args in (text, args):
        before = env.digest()
        r = env.call("echo", given_args)
        assert not r.ok and r.error_code == "invalid_arguments", r.content
        r.content.encode("utf-8")
        json.dumps([env.log[-1].arguments, r.arguments], ensure_ascii=False).encode("utf-8")
        assert env.digest() == before


def test_unknown_tool_names_are_text(env):
    for name in ("\ud800", "get\udfffaccount", "x" * 100_000):
        r = env.call(name, {})
        assert r.error_code == "unknown_tool" and len(r.content) < 300
        json.dumps([r.tool, r.content, env.log[-1].tool], ensure_ascii=False).encode("utf-8")


def test_huge_integer_object_for_a_float_parameter(env):
    r = env.call("echo", {"day": "2025-02-03", "at": "2025-02-03T04:05:06", "ids": [], "ratio": 10 ** 400})
    assert not r.ok and r.error_code == "invalid_arguments" and "`ratio`" in r.content
