"""τ²-bench's own environment and ascc side by side: gold replay + verify on the same imported tasks.

    python benchmarks/bench_tau2_side.py --setup --tau2-src PATH [--tau-bench-src PATH]  # once: τ² into a venv
    python benchmarks/bench_tau2_side.py [--repeats 3] [--domains retail airline] [--fidelity] [--json out.json]

`--setup` installs τ²-bench from a local copy of its repository (a checkout, or a git directory: its HEAD is
read with `git archive`) into a virtual environment under `--work` (default: <tmp>/ascc-bench-tau2): the
package itself without dependency resolution (τ² declares Python >= 3.12; its source runs on 3.11, so
`--ignore-requires-python`), then its declared dependencies from the pip index. Nothing is fetched at run time.
Without that venv the benchmark says so and exits 0.

Per domain, τ²'s data folder (db.json, tasks.json) is imported with `ascc import tau2` (cached under --work), and
each imported task is run in both systems, interleaved task by task (the order of the two alternates), in one
process tree: ascc in this process, τ² in one worker process of the venv's Python that times itself. One run of
a task is, for both, what verifying a task's gold actions needs from one environment:

- τ²: reset = `<Domain>DB.load(db.json)` + `get_environment(db)` + `set_state(...)` (its evaluator builds a
  fresh environment from the file for every task), each gold action by `make_tool_call` (errors swallowed, as
  its evaluator does), digest = `get_db_hash()` + `get_user_db_hash()`, compare = equality with the hash of a
  first run; its logger is silenced (which favours τ²).
- ascc: reset = `env.reset(**initial_state)`, each gold call by `env.call`, digest = `env.digest()`, compare =
  equality with the task's `gold_digest` (every task must match: this is the fidelity check too).

With `--fidelity`, each task's final state in ascc (after its gold calls) is also compared, row by row, with τ²'s
own final DB after the same gold actions (its pydantic dump converted as `ascc import tau2` converts data; nulls
left out, numbers compared as floats to 6 places), and the tasks that differ are listed.

Reported per domain: medians per task of the total and of each part (reset, call, digest, compare) for both,
the ratio of the medians per repeat, and the median of those ratios. A domain whose db is missing from the
source (a snapshot may leave out large files) is skipped with the reason. For airline, `--setup
--tau-bench-src PATH` assembles the missing db.json from τ-bench v1's airline data (τ²'s airline data are those
records: τ²'s FlightDB validates them once each user carries its id, and τ²'s 50 airline tasks' gold actions run
on them), checks it with τ²'s own FlightDB, and labels it (db.origin.json; `data_origin` in the output). Else,
with `--airline-fixture-scale`, airline runs on τ²'s fixture tasks (tests/fixtures/tau2/airline) over a db
padded to τ²'s scale (300 flights of 30 dates, 500 users, 2,000 reservations: copies of the fixture's records).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "tau2"
DOMAINS = ("retail", "airline")
DB_CLASSES = {"retail": "tau2.domains.retail.data_model.RetailDB", "airline": "tau2.domains.airline.data_model.FlightDB"}


# ---- setup: τ²-bench from local source into a venv


def _is_git_dir(p: Path) -> bool:
    return (p / "HEAD").is_file() and (p / "objects").is_dir()


def copy_source(src: Path, dest: Path) -> list[str]:
    """τ²'s package source and its retail/airline data into dest; returns the data files that were absent."""
    wanted = ["pyproject.toml", "README.md", "src"]
    data = [f"data/tau2/domains/{d}/{f}" for d in DOMAINS for f in ("db.json", "tasks.json", "split_tasks.json",
                                                                     "policy.md")]
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    missing = []
    git_dir = src if _is_git_dir(src) else src / ".git" if _is_git_dir(src / ".git") else None
    if git_dir is not None:
        def present(path):
            return subprocess.run(["git", "--git-dir", str(git_dir), "cat-file", "-e", f"HEAD:{path}"],
                                  capture_output=True).returncode == 0
        paths = [p for p in wanted if present(p)]
        for p in data:
            (paths if present(p) else missing).append(p)
        tar = subprocess.run(["git", "--git-dir", str(git_dir), "archive", "HEAD", *paths], capture_output=True,
                             check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=tar, check=True)
    else:
        for p in wanted + data:
            s = src / p
            if s.is_dir():
                shutil.copytree(s, dest / p)
            elif s.is_file():
                (dest / p).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(s, dest / p)
            elif p in data:
                missing.append(p)
    return missing


