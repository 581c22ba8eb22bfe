"""A GRPO phase: TRL's `GRPOTrainer` against the compiled domains, rewards from ascc's verification.

A phase with `method: grpo` names task files (`tasks:`, e.g. from `ascc synth` or `ascc import tau2`) and where
their domains' specs are (`specs:`). Each task becomes one example: the domain's policy as the system message, the
solo request (`rl_env.solo_prompt`) as the user message, its `environment` (the domain's name) and the task
itself, which the environment's `reset` loads. TRL runs the multi-turn tool loop: the model's tool calls go to
the environment's methods, which call the compiled tools; `get_reward` scores the episode.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from pathlib import Path
from typing import Any

from ascc.runtime.domain import CompiledDomain
from ascc.runtime.tasks import Task, TaskFileError, load_tasks
from ascc.trainer.config import Phase, TrainConfig
from ascc.trainer.rl_env import environment_factories, exact_tool_schemas, solo_prompt


class GrpoSetupError(ValueError):
    """A GRPO phase that cannot start as configured; `str()` says what to fix."""


def load_phase_tasks(phase: Phase, base_dir: Path) -> list[Task]:
    """Every task of the phase's task files, in file order."""
    tasks: list[Task] = []
    for item in phase.tasks or ():
        path = base_dir / item
        try:
            tasks += load_tasks(path)
        except (OSError, TaskFileError) as err:
            raise GrpoSetupError(f"phase {phase.name}: tasks {item}: {err}") from None
    if not tasks:
        raise GrpoSetupError(f"phase {phase.name}: no tasks (give `tasks:` task files, e.g. from `ascc synth`)")
    return tasks


def load_phase_domains(phase: Phase, base_dir: Path, build_dir: Path) -> dict[str, CompiledDomain]:
    """The phase's compiled domains (specs compiled on the way, cached), by name."""
    from ascc.eval.run import EvalError, load_domains

    try:
        return load_domains([str(base_dir / s) for s in phase.specs or ("specs",)], build_dir)
    except (EvalError, OSError) as err:
        raise GrpoSetupError(f"phase {phase.name}: specs: {err}") from None


def check_tasks(phase: Phase, tasks: list[Task], domains: dict[str, CompiledDomain]) -> None:
    """Every task's domain is compiled and every task has a gold to be rewarded against."""
    for t in tasks:
        if t.domain not in domains:
            known = ", ".join(sorted(domains)) or "none"
            raise GrpoSetupError(f"phase {phase.name}: task {t.id} is for domain `{t.domain}`, which is not among "
                                 f"the phase's specs ({known}); add its spec to `specs:`")
        if t.gold_digest is None and not t.gold_calls:
            raise GrpoSetupError(f"phase {phase.name}: task {t.id} has neither `gold_digest` nor `gold_calls`: "
                                 "nothing to reward against")


def grpo_dataset(tasks: list[Task], domains: dict[str, CompiledDomain]) -> Any:
    """The `datasets.Dataset` GRPOTrainer reads: prompt, environment, task."""
    from datasets import Dataset

    rows = [{"prompt": [{"role": "system", "content": domains[t.domain].policy},
                        {"role": "user", "content": solo_prompt(t)}],
             "environment": t.domain, "task": json.dumps(t.to_json())} for t in tasks]
    return Dataset.from_list(rows)


def check_template(tokenizer: Any) -> None:
    """Refuse a chat template TRL cannot read tool calls back from (after `install_response_template`), naming
    the fix."""
    if getattr(tokenizer, "response_template", None) is None and getattr(tokenizer, "response_schema", None) is None:
        raise GrpoSetupError(
            "the model's chat template has no tool-call parser TRL knows (Qwen 2.5/3, Llama 3.x, GLM-4, gpt-oss, or "
            "ascc's ChatML-with-tools); start from such a model, or from one `ascc train` saved (it installs "
            "ascc's template)")


def install_response_template(tokenizer: Any) -> None:
    """ascc's ChatML-with-tools template writes calls Qwen-style, so TRL's Qwen 3 response parser reads them."""
    from trl.chat_template_utils import add_response_schema, qwen3_schema

    from ascc.trainer.template import CHATML_TOOLS_TEMPLATE

    if tokenizer.chat_template == CHATML_TOOLS_TEMPLATE:
        try:
            from trl.chat_template_utils import qwen3_template

            tokenizer.response_template = qwen3_template
        except ImportError:  # transformers < 5.13 reads the legacy schema
            tokenizer.response_schema = qwen3_schema
        return
    try:
        add_response_schema(tokenizer)
    except ValueError:  # a template TRL does not know: `check_template` says what to do
        pass


