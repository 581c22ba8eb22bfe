"""`ascc simulate` as a command: the run folder, the report, the trace format, and surviving `kill -9`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ascc.runtime.tasks import load_tasks
from ascc.sim.output import RecordFile, read_records

ROOT = Path(__file__).resolve().parents[2]
TRACE_COLUMNS = {"id", "domain", "task_id", "messages", "tools", "seed", "agent", "user", "verdicts",
                 "user_tool_calls", "internal_errors"}


def ascc(*args: str, **kw) -> subprocess.CompletedProcess | subprocess.Popen:
    cmd = [sys.executable, "-c", "from ascc.cli import main; main()", *args]
    if kw.pop("background", False):
        return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True, **kw)
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240, **kw)


def ids(path: Path) -> list[str]:
    return [r["id"] for r in read_records(path)]


# ---- the record files
def test_a_cut_off_last_line_is_dropped_and_duplicates_are_skipped(tmp_path):
    path = tmp_path / "t.jsonl"
    with RecordFile(path) as f:
        f.append({"id": "a", "x": 1})
        f.append({"id": "b", "x": 2})
        f.append({"id": "a", "x": 3})
    with open(path, "ab") as f:
        f.write(b'{"id": "c", "x": ')  # what a kill in the middle of a write leaves
    with RecordFile(path) as f:
        assert f.ids == {"a", "b"} and f.dropped == 1
        f.append({"id": "c", "x": 4})
    assert [(r["id"], r["x"]) for r in read_records(path)] == [("a", 1), ("b", 2), ("c", 4)]
    assert path.read_bytes().endswith(b"\n")


def test_records_with_lone_surrogates_are_written(tmp_path):
    """A model's text may hold a lone surrogate (`"\\ud800"` in its JSON): the record is written, escaped."""
    from ascc.sim.output import write_atomic

    path = tmp_path / "t.jsonl"
    with RecordFile(path) as f:
        f.append({"id": "a", "messages": [{"role": "assistant", "content": "x\ud800y", "\udfff": 1}]})
    path.read_bytes().decode("utf-8")
    (r,) = read_records(path)
    assert r["messages"][0]["content"] == "x\ud800y"
    write_atomic(tmp_path / "t.json", json.dumps({"k": "\ud800"}, ensure_ascii=False))
    assert json.loads((tmp_path / "t.json").read_text(encoding="utf-8")) == {"k": "\ud800"}


# ---- the command
@pytest.fixture(scope="module")
def run50(tmp_path_factory, build_dir):
    out = tmp_path_factory.mktemp("run50")
    p = ascc("simulate", "specs/", "--tasks", "50", "--out", str(out), "--build", str(build_dir), "--jobs", "2")
    # (the whole library, two worker processes)
    assert p.returncode == 0, p.stderr
    return out, p


def test_cli_end_to_end_keeps_every_oracle_episode(run50):
    out, p = run50
    report = json.loads((out / "report.json").read_text())
    assert report["tasks"] == 50 and report["episodes"] == 50 and report["kept"] == 50
    assert set(report["filters"]) == {"validity", "state", "calls", "facts", "confirm"}
    assert all(f["enabled"] and f["failed"] == 0 and f["kept_after"] == 50 for f in report["filters"].values())
    assert len(load_tasks(out / "tasks.jsonl")) == 50
    assert read_records(out / "rejected.jsonl") == []
    assert "kept after calls" in p.stdout and "episodes/s" in p.stdout


def test_traces_load_with_datasets_and_have_the_documented_columns(run50):
    datasets = pytest.importorskip("datasets")
    out, _ = run50
    ds = datasets.load_dataset("json", data_files=str(out / "traces.jsonl"), split="train")
    assert set(ds.column_names) == TRACE_COLUMNS and len(ds) == 50
    row = ds[0]
    assert isinstance(row["tools"], str) and json.loads(row["tools"])[0]["type"] == "function"
    verdicts = json.loads(row["verdicts"])
    assert set(verdicts) == {"validity", "state", "calls", "facts", "confirm"} and all(v["passed"] for v in verdicts.values())
    assert row["agent"] == "oracle" and row["user"] == "scripted"
    call = next(tc for m in row["messages"] if m["role"] == "assistant" and m["tool_calls"] for tc in m["tool_calls"])
    assert isinstance(call["function"]["arguments"], str)


