"""The state digest: equal to its pure-Python definition, stable across processes and row order, and
changed by any single field."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal

import pytest

from ascc.lang.types import Type
from ascc.runtime.digest import python_digest
from ascc.runtime.env import Environment

CALLS = [
    ("transfer", {"source": "A001", "target": "A003", "amount": 12.34}),
    ("add_note", {"account_id": "A002", "text": "ünïcødé 🙂"}),
    ("set_tags", {"account_id": "A001", "tags": {"z": "1", "a": "2", "": "empty"}}),
    ("open_account", {"account_id": "A010", "name": "New", "email": "new@x", "tags": {}, "kind": "gold"}),
    ("set_flags", {"account_id": "A003", "kind": "gold", "active": False, "score": 1e-300, "visits": -5,
                   "touched": "2030-12-31T23:59:59.999999"}),
    ("delete_entry", {"entry_id": "E000002"}),
    ("bump_all", {"by": 2}),
]


def test_digest_equals_python_on_every_domain(domains):
    for name, domain in domains.items():
        with Environment(domain) as env:
            assert env.digest() == env.full_digest() == python_digest(domain.info, env.state()), name


def test_digest_equals_python_after_writes(lab_env):
    for name, args in CALLS:
        assert lab_env.call(name, args).ok, name
        assert lab_env.digest() == lab_env.full_digest() == python_digest(lab_env.domain.info, lab_env.state()), name


def test_shop_digest_equals_python_after_writes(shop_env):
    for o in [o for o in shop_env.rows("order") if o["status"] == "pending"][:5]:
        assert shop_env.call("cancel_pending_order", {"order_id": o["order_id"], "reason": "no longer needed"}).ok
    assert shop_env.digest() == shop_env.full_digest() == python_digest(shop_env.domain.info, shop_env.state())


_CHILD = """
import json, sys
from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment
env = Environment(load_domain(sys.argv[1]))
out = [env.digest()]
for name, args in json.loads(sys.argv[2]):
    env.call(name, args)
    out.append(env.digest())
print(json.dumps(out))
"""


def test_two_processes_agree(lab, lab_env):
    ours = [lab_env.digest()]
    for name, args in CALLS:
        lab_env.call(name, args)
        ours.append(lab_env.digest())
    runs = [subprocess.run([sys.executable, "-c", _CHILD, str(lab.path), json.dumps(CALLS)], capture_output=True,
                           text=True, check=True, env={"PYTHONHASHSEED": str(seed), "PATH": ""}) for seed in (1, 2)]
    assert [json.loads(r.stdout) for r in runs] == [ours, ours]


def _reinsert_reversed(env: Environment) -> None:
    """Delete every row and insert it again in reverse order, inside the open transaction."""
    for entity, meta in env.domain.info.entities.items():
        q = '"' + entity + '"'
        rows = env.con.execute(f"SELECT * FROM {q} ORDER BY \"{meta.key}\" DESC").fetchall()
        env.con.execute(f"DELETE FROM {q}")
        for row in rows:
            env.con.execute(f"INSERT INTO {q} VALUES ({', '.join('?' * len(row))})", list(row))


@pytest.mark.parametrize("domain_name", ["lab", "shop"])
def test_row_order_does_not_matter(domain_name, lab, shop):
    domain = {"lab": lab, "shop": shop}[domain_name]
    with Environment(domain) as a, Environment(domain) as b:
        _reinsert_reversed(b)
        first = [r[0] for r in b.con.execute(f'SELECT * FROM "{sorted(domain.info.entities)[0]}"').fetchall()]
        assert first == sorted(first, reverse=True)  # the physical order really differs
        assert a.full_digest() == b.full_digest() == b.digest()
        assert a.table_digests() == b.table_digests()


def _changed(value, t: Type):
    """A different value of the same type that still passes the field's pattern (digits stay digits)."""
    if t.kind == "enum":
        return next(x for x in t.values if x != value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, Decimal):
        return value + Decimal("0.01")
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        last = value[-1:] or "a"
        swap = str((int(last) + 1) % 10) if last.isdigit() else ("b" if last != "b" else "c")
        return value[:-1] + swap
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(microseconds=1)
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=1)
    raise TypeError(type(value))


