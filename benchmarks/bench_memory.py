"""Memory of live environments: the RSS of N concurrent retail environments, each after an episode.

    python benchmarks/bench_memory.py [--envs 1000] [--own-db-envs 50] [--json out.json]

Each measure runs in a fresh process: load the domain (specs/retail.env.yaml: 500 users, 1,000 orders, 50
products), run one warm-up environment, then open N environments and run an episode in each (reset, a read by
key, a whole-table search, a cancellation that writes an order and a user, the digest), keeping all of them
open. Reported: the process's RSS before and after (VmRSS, and the peak VmHWM), MiB per environment and
environments per GiB. Measured twice: as the runtime runs by default (an environment makes its own DuckDB
database only when a statement needs one; until then it reads the domain's shared database and keeps its
writes in its backlog), and with `ASCC_LAZY_DB=0 ASCC_LAZY_WRITES=0` (a database per environment from the start,
as before), on fewer environments, since each costs ~9 MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "retail.env.yaml"
# ids of the deterministic seed of specs/retail.env.yaml (tests/domains/test_retail.py)
USER, EMAIL, ORDERS = "willie_roach_1067", "Willie.Roach3921@EXAMPLE.com", ["#W0228702", "#W0048821", "#W0267397"]


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def episode(env, i: int) -> str:
    env.reset()
    env.call("get_user_details", {"user_id": USER})
    env.call("find_user_id_by_email", {"email": EMAIL})
    r = env.call("cancel_pending_order", {"order_id": ORDERS[i % len(ORDERS)], "reason": "no longer needed"})
    assert r.ok, r.content
    return env.digest()


def child(n: int, build: Path) -> dict:
    from ascc.runtime.domain import compile_and_load
    from ascc.runtime.env import Environment

    domain = compile_and_load(SPEC, build)
    warm = Environment(domain)
    episode(warm, 0)
    before = _status("VmRSS")
    t = time.perf_counter()
    envs = [Environment(domain) for _ in range(n)]
    digests = {episode(e, i) for i, e in enumerate(envs)}
    seconds = time.perf_counter() - t
    after = _status("VmRSS")
    own = sum(e._con is not None for e in envs)
    per = (after - before) / n
    return {"envs": n, "rss_before_mib": round(before, 1), "rss_after_mib": round(after, 1),
            "peak_mib": round(_status("VmHWM"), 1), "mib_per_env": round(per, 4),
            "envs_per_gib": round(1024 / per) if per > 0 else None, "with_own_db": own,
            "distinct_digests": len(digests), "ms_per_env_open_and_episode": round(seconds / n * 1e3, 2),
            "projected_1000_envs_mib": round(before + 1000 * per, 1)}


def run_child(n: int, build: Path, env_vars: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(n), "--build", str(build)], capture_output=True,
                         text=True, env={**os.environ, **env_vars}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> dict | None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--envs", type=int, default=1000)
    ap.add_argument("--own-db-envs", type=int, default=50, help="environments for the database-per-environment run")
    ap.add_argument("--build", type=Path, default=Path(tempfile.gettempdir()) / "ascc-bench-memory")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if opts.child is not None:
        print(json.dumps(child(opts.child, opts.build)))
        return None
    res = {"machine_load": os.getloadavg(),
           "default": run_child(opts.envs, opts.build, {}),
           "own_db_each": run_child(opts.own_db_envs, opts.build, {"ASCC_LAZY_DB": "0", "ASCC_LAZY_WRITES": "0"})}
    print(json.dumps(res, indent=2))
    if opts.json:
        opts.json.write_text(json.dumps(res, indent=2) + "\n")
    return res


if __name__ == "__main__":
    main()
