"""Property test: no argument a model can send makes a tool call raise, answer non-JSON, or leave a trace.

Every tool of every compiled domain under specs/ (and the runtime's test domain) is called with well-typed,
adversarial and plain random arguments. The default suite makes ASCC_FUZZ_CALLS calls in all (default 500);
the full 5,000 run under the slow marker (ASCC_SLOW=1), on demand and before a release.
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ascc.lang.compiled import ToolInfo
from ascc.lang.types import Type
from ascc.runtime.env import Environment, Limits

TOTAL_CALLS = int(os.environ.get("ASCC_FUZZ_CALLS", "500"))
FULL_CALLS = 5000
CALLS_PER_EXAMPLE = 10
SLOW_BY_DESIGN = {("lab", "slow_count")}  # its timeout is tested in test_atomicity

INJECTIONS = ["'; DROP TABLE customer; --", "\" OR \"1\"=\"1", "1; DELETE FROM product", "$email", "?", "%s",
              "\\", "'", '"', "\u0000", "🙂", "\u202e", "NULL", "null", "", " ", "A' || 'B"]
NEAR_LIMIT = ["x" * (63 * 1024), "é" * (31 * 1024), "'" * (60 * 1024), "y" * (65 * 1024)]

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                         st.text(max_size=20), st.sampled_from(INJECTIONS))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                           st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


def typed(t: Type, structs: dict, keys: list[str]):
    """Values of type `t`, mostly valid, with the strings an attacker would pick."""
    k = t.kind
    if k in ("str", "enum"):
        options = [st.sampled_from(keys + INJECTIONS), st.text(max_size=30)]
        if k == "enum":
            options = [st.sampled_from(t.values), *options]
        s = st.one_of(*options, st.sampled_from(NEAR_LIMIT)) if k == "str" else st.one_of(*options)
    elif k == "int":
        s = st.one_of(st.integers(-5, 50), st.integers(), st.sampled_from([2 ** 63, -(2 ** 63), 1.0, 2.5]))
    elif k in ("float", "decimal"):
        s = st.one_of(st.integers(-1000, 1000), st.floats(allow_nan=False, allow_infinity=False),
                      st.decimals(places=3, allow_nan=False, allow_infinity=False).map(float), st.just(1e30))
    elif k == "bool":
        s = st.booleans()
    elif k == "date":
        s = st.one_of(st.dates().map(lambda d: d.isoformat()), st.text(max_size=12))
    elif k == "datetime":
        s = st.one_of(st.datetimes().map(lambda d: d.isoformat()), st.text(max_size=20))
    elif k == "list":
        s = st.lists(typed(t.elem, structs, keys), max_size=4)
    elif k == "map":
        s = st.dictionaries(st.text(max_size=6), typed(t.elem, structs, keys), max_size=3)
    elif k == "struct":
        s = st.fixed_dictionaries({n: typed(f.type, structs, keys) for n, f in structs[t.name].items()})
    else:
        s = json_values
    if t.nullable:
        s = st.one_of(st.none(), s)
    return s


@st.composite
def arguments(draw, tool: ToolInfo, structs: dict, keys: list[str]):
    """A tool's arguments: well-typed, or with one thing wrong, or not an object at all."""
    shape = draw(st.sampled_from(["typed"] * 6 + ["wrong_value", "missing", "extra", "random", "text"]))
    if shape == "random":
        return draw(json_values)
    if shape == "text":
        return draw(st.one_of(st.text(max_size=40), st.sampled_from(["{", "[1,", "{\"a\": NaN}", "nul", "{}}"])))
    args = {}
    for p in tool.params:
        if p.required or draw(st.booleans()):
            args[p.name] = draw(typed(p.type, structs, keys))
    if shape == "wrong_value" and args:
        args[draw(st.sampled_from(sorted(args)))] = draw(json_values)
    if shape == "missing" and args:
        args.pop(draw(st.sampled_from(sorted(args))))
    if shape == "extra":
        args[draw(st.text(max_size=10))] = draw(json_values)
    if draw(st.integers(0, 4)) == 0:
        return json.dumps(args, ensure_ascii=draw(st.booleans()))
    return args


def _keys(env: Environment) -> list[str]:
    out = []
    for entity, meta in env.domain.info.entities.items():
        for row in env.rows(entity)[:8]:
            for name, f in meta.fields.items():
                if f.type.kind in ("str", "enum") and row[name] is not None:
                    out.append(row[name])
    return sorted(set(out))


@pytest.mark.parametrize("total_calls", [TOTAL_CALLS, pytest.param(FULL_CALLS, marks=pytest.mark.slow)],
                         ids=["default", "full"])
def test_fuzz_tool_calls(domains, lab, total_calls):
    all_domains = {**domains, "lab": lab}
    envs = {name: Environment(d, Limits(call_seconds=2.0)) for name, d in all_domains.items()}
    keys = {name: _keys(env) for name, env in envs.items()}
    tools = [(d, t) for d, env in envs.items() for t in env.domain.info.tools if (d, t) not in SLOW_BY_DESIGN]
    made = {"calls": 0, "failed": 0, "wrote": 0}

    def call_strategy():
        def for_tool(pair):
            d, t = pair
            info = envs[d].domain.info
            name = st.one_of(st.just(t), st.sampled_from([t.upper(), t + " ", "", "__import__"])) \
                if t else st.just(t)
            return st.tuples(st.just(d), st.one_of(*[st.just(t)] * 9, name),
                             arguments(info.tools[t], info.structs, keys[d]))
        return st.sampled_from(tools).flatmap(for_tool)

    @settings(max_examples=max(1, total_calls // CALLS_PER_EXAMPLE), derandomize=True, deadline=None,
              database=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(call_strategy(), min_size=CALLS_PER_EXAMPLE, max_size=CALLS_PER_EXAMPLE))
    def run(calls):
        for env in envs.values():
            env.reset()
        digests = {name: env.digest() for name, env in envs.items()}
        for d, tool, args in calls:
            env = envs[d]
            r = env.call(tool, args)  # must not raise
            made["calls"] += 1
            body = json.loads(r.content)
            after = env.digest()
            if not r.ok:
                made["failed"] += 1
                assert set(body) == {"error"} and body["error"]["code"] == r.error_code, r.content
                assert after == digests[d], (d, tool, args, r.content)
            elif not r.wrote:
                assert after == digests[d], (d, tool, args, r.content)
            else:
                made["wrote"] += 1
            digests[d] = after
        for env in envs.values():
            assert env.digest() == env.full_digest()

    try:
        run()
    finally:
        for env in envs.values():
            env.close()
    assert made["calls"] >= total_calls
    assert made["failed"] > made["calls"] // 10, made
    assert made["wrote"] > 0 or total_calls < 200, made
