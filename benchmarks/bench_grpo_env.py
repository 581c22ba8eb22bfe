"""The environments' share of a GRPO step: env work (reset, tool calls, reward) against the whole step.

    python benchmarks/bench_grpo_env.py [--model tiny|smollm2] [--steps 3] [--json out.json]

Runs a GRPO phase's pieces (`ascc.trainer.grpo`, `ascc.trainer.rl_env`) with TRL's GRPOTrainer on the retail-like
benchmark domain, with every environment method timed: `reset`, each tool call and `get_reward`. Generation is
steered by `sequence_bias` into each task's first gold call (so every rollout really calls a tool, as a trained
model would), and the step time is TRL's own `step_time`. The share is the environments' seconds over the step's
seconds, medians over steps; a second figure gives the env cost per episode alone, for scale against generation
on any hardware. CPU numbers overstate the share, since generation on a GPU is far faster than here while the
environments run on the CPU either way.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from ascc.eval.run import synth_tasks
from ascc.runtime.domain import compile_and_load
from ascc.trainer import rl_env
from ascc.trainer.grpo import grpo_dataset, install_response_template
from ascc.trainer.model import load_model, load_tokenizer
from ascc.trainer.template import install_chat_template

SPEC = Path(__file__).parent / "specs" / "shop_retail.env.yaml"
SPENT: list[float] = []


def timed_class(domain):
    """The domain's environment class with every method's wall time added to SPENT."""
    base = rl_env.environment_class(domain)
    namespace = {}
    for name, fn in vars(base).items():
        if callable(fn) and not name.startswith("__"):
            namespace[name] = _timed(fn)
    return type(base.__name__, (base,), namespace)


def _timed(fn):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT.append(time.perf_counter() - t)
    for attr in ("__name__", "__qualname__", "__doc__", "__signature__", "__annotations__", "ascc_schema"):
        if hasattr(fn, attr):
            setattr(wrapper, attr, getattr(fn, attr))
    return wrapper


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="tiny", choices=["tiny", "smollm2"])
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--tasks", type=int, default=8)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    from trl import GRPOConfig, GRPOTrainer

    torch.set_num_threads(1)
    tmp = Path(tempfile.mkdtemp())
    domain = compile_and_load(SPEC, tmp / "build")
    tasks = [t for t in synth_tasks({domain.name: domain}, a.tasks * 4, seed=0) if t.gold_calls][: a.tasks]
    tok_dir = tmp / "tok"
    load_tokenizer("smollm2").save_pretrained(tok_dir)
    model, tok = load_model(f"tiny:{tok_dir}" if a.model == "tiny" else "smollm2", torch.float32, None, 0)
    install_chat_template(tok)
    install_response_template(tok)
    rl_env.exact_tool_schemas(tok)
    tok.padding_side = "left"
    first = tasks[0].gold_calls[0]
    call = f'<tool_call>\n{json.dumps({"name": first.tool, "arguments": first.arguments})}\n</tool_call><|im_end|>'
    ids = tok.encode(call, add_special_tokens=False)
    args = GRPOConfig(output_dir=str(tmp / "out"), max_steps=a.steps, per_device_train_batch_size=4,
                      num_generations=4, max_completion_length=len(ids) + 8, max_tool_calling_iterations=1,
                      beta=0.0, use_cpu=True, report_to="none", logging_steps=1, save_strategy="no",
                      generation_kwargs={"sequence_bias": [[ids[:k + 1], 100.0 * (k + 1)] for k in range(len(ids))]})
    env_cls = timed_class(domain)
    trainer = GRPOTrainer(model=model, args=args, train_dataset=grpo_dataset(tasks, {domain.name: domain}),
                          processing_class=tok, environment_factory={domain.name: env_cls})
    marks: list[int] = []
    from transformers import TrainerCallback

    class Mark(TrainerCallback):
        def on_step_end(self, *_, **__):
            marks.append(len(SPENT))
    trainer.add_callback(Mark())
    trainer.train()
    steps = [e["step_time"] for e in trainer.state.log_history if "step_time" in e]
    env_s, prev = [], 0
    for m in marks:
        env_s.append(sum(SPENT[prev:m]))
        prev = m
    episodes = args.per_device_train_batch_size * a.steps
    out = {
        "model": a.model, "steps": a.steps, "rollouts_per_step": args.per_device_train_batch_size,
        "step_s_median": round(statistics.median(steps), 3),
        "env_s_per_step_median": round(statistics.median(env_s), 4),
        "env_share_median": round(statistics.median(e / s for e, s in zip(env_s, steps)), 4),
        "env_ms_per_episode": round(sum(env_s) / episodes * 1e3, 2),
        "env_method_calls": len(SPENT),
    }
    print(json.dumps(out, indent=2))
    if a.json:
        a.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
