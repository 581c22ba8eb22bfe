#!/usr/bin/env bash
# Run ON the GPU machine, one call, after benchmarks/gpu/wheels.sh here:
#   run(command="bash benchmarks/gpu/smoke.sh", carry=[".whl", ".tok"], timeout_s=540)
# Not yet run: no GPU was lent to the sessions that wrote it (2026-12-04).
# Checks the trainer's GPU path with a tiny random Llama and SmolLM2's tokenizer (no weights can be fetched there),
# each part in its own process so one failure does not hide the others:
#   1. the GPU-path tests (tests/trainer/test_trainer_gpu_path.py, tests/sim/test_hf_batching.py) with the GPU
#      visible, slow ones included; the real-DeepSpeed ZeRO-3 test where the deepspeed wheel was carried;
#   2. an SFT phase with packing (bfd, padding-free) in bf16 autocast over fp32 master weights: step time;
#   3. ZeRO-3 (one process, where deepspeed imports): the model is partitioned while it loads, then trains;
#   4. a GRPO phase with rewards from the environments: step time, reward per step;
#   5. `ascc eval` with an hf: model on the GPU, turns one at a time vs batched (benchmarks/bench_hf_eval.py).
# Everything it measures goes to $OUT/gpu-smoke.log and $OUT/*.json. The parts that need no GPU run on CPU too
# (with the packages installed here, .tok saved, and fewer steps):
#   OUT=/tmp/gpu-out SMOKE_NO_INSTALL=1 SMOKE_STEPS=2 bash benchmarks/gpu/smoke.sh
# Run so on the 2-core CPU box (2026-12-04, no deepspeed there, so part 3 skipped): every other part passed.
set -uo pipefail
export PYTHONUNBUFFERED=1 TRL_EXPERIMENTAL_SILENCE=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"; export OUT
if [ -z "${SMOKE_NO_INSTALL:-}" ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
        .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD || exit 1
else
    export PYTHONPATH=${PYTHONPATH:-$PWD}
fi
[ -d .tok ] || { echo ".tok is missing: run benchmarks/gpu/wheels.sh here and carry .tok"; exit 1; }
export ASCC_TEST_TOKENIZER=$PWD/.tok
exec > >(tee "$OUT/gpu-smoke.log") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"
status=0
part() { echo; echo "=== $1"; }
one_process() { MASTER_ADDR=127.0.0.1 MASTER_PORT=29517 RANK=0 LOCAL_RANK=0 WORLD_SIZE=1 "$@"; }

part "1. GPU-path tests"
ASCC_SLOW=1 timeout 300 python3 -m pytest -q -p no:cacheprovider -k "not real_zero3" \
    tests/trainer/test_trainer_gpu_path.py tests/sim/test_hf_batching.py || status=1
if python3 -c "import deepspeed" 2>/dev/null; then
    one_process timeout 300 python3 -m pytest -q -p no:cacheprovider -k real_zero3 \
        tests/trainer/test_trainer_gpu_path.py || status=1
else
    echo "deepspeed does not import: the real ZeRO-3 test and part 3 are skipped"
fi

part "2. SFT with packing"
timeout 300 python3 - <<'PY' || status=1
import json, os, time
from pathlib import Path
import torch
from ascc.trainer.config import load_config
from ascc.trainer.train import train
print("torch", torch.__version__, "cuda", torch.cuda.is_available())
work = Path("/tmp/smoke-sft"); work.mkdir(exist_ok=True)
(work / "train.yaml").write_text(f"""model: tiny:{Path('.tok').resolve()}
output_dir: {work / 'run'}
method: full
packing: true
max_length: 2048
batch_size: 2
max_steps: {os.environ.get("SMOKE_STEPS", "6")}
logging_steps: 1
phases:
  - name: sft
    traces: {Path('tests/fixtures/traces').resolve()}/*.jsonl
    learning_rate: 1e-3
""")
t = time.time()
outcome = train(load_config(work / "train.yaml"), log=print)[-1]
res = {"steps": outcome.global_step, "seconds": round(time.time() - t, 1), "seconds_per_step": outcome.seconds_per_step,
       "first_loss": outcome.first_loss, "last_loss": outcome.last_loss, "data": outcome.data,
       "master_weights_dtype": "fp32 (full fine-tuning)", "cuda": torch.cuda.is_available()}
print(json.dumps(res)); (Path(os.environ["OUT"]) / "sft-packing.json").write_text(json.dumps(res, indent=2))
PY

part "3. ZeRO-3: partitioned at load"
if python3 -c "import deepspeed" 2>/dev/null && python3 -c "import torch; assert torch.cuda.is_available()"; then
one_process timeout 400 python3 - <<'PY' || status=1
import json, os, time
from pathlib import Path
from transformers.integrations.deepspeed import is_deepspeed_zero3_enabled
import ascc.trainer.train as T
from ascc.trainer.config import load_config
seen = {}
real = T.load_model
def load(*args, **kwargs):
    seen["zero3_enabled_before_load"] = is_deepspeed_zero3_enabled()
    model, tok = real(*args, **kwargs)
    seen["partitioned_at_load"] = all(hasattr(p, "ds_id") for p in model.parameters())
    seen["local_elements_after_load"] = sum(p.numel() for p in model.parameters())
    return model, tok
T.load_model = load
work = Path("/tmp/smoke-zero3"); work.mkdir(exist_ok=True)
(work / "train.yaml").write_text(f"""model: tiny:{Path('.tok').resolve()}
output_dir: {work / 'run'}
method: full
deepspeed: {Path('examples/deepspeed-zero3.json').resolve()}
max_length: 2048
batch_size: 2
max_steps: 3
phases:
  - name: sft
    traces: {Path('tests/fixtures/traces').resolve()}/*.jsonl
""")
t = time.time()
outcome = T.train(load_config(work / "train.yaml"), log=print)[-1]
res = {**seen, "steps": outcome.global_step, "seconds": round(time.time() - t, 1),
       "saved": sorted(p.name for p in (work / "run").iterdir())}
print(json.dumps(res)); (Path(os.environ["OUT"]) / "zero3.json").write_text(json.dumps(res, indent=2))
assert seen["zero3_enabled_before_load"] and seen["partitioned_at_load"], seen
PY
else
    echo "skipped: needs deepspeed (carried as a wheel by wheels.sh) and a GPU"
fi

part "4. GRPO"
timeout 400 python3 - <<'PY' || status=1
import json, os, time
from pathlib import Path
from ascc.eval.run import synth_tasks
from ascc.runtime.domain import compile_and_load
from ascc.runtime.tasks import write_tasks
from ascc.trainer.config import load_config
from ascc.trainer.train import train
out = Path(os.environ["OUT"]); work = Path("/tmp/smoke"); work.mkdir(exist_ok=True)
spec = Path("tests/trainer/specs/lamp.env.yaml").resolve()
lamp = compile_and_load(spec, work / "build")
write_tasks(synth_tasks({"lamp": lamp}, 8, 0), work / "tasks.jsonl")
(work / "train.yaml").write_text(f"""model: tiny:{Path('.tok').resolve()}
output_dir: {work / 'run'}
batch_size: 4
max_steps: {os.environ.get("SMOKE_STEPS", "5")}
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

part "5. hf eval: turns one at a time vs batched"
device=$(python3 -c "import torch; print('cuda' if torch.cuda.is_available() else 'cpu')")
timeout 300 python3 benchmarks/bench_hf_eval.py --device "$device" --tokenizer .tok --tasks 8 --repeats 3 \
    --json "$OUT/hf-eval-$device.json" || status=1

echo; echo "smoke status: $status (0: every part passed)"
exit $status
