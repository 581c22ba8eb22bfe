"""`ascc simulate --executor ray` on a local Ray instance gives the same verified traces as worker processes."""

from __future__ import annotations

import json

import pytest

from ascc.sim.run import SimConfig, simulate

pytest.importorskip("ray")  # the `ray` extra; CI installs it


def _run(tmp_path, executor: str) -> dict:
    cfg = SimConfig(paths=["specs/shop.env.yaml", "specs/library.env.yaml"], tasks=12, seed=5,
                    out=str(tmp_path / executor), jobs=2, executor=executor, build=str(tmp_path / "build"))
    return simulate(cfg)


def test_ray_executor_matches_the_process_pool(tmp_path, monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    ray_report = _run(tmp_path, "ray")
    proc_report = _run(tmp_path, "process")
    assert ray_report["executor"] == "ray" and proc_report["executor"] == "process"
    assert ray_report["kept"] == ray_report["episodes"] == 12

    def traces(name):
        rows = [json.loads(line) for line in (tmp_path / name / "traces.jsonl").read_text().splitlines()]
        return sorted((r["id"], json.dumps(r["messages"])) for r in rows)

    assert traces("ray") == traces("process")
