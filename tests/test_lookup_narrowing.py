"""A `!= null` test narrows lookups and map entries keyed by a path or a literal (`flight[f.no]`,
`fl.dates[$date]`), so per-element checks over a list argument need no helper values."""

from __future__ import annotations

from pathlib import Path

from ascc.compiler.build import compile_file
from ascc.diagnostics import SourceCache, render_all
from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment

SPEC = """
domain: legs
types:
  day: {seats: int}
  leg: {no: str, date: str}
entities:
  flight:
    key: no
    fields:
      no: str
      dates: "map[str, day]"
tools:
  seats:
    kind: read
    description: Seats per requested leg, or a reason.
    params:
      legs: "list[leg]"
    returns: >-
      [format("{} missing", l.no) if flight[l.no] == null
       else format("{} not on {}", l.no, l.date) if flight[l.no].dates[l.date] == null
       else str(flight[l.no].dates[l.date].seats) for l in $legs]
  first_seats:
    kind: read
    description: Seats of F1 on the first of May.
    returns: 'flight["F1"].dates["2024-05-01"].seats if flight["F1"] != null and flight["F1"].dates["2024-05-01"] != null else 0'
seed: {rows: {flight: [{no: F1, dates: {"2024-05-01": {seats: 3}}}]}}
"""


def test_null_tests_narrow_lookups_and_map_entries(tmp_path: Path) -> None:
    spec = tmp_path / "legs.env.yaml"
    spec.write_text(SPEC)
    result = compile_file(spec, tmp_path / "out")
    assert result.ok, render_all(result.diagnostics, SourceCache())
    with Environment(load_domain(str(tmp_path / "out" / "legs"))) as env:
        legs = [{"no": "F1", "date": "2024-05-01"}, {"no": "F1", "date": "2024-05-02"}, {"no": "F9", "date": "x"}]
        assert env.call("seats", {"legs": legs}).value == ["3", "F1 not on 2024-05-02", "F9 missing"]
        assert env.call("first_seats", {}).value == 3


def test_an_untested_lookup_is_still_an_error(tmp_path: Path) -> None:
    spec = tmp_path / "legs.env.yaml"
    spec.write_text(SPEC.replace('if flight[l.no].dates[l.date] == null', 'if flight[l.no].no == ""'))
    result = compile_file(spec, None)
    assert [d.code for d in result.diagnostics if d.severity == "error"] == ["E237"]
