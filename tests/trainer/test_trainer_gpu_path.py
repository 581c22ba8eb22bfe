"""The trainer's GPU path, checked on CPU where a read of the code showed it would break on a GPU."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest
import torch

from ascc.trainer.config import ConfigError, parse_config
from ascc.trainer.train import Hardware, attention_problem, embedding_modules, launch_problem, lora_config

ZERO3 = Path(__file__).parents[2] / "examples" / "deepspeed-zero3.json"

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


# ---- ZeRO-3: the training arguments (which register a DeepSpeed config) exist before the model loads
class _Zero3Registered:
    """What `TrainingArguments` registers with transformers when given a ZeRO-3 DeepSpeed config (through
    `deepspeed:` or `accelerate launch --config_file`): deepspeed is not installed here, so the test registers
    this stand-in right after the real arguments are built, exactly where the real one is registered."""

    def is_zero3(self) -> bool:
        return True


class _Loaded(Exception):
    pass


def _zero3_seen_at_load(monkeypatch, module, args_name: str, run) -> list[bool]:
    from transformers.integrations import deepspeed as hf_deepspeed

    import ascc.trainer.model as model_module

    seen: list[bool] = []
    real_args = getattr(module, args_name)
    kept = []

    def build_args(*args, **kwargs):
        built = real_args(*args, **kwargs)
        kept.append(_Zero3Registered())
        hf_deepspeed.set_hf_deepspeed_config(kept[-1])
        return built

    def load(*args, **kwargs):
        seen.append(hf_deepspeed.is_deepspeed_zero3_enabled())
        raise _Loaded

    monkeypatch.setattr(module, args_name, build_args)
    monkeypatch.setattr(model_module, "load_model", load)
    monkeypatch.setattr("ascc.trainer.train.load_model", load)
    try:
        with pytest.raises(_Loaded):
            run()
    finally:
        hf_deepspeed.unset_hf_deepspeed_config()
    return seen


def test_sft_phase_builds_its_arguments_before_loading_so_zero3_partitions_at_load(
        monkeypatch, tmp_path, short_rows, write_traces):
    from ascc.trainer import train as T

    write_traces(tmp_path / "t.jsonl", short_rows)
    config = parse_config(CONFIG.format(method="full"), base_dir=tmp_path)
    cpu = Hardware("cpu", False, None, False, False)
    seen = _zero3_seen_at_load(monkeypatch, T, "sft_config", lambda: T.run_phase(
        config, config.phases[0], "unused", tmp_path / "phase", cpu, lambda _: None))
    assert seen == [True]


def test_grpo_phase_builds_its_arguments_before_loading(monkeypatch, tmp_path):
    from ascc.eval.run import synth_tasks
    from ascc.runtime.domain import compile_and_load
    from ascc.runtime.tasks import write_tasks
    from ascc.trainer import grpo as G
    from ascc.trainer.train import PhaseOutcome

    lamp = Path(__file__).parent / "specs" / "lamp.env.yaml"
    write_tasks(synth_tasks({"lamp": compile_and_load(lamp, tmp_path / "build")}, 2, 0), tmp_path / "t.jsonl")
    config = parse_config(f"model: m\noutput_dir: o\nbatch_size: 4\nphases:\n  - name: rl\n    method: grpo\n"
                          f"    tasks: t.jsonl\n    specs: [{lamp}]\n", base_dir=tmp_path)
    cpu = Hardware("cpu", False, None, False, False)
    seen = _zero3_seen_at_load(monkeypatch, G, "grpo_args", lambda: G.run_grpo_phase(
        config, config.phases[0], "unused", tmp_path / "phase", cpu, lambda _: None, PhaseOutcome))
    assert seen == [True]


def test_a_real_zero3_config_is_registered_by_the_arguments(tmp_path):
    pytest.importorskip("deepspeed")  # runs where deepspeed is installed (the GPU smoke script)
    from transformers.integrations.deepspeed import is_deepspeed_zero3_enabled, unset_hf_deepspeed_config

    from ascc.trainer.train import sft_config

    (tmp_path / "train.yaml").write_text(CONFIG.format(method="full") + f"deepspeed: {ZERO3}\n")
    config = parse_config((tmp_path / "train.yaml").read_text(), base_dir=tmp_path)
    gpu = Hardware("gpu", torch.cuda.is_available(), "sdpa", False, True)
    try:
        args = sft_config(config, config.phases[0], tmp_path / "p", gpu)
        assert is_deepspeed_zero3_enabled() and args.hf_deepspeed_config.is_zero3()
    finally:
        unset_hf_deepspeed_config()


def test_the_example_zero3_config_is_stage_3_with_trainer_filled_values():
    config = json.loads(ZERO3.read_text())
    assert config["zero_optimization"]["stage"] == 3
    assert config["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"] is True  # save_model gathers
    assert config["train_micro_batch_size_per_gpu"] == "auto" and config["bf16"]["enabled"] == "auto"


def test_deepspeed_and_attention_config_keys(tmp_path):
    config = parse_config(CONFIG.format(method="full") + "deepspeed: ds/zero3.json\n"
                          "attn_implementation: kernels-community/flash-attn2\n", base_dir=tmp_path)
    assert config.deepspeed == tmp_path / "ds" / "zero3.json"
    assert config.attn_implementation == "kernels-community/flash-attn2"
    for good in ("sdpa", "eager", "flash_attention_2", "kernels-community/flash-attn3@v1:flash_attention"):
        assert parse_config(CONFIG.format(method="full") + f"attn_implementation: {good}\n").attn_implementation
    with pytest.raises(ConfigError, match=r"7:22: attn_implementation: expected one of eager, sdpa"):
        parse_config(CONFIG.format(method="full") + "attn_implementation: flash2\n")


def test_attention_implementations_name_what_they_need():
    assert attention_problem(None, gpu=False) is None and attention_problem("sdpa", gpu=False) is None
    assert "needs a GPU" in attention_problem("flash_attention_2", gpu=False)
    kernels = importlib.util.find_spec("kernels") is not None
    hub = attention_problem("kernels-community/flash-attn2", gpu=True)
    assert hub is None if kernels else "pip install kernels" in hub


# ---- packing: padding-free batches with the assistant-only loss, on CPU with sdpa
def _packed_trainer(tmp_path, tokenizer_dir, rows, write_traces, max_steps: int):
    from trl import SFTTrainer

    from ascc.trainer.data import build_sft_dataset
    from ascc.trainer.model import load_model
    from ascc.trainer.template import install_chat_template
    from ascc.trainer.train import detect_hardware, sft_config

    write_traces(tmp_path / "t.jsonl", rows)
    config = parse_config(CONFIG.format(method="full") + "packing: true\nmax_length: 1024\nbatch_size: 4\n"
                          f"max_steps: {max_steps}\nlogging_steps: 1\n", base_dir=tmp_path)
    hardware = detect_hardware(config)  # packing is no longer refused on CPU
    dataset, _ = build_sft_dataset(["t.jsonl"], tmp_path)
    model, tokenizer = load_model(f"tiny:{tokenizer_dir}", torch.float32, hardware.attn_implementation, 0)
    install_chat_template(tokenizer)
    return SFTTrainer(model=model, args=sft_config(config, config.phases[0], tmp_path / "p", hardware),
                      train_dataset=dataset, processing_class=tokenizer)


def test_packing_keeps_conversations_apart_and_trains_only_assistant_tokens(tmp_path, tokenizer_dir, short_rows,
                                                                            write_traces):
    """TRL's `bfd` packing puts whole conversations side by side in one row with `position_ids` restarting at
    each; transformers turns those into a block-diagonal mask for sdpa (varlen kernels for flash attention). The
    packed labels are each conversation's own assistant tokens, and no conversation sees another one."""
    from ascc.trainer.data import assistant_token_mask, conversation
    from ascc.trainer.train import conversations_in

    trainer = _packed_trainer(tmp_path, tokenizer_dir, short_rows, write_traces, 1)
    model, tokenizer = trainer.model, trainer.processing_class
    collated = next(iter(trainer.get_train_dataloader()))
    batch = {k: v.to(model.device) if hasattr(v, "to") else v for k, v in collated.items()}  # GPU: on the model's
    assert batch["input_ids"].shape[0] == 1 and "attention_mask" not in batch  # padding-free: one packed row
    starts = (batch["position_ids"][0] == 0).nonzero().flatten().tolist() + [batch["input_ids"].shape[1]]
    segments = list(zip(starts, starts[1:], strict=False))
    assert len(segments) == len(short_rows)  # all four conversations, whole, in one row
    assert len(trainer.train_dataset) == 1 and conversations_in(trainer.train_dataset) == 4  # none left out

    expected = {}
    for row in short_rows:
        ids, mask = assistant_token_mask(tokenizer, *conversation(row))
        expected[tuple(ids)] = [t if bit else -100 for t, bit in zip(ids, mask, strict=True)]
    model.eval()
    with torch.no_grad():
        packed = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False).logits
        for a, b in segments:
            ids = tuple(batch["input_ids"][0, a:b].tolist())
            assert batch["labels"][0, a:b].tolist() == expected[ids]  # this conversation's assistant tokens only
            alone = model(input_ids=batch["input_ids"][:, a:b]).logits
            assert torch.allclose(packed[0, a:b], alone[0], atol=1e-4)  # it saw no other conversation


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("ASCC_SLOW") != "1", reason="slow: set ASCC_SLOW=1 to run")
def test_a_packed_phase_trains_and_counts_conversations_not_rows(tmp_path, tokenizer_dir, short_rows,
                                                                  write_traces):
    from ascc.trainer.config import load_config
    from ascc.trainer.train import train

    write_traces(tmp_path / "t.jsonl", short_rows)
    (tmp_path / "train.yaml").write_text(
        f"model: tiny:{tokenizer_dir}\noutput_dir: out\npacking: true\nmax_length: 1024\nbatch_size: 1\n"
        "max_steps: 2\nphases:\n  - name: p\n    traces: t.jsonl\n    learning_rate: 1e-3\n")
    outcome = train(load_config(tmp_path / "train.yaml"), log=lambda _: None)[0]
    assert outcome.global_step == 2 and all(torch.isfinite(torch.tensor(loss)) for _, loss in outcome.losses)
    assert outcome.data["rows_trained"] == 4 and outcome.data["rows_left_out"] == 0  # all four, in one row
    assert outcome.data["packed_rows"] == 1


