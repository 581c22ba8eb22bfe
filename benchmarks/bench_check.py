"""`ascc check SPEC`: where the time goes, and the wall time of the command.

For each spec: the command's wall time in a fresh interpreter (`python -m ascc check SPEC`, median of
`--repeats`), and in one process the stages: importing the CLI, registering the optional commands, importing the
compiler, reading and checking the spec, and building its seed state (median of `--repeats`).

    python benchmarks/bench_check.py specs/airline.env.yaml specs/shop.env.yaml --repeats 5

With `--baseline-src DIR` (another checkout's root, holding its `ascc` package) the same is measured for it,
the two interleaved run by run, so a shared machine's load falls on both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

STAGES = """
import time, sys
from pathlib import Path
spec = sys.argv[2]
t0 = time.perf_counter()
import ascc.cli as c
t1 = time.perf_counter()
reg = getattr(c, "_register_for", None)
reg(["check", spec]) if reg else c._register_optional()
t2 = time.perf_counter()
from ascc.compiler.build import _check
from ascc.compiler.seed import StateBuilder
from ascc.diagnostics import DiagnosticBag
t3 = time.perf_counter()
p = Path(spec); bag = DiagnosticBag(); d = _check(p, p.read_text(), bag)
t4 = time.perf_counter()
StateBuilder(d, bag).build()
t5 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)
"""
NAMES = ("import cli", "register commands", "import compiler", "read+check", "seed")


def wall(src: str, spec: str) -> float:
    env = {**os.environ, "PYTHONPATH": src}
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ascc", "check", spec], env=env, check=True, capture_output=True, cwd=src)
    return time.perf_counter() - t


def stages(src: str, spec: str) -> list[float]:
    env = {**os.environ, "PYTHONPATH": src}
    out = subprocess.run([sys.executable, "-c", STAGES, "check", spec], env=env, check=True, capture_output=True,
                         text=True, cwd=src).stdout  # `-c` and `-m` put the working folder first on sys.path
    return [float(x) for x in out.split()]


def measure(src: str, spec: str) -> tuple[float, list[float]]:
    return wall(src, spec), stages(src, spec)


def report(label: str, runs: list[tuple[float, list[float]]]) -> None:
    walls = [w for w, _ in runs]
    med = [statistics.median(p[i] for _, p in runs) for i in range(len(NAMES))]
    print(f"  {label}: wall {statistics.median(walls):.2f} s (min {min(walls):.2f});",
          ", ".join(f"{n} {m:.2f}" for n, m in zip(NAMES, med)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("specs", nargs="+")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--baseline-src", default=None)
    a = ap.parse_args()
    src = str(Path(__file__).resolve().parents[1])
    for spec in map(os.path.abspath, a.specs):
        print(os.path.relpath(spec))
        runs: dict[str, list] = {"this": [], "baseline": []}
        for _ in range(a.repeats):
            runs["this"].append(measure(src, spec))
            if a.baseline_src:
                runs["baseline"].append(measure(a.baseline_src, spec))
        for label, r in runs.items():
            if r:
                report(label, r)


if __name__ == "__main__":
    main()