def grpo_args(config: TrainConfig, phase: Phase, phase_dir: Path, hardware: Any) -> Any:
    """TRL's GRPOConfig for one phase."""
    from trl import GRPOConfig

    processes = int(os.environ.get("WORLD_SIZE", "1"))
    completions = config.batch_size * config.grad_accum * processes
    if completions % phase.num_generations:
        raise GrpoSetupError(
            f"phase {phase.name}: batch_size ({config.batch_size}) x grad_accum ({config.grad_accum}) x processes "
            f"({processes}) = {completions} completions per step, not a multiple of num_generations "
            f"({phase.num_generations}): GRPO compares each task's completions within one step; raise batch_size "
            "or grad_accum, or lower num_generations")

    return GRPOConfig(
        output_dir=str(phase_dir),
        learning_rate=phase.learning_rate,
        num_train_epochs=phase.epochs,
        max_steps=phase.max_steps if phase.max_steps is not None else config.max_steps,
        per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        num_generations=phase.num_generations,
        max_completion_length=phase.max_completion_length,
        max_tool_calling_iterations=phase.max_tool_calls,
        temperature=phase.temperature,
        generation_kwargs=phase.generation_kwargs,
        use_vllm=phase.use_vllm,
        vllm_mode="colocate",
        vllm_gpu_memory_utilization=phase.vllm_gpu_memory,
        beta=0.0,  # no reference model: TRL's default since 0.22, and half the memory
        bf16=hardware.bf16,
        use_cpu=hardware.device == "cpu",
        activation_checkpointing=hardware.gradient_checkpointing,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        save_only_model=True,
        logging_steps=1,
        logging_first_step=True,
        seed=config.seed,
        report_to="none",
        log_completions=False,
        deepspeed=str(config.deepspeed) if config.deepspeed else None,
    )


def run_grpo_phase(config: TrainConfig, phase: Phase, base: str, phase_dir: Path, hardware: Any, log,
                   outcome_type) -> Any:
    """Train one GRPO phase from `base`; returns the phase's outcome (as `train.run_phase` does for SFT)."""
    from trl import GRPOTrainer

    from ascc.trainer import train as T
    from ascc.trainer.model import load_model
    from ascc.trainer.template import install_chat_template

    if phase.use_vllm and (hardware.device == "cpu" or importlib.util.find_spec("vllm") is None):
        raise GrpoSetupError(f"phase {phase.name}: use_vllm needs a GPU and the vllm package (pip install vllm); "
                             "set `use_vllm: false` to generate with transformers")
    tasks = load_phase_tasks(phase, config.base_dir)
    domains = load_phase_domains(phase, config.base_dir, config.output_dir / "build")
    check_tasks(phase, tasks, domains)
    used = {t.domain: domains[t.domain] for t in tasks}
    args = grpo_args(config, phase, phase_dir, hardware)  # before the model: ZeRO-3 partitions it at load
    T.check_zero3(config)
    model, tokenizer = load_model(base, hardware.weights_dtype(config.method), hardware.attn_implementation,
                                  config.seed)
    choice = install_chat_template(tokenizer)
    if choice.added_tokens:
        model.resize_token_embeddings(len(tokenizer))
    install_response_template(tokenizer)
    check_template(tokenizer)
    exact_tool_schemas(tokenizer)
    tokenizer.padding_side = "left"
    outcome = outcome_type(phase.name, base, template=f"{choice.source}: {choice.reason}",
                           settings=T.phase_settings(config, phase),
                           data={"tasks": len(tasks), "domains": {d: sum(t.domain == d for t in tasks) for d in used}})
    checkpoint = T.last_complete_checkpoint(phase_dir)
    outcome.resumed_from = Path(checkpoint).name if checkpoint else None
    log(f"phase {phase.name} (grpo): {len(tasks)} tasks over {len(used)} domains from {base}"
        + (f", resuming from {outcome.resumed_from}" if checkpoint else ""))
    T.write_state(phase_dir, outcome)
    trainer = GRPOTrainer(model=model, args=args,
                          train_dataset=grpo_dataset(tasks, used), processing_class=tokenizer,
                          peft_config=T.lora_config(config, model, choice.added_tokens),
                          environment_factory=environment_factories(used, phase.reward))
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=checkpoint)
    outcome.seconds = round(time.perf_counter() - started, 2)
    T._record_progress(outcome, trainer, result.metrics)
    outcome.data["reward_per_step"] = rewards_per_step(trainer.state.log_history)
    flat = steps_without_signal(trainer.state.log_history)
    outcome.data["steps_without_signal"] = flat
    T.save_final(trainer, tokenizer, phase_dir / "final", merge=config.method == "lora")
    outcome.status = "done"
    T.write_state(phase_dir, outcome)
    log(f"phase {phase.name}: done, {outcome.global_step} steps, mean reward per step "
        f"{outcome.data['reward_per_step']}")
    steps = len(outcome.data["reward_per_step"])
    if steps and flat == steps:
        log(f"warning: phase {phase.name}: no learning signal in any of its {steps} steps: every generation of a "
            "task got the same reward, so GRPO's advantages were 0 and the weights did not move. Look at what "
            "the model does in one episode (docs/training.md, 'When GRPO does not learn').")
    return outcome


def steps_without_signal(history: list[dict]) -> int:
    """Steps in which every group's rewards were equal (TRL's `frac_reward_zero_std` of 1): GRPO's advantage is a
    reward minus its group's mean, so such a step has a zero loss and leaves the weights as they were."""
    return sum(1 for e in history if "step" in e and "reward" in e and e.get("frac_reward_zero_std") == 1.0)


def rewards_per_step(history: list[dict]) -> list[float]:
    """The mean environment reward logged at each step."""
    return [round(float(e["reward"]), 4) for e in history if "reward" in e and "step" in e]


__all__ = ["GrpoSetupError", "check_tasks", "check_template", "grpo_args", "grpo_dataset",
           "load_phase_domains", "load_phase_tasks", "run_grpo_phase", "steps_without_signal"]