TAU_BENCH_AIRLINE = "tau_bench/envs/airline/data"
AIRLINE_DB = "data/tau2/domains/airline/db.json"
ORIGIN = "db.origin.json"  # next to a db.json that is not τ²'s own file: where it came from


def airline_from_tau_bench(src: Path, dest: Path) -> dict:
    """τ²'s airline db.json assembled from τ-bench v1's airline data (a checkout or git directory of
    sierra-research/tau-bench): τ²'s `FlightDB` is {"flights", "users", "reservations"} of the same records, each
    user with its key as `user_id` too (v1 keys users by id only). Written to dest/db.json with dest/ORIGIN."""
    git_dir = src if _is_git_dir(src) else src / ".git" if _is_git_dir(src / ".git") else None

    def read(name: str) -> dict:
        path = f"{TAU_BENCH_AIRLINE}/{name}.json"
        if git_dir is None:
            return json.loads((src / path).read_text())
        return json.loads(subprocess.run(["git", "--git-dir", str(git_dir), "show", f"HEAD:{path}"],
                                         capture_output=True, check=True).stdout)

    db = {k: read(k) for k in ("flights", "users", "reservations")}
    db["users"] = {uid: {"user_id": uid, **u} for uid, u in db["users"].items()}
    commit = (subprocess.run(["git", "--git-dir", str(git_dir), "rev-parse", "HEAD"], capture_output=True,
                             text=True).stdout.strip() if git_dir is not None else None)
    origin = {"source": f"τ-bench v1 {TAU_BENCH_AIRLINE}/{{flights,users,reservations}}.json, assembled by "
                        "bench_tau2_side.py --tau-bench-src (τ²'s own airline db.json was absent)",
              "tau_bench": str(src), "commit": commit, **{k: len(v) for k, v in db.items()}}
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "db.json").write_text(json.dumps(db, indent=2))
    (dest / ORIGIN).write_text(json.dumps(origin, indent=2) + "\n")
    return origin


def setup(src: Path, work: Path, tau_bench: Path | None = None) -> None:
    missing = copy_source(src, work / "src")
    assembled = None
    if AIRLINE_DB in missing and tau_bench is not None:
        assembled = airline_from_tau_bench(tau_bench, work / "src" / Path(AIRLINE_DB).parent)
        missing.remove(AIRLINE_DB)
    venv = work / "venv"
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--no-deps", "--ignore-requires-python", str(work / "src")], check=True)
    deps = tomllib.loads((work / "src" / "pyproject.toml").read_text())["project"]["dependencies"]
    r = subprocess.run([*pip, *deps])
    if r.returncode:
        sys.exit(f"τ²-bench's dependencies did not install from the pip index ({' '.join(deps)}): see pip's "
                 "output above; the benchmark cannot run τ² without them")
    if assembled is not None:  # τ²'s own model must take it, or the benchmark would measure something else
        check = ("import json, sys; from tau2.domains.airline.data_model import FlightDB; "
                 "print(json.dumps(FlightDB.load(sys.argv[1]).get_statistics()))")
        r = subprocess.run([str(venv / "bin" / "python"), "-c", check, str(work / "src" / AIRLINE_DB)],
                           capture_output=True, text=True, env={**os.environ, "TAU2_DATA_DIR": str(work / "src" / "data")})
        if r.returncode:
            sys.exit(f"the airline db.json assembled from τ-bench v1 does not validate as τ²'s FlightDB:\n{r.stderr[-2000:]}")
        print(f"airline db.json assembled from τ-bench v1 ({assembled['tau_bench']}"
              f"{' @ ' + assembled['commit'][:12] if assembled['commit'] else ''}), validated by τ²'s FlightDB: "
              f"{r.stdout.strip().splitlines()[-1]}")
    print(f"τ²-bench installed in {venv}" + (f"; absent from the source: {', '.join(missing)}" if missing else ""))


# ---- the τ² worker (runs in the venv's Python)


