"""Run the phases of a train config with TRL's SFTTrainer, loss on the assistant's tokens only.

Layout of `output_dir`:

    phases/<name>/checkpoint-<step>/   Trainer checkpoints while the phase runs (a rerun resumes from the last
                                       one); removed when the phase is done unless `keep_checkpoints: true`
    phases/<name>/final/               the phase's weights (LoRA merged in), tokenizer and chat template
    phases/<name>/ascc_phase.json      the phase's state: "running" or "done", base model, steps, every logged
                                       loss, data (rows read, kept, cut at max_length, left out)
    config.json, model.safetensors, tokenizer files, chat_template.jinja   the last phase's final model (hard
                                       links to its files where the file system allows: no second copy)
    README.md, ascc_training.json      the model card and the same facts as JSON

A rerun of the same command skips phases whose state is "done" and resumes an unfinished phase from its last
checkpoint. Phase N+1 starts from `phases/<phase N>/final`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import math
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from accelerate import PartialState
from peft import LoraConfig
from trl import SFTConfig, SFTTrainer

from ascc.trainer.card import write_model_card
from ascc.trainer.config import Phase, TrainConfig
from ascc.trainer.data import TraceSummary, build_sft_dataset
from ascc.trainer.model import load_model
from ascc.trainer.template import TemplateChoice, install_chat_template

STATE_FILE = "ascc_phase.json"
Log = Callable[[str], None]


class TrainError(RuntimeError):
    """A run that cannot start as configured (e.g. packing without a GPU)."""


@dataclass(frozen=True)
class Hardware:
    """What the run trains on, and the settings that follow from it."""

    device: str
    bf16: bool
    attn_implementation: str | None
    liger: bool
    gradient_checkpointing: bool

    @property
    def dtype(self) -> torch.dtype:
        return torch.bfloat16 if self.bf16 else torch.float32

    def weights_dtype(self, method: str) -> torch.dtype:
        """The dtype the weights load in. Full fine-tuning keeps fp32 master weights and computes in bf16 under
        autocast (`bf16=True`): bf16 weights would round small updates away. LoRA trains fp32 adapters, so its
        frozen base can load in bf16."""
        return torch.float32 if method == "full" else self.dtype


@dataclass
class PhaseOutcome:
    """How one phase went: recorded in its state file and in the model card."""

    name: str
    base_model: str
    status: str = "running"
    global_step: int = 0
    train_loss: float | None = None
    first_loss: float | None = None
    last_loss: float | None = None
    losses: list[list[float]] = field(default_factory=list)  # [step, loss] for every logged step
    seconds: float = 0.0
    seconds_per_step: float | None = None
    resumed_from: str | None = None
    template: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False


def detect_hardware(config: TrainConfig) -> Hardware:
    """CPU: fp32, no gradient checkpointing (both made CPU steps ~2x slower). GPU: bf16 where supported."""
    gpu = torch.cuda.is_available()
    problem = attention_problem(config.attn_implementation, gpu) or deepspeed_problem(config.deepspeed) or (
        launch_problem(torch.cuda.device_count(), os.environ) if gpu else None)
    if problem:
        raise TrainError(problem)
    if not gpu:
        return Hardware("cpu", False, config.attn_implementation, False, bool(config.gradient_checkpointing))
    flash = importlib.util.find_spec("flash_attn") is not None
    checkpointing = True if config.gradient_checkpointing is None else config.gradient_checkpointing
    return Hardware(
        device=torch.cuda.get_device_name(0),
        bf16=torch.cuda.is_bf16_supported(),
        attn_implementation=config.attn_implementation or ("flash_attention_2" if flash else "sdpa"),
        liger=importlib.util.find_spec("liger_kernel") is not None,
        gradient_checkpointing=checkpointing,
    )


def attention_problem(name: str | None, gpu: bool) -> str | None:
    """Why an `attn_implementation` cannot run here, or None. Packing works with every one of them: transformers
    keeps packed conversations apart by their `position_ids` (varlen kernels for flash attention, a block-diagonal
    mask for sdpa and eager), so none is required for it; flash attention only saves the mask's memory."""
    if name is None or name in ("eager", "sdpa", "flex_attention"):
        return None
    kernels = importlib.util.find_spec("kernels") is not None
    if "/" in name:  # a kernel-hub repo, fetched by the `kernels` package (or found in the HF cache)
        return None if kernels else (f"attn_implementation `{name}` is a kernel-hub repo: it needs the kernels "
                                     "package (pip install kernels)")
    if not (importlib.util.find_spec("flash_attn") or importlib.util.find_spec("flash_attn_interface") or kernels):
        return (f"attn_implementation `{name}` needs the flash-attn package or the kernels package (pip install "
                f"kernels: transformers then loads `kernels-community/flash-attn{name[-1]}`); or use `sdpa`")
    if not gpu:
        return f"attn_implementation `{name}` needs a GPU; use `sdpa` (the default) on CPU"
    return None


