"""Held-out domains: one setting, the same domains on both commands, stable as the library grows."""

from __future__ import annotations

import json

import pytest

from ascc.sim.splits import SplitError, heldout, split

LIBRARY = [f"domain_{i:02d}" for i in range(35)]


def test_a_count_a_share_and_names():
    assert len(heldout(LIBRARY, "5")) == 5
    assert len(heldout(LIBRARY, "0.2")) == 7  # 35 x 0.2, rounded up
    assert heldout(LIBRARY, "domain_03, domain_01") == ["domain_01", "domain_03"]


def test_the_same_setting_gives_the_same_domains_whatever_the_order():
    assert heldout(LIBRARY, "5", seed=3) == heldout(list(reversed(LIBRARY)), "5", seed=3)
    assert heldout(LIBRARY, "5", seed=3) != heldout(LIBRARY, "5", seed=4)


def test_adding_a_domain_moves_no_other_domain_into_the_held_out_side():
    before = set(heldout(LIBRARY, "7"))
    after = set(heldout([*LIBRARY, "zz_new"], "7"))
    assert len(before ^ after) <= 2  # at most the newcomer in, one pushed out of the count


def test_the_two_sides_cover_the_library_without_overlap():
    train, held = split(LIBRARY, "0.2")
    assert set(train) | set(held) == set(LIBRARY) and not set(train) & set(held)
    assert split(LIBRARY, None) == (sorted(LIBRARY), [])


@pytest.mark.parametrize("spec, message", [
    ("0", "holds out 0 of 35"), ("35", "holds out 35 of 35"), ("1.5", "holds out 0 of 35"),
    ("nope_domain", "unknown domain"), ("", "is empty"), ("-3", "holds out 0"),
])
def test_bad_settings_say_what_is_accepted(spec, message):
    with pytest.raises(SplitError, match=message):
        heldout(LIBRARY, spec)


def test_simulate_leaves_out_what_eval_then_evaluates(tmp_path):
    """The same --holdout-domains on both commands: simulate trains on the rest, eval sees only the held-out."""
    from pathlib import Path

    from typer.testing import CliRunner

    from ascc.cli import _register_optional, app

    _register_optional()

    root = Path(__file__).resolve().parents[2] / "specs"
    specs = [str(root / "shop.env.yaml"), str(root / "library.env.yaml"), str(root / "general" / "gym.env.yaml")]
    build = str(tmp_path / "build")
    held = heldout(["shop", "library", "gym"], "1", seed=7)
    r = CliRunner().invoke(app, ["simulate", *specs, "--tasks", "6", "--holdout-domains", "1", "--holdout-seed", "7",
                                 "--out", str(tmp_path / "sim"), "--build-dir", build, "--jobs", "1",
                                 "--format", "json"])
    assert r.exit_code == 0, r.output
    report = json.loads((tmp_path / "sim" / "report.json").read_text())
    assert report["heldout_domains"]["domains"] == held
    simulated = {json.loads(x)["domain"] for x in (tmp_path / "sim" / "tasks.jsonl").read_text().splitlines()}
    assert simulated == {"shop", "library", "gym"} - set(held)
    r = CliRunner().invoke(app, ["eval", *specs, "--synth", "1", "--holdout-domains", "1", "--holdout-seed", "7",
                                 "--out", str(tmp_path / "eval"), "--build-dir", build])
    assert r.exit_code == 0, r.output
    evaluated = {json.loads(x)["domain"] for x in (tmp_path / "eval" / "tasks.jsonl").read_text().splitlines()}
    assert evaluated == set(held)
