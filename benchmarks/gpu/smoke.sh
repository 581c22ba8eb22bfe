#!/usr/bin/env bash
# Run ON the GPU machine, one call, after benchmarks/gpu/wheels.sh here:
#   run(command="bash benchmarks/gpu/smoke.sh", carry=[".whl", ".tok"], timeout_s=540)
# Not yet run: no GPU was lent to the session that wrote it (2026-12-04).
# Checks the trainer's GPU path end to end with a tiny random Llama (no weights can be fetched there): an SFT phase
# (bf16 autocast over fp32 master weights) then a GRPO phase with rewards from the environments, and records step
# times. Everything it measures goes to $OUT/gpu-smoke.log and $OUT/*.json.
set -uo pipefail
export PYTHONUNBUFFERED=1 TRL_EXPERIMENTAL_SILENCE=1 HF_HUB_OFFLINE=1
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site:$PWD || exit 1
exec > >(tee "$OUT/gpu-smoke.log") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 - <<'PY'
import json, os, time, torch
from pathlib import Path
print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0))
out = Path(os.environ["OUT"]); work = Path("/tmp/smoke"); work.mkdir(exist_ok=True)
from ascc.eval.run import synth_tasks
from ascc.runtime.domain import compile_and_load
from ascc.runtime.tasks import write_tasks
from ascc.trainer.config import load_config
from ascc.trainer.train import train
spec = Path("tests/trainer/specs/lamp.env.yaml").resolve()
lamp = compile_and_load(spec, work / "build")
write_tasks(synth_tasks({"lamp": lamp}, 8, 0), work / "tasks.jsonl")
src = Path(".tok")  # SmolLM2's tokenizer, saved by wheels.sh and carried
if not src.exists():
    raise SystemExit(".tok is missing: run benchmarks/gpu/wheels.sh here and carry .tok")
(work / "train.yaml").write_text(f"""model: tiny:{src.resolve()}
output_dir: {work / 'run'}
batch_size: 4
max_steps: 5
phases:
  - name: rl
    method: grpo
    tasks: {work / 'tasks.jsonl'}
    specs: [{spec}]
    num_generations: 4
    max_completion_length: 64
    max_tool_calls: 2
""")
t = time.time()
outcomes = train(load_config(work / "train.yaml"), log=print)
res = {"grpo_steps": outcomes[-1].global_step, "seconds": round(time.time() - t, 1),
       "seconds_per_step": outcomes[-1].seconds_per_step, "reward_per_step": outcomes[-1].data.get("reward_per_step")}
print(json.dumps(res)); (out / "grpo-smoke.json").write_text(json.dumps(res, indent=2))
PY
