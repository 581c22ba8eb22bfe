"""`ascc eval` throughput with a local `hf:` model: turns one at a time against turns of concurrent trials
generated as one batch (`ascc.sim.backends.hf_agent.BatchedGenerator`).

    python benchmarks/bench_hf_eval.py [--tasks 8] [--turns 3] [--max-tokens 24] [--repeats 3] [--device cpu]
                                       [--tokenizer DIR] [--json out.json]

Runs `ascc.eval.run.run_trials` on synthesized tasks of the shop domain (a ~1,000-token prompt with its tool
schemas) with the scripted user and a tiny random Llama with SmolLM2's tokenizer, greedy, on CPU, one torch
thread: `--concurrency 1` (every turn its own `generate`, as before batching) and `--concurrency 8` (the `hf:`
default now), alternating, medians of the repeats. The two must give the same conversations (greedy batching is
exact); the script checks that before it reports the ratio. It also times the same turns' prompts through
`generate` alone, one at a time and 8 at a time, without the rest of the eval (environments, tokenizing, the
event loop) around them: the batching's own gain.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from ascc.eval.run import EvalSettings, run_trials, synth_tasks
from ascc.runtime.domain import compile_and_load
from ascc.sim.backends import BackendOptions
from ascc.sim.backends.hf_agent import loaded_model
from ascc.trainer.model import load_tokenizer

SPEC = Path(__file__).parents[1] / "specs" / "shop.env.yaml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=8)
    ap.add_argument("--turns", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cpu", help="cpu, cuda (the GPU smoke script)")
    ap.add_argument("--tokenizer", type=Path, help="a saved tokenizer folder (default: SmolLM2's, from its GGUF)")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    torch.set_num_threads(1)
    tmp = Path(tempfile.mkdtemp())
    domain = compile_and_load(SPEC, tmp / "build")
    tasks = synth_tasks({domain.name: domain}, a.tasks, seed=1000)
    tok_dir = a.tokenizer.resolve() if a.tokenizer else tmp / "tok"
    if not a.tokenizer:
        load_tokenizer("smollm2").save_pretrained(tok_dir)
    agent = f"hf:tiny:{tok_dir}"
    options = BackendOptions(max_tokens=a.max_tokens, threads=1, device=a.device)
    generator = loaded_model(f"tiny:{tok_dir}", options.generation())[2]  # loaded once, outside the timing

    prompts: list = []
    real_run = generator.run

    def recording_run(batch):
        prompts.extend(r for r in batch if len(prompts) < a.tasks * a.turns)
        return real_run(batch)

    generator.run = recording_run

    def run(width: int) -> tuple[float, list, list[int]]:
        settings = EvalSettings(agent=agent, trials=1, max_turns=a.turns, concurrency=width, options=options)
        generator.batch_sizes.clear()
        started = time.perf_counter()
        results = asyncio.run(run_trials(tasks, {domain.name: domain}, settings))
        return time.perf_counter() - started, results, list(generator.batch_sizes)

    times: dict[int, list[float]] = {1: [], 8: []}
    seen: dict[int, tuple] = {}
    for _ in range(a.repeats):
        for width in (1, 8):
            seconds, results, batches = run(width)
            times[width].append(seconds)
            seen[width] = (results, batches)
    # the same turns' prompts generated one at a time and 8 at a time, without the rest of the eval around them
    generator.run = real_run
    alone, batched = [], []
    for _ in range(a.repeats):
        started = time.perf_counter()
        for r in prompts:
            real_run([r])
        alone.append(time.perf_counter() - started)
        started = time.perf_counter()
        for i in range(0, len(prompts), 8):
            real_run(prompts[i:i + 8])
        batched.append(time.perf_counter() - started)
    same = [r.messages for r in seen[1][0]] == [r.messages for r in seen[8][0]]
    if not same and a.device == "cpu":  # fp32: batching is exact; bf16 on a GPU may round a near-tie apart
        raise SystemExit("batched and sequential eval gave different conversations")
    results = seen[1][0]
    turns = sum(r.assistant_turns for r in results)
    tokens = sum(r.completion_tokens for r in results)
    prompt = sum(r.prompt_tokens for r in results)
    out = {
        "device": a.device, "tasks": len(tasks), "assistant_turns": turns, "completion_tokens": tokens,
        "prompt_tokens": prompt,
        "max_tokens": a.max_tokens, "repeats": a.repeats,
        "sequential_s_median": round(statistics.median(times[1]), 3),
        "batched_s_median": round(statistics.median(times[8]), 3),
        "sequential_trials_per_s": round(len(tasks) / statistics.median(times[1]), 3),
        "batched_trials_per_s": round(len(tasks) / statistics.median(times[8]), 3),
        "sequential_tokens_per_s": round(tokens / statistics.median(times[1]), 1),
        "batched_tokens_per_s": round(tokens / statistics.median(times[8]), 1),
        "speedup": round(statistics.median(times[1]) / statistics.median(times[8]), 2),
        "batch_sizes_batched_run": seen[8][1],
        "generate_only_turns": len(prompts),
        "generate_only_one_at_a_time_s_median": round(statistics.median(alone), 3),
        "generate_only_batches_of_8_s_median": round(statistics.median(batched), 3),
        "generate_only_speedup": round(statistics.median(alone) / statistics.median(batched), 2),
        "same_conversations": same,
    }
    print(json.dumps(out, indent=2))
    if a.json:
        a.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
