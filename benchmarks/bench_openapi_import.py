"""`ascc import openapi` on a real collection: coverage, domains, time, memory; optionally `ascc simulate`.

    python benchmarks/bench_openapi_import.py DIR [--out result.json] [--work /tmp/oa] [--simulate N]

Runs in child processes (so each measure has its own peak memory, from getrusage):
  (a) the import of DIR (every description under it) into WORK/specs: wall and CPU seconds, peak RSS;
  (a) writes each domain's build into WORK/build while checking it (`--build-dir`);
  (b) `ascc compile` of every written spec into WORK/build (`compile_many`, jobs=1, so that CPU time is counted
      exactly): with the builds of (a) in place, every spec is a cache hit (checked: `cached` in the result);
  (c) with --simulate N: `ascc simulate` with the oracle agent and scripted user on a seeded sample of N imported
      domains (5 tasks each): the share of domains with at least one verified episode, and with a verified write.
  (d) with --simulate-all K: one `ascc simulate WORK/specs --tasks K*domains` run over every imported domain (K
      tasks each, `--jobs` workers): wall and CPU seconds (its process and workers), and per domain whether it
      gave a verified episode and a verified write episode.
Coverage is the share of operations (GET/POST/PUT/PATCH/DELETE) that land as tools in domains that compile with
no errors; the rest are listed by reason in WORK/specs/import_report.json.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
t, c = time.perf_counter(), time.process_time()
{body}
ru = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({{"wall_s": round(time.perf_counter() - t, 1), "cpu_s": round(time.process_time() - c + kids.ru_utime
    + kids.ru_stime, 1), "peak_rss_mib": round(max(ru.ru_maxrss, kids.ru_maxrss) / 1024), **extra}}))
"""

IMPORT = """
from pathlib import Path
from ascc.importers.openapi.run import import_openapi
r = import_openapi([Path({src!r})], Path({out!r}), jobs=2, build_dir=Path({build!r}))
http = [o for o in r.operations if o.operation.split(" ")[0] in ("GET", "POST", "PUT", "PATCH", "DELETE")]
extra = {{"operations": len(r.operations), "imported": r.imported, "domains": len(r.domains),
          "http_operations": len(http), "http_imported": sum(o.status == "imported" for o in http),
          "tools_in_compiling_domains": sum(d.tools for d in r.domains if d.compiled),
          "domains_compiled": sum(d.compiled for d in r.domains), "files": r.files, "problems": len(r.problems),
          "seconds": r.seconds}}
"""

COMPILE = """
from pathlib import Path
from ascc.compiler.driver import compile_many
res = compile_many([Path({specs!r})], Path({build!r}), force={force!r}, jobs=1)
extra = {{"specs": len(res), "ok": sum(1 for x in res if x.ok), "cached": sum(1 for x in res if x.cached),
          "with_errors": [str(x.spec) for x in res if not x.ok][:20]}}
"""


