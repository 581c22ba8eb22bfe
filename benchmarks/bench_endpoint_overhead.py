"""Environment overhead in rollouts against an endpoint: the share of a rollout's wall time spent in ascc.

    python benchmarks/bench_endpoint_overhead.py [--rollouts 8] [--latency-ms 200] [--json out.json]

The endpoint is tests/sim/fake_openai_server.py on 127.0.0.1 with an artificial latency per completion (200 ms
by default: a short completion from a served 7-8B model), reached through the real `openai` client by the
`openai` agent and the LLM user backends. Each rollout is a τ-bench-retail-sized conversation on
benchmarks/specs/shop_retail.env.yaml: the user's opening message, 15 tool calls (12 reads, 3 writes, from
bench_runtime.episode_calls) each in its own agent turn, the agent's closing text, and the LLM user's `###STOP###`
— 17 completions. The environment's part is timed around `reset`, every `call` and the final `digest`; the rest
of the wall time is the endpoint (latency) and the client (HTTP, JSON, retries machinery, the event loop).
Rollouts run one at a time, then all at once (one event loop, the endpoint's concurrency limit = rollouts, one
environment per rollout, tool calls run inline on the loop as a simulator's would).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests" / "sim")]

from bench_runtime import SPEC, episode_calls  # noqa: E402
from fake_openai_server import FakeOpenAI  # noqa: E402

from ascc.runtime.domain import compile_and_load  # noqa: E402
from ascc.runtime.env import Environment, to_jsonable  # noqa: E402
from ascc.sim.backends.endpoint import EndpointConfig  # noqa: E402
from ascc.sim.backends.llm_user import LLMUser  # noqa: E402
from ascc.sim.backends.openai_agent import OpenAIAgent  # noqa: E402


def replay_responder(plans: list[list[tuple[str, dict]]]):
    """The endpoint's agent model `replay:<i>`: rollout i's planned calls one per turn, then a closing text."""
    def respond(body: dict) -> dict:
        plan = plans[int(body["model"].partition(":")[2])]
        made = sum(1 for m in body["messages"] if m.get("role") == "assistant" and m.get("tool_calls"))
        if made == len(plan):
            return {"content": "All done: your orders are updated."}
        name, args = plan[made]
        call = {"id": f"call_{made}", "type": "function",
                "function": {"name": name, "arguments": json.dumps(to_jsonable(args))}}
        return {"content": None, "tool_calls": [call]}
    return respond


async def rollout(env: Environment, agent: OpenAIAgent, user: LLMUser, policy: str, tools: list[dict]) -> dict:
    """One conversation; returns its wall time, environment time and completion count."""
    start = time.perf_counter()
    t = time.perf_counter()
    env.reset()
    reset_s = time.perf_counter() - t
    calls_s = 0.0
    messages = [{"role": "system", "content": policy}, {"role": "user", "content": "Hi, I need help with my orders."}]
    completions = 0
    while True:
        turn = await agent.respond(messages, tools)
        completions += 1
        assert turn.error is None, turn.error
        messages.append(turn.message)
        for call in turn.message.get("tool_calls", []):
            t = time.perf_counter()
            result = env.call(call["function"]["name"], call["function"]["arguments"])
            calls_s += time.perf_counter() - t
            messages.append({"role": "tool", "tool_call_id": call["id"], "name": result.tool,
                             "content": result.content})
        if turn.message.get("tool_calls"):
            continue
        reply = await user.reply(messages)
        completions += 1
        messages.append({"role": "user", "content": reply.text})
        if reply.stop:
            break
    t = time.perf_counter()
    env.digest()
    digest_s = time.perf_counter() - t
    return {"wall_s": time.perf_counter() - start, "env_s": reset_s + calls_s + digest_s, "reset_s": reset_s,
            "calls_s": calls_s, "digest_s": digest_s, "completions": completions}


async def run_all(envs, server: FakeOpenAI, count: int, concurrent: bool, policy: str, tools: list[dict]):
    config = EndpointConfig(server.url, "bench", max_retries=0, max_concurrency=max(count, 1))
    user = LLMUser("user-stop", {"instructions": "Fix my orders."}, config)
    jobs = [rollout(envs[i], OpenAIAgent(f"replay:{i}", config), user, policy, tools) for i in range(count)]
    if concurrent:
        return await asyncio.gather(*jobs)
    return [await job for job in jobs]


def summarize(results: list[dict], latency_s: float, wall_s: float) -> dict:
    share = [r["env_s"] / r["wall_s"] for r in results]
    client = [(r["wall_s"] - r["env_s"] - r["completions"] * latency_s) / r["completions"] for r in results]
    return {"rollouts": len(results), "batch_wall_s": round(wall_s, 3),
            "rollout_wall_s_median": round(statistics.median(r["wall_s"] for r in results), 3),
            "env_ms_median": round(statistics.median(r["env_s"] for r in results) * 1e3, 2),
            **{f"{part}_ms_median": round(statistics.median(r[f"{part}_s"] for r in results) * 1e3, 2)
               for part in ("reset", "calls", "digest")},
            "env_share_median_pct": round(statistics.median(share) * 100, 3),
            "env_share_max_pct": round(max(share) * 100, 3),
            "env_share_of_batch_pct": round(sum(r["env_s"] for r in results) / wall_s * 100, 3),
            "client_overhead_ms_per_completion": round(statistics.median(client) * 1e3, 2),
            "completions_per_rollout": results[0]["completions"]}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rollouts", type=int, default=8)
    ap.add_argument("--latency-ms", type=float, default=200.0)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--build", type=Path, default=Path(tempfile.gettempdir()) / "ascc-bench-runtime")
    opts = ap.parse_args(argv)
    domain = compile_and_load(SPEC, opts.build)
    envs = [Environment(domain) for _ in range(opts.rollouts)]
    state = envs[0].state()
    plans = [episode_calls(state, seed) for seed in range(opts.rollouts)]
    tools, policy = domain.schemas, domain.policy
    res: dict = {"latency_ms_per_completion": opts.latency_ms, "tools_offered": len(tools)}
    with FakeOpenAI(latency_s=opts.latency_ms / 1e3) as server:
        server.add("replay", replay_responder(plans))
        asyncio.run(run_all(envs, server, 1, False, policy, tools))  # warm: imports, connections, DuckDB caches
        for label, concurrent in (("sequential", False), ("concurrent", True)):
            start = time.perf_counter()
            results = asyncio.run(run_all(envs, server, opts.rollouts, concurrent, policy, tools))
            res[label] = summarize(results, opts.latency_ms / 1e3, time.perf_counter() - start)
    for env in envs:
        env.close()
    res["goal_env_share_below_2pct"] = all(res[k]["env_share_max_pct"] < 2 for k in ("sequential", "concurrent"))
    print(json.dumps(res, indent=2))
    if opts.json:
        opts.json.write_text(json.dumps(res, indent=2) + "\n")
    return res


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
