"""The trainer's GPU path, checked on CPU where a read of the code showed it would break on a GPU."""

from __future__ import annotations

import torch

from ascc.trainer.config import parse_config
from ascc.trainer.train import Hardware, embedding_modules, launch_problem, lora_config

BF16_GPU = Hardware("NVIDIA H200", bf16=True, attn_implementation="sdpa", liger=False, gradient_checkpointing=True)
CONFIG = "model: m\noutput_dir: o\nmethod: {method}\nphases:\n  - name: p\n    traces: t.jsonl\n"


def test_full_fine_tuning_keeps_fp32_master_weights_on_a_bf16_gpu():
    assert BF16_GPU.weights_dtype("full") == torch.float32  # bf16 compute comes from autocast (bf16=True)
    assert BF16_GPU.weights_dtype("lora") == torch.bfloat16  # a frozen base; the adapters are fp32


def test_lora_trains_the_rows_of_tokens_ascc_added(tokenizer_dir):
    from ascc.trainer.model import load_model

    model, _ = load_model(f"tiny:{tokenizer_dir}", torch.float32, None, 0)
    config = parse_config(CONFIG.format(method="lora"))
    assert embedding_modules(model) == ["embed_tokens", "lm_head"]
    added = lora_config(config, model, ("<|im_start|>", "<|im_end|>"))
    assert sorted(added.modules_to_save) == ["embed_tokens", "lm_head"]
    assert lora_config(config, model, ()).modules_to_save is None  # ChatML already known: nothing extra
    assert lora_config(parse_config(CONFIG.format(method="full")), model, ("<|im_start|>",)) is None


def test_several_gpus_without_a_launcher_get_the_command_to_run():
    assert "accelerate launch -m ascc train" in launch_problem(4, {})
    assert launch_problem(4, {"LOCAL_RANK": "0", "WORLD_SIZE": "4"}) is None
    assert launch_problem(1, {}) is None and launch_problem(0, {}) is None