def child(body: str) -> dict:
    code = CHILD.format(root=str(ROOT), body=body)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(p.stderr[-3000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def simulate(specs: Path, n: int, work: Path) -> dict:
    domains = sorted(specs.glob("*.env.yaml"))
    sample = random.Random(0).sample(domains, min(n, len(domains)))
    verified = writes = 0
    failures = {}
    t = time.perf_counter()
    for spec in sample:
        out = work / "sim" / spec.name.split(".")[0]
        p = subprocess.run([sys.executable, "-m", "ascc", "simulate", str(spec), "--tasks", "5", "--out", str(out),
                            "--build", str(work / "build"), "--fresh", "--jobs", "1", "--format", "json"],
                           capture_output=True, text=True, cwd=ROOT)
        kept = kept_writes = 0
        traces, tasks = out / "traces.jsonl", out / "tasks.jsonl"
        if traces.exists() and tasks.exists():
            kind = {t["id"]: t.get("kind") for t in map(json.loads, tasks.read_text().splitlines())}
            for line in traces.read_text().splitlines():
                kept += 1
                kept_writes += kind.get(json.loads(line)["task_id"]) == "write"
        verified += kept > 0
        writes += kept_writes > 0
        if kept == 0:
            failures[spec.name] = (p.stderr or p.stdout)[-300:]
    return {"sampled": len(sample), "with_verified_episode": verified, "with_verified_write": writes,
            "share_verified": round(verified / max(len(sample), 1), 3), "wall_s": round(time.perf_counter() - t, 1),
            "failures": failures}


def simulate_all(specs: Path, per_domain: int, work: Path, jobs: int) -> dict:
    import resource

    domains = sorted(p.name.split(".")[0] for p in specs.glob("*.env.yaml"))
    out = work / "sim_all"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "ascc", "simulate", str(specs), "--tasks", str(per_domain * len(domains)),
                        "--out", str(out), "--build-dir", str(work / "build"), "--fresh", "--jobs", str(jobs)],
                       capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tasks: dict[str, dict] = {}
    if (out / "tasks.jsonl").exists():
        tasks = {x["id"]: x for x in map(json.loads, (out / "tasks.jsonl").read_text().splitlines())}
    verified: dict[str, int] = {}
    writes: dict[str, int] = {}
    if (out / "traces.jsonl").exists():
        for line in (out / "traces.jsonl").read_text().splitlines():
            tr = json.loads(line)
            verified[tr["domain"]] = verified.get(tr["domain"], 0) + 1
            if tasks.get(tr["task_id"], {}).get("kind") == "write":
                writes[tr["domain"]] = writes.get(tr["domain"], 0) + 1
    with_tasks = {x["domain"] for x in tasks.values()}
    with_write_tasks = {x["domain"] for x in tasks.values() if x.get("kind") == "write"}
    return {"domains": len(domains), "tasks_per_domain": per_domain, "returncode": p.returncode,
            "tasks": len(tasks), "episodes_verified": sum(verified.values()),
            "write_episodes_verified": sum(writes.values()),
            "domains_with_tasks": len(with_tasks), "domains_with_write_tasks": len(with_write_tasks),
            "domains_with_verified_episode": len(verified), "domains_with_verified_write": len(writes),
            "share_verified": round(len(verified) / max(len(domains), 1), 3),
            "share_verified_write": round(len(writes) / max(len(domains), 1), 3),
            "wall_s": round(wall, 1), "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime
                                                      - before.ru_stime, 1),
            "peak_rss_mib": round(after.ru_maxrss / 1024),
            "without_verified_episode": sorted(set(domains) - set(verified))[:200],
            "without_verified_write": sorted(set(domains) - set(writes))[:200],
            "stderr_tail": p.stderr[-2000:] if p.returncode else ""}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench_openapi"))
    ap.add_argument("--out", type=Path)
    ap.add_argument("--simulate", type=int, default=0)
    ap.add_argument("--simulate-all", type=int, default=0, metavar="K")
    ap.add_argument("--jobs", type=int, default=2, help="simulate workers with --simulate-all")
    ap.add_argument("--skip-import", action="store_true")
    a = ap.parse_args()
    specs, build = a.work / "specs", a.work / "build"
    result: dict = {}
    if not a.skip_import:
        import shutil

        shutil.rmtree(a.work, ignore_errors=True)
        result["import"] = child(IMPORT.format(src=str(a.folder.resolve()), out=str(specs), build=str(build)))
        imp = result["import"]
        imp["share_imported"] = round(imp["http_imported"] / max(imp["http_operations"], 1), 4)
        print("import", json.dumps(imp), flush=True)
        result["compile"] = child(COMPILE.format(specs=str(specs), build=str(build), force=False))
        print("compile", json.dumps(result["compile"]), flush=True)
    if a.simulate:
        result["simulate"] = simulate(specs, a.simulate, a.work)
        print("simulate", json.dumps({k: v for k, v in result["simulate"].items() if k != "failures"}), flush=True)
    if a.simulate_all:
        result["simulate_all"] = simulate_all(specs, a.simulate_all, a.work, a.jobs)
        print("simulate_all", json.dumps({k: v for k, v in result["simulate_all"].items()
                                          if not k.startswith("without")}), flush=True)
    if a.out:
        a.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
