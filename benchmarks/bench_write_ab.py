"""Write calls with and without known rows, batched updates and Python-side row hashes, in one process.

    python benchmarks/bench_write_ab.py [--calls 300] [--json out.json]

On a shared machine, runs of two versions minutes apart differ by more than the change being measured, so this
compares them call by call: for each sample the same call runs with the three mechanisms switched off (the
earlier statement pattern: every read by key a SELECT, one UPDATE per row, touched rows hashed by DuckDB at the
digest) and then switched on, after a reset each time, on benchmarks/specs/shop_retail.env.yaml. "on" is warm:
every row the calls read was read once before, as in a process that has run a few episodes of the domain.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench_runtime import SPEC, call_args, episode_calls, run_episode

from ascc.runtime import known
from ascc.runtime.context import Context
from ascc.runtime.domain import compile_and_load
from ascc.runtime.env import Environment

_ON = {"get": known.KnownRows.get, "wrote": known.KnownRows.wrote, "batches": Context._batches}


def switch(on: bool) -> None:
    known.KnownRows.get = _ON["get"] if on else (lambda self, entity, key: known.UNKNOWN)
    known.KnownRows.wrote = _ON["wrote"] if on else (lambda self, entity, key, row: known.UNKNOWN)
    Context._batches = _ON["batches"] if on else (lambda self, pending: {})


def med(xs: list[float]) -> float:
    return round(statistics.median(xs) * 1e3, 3)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--json", type=Path)
    opts = ap.parse_args(argv)
    domain = compile_and_load(SPEC, Path(tempfile.gettempdir()) / "ascc-bench-runtime")
    env = Environment(domain)
    state, rng, res = env.state(), random.Random(1), {}
    for tool in ["get_order", "get_customer", "cancel_pending_order", "change_item_quantity"]:
        args = [call_args(state, tool, rng) for _ in range(opts.calls)]
        switch(True)
        for a in args:  # warm
            env.reset()
            env.call(tool, a)
        off, on = [], []
        for a in args:
            for flag, out in ((False, off), (True, on)):
                switch(flag)
                env.reset()
                t = time.perf_counter()
                env.call(tool, a)
                out.append(time.perf_counter() - t)
        res[tool] = {"off_ms": med(off), "on_ms": med(on)}
    digest = {False: [], True: []}
    episode = {False: [], True: []}
    for i, calls in enumerate(episode_calls(state, s) for s in range(opts.calls // 2)):
        cancel = call_args(state, "cancel_pending_order", random.Random(i))
        for flag in (False, True):
            switch(flag)
            env.reset()
            env.call("cancel_pending_order", cancel)
            t = time.perf_counter()
            env.digest()
            digest[flag].append(time.perf_counter() - t)
            t = time.perf_counter()
            run_episode(env, calls)
            episode[flag].append(time.perf_counter() - t)
    switch(True)
    res["digest_after_write"] = {"off_ms": med(digest[False]), "on_ms": med(digest[True])}
    res["episode"] = {"off_ms": med(episode[False]), "on_ms": med(episode[True])}
    env.close()
    print(json.dumps(res, indent=2))
    if opts.json:
        opts.json.write_text(json.dumps(res, indent=2) + "\n")
    return res


if __name__ == "__main__":
    main()
