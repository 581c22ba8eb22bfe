"""Writes deferred across calls (env.py's backlog) and whole tables served from known rows (known.py `all`).

A successful call's writes wait in the environment's backlog until a statement needs DuckDB to hold them; a run
with the backlog must give, call for call, the digests, results and final state of a run that writes every call
through at once (`lazy_writes = False`), refusals and DuckDB failures included."""

from __future__ import annotations

import dataclasses

import duckdb
import pytest
from statement_count import Counting

from ascc.lang.compiled import ToolInfo
from ascc.runtime import known
from ascc.runtime.context import Context
from ascc.runtime.digest import python_digest
from ascc.runtime.env import Environment

WRITES = ("UPDATE", "INSERT", "DELETE")


def _all_names(ctx):
    return [(a["account_id"], a["name"]) for a in ctx.all("account")]


def _all_entries(ctx):
    return [e["entry_id"] for e in ctx.all("entry")]


def _name_in_place(ctx):
    """Renames A002 through a whole-table read, then reads the table again in the same call (from DuckDB)."""
    a = next(a for a in ctx.all("account") if a["account_id"] == "A002")
    ctx.update("account", a, {"name": "Bobby"})
    return [a["name"] for a in ctx.all("account")]


TOOLS = {f.__name__.lstrip("_"): f for f in (_all_names, _all_entries, _name_in_place)}


@pytest.fixture(scope="module")
def lab_all(lab):
    return _with_tools(lab, TOOLS)


def _with_tools(domain, tools: dict):
    """The domain with hand-written tools added (read tools without parameters)."""
    infos = {**domain.info.tools, **{n: ToolInfo(n, "read", "agent", "", ()) for n in tools}}
    return dataclasses.replace(domain, info=dataclasses.replace(domain.info, tools=infos),
                               tools={**domain.tools, **tools})


@pytest.fixture
def checked(monkeypatch):
    monkeypatch.setattr(known, "CHECK", True)


def _open(i: int) -> tuple[str, dict]:
    return "open_account", {"account_id": f"A{i:03d}", "name": f"N{i}", "email": f"n{i}@example.com", "tags": {}}


EPISODE = [
    ("rename", {"account_id": "A001", "name": "Ann2"}),
    ("all_names", {}),
    ("transfer", {"source": "A001", "target": "A002", "amount": 5}),
    ("transfer", {"source": "A003", "target": "A001", "amount": 1}),  # refused: an overdraft after a write
    _open(0),  # sorts before every seeded key
    ("all_names", {}),
    ("rename", {"account_id": "A000", "name": "Zero"}),
    ("delete_entry", {"entry_id": "E000001"}),
    ("all_entries", {}),
    ("add_entry", {"account_id": "A000", "amount": 2}),
    ("all_entries", {}),
    ("find_by_name", {"name": "Zero"}),  # a query: the backlog reaches DuckDB first
    ("rename", {"account_id": "A002", "name": "Bo"}),
    ("name_in_place", {}),
    _open(5),
    ("delete_entry", {"entry_id": "E000002"}),
    ("all_names", {}),
    ("bump_all", {"by": 1}),  # raw SQL
    ("all_names", {}),
    ("rename", {"account_id": "A005", "name": "Five"}),
]


def test_an_episode_with_the_backlog_is_the_one_without(lab_all, checked):
    with Environment(lab_all) as lazy, Environment(lab_all) as eager:
        eager.lazy_writes = False
        for _round in range(2):  # the second round with the whole tables known
            for name, args in EPISODE:
                a, b = lazy.call(name, args), eager.call(name, args)
                assert (a.ok, a.content) == (b.ok, b.content), name
                assert lazy.digest() == eager.digest(), name
            assert lazy.state() == eager.state()
            assert lazy.digest() == python_digest(lab_all.info, lazy.state())
            lazy.reset()
            eager.reset()
            assert lazy.state() == eager.state()