def worker() -> None:
    from loguru import logger

    logger.remove()
    import importlib

    from tau2.data_model.tasks import Task

    state: dict = {}
    for line in sys.stdin:
        req = json.loads(line)
        if req["op"] == "load":
            mod, cls = DB_CLASSES[req["domain"]].rsplit(".", 1)
            state["db_class"] = getattr(importlib.import_module(mod), cls)
            state["get_environment"] = importlib.import_module(
                f"tau2.domains.{req['domain']}.environment").get_environment
            state["db_path"] = req["db"]
            raw = json.loads(Path(req["tasks"]).read_text())
            state["tasks"] = {t.id: t for t in (Task.model_validate(x) for x in raw)}
            state["hashes"] = {}
            out = {"tasks": len(state["tasks"])}
        elif req["op"] == "run":
            out = run_tau2_task(state, state["tasks"][req["task"]])
        elif req["op"] == "final":  # τ²'s own DB after the gold actions, as its pydantic dump
            run_tau2_task(state, state["tasks"][req["task"]])
            out = {"db": state["env"].tools.db.model_dump(mode="json")}
        else:
            return
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


def run_tau2_task(state: dict, task) -> dict:
    pc = time.perf_counter
    t0 = pc()
    env = state["env"] = state["get_environment"](db=state["db_class"].load(state["db_path"]))
    init = task.initial_state
    env.set_state(initialization_data=init.initialization_data if init else None,
                  initialization_actions=init.initialization_actions if init else None,
                  message_history=(init.message_history or []) if init else [])
    t1 = pc()
    calls = []
    for a in task.evaluation_criteria.actions or []:
        t = pc()
        try:
            env.make_tool_call(tool_name=a.name, requestor=a.requestor, **a.arguments)
        except Exception:  # noqa: BLE001 - τ²'s evaluator logs and goes on
            pass
        calls.append(pc() - t)
    t2 = pc()
    digest = (env.get_db_hash(), env.get_user_db_hash())
    t3 = pc()
    match = state["hashes"].setdefault(task.id, digest) == digest
    t4 = pc()
    return {"reset": t1 - t0, "calls": calls, "digest": t3 - t2, "compare": t4 - t3, "total": t4 - t0,
            "match": match}


# ---- ascc


def run_ascc_task(env, task) -> dict:
    pc = time.perf_counter
    t0 = pc()
    env.reset(**task.initial_state.reset_kwargs())
    t1 = pc()
    calls = []
    for c in task.gold_calls:
        t = pc()
        env.call(c.tool, c.arguments)
        calls.append(pc() - t)
    t2 = pc()
    digest = env.digest()
    t3 = pc()
    match = digest == task.gold_digest
    t4 = pc()
    return {"reset": t1 - t0, "calls": calls, "digest": t3 - t2, "compare": t4 - t3, "total": t4 - t0,
            "match": match}


def _plain(v):
    """A state value for comparing ascc with τ²: nulls left out of objects (τ²'s dump writes every optional
    field, ascc's structs every field), numbers as floats rounded to 6 places (ascc's decimals, τ²'s floats)."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        return round(float(v), 6)
    return v


def state_differences(domain: str, spec: Path, keys: dict, ascc_state: dict, tau2_db: dict) -> list[tuple[str, str]]:
    """(entity, key) of every row where ascc's state differs from τ²'s DB, converted as `ascc import tau2`
    converts τ²'s data (the same records, the same checks)."""
    from ascc.importers.tau2 import DOMAINS as MAPS
    from ascc.importers.tau2 import ImportReport, convert_records
    from ascc.runtime.env import to_jsonable

    theirs, _ = convert_records(tau2_db, None, MAPS[domain], spec, ImportReport(domain, "", str(spec)))
    out = []
    for entity, key in keys.items():
        a = {str(r[key]): _plain(to_jsonable(r)) for r in ascc_state.get(entity, [])}
        b = {str(r[key]): _plain(r) for r in theirs.get(entity, [])}
        out += [(entity, k) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    return out


# ---- airline at τ²'s scale from the fixture (when the real db.json is not in the source)


def padded_airline(dest: Path, flights: int = 300, users: int = 500, reservations: int = 2000) -> Path:
    """τ²'s airline fixture (its records and tasks unchanged) plus copies of its records under new ids, up to
    τ²'s scale; each padded flight gets 30 dates (2024-05-01…30) cycling through the fixture's date entries."""
    db = json.loads((FIXTURES / "airline" / "db.json").read_text())
    fl, us, rs = db["flights"], db["users"], db["reservations"]
    base_f, base_u, base_r = list(fl.values()), list(us.values()), list(rs.values())
    dates = [d for f in base_f for d in f["dates"].values()]
    for i in range(flights - len(fl)):
        f = copy.deepcopy(base_f[i % len(base_f)])
        f["flight_number"] = num = f"HAT{900 + i:04d}"
        f["dates"] = {f"2024-05-{d:02d}": copy.deepcopy(dates[(i + d) % len(dates)]) for d in range(1, 31)}
        fl[num] = f
    new_users = []
    for i in range(users - len(us)):
        u = copy.deepcopy(base_u[i % len(base_u)])
        u["user_id"] = uid = f"pad_user_{i:04d}"
        u["email"] = f"pad{i}@example.com"
        u["reservations"] = []
        us[uid] = u
        new_users.append(u)
    for i in range(reservations - len(rs)):
        r = copy.deepcopy(base_r[i % len(base_r)])
        u = new_users[i % len(new_users)]
        r["reservation_id"] = rid = f"P{i:05d}"
        r["user_id"] = u["user_id"]
        pm = next(iter(u["payment_methods"]))
        r["payment_history"] = [{**p, "payment_id": pm} for p in r["payment_history"]]
        u["reservations"].append(rid)
        rs[rid] = r
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "db.json").write_text(json.dumps(db, indent=4))
    shutil.copy2(FIXTURES / "airline" / "tasks.json", dest / "tasks.json")
    return dest


