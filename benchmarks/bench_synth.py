"""CPU time per synthesised task, inline (one process), over the whole spec library.

    PYTHONPATH=. python benchmarks/bench_synth.py [--tasks 600] [--repeat 3] [--profile 30] [--json out.json]

Compiles specs/ (cached in a temporary build folder), then runs `ascc.sim.run.synthesize` with `jobs=1` from cold
samplers (their set-up is part of a task's cost) `--repeat` times and reports the median CPU time per task
(`time.process_time`: the machine is shared, so wall time says little) and the mean gold calls per task.
`--profile N` prints the N most expensive functions (cumulative) of one more run under cProfile. Run it with the
PYTHONPATH of another tree (an older commit's `git archive`) for its baseline: it uses only `compile_domains` and
`synthesize`, which every version since the errands has.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import tempfile
import time
from pathlib import Path

from ascc.sim import run


def once(domains: dict, n: int) -> tuple[float, float, int]:
    run._SAMPLERS.clear()
    started = time.process_time()
    tasks = run.synthesize(domains, n, seed=0, max_len=4, jobs=1)
    cpu = time.process_time() - started
    calls = sum(len(t.gold_calls) for t in tasks)
    return cpu, calls / max(len(tasks), 1), len(tasks)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=600)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--specs", default="specs")
    ap.add_argument("--build", type=Path)
    ap.add_argument("--profile", type=int, default=0)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    build = a.build or Path(tempfile.mkdtemp(prefix="bench-synth-"))
    domains = run.compile_domains(run.SimConfig([a.specs], build=str(build), jobs=1))
    runs = [once(domains, a.tasks) for _ in range(a.repeat)]
    cpu = statistics.median(r[0] for r in runs)
    report = {"tasks": runs[0][2], "domains": len(domains), "cpu_s": [round(r[0], 2) for r in runs],
              "ms_per_task": round(1000 * cpu / runs[0][2], 1), "gold_calls_per_task": round(runs[0][1], 2),
              "ms_per_gold_call": round(1000 * cpu / runs[0][2] / runs[0][1], 2)}
    print(json.dumps(report, indent=2))
    if a.json:
        a.json.write_text(json.dumps(report, indent=2) + "\n")
    if a.profile:
        prof = cProfile.Profile()
        prof.enable()
        once(domains, a.tasks)
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(a.profile)
        out.write("\n---- by own time\n")
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(a.profile)
        print(out.getvalue())


if __name__ == "__main__":
    main()
