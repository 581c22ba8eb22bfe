"""Many environments at once: threads over one CompiledDomain, and a process pool, match a sequential run."""

from __future__ import annotations

import multiprocessing
import random
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment


def episode_calls(state: dict, seed: int, n: int = 30) -> list[tuple[str, dict]]:
    """A random but valid-looking shop episode (some calls are refused, as in real episodes)."""
    rng = random.Random(seed)
    orders, customers = state["order"], state["customer"]
    calls = []
    for _ in range(n):
        o, c = rng.choice(orders), rng.choice(customers)
        calls.append(rng.choice([
            ("get_order", {"order_id": o["order_id"]}),
            ("get_customer", {"customer_id": c["customer_id"]}),
            ("find_customer_by_email", {"email": c["email"].upper()}),
            ("cancel_pending_order", {"order_id": o["order_id"], "reason": "no longer needed"}),
            ("change_item_quantity", {"order_id": o["order_id"], "sku": o["items"][0]["sku"],
                                      "quantity": rng.randint(1, 4)}),
            ("list_products_under", {"max_price": rng.choice([5, 50, 500])}),
        ]))
    return calls


def run_episodes(env: Environment, episodes: list[list[tuple[str, dict]]]) -> list:
    out = []
    for calls in episodes:
        env.reset()
        out.append(([env.call(n, a).content for n, a in calls], env.digest()))
    return out


def _worker(path: str, episodes) -> list:
    with Environment(load_domain(path)) as env:
        return run_episodes(env, episodes)


def _episodes(shop, count: int) -> list:
    with Environment(shop) as env:
        state = env.state()
    return [episode_calls(state, seed) for seed in range(count)]


def test_threads_match_sequential(shop):
    episodes = _episodes(shop, 16)
    with Environment(shop) as env:
        expected = run_episodes(env, episodes)
    assert len({d for _, d in expected}) > 4  # the episodes really differ
    chunks = [episodes[i::4] for i in range(4)]

    def work(chunk):
        with Environment(shop) as env:
            return run_episodes(env, chunk)

    for _ in range(2):
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(work, chunks))
        for i, got in enumerate(results):
            assert got == expected[i::4]


def test_process_pool_matches_sequential(shop):
    episodes = _episodes(shop, 8)
    with Environment(shop) as env:
        expected = run_episodes(env, episodes)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_worker, [str(shop.path)] * 2, [episodes[0::2], episodes[1::2]]))
    assert results == [expected[0::2], expected[1::2]]
