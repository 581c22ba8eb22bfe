"""`ascc simulate` speed with the oracle agent and the scripted user over the whole spec library.

    python benchmarks/bench_simulate.py [--tasks 2000] [--jobs 2] [--json out.json]

Compiles specs/ (cached), then runs `ascc.sim.run.simulate` into a fresh run folder and reads its report:
task synthesis time (tasks/s, worker start-up included), the episodes' own time and the verified episodes/s
(rollout through the runtime + the three filters + one fsync'ed trace line each), plus an inline (one process)
run of the same tasks for the per-core rate.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from ascc.sim.run import SimConfig, simulate

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--specs", default=str(ROOT / "specs"))
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-sim-"))
    try:
        cfg = SimConfig([a.specs], tasks=a.tasks, seed=0, out=str(tmp / "run"), jobs=a.jobs, build=str(tmp / "build"))
        simulate(cfg)  # compile + warm caches; its synthesis is measured below on a fresh folder
        results = {}
        for label, executor, jobs in (("process", "process", a.jobs), ("inline", "inline", 1)):
            out = tmp / f"run-{label}"
            started = time.perf_counter()
            r = simulate(SimConfig([a.specs], tasks=a.tasks, seed=0, out=str(out), jobs=jobs, build=cfg.build,
                                   executor=executor))
            s = r["session"]
            results[label] = {"jobs": jobs, "domains": len(r["kept_by_domain"]), "tasks": r["tasks"],
                              "kept": r["kept"], "episodes": r["episodes"], "synth_s": s["synth_s"],
                              "tasks_per_s": round(r["tasks"] / s["synth_s"], 1), "run_s": s["run_s"],
                              "verified_episodes_per_s": round(r["kept"] / s["run_s"], 1),
                              "tool_calls": s["tool_calls"], "wall_s": round(time.perf_counter() - started, 2)}
        report = {"cpus": os.cpu_count(), "results": results}
        print(json.dumps(report, indent=2))
        if a.json:
            a.json.write_text(json.dumps(report, indent=2) + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
