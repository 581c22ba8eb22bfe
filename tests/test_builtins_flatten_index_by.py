"""flatten(), index_by() and calculate(): typed in the checker, run by the runtime builtins."""

from __future__ import annotations

from pathlib import Path

import pytest

from ascc.compiler.build import compile_file
from ascc.diagnostics import SourceCache, render_all
from ascc.runtime import builtins as B
from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment
from ascc.runtime.errors import ToolError

SPEC = """
domain: wallet
types:
  card: {id: str, amount: float}
entities:
  holder:
    key: holder_id
    fields:
      holder_id: str
      cards: "map[str, card]"
tools:
  pairs:
    kind: read
    description: Every pair of card ids of two holders.
    params: {a: str, b: str}
    let:
      x: holder[$a] else "no {a}"
      y: holder[$b] else "no {b}"
    returns: "flatten([[[i, j] for j in keys(y.cards)] for i in keys(x.cards)])"
  calc:
    kind: generic
    description: A calculator.
    params: {expression: str}
    returns: calculate($expression)
seed:
  generate:
    holder:
      count: 2
      fields:
        holder_id: seq("H", 1)
        cards: 'index_by(flatten([[{id: format("c{}", index()), amount: 1.5}], repeat(1, 1, {id: "gift", amount: 2.0})]), "id")'
"""


def test_flatten_and_index_by_in_seeds_and_tools(tmp_path: Path) -> None:
    spec = tmp_path / "wallet.env.yaml"
    spec.write_text(SPEC)
    result = compile_file(spec, tmp_path / "out")
    assert result.ok, render_all(result.diagnostics, SourceCache())
    with Environment(load_domain(str(tmp_path / "out" / "wallet"))) as env:
        assert env.rows("holder")[0]["cards"] == {"c0": {"id": "c0", "amount": 1.5}, "gift": {"id": "gift", "amount": 2.0}}
        assert env.call("pairs", {"a": "H1", "b": "H2"}).value == [["c0", "c1"], ["c0", "gift"], ["gift", "c1"],
                                                                   ["gift", "gift"]]
        assert env.call("calc", {"expression": "(100 - 15) * 1.1"}).value == "93.5"
        assert env.call("calc", {"expression": "import os"}).value["error"]["message"] == \
            "Invalid characters in expression"


def test_index_by_needs_a_string_field(tmp_path: Path) -> None:
    spec = tmp_path / "wallet.env.yaml"
    spec.write_text(SPEC.replace('"id")\'', '"amount")\''))
    result = compile_file(spec, None)
    assert [d.code for d in result.diagnostics if d.severity == "error"] == ["E252"]


def test_calculate_matches_tau2() -> None:
    assert B.calculate("2 + 2") == "4.0"
    assert B.calculate("10 / 3") == "3.33"
    assert B.calculate("2 ** 3") == "8.0"
    with pytest.raises(ToolError, match="division by zero"):
        B.calculate("1 / 0")