def deepspeed_problem(path: Path | None) -> str | None:
    """Why a `deepspeed:` config cannot be used, or None."""
    if path is None:
        return None
    if not path.is_file():
        return f"deepspeed: {path} does not exist (examples/deepspeed-zero3.json is a ZeRO-3 config to start from)"
    if importlib.util.find_spec("deepspeed") is None:
        return "deepspeed: the config needs the deepspeed package (pip install deepspeed)"
    return None


def check_zero3(config: TrainConfig) -> None:
    """Refuse LoRA under ZeRO-3 (called once the training arguments exist): the phase's adapter is merged into
    the main process's copy of the weights, which ZeRO-3 holds only a shard of."""
    from transformers.integrations.deepspeed import is_deepspeed_zero3_enabled

    if config.method == "lora" and is_deepspeed_zero3_enabled():
        raise TrainError("LoRA cannot be merged under DeepSpeed ZeRO-3 (each process holds a shard of the weights): "
                         "use ZeRO-2 (`stage: 2` in the DeepSpeed config) or `method: full`")


def launch_problem(gpus: int, environ: Mapping[str, str]) -> str | None:
    """Why a run cannot use the visible GPUs as started, or None: several GPUs need one process each, which
    `accelerate launch` (or torchrun) starts; a plain process would hit TRL's error deep inside the trainer."""
    if gpus > 1 and "LOCAL_RANK" not in environ and "WORLD_SIZE" not in environ:
        return (f"{gpus} GPUs are visible but this is one process: run `accelerate launch -m ascc train CONFIG` to "
                "train on all of them (add `--config_file` for DeepSpeed ZeRO), or set CUDA_VISIBLE_DEVICES=0 for one")
    return None


def sft_config(config: TrainConfig, phase: Phase, phase_dir: Path, hardware: Hardware) -> SFTConfig:
    """TRL settings for one phase."""
    return SFTConfig(
        output_dir=str(phase_dir),
        assistant_only_loss=True,
        # No packing by default: the "wrapped" strategy cuts sequences at max_length wherever they fall, splitting
        # assistant turns (and their masks) across rows. "bfd" keeps conversations whole, padding-free: the
        # position ids restart at each conversation and transformers keeps them apart by those (varlen flash
        # kernels, or a block-diagonal mask for sdpa/eager), so it runs on CPU too (tests/trainer).
        packing=config.packing,
        packing_strategy="bfd",
        padding_free=config.packing,
        max_length=config.max_length,
        num_train_epochs=phase.epochs,
        max_steps=config.phase_max_steps(phase),
        learning_rate=phase.learning_rate,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup_ratio,  # a float below 1 is read as a fraction of the total steps
        per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        bf16=hardware.bf16,
        use_cpu=hardware.device == "cpu",
        # `activation_checkpointing` is the transformers 5 name; TRL defaults its old alias to True.
        activation_checkpointing=hardware.gradient_checkpointing,
        use_liger_kernel=hardware.liger,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        logging_steps=config.logging_steps,
        logging_first_step=True,
        seed=config.seed,
        report_to="none",
        deepspeed=str(config.deepspeed) if config.deepspeed else None,
    )


