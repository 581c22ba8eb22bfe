"""Compiler benchmark: 1,000 generated domains × 30 tools, compiled the way `ascc compile` does.

    python benchmarks/bench_compile.py [-n 1000] [--jobs 2] [--out result.json] [--baseline-src DIR]

Measures, on domains from `gen_domains.py` written to a temporary folder:
  (a) cold compile of all domains: `compile_many(..., jobs=N)` — the CLI's code path — in a child Python process,
      wall time and peak memory. Peak memory is reported two ways: the sum of RSS over the process tree (parent
      and pool workers), sampled every 20 ms with psutil; and getrusage's ru_maxrss of the parent (RUSAGE_SELF)
      and of its largest worker (RUSAGE_CHILDREN), which the child process reports itself.
  (b) a no-change recompile (every domain a cache hit), same way, median of --repeats;
  (c) one domain compiled in this process, median of --single-repeats, with a stage breakdown by manual timers
      (YAML compose, reading + expression parsing, checking, seed generation, code generation, Parquet writing),
      both with the expression-tree cache warm (as in a many-domain compile) and cleared before each run;
  (d) a recompile after one domain's spec changed.
With --baseline-src (a folder holding another `ascc` package, e.g. `git archive <rev> ascc | tar -x -C DIR`),
(a), (b) and (d) also run against that source in the same benchmark run, and the table shows the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_domains  # noqa: E402

# The child process: compile every spec under argv[1] into argv[2] with argv[3] workers, print a JSON line.
_CHILD = r"""
import json, resource, sys, time
src = sys.argv[4]
if src:
    sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path.insert(0, src)
from pathlib import Path
t0 = time.perf_counter()
from ascc.compiler.driver import compile_many
results = compile_many([Path(sys.argv[1])], Path(sys.argv[2]), jobs=int(sys.argv[3]))
wall = time.perf_counter() - t0
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall_s": wall, "ok": sum(r.ok for r in results), "cached": sum(r.cached for r in results),
                  "failed": sum(not r.ok for r in results), "tools": sum(r.counts.get("tools", 0) for r in results),
                  "maxrss_self_mb": me.ru_maxrss / 1024, "maxrss_children_mb": kids.ru_maxrss / 1024,
                  "cpu_s": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime}))
