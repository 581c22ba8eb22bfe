"""Known rows (known.py): a read by key of a row whose value is known runs no statement, and still gives exactly
what DuckDB holds, across writes of every field kind, refusals, raw SQL, recovery, reset and other environments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from statement_count import Counting

from ascc.lang.compiled import FieldInfo
from ascc.lang.types import Type
from ascc.runtime import known
from ascc.runtime.context import Context
from ascc.runtime.digest import python_digest
from ascc.runtime.domain import compile_and_load
from ascc.runtime.env import Environment
from ascc.runtime.known import NotStored, stored_form

DEC = Type("decimal", precision=10, scale=2)


@pytest.fixture
def checked(monkeypatch):
    """Every known-row hit compared with a real read, every digest with the full one."""
    monkeypatch.setattr(known, "CHECK", True)


def test_stored_form_is_what_duckdb_returns():
    assert stored_form(Decimal("-0.00"), DEC, {}) == Decimal("0.00")
    assert str(stored_form(Decimal("-0"), DEC, {})) == "0.00"
    assert str(stored_form(Decimal("5"), DEC, {})) == "5.00"
    for v in (Decimal("1.005"), Decimal("123456789.00"), Decimal("NaN"), 5, 5.0, "5"):
        with pytest.raises(NotStored):
            stored_form(v, DEC, {})
    with pytest.raises(NotStored):
        stored_form(True, Type("int"), {})
    with pytest.raises(NotStored):
        stored_form(dt.datetime(2024, 1, 1), Type("date"), {})
    structs = {"p": {"a": FieldInfo("a", Type("str")), "b": FieldInfo("b", DEC)}}
    t = Type("list", elem=Type("struct", name="p"))
    got = stored_form([{"b": Decimal("1.5"), "a": "x"}], t, structs)
    assert got == [{"a": "x", "b": Decimal("1.50")}] and list(got[0]) == ["a", "b"]
    with pytest.raises(NotStored):
        stored_form([{"a": "x"}], t, structs)  # a missing field


CALLS = [
    ("get_account", {"account_id": "A001"}),
    ("transfer", {"source": "A001", "target": "A002", "amount": 1.25}),
    ("get_account", {"account_id": "A002"}),
    ("transfer", {"source": "A002", "target": "A001", "amount": 999}),  # refused after writes reached DuckDB
    ("get_account", {"account_id": "A002"}),
    ("set_flags", {"account_id": "A003", "kind": "gold", "active": False, "score": -0.0, "visits": 2,
                   "touched": "2024-05-06T07:08:09.123456"}),
    ("get_account", {"account_id": "A003"}),
    ("set_tags", {"account_id": "A003", "tags": {"b": "2", "a": "1"}}),
    ("add_note", {"account_id": "A003", "text": "hi"}),
    ("set_address", {"account_id": "A001", "address": {"zip": "1", "city": "X"}}),
    ("get_account", {"account_id": "A001"}),
    ("open_account", {"account_id": "A009", "name": "New", "email": "n@example.com", "tags": {}}),
    ("get_account", {"account_id": "A009"}),
    ("delete_entry", {"entry_id": "E000001"}),
    ("bump_all", {"by": 1}),  # raw SQL: the table's rows are read again
    ("get_account", {"account_id": "A003"}),
    ("rename", {"account_id": "A003", "name": "Cy"}),
    ("parse_number", {"text": "x"}),  # a DuckDB error: recovered by replay
    ("get_account", {"account_id": "A003"}),
    ("add_note", {"account_id": "A003", "text": "after replay"}),
    ("get_account", {"account_id": "A003"}),
]


def test_reads_match_duckdb_through_an_episode(lab, checked):
    with Environment(lab) as env:
        for _round in range(2):  # the second round starts with the initial rows known
            for name, args in CALLS:
                r = env.call(name, args)
                assert r.error_code in (None, "precondition", "internal", "conflict"), (name, r.content)
                env.digest()  # checked against full_digest()
            snap = env.snapshot()
            env.restore(snap)
            assert env.call("get_account", {"account_id": "A003"}).ok
            env.reset()


def test_known_rows_need_no_statement(lab):
    with Environment(lab) as env:
        env.call("get_account", {"account_id": "A002"})  # read once: known from now on
        env.con = Counting(env.con)
        assert env.call("get_account", {"account_id": "A002"}).ok
        assert env.call("rename", {"account_id": "A002", "name": "Bo"}).ok
        assert env.call("get_account", {"account_id": "A002"}).value["name"] == "Bo"
        assert not [s for s in env.con.statements if s.startswith("SELECT")], env.con.statements
        env.digest()  # the written row is hashed in Python
        assert not [s for s in env.con.statements if s.startswith("SELECT")], env.con.statements
        assert env.digest() == env.full_digest()


def test_a_value_duckdb_would_round_is_read_again(lab):
    with Environment(lab) as env:
        assert env.call("transfer", {"source": "A001", "target": "A002", "amount": 1}).ok
        row = env.rows("account")[1]
        env.con = Counting(env.con)
        assert env.call("get_account", {"account_id": "A002"}).value["balance"] == 6.0
        assert env.con.statements == []  # 5.00 + 1 is stored exactly: known
        env.known.wrote("account", "A002", {**row, "balance": Decimal("1.005")})  # as if a tool had written it
        assert env.call("get_account", {"account_id": "A002"}).value["balance"] == 6.0
        assert len(env.con.statements) == 1  # not certain: read from DuckDB


def test_other_environments_see_only_initial_rows(lab):
    with Environment(lab) as a, Environment(lab) as b:
        assert a.call("rename", {"account_id": "A001", "name": "Changed"}).ok
        assert a.call("get_account", {"account_id": "A001"}).value["name"] == "Changed"
        assert b.call("get_account", {"account_id": "A001"}).value["name"] == "Ann"
        a.reset()
        assert a.call("get_account", {"account_id": "A001"}).value["name"] == "Ann"


def test_a_refused_call_leaves_known_rows_as_they_were(lab, checked):
    with Environment(lab) as env:
        before = env.call("get_account", {"account_id": "A002"}).content
        assert not env.call("transfer", {"source": "A002", "target": "A001", "amount": 999}).ok
        assert env.call("get_account", {"account_id": "A002"}).content == before
        assert env.call("get_account", {"account_id": "A001"}).value["balance"] == 100.0


@pytest.mark.parametrize("spec", ["retail", "airline", "telecom", "shop"])
def test_library_domains_read_what_duckdb_holds(domains, spec, checked):
    """Every read tool on a sample of keys, twice (the second time from known rows), with the check on."""
    domain = domains[spec]
    with Environment(domain) as env:
        for entity, meta in domain.info.entities.items():
            for row in env.rows(entity)[:5]:
                for _ in range(2):
                    ctx_row = _get(env, entity, row[meta.key])
                    assert ctx_row == row


def _get(env, entity, key):
    return Context(env).get(entity, key)


@pytest.fixture(scope="module")
def shop_retail(tmp_path_factory):
    """The benchmark's shop (orders of three line items)."""
    spec = Path(__file__).resolve().parents[2] / "benchmarks" / "specs" / "shop_retail.env.yaml"
    return compile_and_load(spec, tmp_path_factory.mktemp("shop-retail"))


