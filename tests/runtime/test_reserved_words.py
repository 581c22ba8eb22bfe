"""Entities, fields, struct fields and parameters named after SQL reserved words (`order`, `group`, `select`,
`from`, `limit`, `desc`, `default`, `check`, …) work everywhere ascc writes SQL: the DDL, seeding, lookups,
queries with conditions, effects, the digest, diffs, snapshots and `sql:` tools that quote them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ascc.compiler.build import compile_file
from ascc.compiler.sqlcheck import reserved_words
from ascc.runtime.diff import diff_states
from ascc.runtime.digest import python_digest
from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment

CALLS = [
    ("get_user", {"user": "U1"}),
    ("users_in_group", {"group": "G1"}),
    ("place_order", {"select": "O2", "from": "U1", "limit": 1}),
    ("close_order", {"select": "O2"}),
    ("close_order", {"select": "O1", "delete": True}),
    ("set_window", {"user": "U2", "from": "2025-01-01", "to": "2025-01-03"}),
    ("orders_by_group", {"limit": 5}),
    ("bump_limits", {"by": 2}),
]


@pytest.fixture
def env(keywords):
    with Environment(keywords) as e:
        yield e


def test_seed_rows_from_files_rows_and_generators(env):
    assert [g["group"] for g in env.rows("group")] == ["G1", "G2"]
    assert env.rows("group")[1]["limit"] == 10  # the default of a column named `limit`
    users = {u["user"]: u for u in env.rows("user")}
    assert users["U1"]["window"]["from"].isoformat() == "2025-01-01" and users["V01"]["table"] == {"from": "seed"}
    assert env.rows("order")[0]["from"] == "U1"


def test_every_tool_runs(env):
    for name, args in CALLS:
        r = env.call(name, args)
        assert r.ok, (name, r.content)
    listed = env.call("users_in_group", {"group": "G1"}).value
    assert listed["users"] == ["U1"] and listed["n"] == 2 and listed["one"]["check"] == "c1"
    order = env.rows("order")
    assert [o["select"] for o in order] == ["O2"] and order[0]["where"] == "closed" and order[0]["order"] == 1
    assert [line["select"] for line in order[0]["lines"]] == ["x", "y"]
    assert {g["group"]: g["limit"] for g in env.rows("group")} == {"G1": 4, "G2": 12}


def test_refusals_name_their_reason(env):
    r = env.call("close_order", {"select": "nope"})
    assert not r.ok and "Order not found" in r.content
    r = env.call("place_order", {"select": "O9", "from": "U1", "limit": 0})
    assert not r.ok and "Limit must be positive" in r.content


def test_digest_diff_snapshot_and_reset(env):
    start, before = env.digest(), env.state()
    assert start == env.full_digest() == python_digest(env.domain.info, before)
    env.call(*CALLS[2])
    snap, mid = env.snapshot(), env.digest()
    for name, args in CALLS[3:]:
        env.call(name, args)
    assert env.digest() == env.full_digest() == python_digest(env.domain.info, env.state())
    diff = diff_states(env.domain.info, before, env.state())
    assert set(diff.tables) == {"group", "user", "order"}
    assert [r["select"] for r in diff.tables["order"].added] == ["O2"]
    assert [r["select"] for r in diff.tables["order"].removed] == ["O1"]
    u1 = next(c for c in diff.tables["user"].changed if c.key == "U1")
    assert [(c.path, c.new) for c in u1.changes] == [("table.O2", "placed")]
    env.restore(snap)
    assert env.digest() == mid
    env.reset()
    assert env.digest() == start


# DuckDB's keywords that the spec language can also use as names (the expression language has its own)
_EXPR_WORDS = {"and", "or", "not", "in", "is", "null", "true", "false", "for", "if", "else"}


def _keyword_spec(words: list[str]) -> str:
    """One entity per word, keyed by a field of the same name, with a field named by the next word."""
    lines = ["domain: every_keyword", "description: Each entity and field named after a DuckDB keyword.",
             "entities:"]
    tools, seed = ["tools:"], ["seed:", "  rows:"]
    for i, w in enumerate(words):
        v = words[(i + 1) % len(words)] if words[(i + 1) % len(words)] != w else "n"
        lines += [f"  {w}:", f"    key: {w}", "    fields:", f"      {w}: str", f"      {v}: {{type: int, default: 0}}"]
        tools += [f"  get_{w}:", "    kind: read", "    description: Rows over a bound.", "    params: {n: int}",
                  f'    returns: "[r.{w} for r in {w}.all({v} >= $n)]"',
                  f"  put_{w}:", "    kind: write", "    description: Add a row, bump it, drop another.",
                  "    intent: put {k}", "    params: {k: str}",
                  f"    let: {{old: '{w}.one({w} == \"a\") else \"none\"'}}",
                  "    effects:", f"      - insert {w}: {{{w}: $k, {v}: 1}}",
                  f"      - update {w}[$k]: {{{v}: {v} + 1}}", "      - delete old",
                  f"    returns: {w}[$k]"]
        seed += [f"    {w}:", f"      - {{{w}: a, {v}: 5}}"]
    return "\n".join(lines + tools + seed) + "\n"


def test_every_duckdb_keyword_as_entity_and_field_name(tmp_path: Path):
    """Reserved words, and the words DuckDB keeps for column names or for types and functions (`map`, `int`)."""
    kept = duckdb.sql("SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category <> 'unreserved'").fetchall()
    words = sorted({w for (w,) in kept if w.isidentifier()} - _EXPR_WORDS)
    assert reserved_words() - _EXPR_WORDS <= set(words)
    assert {"order", "group", "select", "from", "limit", "desc", "default", "check"} <= set(words)
    spec = tmp_path / "every_keyword.env.yaml"
    spec.write_text(_keyword_spec(words), encoding="utf-8")
    result = compile_file(spec, tmp_path / "build", force=True)
    assert result.ok, [d.message for d in result.diagnostics][:5]
    with Environment(load_domain(str(result.out_dir))) as env:
        start = env.digest()
        for w in words:
            assert env.call(f"get_{w}", {"n": 1}).value == ["a"], w
            r = env.call(f"put_{w}", {"k": "b"})
            assert r.ok and r.value[w] == "b", (w, r.content)
        assert env.digest() == python_digest(env.domain.info, env.state()) != start
        assert all(env.rows(w) == [{w: "b", next(iter(set(env.rows(w)[0]) - {w})): 2}] for w in words)