"""


def run_compile(specs: Path, out: Path, jobs: int, src: str = "") -> dict:
    """One `compile_many` in a fresh interpreter; wall time as seen from here, peak tree RSS sampled by psutil."""
    import psutil

    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(specs), str(out), str(jobs), src],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    ps = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            tree = [ps, *ps.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"compile failed ({proc.returncode}):\n{stderr[-3000:]}")
    res = json.loads(stdout.strip().splitlines()[-1])
    res["process_wall_s"] = time.perf_counter() - t0
    res["peak_tree_rss_mb"] = peak / 2**20
    return res


def measure_many(specs: Path, jobs: int, repeats: int, src: str = "") -> dict:
    """(a) cold compile, (b) no-change recompile, (d) one domain touched."""
    out = Path(tempfile.mkdtemp(prefix="ascc-bench-out-"))
    try:
        cold = []
        for _ in range(repeats):
            shutil.rmtree(out, ignore_errors=True)
            cold.append(run_compile(specs, out, jobs, src))
        nochange = [run_compile(specs, out, jobs, src) for _ in range(max(3, repeats))]
        touched = []
        victim = sorted(specs.glob("*.env.yaml"))[0]
        original = victim.read_text(encoding="utf-8")
        try:
            for i in range(max(3, repeats)):
                victim.write_text(original + f"# touched {i}\n", encoding="utf-8")
                touched.append(run_compile(specs, out, jobs, src))
        finally:
            victim.write_text(original, encoding="utf-8")
        return {"cold": cold, "nochange": nochange, "touched": touched}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def measure_single(spec: Path, repeats: int) -> dict:
    """(c) one domain, in this process: total and per stage, with the expression cache warm and cold."""
    from ascc.compiler import build
    from ascc.compiler.ddl import domain_ddl
    from ascc.compiler.graph import build_graph, graph_json
    from ascc.compiler.passes import check_spec
    from ascc.compiler.pygen import render_module
    from ascc.compiler.schemas import domain_schemas
    from ascc.compiler.seed import StateBuilder
    from ascc.compiler.state import write_state
    from ascc.diagnostics import DiagnosticBag
    from ascc.dsl import exprparse
    from ascc.dsl.reader import read_spec
    from ascc.dsl.yamlnodes import load_yaml

    text = spec.read_text(encoding="utf-8")
    out = Path(tempfile.mkdtemp(prefix="ascc-bench-one-"))
    build.compile_file(spec, out, force=True)  # imports, parser and template construction, Faker's first load

    def clock(fn, *args):
        t = time.perf_counter()
        value = fn(*args)
        return value, time.perf_counter() - t

    def stages() -> dict:
        bag = DiagnosticBag()
        _, yaml_s = clock(load_yaml, text, str(spec), bag)
        raw, read_s = clock(read_spec, str(spec), text, bag)
        domain, check_s = clock(check_spec, raw, text, bag)
        rows, seed_s = clock(StateBuilder(domain, bag).build)
        _, codegen_s = clock(lambda: (domain_ddl(domain), render_module(domain), domain_schemas(domain),
                                      domain_schemas(domain, strict=True), graph_json(build_graph(domain)),
                                      build.domain_json(domain)))
        _, state_s = clock(write_state, domain, rows, out / "state")
        assert not bag.has_errors
        return {"yaml": yaml_s, "exprs+shape": read_s - yaml_s, "check": check_s, "seed": seed_s,
                "codegen": codegen_s, "parquet": state_s}

    result = {}
    for mode in ("warm", "cold"):
        totals, parts = [], []
        for _ in range(repeats):
            if mode == "cold" and hasattr(exprparse, "_tree"):
                exprparse._tree.cache_clear()
            _, t = clock(lambda: build.compile_file(spec, out, force=True))
            totals.append(t)
            if mode == "cold" and hasattr(exprparse, "_tree"):
                exprparse._tree.cache_clear()
            parts.append(stages())
        result[mode] = {"total_s": statistics.median(totals),
                        "stages_s": {k: statistics.median(p[k] for p in parts) for k in parts[0]}}
    shutil.rmtree(out, ignore_errors=True)
    return result


def machine() -> dict:
    return {"cpus_visible": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)),
            "cpu": platform.processor() or platform.machine(), "python": platform.python_version(),
            "platform": platform.platform(), "load_avg_at_start": os.getloadavg()}


def summarize(label: str, m: dict) -> dict:
    cold = m["cold"]
    return {"label": label, "cold_s": _median(cold, "process_wall_s"), "cold_compile_s": _median(cold, "wall_s"),
            "cold_cpu_s": _median(cold, "cpu_s"), "peak_tree_rss_mb": max(r["peak_tree_rss_mb"] for r in cold),
            "maxrss_self_mb": max(r["maxrss_self_mb"] for r in cold),
            "maxrss_children_mb": max(r["maxrss_children_mb"] for r in cold),
            "nochange_s": _median(m["nochange"], "process_wall_s"),
            "nochange_compile_s": _median(m["nochange"], "wall_s"),
            "touched_s": _median(m["touched"], "process_wall_s"), "ok": cold[0]["ok"], "tools": cold[0]["tools"],
            "nochange_cached": m["nochange"][0]["cached"], "touched_cached": m["touched"][0]["cached"]}


def print_table(rows: list[dict], single: dict, n: int, jobs: int) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    t = Table(title=f"ascc compile: {n} domains, jobs={jobs}")
    t.add_column("measure")
    for r in rows:
        t.add_column(r["label"], justify="right")
    if len(rows) == 2:
        t.add_column("speedup", justify="right")
    lines = [("cold compile (s, process wall)", "cold_s", "{:.1f}"), ("  compile_many only (s)", "cold_compile_s", "{:.1f}"),
             ("  CPU, all processes (s)", "cold_cpu_s", "{:.1f}"), ("peak RSS, tree sum (MiB)", "peak_tree_rss_mb", "{:.0f}"),
             ("  ru_maxrss parent (MiB)", "maxrss_self_mb", "{:.0f}"), ("  ru_maxrss largest worker (MiB)", "maxrss_children_mb", "{:.0f}"),
             ("no-change recompile (s)", "nochange_s", "{:.2f}"), ("  compile_many only (s)", "nochange_compile_s", "{:.2f}"),
             ("1 domain touched (s)", "touched_s", "{:.2f}")]
    for name, key, fmt in lines:
        cells = [fmt.format(r[key]) for r in rows]
        if len(rows) == 2:
            cells.append(f"{rows[0][key] / rows[1][key]:.2f}x" if "rss" not in key else "")
        t.add_row(name, *cells)
    con.print(t)
    s = Table(title="one domain, in process (median ms)")
    s.add_column("stage")
    s.add_column("expr cache warm", justify="right")
    s.add_column("expr cache cold", justify="right")
    for k in single["warm"]["stages_s"]:
        s.add_row(k, f"{single['warm']['stages_s'][k] * 1000:.1f}", f"{single['cold']['stages_s'][k] * 1000:.1f}")
    s.add_row("compile_file total", f"{single['warm']['total_s'] * 1000:.1f}", f"{single['cold']['total_s'] * 1000:.1f}")
    con.print(s)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=1000, help="domains to generate (default 1000)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--repeats", type=int, default=1, help="cold compiles to take the median of (default 1)")
    ap.add_argument("--single-repeats", type=int, default=15, help="repeats of the one-domain measurement")
    ap.add_argument("--seed", type=int, default=0, help="generator seed")
    ap.add_argument("--baseline-src", default="", help="a folder with another `ascc` package to compare with")
    ap.add_argument("--out", type=Path, help="write the results as JSON here")
    args = ap.parse_args(argv)

    specs = Path(tempfile.mkdtemp(prefix="ascc-bench-specs-"))
    try:
        gen_domains.generate(specs, args.n, args.seed)
        result = {"machine": machine(), "n_domains": args.n, "jobs": args.jobs, "seed": args.seed,
                  "tools_per_domain": gen_domains.TOOLS_PER_DOMAIN, "runs": []}
        if args.baseline_src:
            base = measure_many(specs, args.jobs, args.repeats, str(Path(args.baseline_src).resolve()))
            result["runs"].append({"label": "baseline", **base})
        current = measure_many(specs, args.jobs, args.repeats)
        result["runs"].append({"label": "current", **current})
        result["summary"] = [summarize(r["label"], r) for r in result["runs"]]
        result["single_domain"] = measure_single(sorted(specs.glob("*.env.yaml"))[1], args.single_repeats)
    finally:
        shutil.rmtree(specs, ignore_errors=True)
    for s in result["summary"]:
        if s["ok"] != args.n:
            print(f"error: {s['label']}: only {s['ok']} of {args.n} domains compiled", file=sys.stderr)
            return 1
    print_table(result["summary"], result["single_domain"], args.n, args.jobs)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
