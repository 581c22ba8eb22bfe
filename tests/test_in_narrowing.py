"""`k in m` guards `m[k]` the way `m[k] != null` does: in preconditions, conditional expressions, `and`/`or`,
comprehension conditions and effect `if`s, for maps whose values cannot be null; a `remove m[k]` ends it, as
an `update` that may write null ends a `!= null` test of that field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ascc.compiler.build import compile_file
from ascc.diagnostics import SourceCache, render_all
from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment

SPEC = """
domain: wallets
description: Wallets with payment methods and preferences.
types:
  method: {kind: str, balance: "decimal(10,2)"}
entities:
  wallet:
    key: wallet_id
    fields:
      wallet_id: str
      methods: "map[str, method]"
      prefs: "map[str, str]"
      notes: "map[str, str?]"
tools:
  balance:
    kind: read
    description: A method's balance, and what the guards let through.
    params:
      wallet_id: {ref: wallet}
      method_id: str
    let:
      w: wallet[$wallet_id] else "Wallet not found"
    requires:
      - $method_id in w.methods else "Unknown payment method"
    returns:
      balance: w.methods[$method_id].balance
      lang: 'len(w.prefs["lang"]) if "lang" in w.prefs else 0'
      other: '"zz" not in w.methods or w.methods["zz"].balance > 0'
      kinds: "[w.methods[k].kind for k in ['gc', 'zz'] if k in w.methods]"
  pay:
    kind: write
    description: Pay from a method; note the language when there is one.
    intent: "pay {amount} with {method_id}"
    params:
      wallet_id: {ref: wallet}
      method_id: str
      amount: "decimal(10,2)"
    let:
      w: wallet[$wallet_id] else "Wallet not found"
    requires:
      - $method_id in w.methods else "Unknown payment method"
      - w.methods[$method_id].balance >= $amount else "Insufficient balance"
    effects:
      - update w.methods[$method_id]: {balance: balance - $amount}
      - if "lang" in w.prefs:
          - put w.prefs["paid_in"]: 'upper(w.prefs["lang"])'
    returns: w.methods[$method_id]
seed:
  rows:
    wallet:
      - {wallet_id: W1, methods: {gc: {kind: gift, balance: 10}}, prefs: {lang: en}, notes: {}}
"""


def _compile(tmp_path: Path, text: str):
    spec = tmp_path / "wallets.env.yaml"
    spec.write_text(text, encoding="utf-8")
    return compile_file(spec, tmp_path / "out", force=True)


def test_key_tests_narrow_map_entries(tmp_path: Path) -> None:
    result = _compile(tmp_path, SPEC)
    assert result.ok, render_all(result.diagnostics, SourceCache())
    with Environment(load_domain(str(result.out_dir))) as env:
        got = env.call("balance", {"wallet_id": "W1", "method_id": "gc"}).value
        assert got == {"balance": 10, "lang": 2, "other": True, "kinds": ["gift"]}
        r = env.call("balance", {"wallet_id": "W1", "method_id": "zz"})
        assert not r.ok and "Unknown payment method" in r.content
        assert env.call("pay", {"wallet_id": "W1", "method_id": "gc", "amount": 3}).value["balance"] == 7
        assert env.rows("wallet")[0]["prefs"] == {"lang": "en", "paid_in": "EN"}
        r = env.call("pay", {"wallet_id": "W1", "method_id": "gc", "amount": 30})
        assert not r.ok and "Insufficient balance" in r.content


@pytest.mark.parametrize("broken", [
    # a map whose values may be null: `k in m` says nothing about the value
    ('lang: \'len(w.prefs["lang"]) if "lang" in w.prefs else 0\'',
     'lang: \'len(w.notes["lang"]) if "lang" in w.notes else 0\''),
    # the wrong branch, and the wrong side of `and`
    ('lang: \'len(w.prefs["lang"]) if "lang" in w.prefs else 0\'',
     'lang: \'0 if "lang" in w.prefs else len(w.prefs["lang"])\''),
    ("other: '\"zz\" not in w.methods or w.methods[\"zz\"].balance > 0'",
     "other: '\"zz\" not in w.methods and w.methods[\"zz\"].balance > 0'"),
    # another key
    ("balance: w.methods[$method_id].balance", "balance: w.methods[$wallet_id].balance"),
])
def test_only_the_tested_entry_is_narrowed(tmp_path: Path, broken) -> None:
    old, new = broken
    assert old in SPEC
    result = _compile(tmp_path, SPEC.replace(old, new))
    assert [d.code for d in result.diagnostics if d.severity == "error"] == ["E237"]


def test_removing_the_entry_ends_the_narrowing(tmp_path: Path) -> None:
    removed = SPEC.replace("      - update w.methods[$method_id]: {balance: balance - $amount}\n",
                           "      - remove w.methods[$method_id]\n")
    removed = removed.replace("    returns: w.methods[$method_id]\n", "    returns: w.methods[$method_id].kind\n")
    result = _compile(tmp_path, removed)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    assert [d.code for d in errors] == ["E237"]
    assert errors[0].span.line == removed[:removed.index("    returns: w.methods")].count("\n") + 1
    kept = removed.replace("      - remove w.methods[$method_id]\n", "      - put w.prefs[$method_id]: \"'x'\"\n")
    assert _compile(tmp_path, kept).ok


NOTES = """
domain: notes
description: Items with notes.
entities:
  item:
    key: id
    fields:
      id: str
      note: str?
tools:
  renote:
    kind: write
    description: Replace a note and return the new note's length.
    intent: "renote {id}"
    params: {id: str, note: {type: str, optional: true}}
    let:
      it: item[$id] else "no item"
    requires:
      - it.note != null else "no note"
    effects:
      - update it: {note: NEW}
    returns: len(it.note)
"""


def test_setting_a_narrowed_field_to_a_nullable_value_ends_the_narrowing(tmp_path: Path) -> None:
    """`update it: {note: $note}` may write null, so `it.note` after it is no longer known to be set."""
    spec = tmp_path / "notes.env.yaml"
    for value, errors in (("$note", ["E237"]), ('"upper(it.note)"', []), ('"coalesce($note, it.note)"', [])):
        spec.write_text(NOTES.replace("NEW", value), encoding="utf-8")
        result = compile_file(spec, None)
        assert [d.code for d in result.diagnostics if d.severity == "error"] == errors, value