def test_updates_of_several_rows_share_one_statement(shop_retail, checked):
    """cancel_pending_order on an order of three products: one UPDATE writes all three stocks, and the state is
    the one a statement-per-write run gives."""
    with Environment(shop_retail) as env, Environment(shop_retail) as eager:
        orders = [o for o in env.rows("order") if o["status"] == "pending" and len(o["items"]) == 3][:5]
        for o in orders:
            env.con = Counting(env.con)
            args = {"order_id": o["order_id"], "reason": "no longer needed"}
            assert env.call("cancel_pending_order", args).ok
            product_writes = [s for s in env.con.statements if s.startswith('UPDATE "product"')]
            assert len(product_writes) == 1 and "VALUES" in product_writes[0]
            env.con = env.con.con
            ctx = Context(eager, eager=True)  # one statement per write, as before batching
            eager.domain.tools["cancel_pending_order"](ctx, **args)
            ctx.flush()
            eager.written(None)
        assert env.state() == eager.state()
        assert env.digest() == eager.digest() == python_digest(shop_retail.info, eager.state())


def test_a_row_of_unexpected_values_is_read_again(lab, monkeypatch):
    """Whatever stored_form meets, a call that succeeded in DuckDB succeeds, and the row is read from DuckDB."""
    def broken(v, t, structs):
        raise TypeError("unexpected")

    monkeypatch.setattr(known, "stored_form", broken)
    with Environment(lab) as env:
        assert env.call("rename", {"account_id": "A001", "name": "Al"}).ok
        assert env.known.get("account", "A001") is known.UNKNOWN
        assert env.call("get_account", {"account_id": "A001"}).value["name"] == "Al"
        assert env.digest() == env.full_digest()
