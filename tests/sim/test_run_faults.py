"""`ascc simulate` when its folder cannot be written, when it is killed while synthesising, and the order of its
files: one line instead of a traceback, no temporary files, synthesis resumed, traces in task order."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ascc.compiler.build import compile_file
from ascc.runtime.domain import load_domain
from ascc.runtime.tasks import load_tasks
from ascc.sim.output import read_records
from ascc.sim.run import SimConfig, in_task_order, synthesize, tasks_for_run
from ascc.sim.synthlog import FILE as SYNTH_LOG

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "specs" / "shop.env.yaml"


def ascc(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"PYTHONPATH": str(ROOT)}  # 80 wide
    return subprocess.run([sys.executable, "-m", "ascc", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=240)


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".tmp" in p.name)


@pytest.fixture(scope="module")
def shop_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("shop-build")
    assert compile_file(SHOP, out).ok
    return out


def test_a_run_folder_that_cannot_be_made_is_one_line(tmp_path, shop_build):
    (tmp_path / "run").write_text("a file where the run folder should be")
    p = ascc("simulate", str(SHOP), "--tasks", "2", "--out", str(tmp_path / "run" / "x"), "--build", str(shop_build))
    assert p.returncode == 1
    assert "Traceback" not in p.stderr
    errors = [line for line in p.stderr.splitlines() if "error" in line]  # (the progress bar may be there too)
    assert len(errors) == 1 and errors[0].startswith("error: cannot write `"), p.stderr
    assert errors[0].endswith("Not a directory; pick a writable folder with --out")


def test_synth_to_a_file_that_cannot_be_written_is_one_line(tmp_path, shop_build):
    (tmp_path / "f").write_text("")
    p = ascc("synth", str(SHOP), "-n", "2", "--jobs", "1", "--build", str(shop_build), "-o",
             str(tmp_path / "f" / "tasks.jsonl"))
    assert p.returncode == 1 and "Traceback" not in p.stderr
    errors = [line for line in p.stderr.splitlines() if "error" in line]  # (after the stages' progress lines)
    assert errors == [f"error: cannot write `{tmp_path / 'f' / 'tasks.jsonl'}`: Not a directory; pick a writable "
                      "folder with --out"], p.stderr


def test_a_full_disk_is_one_line_and_leaves_no_temporary_file(tmp_path, shop_build):
    run = tmp_path / "run"
    run.mkdir()
    (run / "tasks.jsonl.tmp").symlink_to("/dev/full")  # the task file's next write fails as on a full disk
    p = ascc("simulate", str(SHOP), "--tasks", "2", "--jobs", "1", "--out", str(run), "--build", str(shop_build))
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert f"error: cannot write `{run / 'tasks.jsonl'}`: No space left on device" in p.stderr, p.stderr
    assert temporaries(run) == [] and not (run / "tasks.jsonl").exists()
    p = ascc("simulate", str(SHOP), "--tasks", "2", "--jobs", "1", "--out", str(run), "--build",
             str(shop_build))  # space again
    assert p.returncode == 0, p.stderr
    assert len(read_records(run / "traces.jsonl")) + len(read_records(run / "rejected.jsonl")) == 2
    assert temporaries(run) == [] and not (run / SYNTH_LOG).exists()


SYNTH_SCRIPT = """
import sys
from pathlib import Path
from ascc.runtime.domain import load_domain
from ascc.sim.run import SimConfig, tasks_for_run
cfg = SimConfig([], tasks=int(sys.argv[3]), seed=5, out=sys.argv[2])
tasks_for_run(cfg, {"shop": load_domain(sys.argv[1])}, Path(sys.argv[2]), 1)
"""


def test_synthesis_killed_part_way_resumes_and_gives_the_same_tasks(tmp_path, shop_build):
    run, n = tmp_path / "run", 40
    run.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", SYNTH_SCRIPT, str(shop_build / "shop"), str(run), str(n)],
                            env=env, stderr=subprocess.PIPE)
    log = run / SYNTH_LOG
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and log.read_bytes().count(b"\n") >= 16:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "synthesis finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    drawn = log.read_bytes().count(b"\n")
    assert not (run / "tasks.jsonl").exists() and drawn >= 16
    with open(log, "ab") as f:
        f.write(b'{"id": "5/4/shop/cut-o')  # as if the kill had landed inside a write
    domains = {"shop": load_domain(str(shop_build / "shop"))}
    notes: list[str] = []
    resumed = tasks_for_run(SimConfig([], tasks=n, seed=5, out=str(run)), domains, run, 1, notes=notes)
    assert f"resumed synthesis: {drawn} samples of a killed run reused" in notes
    assert [t.to_json() for t in resumed] == [t.to_json() for t in synthesize(domains, n, 5)]
    assert [t.to_json() for t in load_tasks(run / "tasks.jsonl")] == [t.to_json() for t in resumed]
    assert not log.exists()


def test_results_are_written_in_task_order_whatever_finishes_first():
    order = [f"e{i}" for i in range(50)]
    results = [{"record": {"id": i}, "kept": True} for i in order]
    rng = random.Random(3)
    batches = [results[i:i + 5] for i in range(0, 50, 5)]
    rng.shuffle(batches)  # chunks finishing in any order
    written = [r["record"]["id"] for batch in in_task_order(iter(batches), order) for r in batch]
    assert written == order


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("ASCC_SLOW") != "1", reason="slow (~40 s): set ASCC_SLOW=1 to run")
def test_two_workers_write_the_same_files_line_for_line(tmp_path, shop_build):
    files = []
    for name in ("a", "b"):
        p = ascc("simulate", str(SHOP), "--tasks", "40", "--seed", "3", "--jobs", "2", "--executor", "process",
                 "--out", str(tmp_path / name), "--build", str(shop_build), "--format", "json")
        assert p.returncode == 0, p.stderr
        files.append([(tmp_path / name / f).read_bytes() for f in ("tasks.jsonl", "traces.jsonl", "rejected.jsonl")])
    assert files[0] == files[1]
    tasks = [f"{t.domain}/{t.id}/0" for t in load_tasks(tmp_path / "a" / "tasks.jsonl")]
    ids = [json.loads(line)["id"] for line in files[0][1].splitlines()]
    assert ids == [i for i in tasks if i in set(ids)]


def test_the_process_executor_yields_chunks_in_order_and_holds_few(monkeypatch):
    """A slow first chunk: the later ones wait (at most HELD_CHUNKS_PER_JOB per worker), then all come in order."""
    from concurrent.futures import ThreadPoolExecutor

    from ascc.sim import run as sim_run

    def chunk(c):
        time.sleep(0.5 if c[0] == 0 else 0.0)
        return [{"record": {"id": c[0]}}]

    started = []
    monkeypatch.setattr(sim_run, "_run_chunk", lambda c: (started.append(c[0]), chunk(c))[1])
    monkeypatch.setattr(sim_run, "HELD_CHUNKS_PER_JOB", 2)
    with ThreadPoolExecutor(2) as pool:  # the scheduling under test, not the worker processes
        it = sim_run.run_processes(None, [[i] for i in range(30)], 2, pool=pool)
        first = next(it)
        assert first == [{"record": {"id": 0}}]
        assert len(started) <= 2 * 2 + 2 * 2 + 1  # running + held, not all 30 chunks
        rest = [batch[0]["record"]["id"] for batch in it]
    assert rest == list(range(1, 30))