def _variants(row: dict, fields: dict, structs: dict, key: str):
    """(description, changed row) for a change of each single field, and of one nested value inside it."""
    for name, v in row.items():
        t = fields[name].type
        if v is None or name == key:
            continue
        if t.kind == "struct":
            for fname, f in structs[t.name].items():
                if v[fname] is not None:
                    yield f"{name}.{fname}", {**row, name: {**v, fname: _changed(v[fname], f.type)}}
        elif t.kind == "map":
            for k in v:
                yield f"{name}[{k}]", {**row, name: {**v, k: _changed(v[k], t.elem)}}
                yield f"{name} without {k}", {**row, name: {x: y for x, y in v.items() if x != k}}
            yield f"{name} with a new key", {**row, name: {**v, "new": _changed("v", t.elem)}}
        elif t.kind == "list":
            if v:
                yield f"{name} + first", {**row, name: v + v[:1]}
                yield f"{name} without last", {**row, name: v[:-1]}
            if v and t.elem.kind == "struct":
                for fname, f in structs[t.elem.name].items():
                    yield f"{name}[0].{fname}", {**row, name: [{**v[0], fname: _changed(v[0][fname], f.type)},
                                                               *v[1:]]}
            if len(v) > 1 and v != v[::-1]:
                yield f"{name} reversed", {**row, name: v[::-1]}
        else:
            yield name, {**row, name: _changed(v, t)}


@pytest.mark.parametrize("domain_name", ["lab", "shop"])
def test_any_single_field_change_changes_the_digest(domain_name, lab, shop):
    domain = {"lab": lab, "shop": shop}[domain_name]
    with Environment(domain) as env:
        base = env.full_digest()
        seen = {base}
        tried = 0
        for entity, meta in domain.info.entities.items():
            q, key = f'"{entity}"', meta.key
            cols = list(meta.fields)
            for row in env.rows(entity)[:3]:
                for what, new in _variants(row, meta.fields, domain.info.structs, key):
                    if new == row:
                        continue
                    env.con.execute(f'DELETE FROM {q} WHERE "{key}" = ?', [row[key]])
                    env.con.execute(f"INSERT INTO {q} VALUES ({', '.join('?' * len(cols))})", [new[c] for c in cols])
                    d = env.full_digest()
                    assert d not in seen, f"{entity}.{what}"
                    assert d == python_digest(domain.info, env.state()), f"{entity}.{what}"
                    seen.add(d)
                    tried += 1
                    env.con.execute(f'DELETE FROM {q} WHERE "{key}" = ?', [new[key]])
                    env.con.execute(f"INSERT INTO {q} VALUES ({', '.join('?' * len(cols))})", [row[c] for c in cols])
                    assert env.full_digest() == base
        assert tried >= 10


def test_incremental_digest_equals_full(lab, shop):
    """The cached per-table sums never go stale: after reset, setup, writes, refusals, recovery and restore."""
    with Environment(lab) as env:
        steps = [("transfer", {"source": "A001", "target": "A002", "amount": 1}),
                 ("transfer", {"source": "A002", "target": "A001", "amount": 999}),  # refused after writes
                 ("get_account", {"account_id": "A001"}),
                 ("bump_all", {"by": 1}),  # raw SQL write
                 ("parse_number", {"text": "x"}),  # DuckDB error: replay
                 ("delete_entry", {"entry_id": "E000001"})]
        for name, args in steps:
            env.call(name, args)
            assert env.digest() == env.full_digest(), name
        snap = env.snapshot()
        env.reset(setup=[("rename", {"account_id": "A003", "name": "S"})])
        assert env.digest() == env.full_digest()
        env.restore(snap)
        assert env.digest() == env.full_digest()
        env.reset()
        assert env.digest() == env.full_digest()
    with Environment(shop) as env:
        assert env.digest() == env.full_digest()


def test_null_and_empty_are_distinct(lab_env):
    base = lab_env.full_digest()
    seen = {base}
    for city in ("", "~", None):
        lab_env.con.execute("UPDATE account SET address = {'city': ?, 'zip': '0150'} WHERE account_id = 'A001'", [city])
        d = lab_env.full_digest()
        assert d not in seen and d == python_digest(lab_env.domain.info, lab_env.state())
        seen.add(d)