def lora_config(config: TrainConfig, model: Any = None, added_tokens: tuple[str, ...] = ()) -> LoraConfig | None:
    """The peft adapter for `method: lora`, None for full fine-tuning.

    When ascc added tokens to the vocabulary (`<|im_start|>`/`<|im_end|>` for a model without ChatML, such as
    Llama 3 or Mistral), their embedding and output rows are new and random: the input embeddings and the output
    head are then trained whole (`modules_to_save`), or the model could never learn to write them.
    """
    if config.method != "lora":
        return None
    targets = config.lora.target_modules
    return LoraConfig(
        r=config.lora.r,
        lora_alpha=config.lora.alpha,
        lora_dropout=config.lora.dropout,
        target_modules=targets if isinstance(targets, str) else list(targets),
        modules_to_save=embedding_modules(model) if added_tokens and model is not None else None,
        task_type="CAUSAL_LM",
    )


def embedding_modules(model: Any) -> list[str]:
    """The names of the model's input embedding and output head modules (`embed_tokens`, `lm_head` for Llama)."""
    wanted = [m for m in (model.get_input_embeddings(), model.get_output_embeddings()) if m is not None]
    names = [name.rsplit(".", 1)[-1] for name, module in model.named_modules() if any(module is w for w in wanted)]
    return sorted(set(names))


def read_state(phase_dir: Path) -> dict[str, Any] | None:
    """A phase's recorded state, None when it never started."""
    path = phase_dir / STATE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_state(phase_dir: Path, outcome: PhaseOutcome) -> None:
    """Record a phase's state; written to a temporary file and renamed, so a kill never leaves half a file."""
    if not PartialState().is_main_process:
        return
    phase_dir.mkdir(parents=True, exist_ok=True)
    scratch = phase_dir / f".{STATE_FILE}.tmp"
    scratch.write_text(json.dumps(asdict(outcome), indent=2, default=str) + "\n", encoding="utf-8")
    scratch.replace(phase_dir / STATE_FILE)


def last_complete_checkpoint(phase_dir: Path) -> str | None:
    """The newest `checkpoint-<step>` whose trainer state was written.

    The Trainer writes `trainer_state.json` last, so a run killed while saving leaves a checkpoint without it;
    transformers' `get_last_checkpoint` would pick that one and the resume would fail.
    """
    if not phase_dir.is_dir():
        return None
    complete = [path for path in phase_dir.glob("checkpoint-*")
                if path.name.split("-")[-1].isdigit() and (path / "trainer_state.json").is_file()]
    return str(max(complete, key=lambda path: int(path.name.split("-")[-1]))) if complete else None


def phase_settings(config: TrainConfig, phase: Phase) -> dict[str, Any]:
    """The settings a phase's result depends on, recorded so a changed config can be reported on rerun."""
    return {
        "traces": list(phase.traces), "domains": list(phase.domains or []), "epochs": phase.epochs,
        "learning_rate": phase.learning_rate, "method": config.method, "max_length": config.max_length,
        "batch_size": config.batch_size, "grad_accum": config.grad_accum, "seed": config.seed,
        "max_steps": config.phase_max_steps(phase), "require_passed": config.require_passed,
        **({"method": "grpo", "tasks": list(phase.tasks), "specs": list(phase.specs), "reward": phase.reward,
            "num_generations": phase.num_generations, "max_completion_length": phase.max_completion_length,
            "max_tool_calls": phase.max_tool_calls, "temperature": phase.temperature,
            "generation_kwargs": phase.generation_kwargs, "use_vllm": phase.use_vllm}
           if phase.method == "grpo" else {}),
    }


def train(config: TrainConfig, log: Log = print) -> list[PhaseOutcome]:
    """Run every phase in order (skipping finished ones), then publish the final model and its card."""
    hardware = detect_hardware(config)
    if hardware.device == "cpu":
        torch.set_num_threads(config.threads)
    log(f"device: {hardware.device} ({'bf16' if hardware.bf16 else 'fp32'})")
    outcomes: list[PhaseOutcome] = []
    base = config.model
    for phase in config.phases:
        phase_dir = config.output_dir / "phases" / phase.name
        outcome = _finished(config, phase, phase_dir, log) or run_phase(config, phase, base, phase_dir,
                                                                       hardware, log)
        outcomes.append(outcome)
        base = str(phase_dir / "final")
    if PartialState().is_main_process:
        publish(config, outcomes, Path(base), hardware)
        log(f"model saved to {config.output_dir}")
    return outcomes