def test_writes_wait_until_a_statement_needs_them(lab_all):
    with Environment(lab_all) as env:
        env.call("all_names")  # the tables are now known whole
        env.call("all_entries")
        env.con = Counting(env.con)
        counting = env._con
        assert env.call("rename", {"account_id": "A001", "name": "Ann2"}).ok
        assert env.call("delete_entry", {"entry_id": "E000001"}).ok
        assert env.call("get_account", {"account_id": "A001"}).value["name"] == "Ann2"
        assert env.call("all_names").value == [["A001", "Ann2"], ["A002", "Bob"], ["A003", "Cid"]]
        assert env.call("all_entries").value == ["E000002"]
        d = env.digest()
        assert counting.statements == []  # no statement yet: reads and the digest from known rows
        rows = env.rows("account")  # a statement: the backlog is written first
        assert [r["name"] for r in rows] == ["Ann2", "Bob", "Cid"]
        assert sorted(s.split()[0] for s in counting.statements if s.startswith(WRITES)) == ["DELETE", "UPDATE"]
        assert d == env.full_digest() == python_digest(lab_all.info, env.state())
        env.reset()
        assert env.call("all_names").value == [["A001", "Ann"], ["A002", "Bob"], ["A003", "Cid"]]
        assert env.call("all_entries").value == ["E000001", "E000002"]


def test_a_refusal_after_the_backlog_reached_duckdb_keeps_it(lab_all):
    """A call whose query writes the backlog and then is refused leaves the earlier calls' writes."""
    with Environment(lab_all) as env:
        assert env.call("rename", {"account_id": "A002", "name": "Before"}).ok
        d = env.digest()
        r = env.call("transfer", {"source": "A003", "target": "A002", "amount": 1})
        assert not r.ok
        assert env.digest() == d == env.full_digest()
        assert {r["account_id"]: r["name"] for r in env.rows("account")}["A002"] == "Before"


def test_duckdb_refusing_the_backlog_replays_the_episode(lab_all, monkeypatch):
    """Should DuckDB refuse the backlog, the episode is rebuilt from its calls: same state, same digest."""
    with Environment(lab_all) as env, Environment(lab_all) as ref:
        ref.lazy_writes = False
        for e in (env, ref):
            assert e.call("rename", {"account_id": "A001", "name": "Ann2"}).ok
            assert e.call("delete_entry", {"entry_id": "E000001"}).ok
        flush, failed = Context.flush, []

        def flaky(ctx):
            if ctx.pending and not failed:
                failed.append(True)
                raise duckdb.ConstraintException("injected")
            return flush(ctx)

        monkeypatch.setattr(Context, "flush", flaky)
        assert env.state() == ref.state() and failed
        assert env.digest() == ref.digest() == env.full_digest()
        assert env.call("all_names").value == ref.call("all_names").value


def test_whole_table_reads_are_private_to_the_call(lab_all):
    """A whole-table read hands out rows a call may change (through its context) without touching the shared
    initial table."""
    with Environment(lab_all) as env, Environment(lab_all) as other:
        env.call("all_names")
        assert env.call("name_in_place").value == ["Ann", "Bobby", "Cid"]
        assert other.call("all_names").value == [["A001", "Ann"], ["A002", "Bob"], ["A003", "Cid"]]
        assert known.KnownRows(lab_all).all("account")[1]["name"] == "Bob"


def _visits_text(ctx):
    """A condition whose bound value is not of the column's type: DuckDB casts, so it runs in DuckDB."""
    return [a["account_id"] for a in ctx.all("account", '("visits" = ?)', ["7"])]


def test_equality_queries_over_known_tables_run_no_statement(lab_all):
    domain = _with_tools(lab_all, {"visits_text": _visits_text})
    with Environment(domain) as env:
        assert env.call("find_by_name", {"name": "Bob"}).value == ["A002"]  # reads the table whole, once
        env.con = Counting(env.con)
        counting = env._con
        assert env.call("rename", {"account_id": "A003", "name": "Bob"}).ok
        assert env.call("find_by_name", {"name": "Bob"}).value == ["A002", "A003"]
        assert env.call("find_by_name", {"name": "Cid"}).value == []
        assert counting.statements == []
        assert env.call("visits_text").value == ["A003"]
        assert [s for s in counting.statements if s.startswith("SELECT")] == [
            'SELECT * FROM "account" WHERE ("visits" = ?) ORDER BY "account_id"']
