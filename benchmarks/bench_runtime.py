"""Runtime speed on a retail-sized state, next to a plain-Python τ-bench-style baseline in the same run.

    python benchmarks/bench_runtime.py [--episodes 200] [--json out.json]

The state is benchmarks/specs/shop_retail.env.yaml (the shop domain with 500 customers, 1,000 orders of three
line items, 600 products). Measured: reset; each tool's call latency (median, p99); the digest after a read,
after a write and from scratch; a whole episode (reset + 15 calls + digest); episodes/s with 1, 2 and 4 worker
processes; and the baseline: per episode a `json.loads` of the whole state, the same tool steps on dicts, and
`json.dumps` + sha256 for the verification, as τ-bench and τ²-bench do.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from ascc.runtime.domain import compile_and_load, load_domain
from ascc.runtime.env import Environment, to_jsonable

SPEC = Path(__file__).resolve().parent / "specs" / "shop_retail.env.yaml"
READS = ["get_order", "get_customer", "find_customer_by_email", "list_products_under"]
WRITES = ["cancel_pending_order", "change_item_quantity"]
TAU2_MS_PER_TASK = 151.0


def ms(xs: list[float]) -> dict:
    xs = sorted(xs)
    return {"median_ms": round(statistics.median(xs) * 1e3, 3), "p99_ms": round(xs[int(0.99 * (len(xs) - 1))] * 1e3, 3)}


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def tool_samples(env: Environment, tool: str, args: list[dict]) -> list[float]:
    samples = []
    for a in args:
        if tool in WRITES:
            env.reset()
        t = time.perf_counter()
        env.call(tool, a)
        samples.append(time.perf_counter() - t)
    return samples


def call_args(state: dict, tool: str, rng: random.Random) -> dict:
    o, c = rng.choice(state["order"]), rng.choice(state["customer"])
    pending = [x for x in state["order"] if x["status"] == "pending"]
    return {
        "get_order": lambda: {"order_id": o["order_id"]},
        "get_customer": lambda: {"customer_id": c["customer_id"]},
        "find_customer_by_email": lambda: {"email": c["email"]},
        "list_products_under": lambda: {"max_price": 20},
        "cancel_pending_order": lambda: {"order_id": rng.choice(pending)["order_id"], "reason": "no longer needed"},
        "change_item_quantity": lambda: (lambda p: {"order_id": p["order_id"], "sku": p["items"][1]["sku"],
                                                    "quantity": 1})(rng.choice(pending)),
    }[tool]()


def episode_calls(state: dict, seed: int) -> list[tuple[str, dict]]:
    """15 calls: 12 reads and 3 writes, like a τ-bench retail conversation."""
    rng = random.Random(seed)
    tools = [rng.choice(READS) for _ in range(12)] + WRITES + [WRITES[0]]
    rng.shuffle(tools)
    return [(t, call_args(state, t, rng)) for t in tools]


def run_episode(env: Environment, calls) -> str:
    env.reset()
    for name, args in calls:
        env.call(name, args)
    return env.digest()


# ---- the plain-Python baseline: the state as JSON, tools over dicts, sha256 of the whole JSON


class DictShop:
    def __init__(self, text: str):
        data = json.loads(text)
        self.customers = {c["customer_id"]: c for c in data["customer"]}
        self.products = {p["sku"]: p for p in data["product"]}
        self.orders = {o["order_id"]: o for o in data["order"]}

    def call(self, name: str, args: dict):
        try:
            return json.dumps(getattr(self, name)(**args))
        except (KeyError, ValueError) as exc:
            return json.dumps({"error": str(exc)})

    def get_order(self, order_id):
        return self.orders[order_id]

    def get_customer(self, customer_id):
        c = self.customers[customer_id]
        return {**c, "orders": [o["order_id"] for o in self.orders.values() if o["customer_id"] == customer_id]}

    def find_customer_by_email(self, email):
        for c in self.customers.values():
            if c["email"] == email.lower():
                return c["customer_id"]
        raise KeyError("Customer not found")

    def list_products_under(self, max_price):
        return sorted(({"sku": p["sku"], "title": p["title"], "price": p["price"]} for p in self.products.values()
                       if p["price"] < max_price and p["stock"] > 0), key=lambda p: (p["price"], p["sku"]))

    def cancel_pending_order(self, order_id, reason):
        o = self.orders[order_id]
        if o["status"] != "pending":
            raise ValueError("Non-pending order cannot be cancelled")
        o["status"], o["cancel_reason"] = "cancelled", reason
        gift = sum(p["amount"] for p in o["payments"] if p["method_id"] == "gift_card")
        self.customers[o["customer_id"]]["gift_card_balance"] += gift
        o["payments"] += [{"kind": "refund", "amount": p["amount"], "method_id": p["method_id"]} for p in o["payments"]]
        for it in o["items"]:
            self.products[it["sku"]]["stock"] += it["quantity"]
        return o

    def change_item_quantity(self, order_id, sku, quantity):
        o = self.orders[order_id]
        line = [i for i in o["items"] if i["sku"] == sku]
        if o["status"] != "pending" or len(line) != 1:
            raise ValueError("cannot change")
        delta = (quantity - line[0]["quantity"]) * line[0]["price"]
        self.products[sku]["stock"] -= quantity - line[0]["quantity"]
        line[0]["quantity"] = quantity
        self.customers[o["customer_id"]]["gift_card_balance"] -= delta
        return o

    def digest(self) -> str:
        state = {"customer": self.customers, "product": self.products, "order": self.orders}
        return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def baseline_episode(text: str, calls) -> str:
    shop = DictShop(text)
    for name, args in calls:
        shop.call(name, {k: float(v) if isinstance(v, Decimal) else v for k, v in args.items()})
    return shop.digest()


# ---- workers


def _worker(path: str, episodes: list) -> int:
    env = Environment(load_domain(path))
    for calls in episodes:
        run_episode(env, calls)
    return len(episodes)


def episodes_per_second(path: str, episodes: list, workers: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        pool.starmap(_worker, [(path, episodes[:2])] * workers)  # start and warm every worker
        t = time.perf_counter()
        done = sum(pool.starmap(_worker, [(path, episodes[i::workers]) for i in range(workers)]))
        return done / (time.perf_counter() - t)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=200)
    ap.add_argument("--calls", type=int, default=300, help="samples per tool")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--build", type=Path, default=Path(tempfile.gettempdir()) / "ascc-bench-runtime")
    opts = ap.parse_args(argv)
    domain = compile_and_load(SPEC, opts.build)
    env = Environment(domain)
    state = env.state()
    rng = random.Random(0)
    res: dict = {"state": {e: len(rows) for e, rows in state.items()}}

    env.digest()
    res["reset"] = ms(timed(env.reset, 500))
    res["tools"] = {}
    for tool in READS + WRITES:
        args = [call_args(state, tool, rng) for _ in range(opts.calls)]
        # cold: no row known in Python yet (a runtime without known rows has no such cache: the clear is a no-op);
        # warm: the same calls again, every row they read known since the first pass
        getattr(domain, "initial_rows", {}).clear()
        getattr(domain, "initial_tables", {}).clear()
        getattr(domain, "query_results", {}).clear()
        cold, warm = (tool_samples(env, tool, args) for _ in range(2))
        res["tools"][tool] = {"kind": "write" if tool in WRITES else "read", **ms(cold), "warm": ms(warm)}
    # the `sql:` tool with an argument not seen before each time: its query runs in DuckDB (no kept result)
    distinct = [{"max_price": 20 + i / 100} for i in range(1, opts.calls + 1)]
    assert all(env.call("list_products_under", a).ok for a in distinct[:1])
    res["tools"]["list_products_under"]["new_arguments"] = ms(tool_samples(env, "list_products_under", distinct[1:]))
    env.reset()
    env.call("get_order", call_args(state, "get_order", rng))
    res["digest_after_read"] = ms(timed(env.digest, 100))
    full = getattr(env, "full_digest", env.digest)
    res["digest_full"] = ms(timed(full, 50))

    def write_then_digest():
        env.reset()
        env.call(*episode_calls(state, rng.randrange(10 ** 6))[0])
        env.call("cancel_pending_order", call_args(state, "cancel_pending_order", rng))
        t = time.perf_counter()
        env.digest()
        return time.perf_counter() - t

    res["digest_after_write"] = ms([write_then_digest() for _ in range(50)])
    episodes = [episode_calls(state, s) for s in range(opts.episodes)]
    res["episode"] = ms([timed(lambda c=c: run_episode(env, c), 1)[0] for c in episodes])
    gold = [c[:5] for c in episodes]  # a τ²-retail task has ~4.8 gold actions: replay them and verify
    res["gold_replay_verify"] = ms([timed(lambda c=c: run_episode(env, c), 1)[0] for c in gold])
    res["speedup_vs_tau2_retail"] = round(TAU2_MS_PER_TASK / res["gold_replay_verify"]["median_ms"], 1)

    text = json.dumps(to_jsonable(state))
    res["baseline_episode"] = ms([timed(lambda c=c: baseline_episode(text, c), 1)[0] for c in episodes[:100]])
    res["baseline_over_ascc"] = round(res["baseline_episode"]["median_ms"] / res["episode"]["median_ms"], 2)
    res["episodes_per_s"] = {w: round(episodes_per_second(str(domain.path), episodes, w), 1) for w in (1, 2, 4)}
    env.close()
    print(json.dumps(res, indent=2))
    if opts.json:
        opts.json.write_text(json.dumps(res, indent=2) + "\n")
    return res


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