def _finished(config: TrainConfig, phase: Phase, phase_dir: Path, log: Log) -> PhaseOutcome | None:
    state = read_state(phase_dir)
    if not state or state.get("status") != "done" or not (phase_dir / "final").is_dir():
        return None
    outcome = PhaseOutcome(**{**state, "skipped": True})
    log(f"phase {phase.name}: already done ({outcome.global_step} steps), skipped")
    if outcome.settings != phase_settings(config, phase):
        log(f"phase {phase.name}: warning: the config changed since it ran; delete {phase_dir} to retrain it")
    return outcome


def run_phase(
    config: TrainConfig, phase: Phase, base: str, phase_dir: Path, hardware: Hardware, log: Log
) -> PhaseOutcome:
    """Train one phase from `base`, resuming from its last checkpoint if a previous run was cut short."""
    if phase.method == "grpo":
        from ascc.trainer.grpo import run_grpo_phase

        return run_grpo_phase(config, phase, base, phase_dir, hardware, log, PhaseOutcome)
    dataset, summary = build_sft_dataset(list(phase.traces), config.base_dir, list(phase.domains or []) or None,
                                         config.require_passed)
    # The training arguments come first: with a DeepSpeed ZeRO-3 config (`deepspeed:` or `accelerate launch
    # --config_file`), building them registers the config that `from_pretrained` reads to partition the weights
    # across the GPUs while loading; a model loaded before would be materialised whole on every process.
    args = sft_config(config, phase, phase_dir, hardware)
    check_zero3(config)
    model, tokenizer = load_model(base, hardware.weights_dtype(config.method), hardware.attn_implementation,
                                  config.seed)
    choice = install_chat_template(tokenizer)
    if choice.added_tokens:
        model.resize_token_embeddings(len(tokenizer))
    outcome = PhaseOutcome(phase.name, base, template=_describe(choice), settings=phase_settings(config, phase),
                           data=asdict(summary))
    checkpoint = last_complete_checkpoint(phase_dir)
    outcome.resumed_from = Path(checkpoint).name if checkpoint else None
    log(f"phase {phase.name}: {summary.rows_kept} traces {_domains(summary)} from {base}"
        + (f", resuming from {outcome.resumed_from}" if checkpoint else ""))
    cut = too_long(dataset, tokenizer, config.max_length)
    write_state(phase_dir, outcome)
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                         peft_config=lora_config(config, model, choice.added_tokens))
    trained = conversations_in(trainer.train_dataset)
    outcome.data.update(rows_trained=trained, rows_cut=cut["rows_cut"], rows_left_out=len(dataset) - trained,
                        longest_tokens=cut["longest_tokens"],
                        **({"packed_rows": len(trainer.train_dataset)} if config.packing else {}))
    if cut["rows_cut"] or trained < len(dataset):
        log(f"phase {phase.name}: {cut['rows_cut']} of {len(dataset)} traces are longer than max_length "
            f"({config.max_length} tokens; the longest has {cut['longest_tokens']}) and were cut at the end"
            + (f"; {len(dataset) - trained} of them kept no assistant token and were left out"
               if trained < len(dataset) else "")
            + "; raise `max_length` to keep them whole")
    args.logging_steps = logging_steps(config, phase, len(trainer.train_dataset))  # rows, packed or not
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=checkpoint)
    outcome.seconds = round(time.perf_counter() - started, 2)
    _record_progress(outcome, trainer, result.metrics)
    save_final(trainer, tokenizer, phase_dir / "final", merge=config.method == "lora")
    outcome.status = "done"
    write_state(phase_dir, outcome)
    if not config.keep_checkpoints and PartialState().is_main_process:
        remove_checkpoints(phase_dir)
    log(f"phase {phase.name}: done, {outcome.global_step} steps, loss {_loss_change(outcome)}")
    return outcome


def conversations_in(dataset: Any) -> int:
    """The conversations a prepared dataset holds: its rows, or with packing the conversations packed into them
    (TRL records each packed row's conversation lengths in `seq_lengths`)."""
    if "seq_lengths" in dataset.column_names:
        return sum(len(lengths) for lengths in dataset["seq_lengths"])
    return len(dataset)


