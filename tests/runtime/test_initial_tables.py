"""The domain's whole initial tables (env.py `initial_table`, known.py `table`/`_matching`): a read by key and a
`col = ?` filter are served from the initial table, read once per process from the shared database, with the
episode's written rows over it; a filter finds the initial rows through an index on its columns. Every result is
compared with DuckDB's (ASCC_CHECK_KNOWN_ROWS) and with a run that writes every call through at once."""

from __future__ import annotations

import dataclasses

import pytest

from ascc.lang.compiled import ParamInfo, ToolInfo
from ascc.lang.types import Type
from ascc.runtime import env as env_mod
from ascc.runtime import known
from ascc.runtime.digest import python_digest
from ascc.runtime.env import Environment


def _entries_of(ctx, account_id):
    return [e["entry_id"] for e in ctx.all("entry", '("account_id" = ?)', [account_id])]


def _by_kind(ctx, kind):
    return [a["account_id"] for a in ctx.all("account", '("kind" = ?)', [kind])]


def _active_with(ctx, visits):
    return [a["account_id"] for a in ctx.all("account", '("active" = ?) AND ("visits" = ?)', [True, visits])]


TOOLS = {f.__name__.lstrip("_"): f for f in (_entries_of, _by_kind, _active_with)}
PARAMS = {"entries_of": ["account_id"], "by_kind": ["kind"], "active_with": ["visits"]}


def _domain(lab):
    """A fresh copy of the lab domain (its own initial tables, indexes and shared database) with filter tools."""
    def param(name):
        return ParamInfo(name, name, Type("int" if name == "visits" else "str"), True)

    infos = {**lab.info.tools, **{n: ToolInfo(n, "read", "agent", "", tuple(param(p) for p in ps))
                                  for n, ps in PARAMS.items()}}
    return dataclasses.replace(lab, info=dataclasses.replace(lab.info, tools=infos), tools={**lab.tools, **TOOLS})


@pytest.fixture
def checked(monkeypatch):
    monkeypatch.setattr(known, "CHECK", True)


def _flags(account_id, kind, active, visits):
    return "set_flags", {"account_id": account_id, "kind": kind, "active": active, "score": 0.5, "visits": visits}


# (call, the filter results expected after it, or None for a write)
EPISODE = [
    (("entries_of", {"account_id": "A001"}), ["E000001"]),
    (("by_kind", {"kind": "basic"}), ["A002", "A003"]),
    (("active_with", {"visits": 7}), ["A003"]),
    (_flags("A003", "gold", True, 7), None),  # the indexed column changes: A003 moves to the other result
    (("by_kind", {"kind": "basic"}), ["A002"]),
    (("by_kind", {"kind": "gold"}), ["A001", "A003"]),
    (_flags("A002", "gold", True, 7), None),  # an updated row keeps its place in key order
    (("by_kind", {"kind": "gold"}), ["A001", "A002", "A003"]),
    (("active_with", {"visits": 7}), ["A002", "A003"]),
    (("delete_entry", {"entry_id": "E000001"}), None),  # a delete leaves the result
    (("entries_of", {"account_id": "A001"}), []),
    (("open_account", {"account_id": "A000", "name": "Zed", "email": "z@example.com", "tags": {}}), None),
    (("by_kind", {"kind": "basic"}), ["A000"]),  # an insert, sorted by key
    (_flags("A000", "gold", False, 0), None),
    (("by_kind", {"kind": "gold"}), ["A000", "A001", "A002", "A003"]),
    (("active_with", {"visits": 0}), []),
    (("add_entry", {"account_id": "A001", "amount": 3}), None),  # inserted entries match their account
    (("add_entry", {"account_id": "A002", "amount": 4}), None),
    (("entries_of", {"account_id": "A001"}), 1),  # one new entry (its id is drawn)
    (("entries_of", {"account_id": "A002"}), 2),  # the seeded one and the new one, in key order
    (("bump_all", {"by": 1}), None),  # raw SQL: the table is read from DuckDB from now on
    (("active_with", {"visits": 8}), ["A002", "A003"]),
]


