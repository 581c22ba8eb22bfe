"""Error messages fill `{name}` holes from `let` values too (a precondition runs after the values it names); a
hole naming a later `let` of a lookup is left as written (W259)."""

from __future__ import annotations

from pathlib import Path

from ascc.compiler.build import compile_file
from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment

SPEC = """
domain: till
entities:
  basket:
    key: basket_id
    fields:
      basket_id: str
      prices: "list[int]"
      paid: {type: int, default: 0}
tools:
  pay:
    kind: write
    description: Pay a basket in full.
    params:
      basket_id: str
      amount: int
    let:
      b: basket[$basket_id] else "Basket {basket_id} not found"
      owner: b.basket_id
      total: sum(b.prices)
      missing: basket["nope"] else "No {later} for {owner}"
      later: 1
    requires:
      - $amount == total else "Payment amount does not add up, total price is {total}, but paid {amount}"
    effects:
      - update b: {paid: $amount}
    returns: b.paid
seed: {rows: {basket: [{basket_id: B1, prices: [3, 4]}]}}
"""


def test_let_values_fill_message_holes(tmp_path: Path) -> None:
    spec = tmp_path / "till.env.yaml"
    spec.write_text(SPEC.replace('      missing: basket["nope"] else "No {later} for {owner}"\n', ""))
    result = compile_file(spec, tmp_path / "out")
    assert result.ok and result.diagnostics == [], [d.message for d in result.diagnostics]
    with Environment(load_domain(str(tmp_path / "out" / "till"))) as env:
        refused = env.call("pay", {"basket_id": "B1", "amount": 5})
        assert refused.value["error"]["message"] == "Payment amount does not add up, total price is 7, but paid 5"
        assert env.call("pay", {"basket_id": "B1", "amount": 7}).value == 7


def test_a_lookup_message_names_only_earlier_lets(tmp_path: Path) -> None:
    spec = tmp_path / "till.env.yaml"
    spec.write_text(SPEC)
    result = compile_file(spec, tmp_path / "out")
    assert result.ok and [d.code for d in result.diagnostics] == ["W259"]
    assert "`{later}`" in result.diagnostics[0].message
    with Environment(load_domain(str(tmp_path / "out" / "till"))) as env:
        assert env.call("pay", {"basket_id": "B1", "amount": 7}).value["error"]["message"] == "No {later} for B1"