def too_long(dataset: Any, tokenizer: Any, max_length: int) -> dict[str, int]:
    """How many rows TRL will cut at `max_length` (it keeps the start; a row left with no assistant token is
    then dropped, which `len(trainer.train_dataset)` shows), and the longest row's tokens. The rows are rendered
    as TRL renders them: the messages with the tools list, through the installed chat template."""
    cut = longest = 0
    for row in dataset:
        tools = json.loads(row["tools"]) if isinstance(row["tools"], str) else row["tools"]
        ids = tokenizer.apply_chat_template(row["messages"], tools=tools or None, tokenize=True, return_dict=True)
        length = len(ids["input_ids"])
        cut += length > max_length
        longest = max(longest, length)
    return {"rows_cut": cut, "longest_tokens": longest}


def logging_steps(config: TrainConfig, phase: Phase, rows: int) -> int:
    """`logging_steps`, or 1 for a run of at most twice that many steps: a 3-step run logs all three losses."""
    per_epoch = math.ceil(math.ceil(rows / (config.batch_size * PartialState().num_processes)) / config.grad_accum)
    max_steps = config.phase_max_steps(phase)
    total = max_steps if max_steps > 0 else math.ceil(per_epoch * phase.epochs)
    return 1 if total <= 2 * config.logging_steps else config.logging_steps


def remove_checkpoints(phase_dir: Path) -> None:
    """A finished phase's checkpoints (weights plus optimizer state, ~3x the model each): its `final/` is the
    result, and nothing resumes from them any more."""
    for path in phase_dir.glob("checkpoint-*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def _loss_change(outcome: PhaseOutcome) -> str:
    if outcome.first_loss is None:
        return "not logged"
    if len(outcome.losses) <= 1:
        return f"{outcome.first_loss:.4g} (one logged step)"
    return f"{outcome.first_loss:.4g} -> {outcome.last_loss:.4g} over {len(outcome.losses)} logged steps"


def _record_progress(outcome: PhaseOutcome, trainer: SFTTrainer, metrics: dict[str, float]) -> None:
    logged = [[entry["step"], entry["loss"]] for entry in trainer.state.log_history if "loss" in entry]
    losses = [loss for _, loss in logged]
    outcome.losses = logged
    outcome.global_step = trainer.state.global_step
    outcome.train_loss = metrics.get("train_loss")
    outcome.first_loss = losses[0] if losses else None
    outcome.last_loss = losses[-1] if losses else None
    runtime, steps = metrics.get("train_runtime"), trainer.state.global_step
    resumed_at = int(outcome.resumed_from.split("-")[-1]) if outcome.resumed_from else 0
    if runtime and steps > resumed_at:
        outcome.seconds_per_step = round(runtime / (steps - resumed_at), 3)


def save_final(trainer: SFTTrainer, tokenizer: Any, target: Path, merge: bool) -> None:
    """Save a phase's model (LoRA merged into the base weights, so the next phase and `hf:` agents load a plain
    model), its tokenizer and chat template."""
    if merge:
        if PartialState().is_main_process:
            trainer.model.merge_and_unload().save_pretrained(target)
    else:
        trainer.save_model(str(target))  # gathers sharded weights under FSDP / DeepSpeed
    if PartialState().is_main_process:
        tokenizer.save_pretrained(target)
    PartialState().wait_for_everyone()


def publish(config: TrainConfig, outcomes: list[PhaseOutcome], final: Path, hardware: Hardware) -> None:
    """Put the last phase's model in `output_dir` (hard links: the weights are not stored twice) and write the
    model card next to it."""
    for item in final.iterdir():
        if item.is_file():
            target = config.output_dir / item.name
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            try:
                os.link(item, target)
            except OSError:  # another file system, or one without hard links
                shutil.copy2(item, target)
    write_model_card(config, outcomes, hardware_text(hardware))


def hardware_text(hardware: Hardware) -> str:
    """One line describing the hardware and precision, for the model card."""
    precision = "bf16" if hardware.bf16 else "fp32"
    extras = [name for name, on in (("liger", hardware.liger), ("grad-ckpt", hardware.gradient_checkpointing)) if on]
    return f"{hardware.device}, {precision}" + (f", {', '.join(extras)}" if extras else "")


def _describe(choice: TemplateChoice) -> str:
    return f"{choice.source}: {choice.reason}"


def _domains(summary: TraceSummary) -> str:
    return "(" + ", ".join(f"{name}: {count}" for name, count in summary.domains.items()) + ")"
