"""Deferred writes and the row-by-row digest: whatever a call writes, in whatever order, the state and the digest
afterwards are the ones a statement-per-write run gives, the incremental digest equals `full_digest()` and
`python_digest`, and a refused call leaves no trace, even where its writes had already reached DuckDB."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from statement_count import Counting

from ascc.lang.compiled import ToolInfo
from ascc.runtime.digest import python_digest
from ascc.runtime.env import Environment
from ascc.runtime.errors import ToolError


def _reuse_key(ctx):
    """Delete a row and insert one with the same key in one call."""
    e = ctx.get("entry", "E000001")
    ctx.delete("entry", e)
    ctx.insert("entry", {"entry_id": "E000001", "account_id": "A002", "amount": Decimal("3.00"), "memo": "again"})
    return True


def _insert_update_delete(ctx):
    """A row inserted, updated and deleted in one call writes nothing; another inserted and updated, once."""
    row = ctx.insert("entry", {"entry_id": "E900000", "account_id": "A001", "amount": 1, "memo": "tmp"})
    ctx.update("entry", row, {"memo": "changed"})
    ctx.delete("entry", row)
    kept = ctx.insert("entry", {"entry_id": "E900001", "account_id": "A003", "amount": 2, "memo": "kept"})
    ctx.update("entry", kept, {"amount": Decimal("2.50")})
    return True


def _write_read_refuse(ctx):
    """Writes that a query makes reach DuckDB, then a refusal: every one of them is put back."""
    a = ctx.get("account", "A001")
    ctx.update("account", a, {"name": "Zed", "visits": a["visits"] + 1})
    ctx.delete("entry", ctx.get("entry", "E000002"))
    assert [r["account_id"] for r in ctx.all("account", '"name" = ?', ["Zed"])] == ["A001"]  # flushed
    ctx.insert("entry", {"entry_id": "E900002", "account_id": "A001", "amount": 1, "memo": "x"})
    assert ctx.count("entry") == 2  # flushed again: E000001 and E900002
    ctx.update("account", a, {"name": "Zoe"})  # pending only
    raise ToolError("refused after writes reached DuckDB", "precondition")


def _write_read_succeed(ctx):
    a = ctx.get("account", "A002")
    ctx.update("account", a, {"visits": 10})
    assert ctx.exists("account", '"visits" = ?', [10])
    ctx.update("account", a, {"visits": 11, "name": "Bea"})
    return ctx.sql("SELECT visits FROM account WHERE account_id = 'A002'", {})


def _swap_emails(ctx):
    """A unique column passed between rows: each check sees the writes before it."""
    a, b = ctx.get("account", "A001"), ctx.get("account", "A002")
    ea, eb = a["email"], b["email"]
    ctx.update("account", a, {"email": "tmp@example.com"})
    ctx.update("account", b, {"email": ea})
    ctx.update("account", a, {"email": eb})
    return True


def _unchanged(ctx):
    """An update to the values a row already has writes nothing."""
    a = ctx.get("account", "A003")
    ctx.update("account", a, {"name": a["name"], "visits": a["visits"]})
    return True


TOOLS = {f.__name__.lstrip("_"): f for f in (_reuse_key, _insert_update_delete, _write_read_refuse,
                                             _write_read_succeed, _swap_emails, _unchanged)}


@pytest.fixture(scope="module")
def lab_plus(lab):
    """The lab domain with the tools above (a copy: its own initial digest)."""
    tools_info = {**lab.info.tools, **{n: ToolInfo(n, "write", "agent", "", ()) for n in TOOLS}}
    return dataclasses.replace(lab, info=dataclasses.replace(lab.info, tools=tools_info), tools={**lab.tools, **TOOLS})


def _agree(env: Environment, what: str) -> str:
    d = env.digest()
    assert d == env.full_digest() == python_digest(env.domain.info, env.state()), what
    return d


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_each_tool_keeps_the_digest_exact(lab_plus, tool):
    with Environment(lab_plus) as env:
        before, d0 = env.state(), _agree(env, "start")
        r = env.call(tool)
        assert r.ok == (tool != "write_read_refuse"), r.content
        d1 = _agree(env, tool)
        if not r.ok:
            assert env.state() == before and d1 == d0
        env.reset()
        assert _agree(env, "reset") == d0


def test_key_reuse_and_net_nothing(lab_plus):
    with Environment(lab_plus) as env:
        d0 = _agree(env, "start")
        assert env.call("reuse_key").ok
        rows = {r["entry_id"]: r for r in env.rows("entry")}
        assert rows["E000001"]["memo"] == "again" and rows["E000001"]["account_id"] == "A002"
        _agree(env, "reused")
        assert env.call("insert_update_delete").ok
        ids = [r["entry_id"] for r in env.rows("entry")]
        assert "E900000" not in ids and env.rows("entry")[-1]["amount"] == Decimal("2.50")
        _agree(env, "net nothing")
        assert env.call("delete_entry", {"entry_id": "E000001"}).ok
        _agree(env, "deleted")
        assert env.call("reuse_key").content.startswith("{")  # the row is gone: refused, nothing changed
        _agree(env, "refused")
        env.reset()
        assert _agree(env, "reset") == d0


def test_refusal_after_flush_restores_rows(lab_plus):
    with Environment(lab_plus) as env:
        assert env.call("rename", {"account_id": "A003", "name": "Cy"}).ok
        before, d = env.state(), _agree(env, "renamed")
        r = env.call("write_read_refuse")
        assert not r.ok and r.error_code == "precondition"
        assert env.state() == before and _agree(env, "refused") == d
        assert env.call("write_read_succeed").ok
        assert {r["account_id"]: r for r in env.rows("account")}["A002"]["name"] == "Bea"
        _agree(env, "succeeded")


def test_swap_and_unchanged(lab_plus):
    with Environment(lab_plus) as env:
        emails = {r["account_id"]: r["email"] for r in env.rows("account")}
        assert env.call("swap_emails").ok
        now = {r["account_id"]: r["email"] for r in env.rows("account")}
        assert (now["A001"], now["A002"]) == (emails["A002"], emails["A001"])
        _agree(env, "swapped")
        env.con = Counting(env.con)
        assert env.call("unchanged").ok
        assert not [s for s in env.con.statements if s.startswith(("UPDATE", "INSERT", "DELETE"))]


def test_recovery_and_restore_keep_the_digest_exact(lab_plus):
    with Environment(lab_plus) as env:
        assert env.call("reuse_key").ok
        assert env.call("bump_all", {"by": 2}).ok  # raw SQL: whole tables
        _agree(env, "raw")
        assert env.call("write_read_succeed").ok
        snap, d = env.snapshot(), _agree(env, "after raw")
        assert not env.call("parse_number", {"text": "x"}).ok  # DuckDB error: replay
        assert _agree(env, "replayed") == d
        env.reset(setup=[("reuse_key", {}), ("insert_update_delete", {})])
        _agree(env, "setup")
        env.restore(snap)
        assert _agree(env, "restored") == d


def test_write_call_runs_one_statement_per_row(shop):
    """cancel_pending_order: its reads, then one statement per written row (order, customer, each product)."""
    with Environment(shop) as env:
        order = next(o for o in env.rows("order") if o["status"] == "pending")
        env.con = Counting(env.con)
        assert env.call("cancel_pending_order", {"order_id": order["order_id"], "reason": "no longer needed"}).ok
        writes = [s for s in env.con.statements if s.startswith(("UPDATE", "INSERT", "DELETE"))]
        skus = {it["sku"] for it in order["items"]}
        assert len(writes) == 2 + len(skus), writes
        assert sum(s.startswith('UPDATE "order"') for s in writes) == 1
        assert env.digest() == env.full_digest()