def test_a_rerun_of_a_finished_run_does_nothing_and_other_settings_are_refused(run50, build_dir):
    out, _ = run50
    before = (out / "traces.jsonl").read_bytes()
    p = ascc("simulate", "specs/", "--tasks", "50", "--out", str(out), "--build", str(build_dir), "--jobs", "1",
             "--format", "json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["session"]["session_episodes"] == 0
    assert (out / "traces.jsonl").read_bytes() == before
    p = ascc("simulate", "specs/", "--tasks", "51", "--out", str(out), "--build", str(build_dir))
    assert p.returncode == 1 and "other settings: --tasks 50 → 51;" in p.stderr and "--fresh" in p.stderr
    assert "{" not in p.stderr  # the setting that differs, not a dump of run.json


def test_a_broken_agent_is_rejected_with_its_reason(tmp_path, build_dir):
    p = ascc("simulate", "specs/shop.env.yaml", "--tasks", "12", "--out", str(tmp_path), "--build", str(build_dir),
             "--agent", "broken:garbage", "--jobs", "1", "--format", "json")
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    rejected = read_records(tmp_path / "rejected.jsonl")
    assert report["kept"] + len(rejected) == 12 and report["filters"]["validity"]["failed"] == len(rejected) > 0
    assert {r["reason"] for r in rejected} == {"validity"}
    assert all(json.loads(r["verdicts"])["validity"]["passed"] is False for r in rejected)


def test_bad_input_gives_clear_errors(tmp_path, build_dir):
    p = ascc("simulate", "nowhere/", "--out", str(tmp_path))
    assert p.returncode == 1 and "no such spec file or folder" in p.stderr
    p = ascc("simulate", "specs/shop.env.yaml", "--no-filter", "stat", "--out", str(tmp_path))
    assert p.returncode == 2 and "unknown filter `stat`" in p.stderr
    p = ascc("simulate", "specs/shop.env.yaml", "--agent", "robot", "--out", str(tmp_path), "--build", str(build_dir))
    assert p.returncode == 1 and "unknown agent backend `robot`" in p.stderr


def test_kill_9_mid_run_then_rerun_loses_and_duplicates_nothing(tmp_path, build_dir):
    # two stable specs, one process (its main process writes as it goes)
    args = ["simulate", "specs/shop.env.yaml", "specs/library.env.yaml", "--tasks", "250", "--out", str(tmp_path),
            "--build", str(build_dir), "--jobs", "1",
            "--format", "json"]
    proc = ascc(*args, background=True)
    traces = tmp_path / "traces.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if traces.exists() and traces.read_bytes().count(b"\n") >= 10:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = ids(traces)
    assert 10 <= len(before) < 250
    with open(traces, "ab") as f:
        f.write(b'{"id": "cut-off')  # as if the kill had landed inside a write
    tasks_before = (tmp_path / "tasks.jsonl").read_bytes()
    p = ascc(*args)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    after = ids(traces)
    assert after[: len(before)] == before  # nothing finished was lost or rewritten
    assert len(after) == len(set(after)) == 250 and report["kept"] == 250
    assert report["session"]["session_episodes"] == 250 - len(before)
    assert (tmp_path / "tasks.jsonl").read_bytes() == tasks_before


def test_the_settings_that_differ_are_named_old_to_new():
    from ascc.sim.run import settings_changed

    old = {"tasks": 1000, "seed": 0, "max_len": 4, "domains": ["a"]}
    assert settings_changed(old, {**old, "domains": ["a", "b"]}) == ""
    assert settings_changed(old, {**old, "tasks": 50, "seed": 1}) == "--tasks 1000 → 50, --seed 0 → 1"