def test_lora_under_zero3_is_refused_with_the_fix():
    from transformers.integrations import deepspeed as hf_deepspeed

    from ascc.trainer.train import TrainError, check_zero3

    registered = _Zero3Registered()
    hf_deepspeed.set_hf_deepspeed_config(registered)
    try:
        with pytest.raises(TrainError, match=r"use ZeRO-2 .* or `method: full`"):
            check_zero3(parse_config(CONFIG.format(method="lora")))
        check_zero3(parse_config(CONFIG.format(method="full")))
    finally:
        hf_deepspeed.unset_hf_deepspeed_config()
    check_zero3(parse_config(CONFIG.format(method="lora")))  # no ZeRO-3: LoRA is fine


def test_grpo_batch_that_cannot_hold_whole_groups_names_the_keys():
    from ascc.trainer.grpo import GrpoSetupError, grpo_args

    config = parse_config("model: m\noutput_dir: o\nbatch_size: 2\nphases:\n  - name: rl\n    method: grpo\n"
                          "    tasks: t.jsonl\n    num_generations: 4\n")
    cpu = Hardware("cpu", False, None, False, False)
    with pytest.raises(GrpoSetupError, match=r"batch_size \(2\) x grad_accum \(1\) x processes \(1\) = 2 "):
        grpo_args(config, config.phases[0], Path("unused"), cpu)


@pytest.mark.parametrize("name", ["train-cpu-tiny.yaml", "train-gpu-1x.yaml", "train-gpu-zero3.yaml"])
def test_the_example_configs_parse_and_are_documented(name):
    from ascc.trainer.config import load_config

    config = load_config(ZERO3.parent / name)
    assert f"examples/{name}" in (ZERO3.parents[1] / "docs" / "training.md").read_text()
    if config.deepspeed:
        assert config.deepspeed.is_file() and config.method == "full"  # LoRA is refused under ZeRO-3
    grpo = [p for p in config.phases if p.method == "grpo"]
    assert all(config.batch_size * config.grad_accum % p.num_generations == 0 for p in grpo)