# ---- the run


def med_ms(xs) -> float:
    return round(statistics.median(xs) * 1e3, 3) if xs else 0.0


def summarize(runs: list[dict]) -> dict:
    calls = [c for r in runs for c in r["calls"]]
    return {"task_ms": med_ms([r["total"] for r in runs]), "reset_ms": med_ms([r["reset"] for r in runs]),
            "call_ms": med_ms(calls), "calls_per_task": round(len(calls) / max(len(runs), 1), 2),
            "digest_ms": med_ms([r["digest"] for r in runs]), "compare_ms": med_ms([r["compare"] for r in runs]),
            "mean_task_ms": round(statistics.fmean(r["total"] for r in runs) * 1e3, 3),
            "mismatches": sum(not r["match"] for r in runs)}


def bench_domain(domain: str, data: Path, work: Path, venv_python: Path, repeats: int, limit: int | None,
                 fidelity: bool = False) -> dict:
    from ascc.importers.tau2 import import_tau2
    from ascc.runtime.domain import compile_and_load
    from ascc.runtime.env import Environment
    from ascc.runtime.tasks import load_tasks

    out = work / "import" / data.name / domain
    if not (out / domain / "tasks.jsonl").exists():
        import_tau2(data, out, domain)
    tasks = load_tasks(out / domain / "tasks.jsonl")[:limit]
    env = Environment(compile_and_load(out / f"{domain}.env.yaml", out / "build"))
    proc = subprocess.Popen([str(venv_python), __file__, "--worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "TAU2_DATA_DIR": str(work / "src" / "data")})

    def ask(req: dict) -> dict:
        proc.stdin.write(json.dumps(req) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the τ² worker ended; run with its stderr for the reason")
        return json.loads(line)

    ask({"op": "load", "domain": domain, "db": str(data / "db.json"), "tasks": str(data / "tasks.json")})
    for t in tasks:  # warm both (imports, first reads, τ²'s first hashes)
        ask({"op": "run", "task": t.id})
        run_ascc_task(env, t)
    differing = {}
    keys = {e: ent.key for e, ent in env.domain.info.entities.items()}  # the key column of each entity
    if fidelity:  # every task's final state in ascc against τ²'s own final DB, row by row
        for t in tasks:
            theirs = ask({"op": "final", "task": t.id})["db"]
            run_ascc_task(env, t)
            diff = state_differences(domain, out / f"{domain}.env.yaml", keys, env.state(), theirs)
            if diff:
                differing[t.id] = diff[:5]
    per_repeat = []
    for r in range(repeats):
        tau, asc = [], []
        for i, t in enumerate(tasks):
            if (i + r) % 2:
                asc.append(run_ascc_task(env, t))
                tau.append(ask({"op": "run", "task": t.id}))
            else:
                tau.append(ask({"op": "run", "task": t.id}))
                asc.append(run_ascc_task(env, t))
        per_repeat.append({"tau2": summarize(tau), "ascc": summarize(asc)})
    proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
    proc.stdin.close()
    proc.wait(timeout=30)
    env.close()
    ratios = [round(p["tau2"]["task_ms"] / p["ascc"]["task_ms"], 1) for p in per_repeat]
    res = {"tasks": len(tasks), "gold_calls": sum(len(t.gold_calls) for t in tasks), "repeats": per_repeat,
           "ratio_per_repeat": ratios, "ratio_median": statistics.median(ratios),
           "ascc_mismatches": sum(p["ascc"]["mismatches"] for p in per_repeat)}
    if fidelity:
        res["fidelity"] = {"tasks_checked": len(tasks), "tasks_reaching_tau2_final_state": len(tasks) - len(differing),
                           "differing": differing}
    return res


def main(argv=None) -> dict | None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--setup", action="store_true", help="install τ²-bench from --tau2-src into --work's venv")
    ap.add_argument("--tau2-src", type=Path, help="a local τ²-bench checkout or git directory (for --setup)")
    ap.add_argument("--tau-bench-src", type=Path,
                    help="with --setup: a local τ-bench (v1) checkout or git directory; when τ²'s airline db.json is "
                         "absent from --tau2-src, it is assembled from τ-bench v1's airline data (labelled as such)")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ascc-bench-tau2")
    ap.add_argument("--domains", nargs="+", default=list(DOMAINS), choices=DOMAINS)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--limit", type=int, help="at most this many tasks per domain")
    ap.add_argument("--airline-fixture-scale", action="store_true",
                    help="without τ²'s airline db.json, run airline on the fixture padded to τ²'s scale")
    ap.add_argument("--fidelity", action="store_true",
                    help="also compare every task's final state in ascc with τ²'s own final DB, row by row")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if opts.worker:
        worker()
        return None
    if opts.setup:
        if not opts.tau2_src:
            ap.error("--setup needs --tau2-src PATH (a local τ²-bench checkout or git directory)")
        setup(opts.tau2_src, opts.work, opts.tau_bench_src)
        return None
    venv_python = opts.work / "venv" / "bin" / "python"
    if not venv_python.exists():
        print(f"skipped: τ²-bench is not installed under {opts.work}; run `python {Path(__file__).name} --setup "
              "--tau2-src PATH` with a local τ²-bench checkout first")
        return None
    res: dict = {"machine_load": os.getloadavg(), "domains": {}}
    for domain in opts.domains:
        data = opts.work / "src" / "data" / "tau2" / "domains" / domain
        if not (data / "db.json").exists():
            if domain == "airline" and opts.airline_fixture_scale:
                data = padded_airline(opts.work / "airline-fixture-scale")
            else:
                msg = f"skipped: {data / 'db.json'} is absent from the τ²-bench source"
                print(f"{domain}: {msg}", file=sys.stderr)
                res["domains"][domain] = {"skipped": msg}
                continue
        r = bench_domain(domain, data, opts.work, venv_python, opts.repeats, opts.limit, opts.fidelity)
        r["data"] = str(data)
        if (data / ORIGIN).exists():
            r["data_origin"] = json.loads((data / ORIGIN).read_text())
            print(f"{domain}: db.json is not τ²'s own file: {r['data_origin']['source']}", file=sys.stderr)
        res["domains"][domain] = r
        last = r["repeats"][-1]
        print(f"{domain}: {r['tasks']} tasks, {r['gold_calls']} gold calls; τ² {last['tau2']['task_ms']} ms/task, "
              f"ascc {last['ascc']['task_ms']} ms/task; ratio per repeat {r['ratio_per_repeat']}, median "
              f"{r['ratio_median']}×; ascc digest mismatches {r['ascc_mismatches']}", file=sys.stderr)
        if opts.fidelity:
            f = r["fidelity"]
            print(f"{domain}: {f['tasks_reaching_tau2_final_state']} of {f['tasks_checked']} tasks reach τ²'s own "
                  f"final state" + (f"; differing: {sorted(f['differing'])}" if f["differing"] else ""),
                  file=sys.stderr)
    print(json.dumps(res, indent=2))
    if opts.json:
        opts.json.write_text(json.dumps(res, indent=2) + "\n")
    return res


if __name__ == "__main__":
    main()
