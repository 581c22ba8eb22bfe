"""The model card (`README.md`) and `ascc_training.json` written next to a trained model.

They record what the model is: its base model, each phase's traces, domains and counts, the verification filters
the traces passed (from their `verdicts`), the hyper-parameters and how long training took.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ascc.trainer.config import TrainConfig
    from ascc.trainer.train import PhaseOutcome


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def training_facts(config: TrainConfig, outcomes: list[PhaseOutcome], hardware: str) -> dict[str, Any]:
    """Everything the card states, as JSON-ready data."""
    return {
        "base_model": config.model,
        "method": config.method,
        "lora": asdict(config.lora) if config.method == "lora" else None,
        "hyperparameters": {
            "max_length": config.max_length, "batch_size": config.batch_size, "grad_accum": config.grad_accum,
            "seed": config.seed, "max_steps": config.max_steps, "lr_scheduler": config.lr_scheduler,
            "warmup_ratio": config.warmup_ratio, "packing": config.packing, "assistant_only_loss": True,
            "require_passed": config.require_passed,
        },
        "hardware": hardware,
        "phases": [asdict(outcome) for outcome in outcomes],
        "versions": {name: _version(name) for name in ("ascc", "torch", "transformers", "trl", "peft")},
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _grpo_section(index: int, phase: dict[str, Any]) -> list[str]:
    data, settings = phase["data"], phase["settings"]
    domains = ", ".join(f"`{name}` ({count})" for name, count in data["domains"].items())
    rewards = data.get("reward_per_step") or []
    return [
        f"### Phase {index}: `{phase['name']}` (GRPO)",
        "",
        f"- started from: `{phase['base_model']}`",
        f"- tasks: {data['tasks']} from " + ", ".join(f"`{file}`" for file in settings["tasks"]),
        f"- environments (domains, tasks): {domains}",
        f"- reward: `{settings['reward']}` from ascc's `state` and `calls` filters; "
        f"{settings['num_generations']} generations per task, at most {settings['max_tool_calls']} tool rounds and "
        f"{settings['max_completion_length']} completion tokens",
        f"- mean reward per step: {', '.join(f'{r:.3g}' for r in rewards) or 'n/a'}",
        *([f"- steps without a learning signal (all of a task's generations rewarded alike): "
           f"{data['steps_without_signal']} of {len(rewards)}"] if "steps_without_signal" in data else []),
        f"- learning rate: {settings['learning_rate']}, steps: {phase['global_step']}",
        f"- time: {phase['seconds']} s this run, {_num(phase['seconds_per_step'])} s/step"
        + (f", resumed from `{phase['resumed_from']}`" if phase["resumed_from"] else ""),
        f"- chat template: {phase['template']}",
        "",
    ]


def _phase_section(index: int, phase: dict[str, Any]) -> list[str]:
    if phase["settings"].get("method") == "grpo":
        return _grpo_section(index, phase)
    data = phase["data"]
    settings = phase["settings"]
    domains = ", ".join(f"`{name}` ({count})" for name, count in data["domains"].items())
    filters = ", ".join(f"`{name}` ({count} passed)" for name, count in data["verdict_filters"].items())
    lines = [
        f"### Phase {index}: `{phase['name']}`",
        "",
        f"- started from: `{phase['base_model']}`",
        f"- traces: {data['rows_kept']} of {data['rows_read']} rows read from "
        + ", ".join(f"`{file}`" for file in data["files"]),
        f"- length: {_length_line(data, settings)}",
        f"- domains: {domains}",
        f"- verification filters: {filters or 'none recorded'}"
        + (" (only traces that passed all of them)" if settings["require_passed"] else ""),
        f"- epochs: {settings['epochs']}, learning rate: {settings['learning_rate']}, "
        f"steps: {phase['global_step']}",
        f"- loss: {_num(phase['first_loss'])} (first logged) → {_num(phase['last_loss'])} (last logged)",
        f"- time: {phase['seconds']} s this run, {_num(phase['seconds_per_step'])} s/step"
        + (f", resumed from `{phase['resumed_from']}`" if phase["resumed_from"] else ""),
        f"- chat template: {phase['template']}",
        "",
    ]
    return lines


def _length_line(data: dict[str, Any], settings: dict[str, Any]) -> str:
    """What `max_length` did to the phase's rows: cut, left out, or nothing."""
    if "rows_cut" not in data:
        return "not recorded"
    limit = settings["max_length"]
    if not data["rows_cut"]:
        return f"every row fit in max_length {limit} (the longest has {data['longest_tokens']} tokens)"
    text = (f"{data['rows_cut']} of {data['rows_kept']} rows were longer than max_length {limit} and cut at the end "
            f"(the longest has {data['longest_tokens']} tokens)")
    if data["rows_left_out"]:
        text += f"; {data['rows_left_out']} of them kept no assistant token and were left out"
    return text + f"; {data['rows_trained']} rows trained"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def render_model_card(facts: dict[str, Any]) -> str:
    """Markdown model card from `training_facts`."""
    hp = facts["hyperparameters"]
    method = facts["method"]
    if facts["lora"]:
        lora = facts["lora"]
        method += f" (r={lora['r']}, alpha={lora['alpha']}, dropout={lora['dropout']}, " \
                  f"targets={lora['target_modules']}; merged into the weights)"
    lines = [
        "---",
        "library_name: transformers",
        "tags: [ascc, sft, trl, tool-use]",
        "---",
        "",
        "# Tool-use agent fine-tuned by `ascc train`",
        "",
        f"Base model: `{facts['base_model']}`. Supervised fine-tuning with TRL's SFTTrainer on verified tool-use "
        "trajectories simulated by `ascc simulate`, loss on the assistant's tokens only "
        "(content, tool calls and end-of-turn token).",
        "",
        "## Training",
        "",
        f"- method: {method}",
        f"- max length: {hp['max_length']} tokens, batch size {hp['batch_size']} × {hp['grad_accum']} "
        f"gradient accumulation, seed {hp['seed']}",
        f"- scheduler: {hp['lr_scheduler']}, warmup ratio {hp['warmup_ratio']}, packing: {hp['packing']}, "
        f"max steps: {hp['max_steps']}",
        f"- hardware: {facts['hardware']}",
        "- versions: " + ", ".join(f"{name} {version}" for name, version in facts["versions"].items()),
        f"- written: {facts['written_at']}",
        "",
        "## Phases",
        "",
    ]
    for index, phase in enumerate(facts["phases"], start=1):
        lines += _phase_section(index, phase)
    lines += [
        "## Use",
        "",
        "The chat template saved with the tokenizer renders the tools in the system turn and tool calls as "
        '`<tool_call>{"name": ..., "arguments": {...}}</tool_call>`; `ascc.trainer.template.parse_tool_calls` '
        "reads them back.",
        "",
    ]
    return "\n".join(lines)


def write_model_card(config: TrainConfig, outcomes: list[PhaseOutcome], hardware: str) -> None:
    """Write `README.md` and `ascc_training.json` into the config's output directory."""
    facts = training_facts(config, outcomes, hardware)
    (config.output_dir / "README.md").write_text(render_model_card(facts), encoding="utf-8")
    (config.output_dir / "ascc_training.json").write_text(json.dumps(facts, indent=2, default=str) + "\n",
                                                          encoding="utf-8")