def test_filters_and_reads_follow_the_episodes_writes(lab, checked):
    domain = _domain(lab)
    with Environment(domain) as lazy, Environment(domain) as eager:
        eager.lazy_writes = False
        for _round in range(2):  # the second round with the tables and their indexes known
            for (name, args), expected in EPISODE:
                a, b = lazy.call(name, args), eager.call(name, args)
                assert a.ok, (name, a.content)
                assert (a.ok, a.content) == (b.ok, b.content), name
                if isinstance(expected, list):
                    assert a.value == expected, name
                elif isinstance(expected, int):
                    assert len(a.value) == expected and a.value == sorted(a.value), name
                assert lazy.digest() == eager.digest(), name
                for account in ("A000", "A001", "A002", "A003"):
                    got = lazy.call("get_account", {"account_id": account})
                    assert got.content == eager.call("get_account", {"account_id": account}).content
            assert lazy.state() == eager.state()
            assert lazy.digest() == python_digest(domain.info, lazy.state())
            lazy.reset()
            eager.reset()
        assert "entry" in domain.initial_indexes and "account" in domain.initial_indexes


def test_a_cold_read_by_key_needs_no_statement_of_the_environment(lab, checked):
    """The first read by key of a domain reads the table once from the shared database; the environment makes
    no database of its own and every later read (any key, any environment) runs no statement."""
    domain = _domain(lab)
    with Environment(domain) as env, Environment(domain) as other:
        assert env.call("get_account", {"account_id": "A002"}).value["name"] == "Bob"
        assert list(domain.initial_tables["account"]) == ["A001", "A002", "A003"]
        assert not domain.initial_rows  # not kept row by row: the table is known whole
        assert other.call("get_account", {"account_id": "A003"}).value["name"] == "Cid"
        assert not other.call("get_account", {"account_id": "A009"}).ok  # no such row: known too
        assert env._con is None and other._con is None
        assert env.call("rename", {"account_id": "A002", "name": "Bo"}).ok
        assert other.call("get_account", {"account_id": "A002"}).value["name"] == "Bob"
        assert env.call("get_account", {"account_id": "A002"}).value["name"] == "Bo"


def test_a_table_over_the_limit_is_kept_row_by_row(lab, checked, monkeypatch):
    monkeypatch.setattr(env_mod, "WHOLE_TABLE_ROWS", 2)
    domain = _domain(lab)
    with Environment(domain) as env:
        assert env.call("get_account", {"account_id": "A002"}).value["name"] == "Bob"
        assert "account" not in domain.initial_tables and "A002" in domain.initial_rows["account"]
        assert env.call("by_kind", {"kind": "basic"}).value == ["A002", "A003"]  # read from DuckDB
        assert "account" not in domain.initial_tables  # a filter did not read the table whole and keep it either
        assert env.call("entries_of", {"account_id": "A002"}).value == ["E000002"]
        assert "entry" in domain.initial_tables  # 2 rows: within the limit


def test_pure_queries_are_told_from_the_rest(lab):
    from ascc.runtime.context import _pure

    meta = lab.column_names
    assert _pure("SELECT count(*) AS n, sum(amount) AS total FROM entry WHERE amount > $amount", meta)
    assert _pure("SELECT a.name FROM account a JOIN entry e ON e.account_id = a.account_id ORDER BY a.name", meta)
    for text in ("SELECT random() AS r FROM account", "SELECT current_date AS d, name FROM account",
                 "SELECT now() AS t", "SELECT name FROM account ORDER BY random()", "SELECT nextval('s')",
                 "SELECT name AS n FROM account ORDER BY n",  # an alias: not told from a value function
                 "UPDATE account SET visits = 1", "not sql at all"):
        assert not _pure(text, meta), text


def test_query_results_over_tables_as_at_reset_are_shared(lab, checked):
    """A `sql:` read over tables as at reset is answered from the domain's kept result (no statement); after a
    write to a table it reads, the query runs again in DuckDB and sees the write."""
    domain = _domain(lab)
    with Environment(domain) as env, Environment(domain) as other:
        first = env.call("total_over", {"amount": 1})
        assert first.value == [{"n": 2, "total": 12.5}] and len(domain.query_results) == 1
        assert other.call("total_over", {"amount": 1}).content == first.content
        assert other._con is None
        assert env.call("add_entry", {"account_id": "A001", "amount": 3}).ok
        assert env.call("total_over", {"amount": 1}).value == [{"n": 3, "total": 15.5}]  # not the kept result
        assert len(domain.query_results) == 1
        assert other.call("total_over", {"amount": 1}).content == first.content
        env.reset()
        assert env.call("total_over", {"amount": 1}).content == first.content
        assert env.call("total_over", {"amount": 5}).value == [{"n": 1, "total": 10.0}]  # another key
        assert len(domain.query_results) == 2
        assert env.call("bump_all", {"by": 1}).ok  # raw SQL writes every table
        assert env.call("total_over", {"amount": 1}).content == first.content  # entry unchanged: right anyway
        assert len(domain.query_results) == 2
