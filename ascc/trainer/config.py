"""The `ascc train` config: a YAML file read with ruamel.yaml into typed dataclasses.

Paths in the file (`output_dir`, phase `traces`) are relative to the file's directory. A bad value raises
`ConfigError`, whose message is one line naming the file, line, column and field path:
`train.yaml:9:15: phases[1].epochs: expected a number > 0, got 'two'`.

Training runs in phases, as in AgentScaler: phase 1 on general domains, phase 2 on vertical domains, each phase
starting from the weights the previous one ended with.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from ascc.inputs import InputProblem, check_yaml, read_text

Method = Literal["full", "lora"]
PhaseMethod = Literal["sft", "grpo"]


class ConfigError(ValueError):
    """A train config value that is missing, unknown or of the wrong type; `str()` is one line."""

    def __init__(self, file: str, path: str, message: str, line: int | None = None, col: int | None = None):
        self.file, self.path, self.line, self.col = file, path, line, col
        where = f"{file}:{line}:{col}" if line is not None else file
        super().__init__(f"{where}: {path}: {message}" if path else f"{where}: {message}")


@dataclass(frozen=True)
class LoraSettings:
    """LoRA adapter shape (used when `method: lora`)."""

    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: tuple[str, ...] | str = "all-linear"


@dataclass(frozen=True)
class Phase:
    """One training phase: SFT on traces, or GRPO on tasks in the compiled environments; how long, how fast."""

    name: str
    traces: tuple[str, ...] = ()
    domains: tuple[str, ...] | None = None
    epochs: float = 1.0
    learning_rate: float = 2e-5
    method: PhaseMethod = "sft"
    # GRPO phases (method: grpo): task files, the specs of their domains, and the rollout settings
    tasks: tuple[str, ...] = ()
    specs: tuple[str, ...] = ("specs",)
    num_generations: int = 4
    max_completion_length: int = 256
    max_tool_calls: int = 8
    temperature: float = 1.0
    reward: Literal["binary", "partial"] = "binary"
    max_steps: int | None = None  # None: the run's `max_steps`
    generation_kwargs: dict[str, Any] | None = None  # GRPO: passed to generation (e.g. top_k, repetition_penalty)
    use_vllm: bool = False  # GRPO: generate with vLLM colocated on the training GPUs
    vllm_gpu_memory: float = 0.3  # GRPO + vLLM: the share of each GPU's memory vLLM may take


@dataclass(frozen=True)
class TrainConfig:
    """A whole `ascc train` run."""

    model: str
    output_dir: Path
    phases: tuple[Phase, ...]
    base_dir: Path = Path(".")
    method: Method = "full"
    lora: LoraSettings = field(default_factory=LoraSettings)
    max_length: int = 2048
    batch_size: int = 2
    grad_accum: int = 1
    seed: int = 0
    save_steps: int = 50
    save_total_limit: int = 1
    keep_checkpoints: bool = False  # False: a phase's checkpoints are removed once it is done
    logging_steps: int = 10
    max_steps: int = -1
    threads: int = 1
    require_passed: bool = True
    packing: bool = False
    gradient_checkpointing: bool | None = None  # None: on for GPU, off for CPU (it doubled CPU step time)
    warmup_ratio: float = 0.0
    lr_scheduler: str = "linear"
    attn_implementation: str | None = None  # None: flash_attention_2 where flash_attn is installed, else sdpa
    deepspeed: Path | None = None  # a DeepSpeed JSON config (e.g. ZeRO-3), handed to TRL's TrainingArguments

    def phase_max_steps(self, phase: Phase) -> int:
        """A phase's optimizer steps at most: its own `max_steps`, else the top-level one (-1: by epochs)."""
        return self.max_steps if phase.max_steps is None else phase.max_steps


_TOP_KEYS = {f for f in TrainConfig.__dataclass_fields__ if f != "base_dir"}
_PHASE_KEYS = set(Phase.__dataclass_fields__)
_LORA_KEYS = set(LoraSettings.__dataclass_fields__)
# transformers' SchedulerType values, listed here so a typo fails at config time without importing transformers
SCHEDULERS = ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
              "inverse_sqrt", "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay")
_PHASE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# transformers' built-in attention implementations; anything else must be a kernel-hub repo (`org/repo[@rev][:fn]`)
ATTENTION = ("eager", "sdpa", "flash_attention_2", "flash_attention_3", "flex_attention")
_HUB_KERNEL = re.compile(r"^[^/:@\s]+/[^/:@\s]+(?:@[^/:@\s]+)?(?::[^/:@\s]+)?$")  # as transformers' `is_kernel`


class _Reader:
    """Typed access to a ruamel node tree that turns every problem into a `ConfigError` at the right line."""

    def __init__(self, file: str):
        self.file = file

    def fail(self, path: str, message: str, node: Any = None, key: Any = None, at_key: bool = False) -> ConfigError:
        line = col = None
        try:
            if isinstance(node, CommentedMap) and key is not None and key in node:
                line, col = node.lc.key(key) if at_key else node.lc.value(key)
            elif isinstance(node, CommentedSeq) and isinstance(key, int):
                line, col = node.lc.item(key)
            elif node is not None and hasattr(node, "lc"):
                line, col = node.lc.line, node.lc.col
        except (KeyError, IndexError, TypeError, AttributeError):
            pass
        return ConfigError(self.file, path, message, None if line is None else line + 1,
                           None if col is None else col + 1)

    def mapping(self, node: Any, path: str, allowed: set[str], parent: Any = None, key: Any = None) -> CommentedMap:
        if not isinstance(node, dict):
            raise self.fail(path, f"expected a mapping, got {_shown(node)}", parent, key)
        for name in node:
            if name not in allowed:
                close = difflib.get_close_matches(str(name), sorted(allowed), n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else f" (known: {', '.join(sorted(allowed))})"
                raise self.fail(_join(path, name), f"unknown field{hint}", node, name, at_key=True)
        return node

    def value(self, node: CommentedMap, path: str, name: str, kind: str, default: Any = ...) -> Any:
        full = _join(path, name)
        if name not in node or node[name] is None:
            if default is ...:
                raise self.fail(full, "missing required field", node)
            return default
        raw = node[name]
        ok, value = _convert(kind, raw)
        if not ok:
            raise self.fail(full, f"expected {_KIND_TEXT[kind]}, got {_shown(raw)}", node, name)
        return value


_KIND_TEXT = {
    "str": "a non-empty string",
    "int+": "an integer > 0",
    "int": "an integer",
    "num+": "a number > 0",
    "num0": "a number >= 0",
    "bool": "true or false",
    "strs": "a string or a list of strings",
}


def _convert(kind: str, raw: Any) -> tuple[bool, Any]:
    if kind == "str":
        return isinstance(raw, str) and raw.strip() != "", raw
    if kind == "bool":
        return isinstance(raw, bool), raw
    if kind in ("int", "int+"):
        good = isinstance(raw, int) and not isinstance(raw, bool) and (kind == "int" or raw > 0)
        return good, raw
    if kind in ("num+", "num0"):
        number = _number(raw)
        good = number is not None and (number > 0 if kind == "num+" else number >= 0)
        return good, number
    if kind == "strs":
        items = [raw] if isinstance(raw, str) else raw
        good = isinstance(items, list) and bool(items) and all(isinstance(i, str) and i for i in items)
        return good, tuple(items) if good else raw
    raise AssertionError(kind)


def _number(raw: Any) -> float | None:
    # YAML 1.2 reads `2e-5` as a string (no dot in the mantissa), so numeric strings are accepted too.
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    try:
        return float(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _join(path: str, name: Any) -> str:
    return f"{path}.{name}" if path else str(name)


def _shown(raw: Any) -> str:
    if isinstance(raw, dict):
        return "a mapping"
    if isinstance(raw, list):
        return "a list"
    return repr(raw)


def _read_phase(reader: _Reader, node: Any, index: int, parent: CommentedSeq) -> Phase:
    path = f"phases[{index}]"
    node = reader.mapping(node, path, _PHASE_KEYS, parent, index)
    name = reader.value(node, path, "name", "str")
    if not _PHASE_NAME.match(name):
        raise reader.fail(f"{path}.name", f"expected letters, digits, `_`, `-` or `.`, got {name!r}", node, "name")
    domains = reader.value(node, path, "domains", "strs", None)
    method = reader.value(node, path, "method", "str", "sft")
    if method not in ("sft", "grpo"):
        raise reader.fail(f"{path}.method", f"expected `sft` or `grpo`, got {method!r}", node, "method")
    reward = reader.value(node, path, "reward", "str", "binary")
    if reward not in ("binary", "partial"):
        raise reader.fail(f"{path}.reward", f"expected `binary` or `partial`, got {reward!r}", node, "reward")
    grpo = method == "grpo"
    for key in ("tasks", "specs", "num_generations", "max_completion_length", "max_tool_calls", "temperature",
                "reward", "generation_kwargs", "use_vllm", "vllm_gpu_memory"):
        if not grpo and key in node:
            raise reader.fail(f"{path}.{key}", "only a `method: grpo` phase takes this", node, key, at_key=True)
    if grpo and "traces" in node:
        raise reader.fail(f"{path}.traces", "a GRPO phase learns from `tasks:`, not traces", node, "traces",
                          at_key=True)
    return Phase(
        name=name,
        traces=() if grpo else reader.value(node, path, "traces", "strs"),
        domains=domains,
        epochs=reader.value(node, path, "epochs", "num+", 1.0),
        learning_rate=reader.value(node, path, "learning_rate", "num0", 1e-6 if grpo else 2e-5),
        method=method,
        tasks=reader.value(node, path, "tasks", "strs") if grpo else (),
        specs=reader.value(node, path, "specs", "strs", ("specs",)),
        num_generations=reader.value(node, path, "num_generations", "int+", 4),
        max_completion_length=reader.value(node, path, "max_completion_length", "int+", 256),
        max_tool_calls=reader.value(node, path, "max_tool_calls", "int+", 8),
        temperature=reader.value(node, path, "temperature", "num+", 1.0),
        reward=reward,
        max_steps=reader.value(node, path, "max_steps", "int", None),
        generation_kwargs=_plain_mapping(reader, node, path, "generation_kwargs"),
        use_vllm=reader.value(node, path, "use_vllm", "bool", False),
        vllm_gpu_memory=reader.value(node, path, "vllm_gpu_memory", "num+", 0.3),
    )


def _plain_mapping(reader: _Reader, node: CommentedMap, path: str, name: str) -> dict[str, Any] | None:
    """A mapping value as plain Python data (ruamel's nodes turned into dicts and lists)."""
    raw = node.get(name)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise reader.fail(f"{path}.{name}", f"expected a mapping, got {_shown(raw)}", node, name)

    def plain(v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        return [plain(x) for x in v] if isinstance(v, list) else v
    return plain(raw)


def _read_lora(reader: _Reader, node: Any, parent: CommentedMap) -> LoraSettings:
    if node is None:
        return LoraSettings()
    node = reader.mapping(node, "lora", _LORA_KEYS, parent, "lora")
    targets = reader.value(node, "lora", "target_modules", "strs", ("all-linear",))
    return LoraSettings(
        r=reader.value(node, "lora", "r", "int+", 16),
        alpha=reader.value(node, "lora", "alpha", "int+", 32),
        dropout=reader.value(node, "lora", "dropout", "num0", 0.05),
        target_modules=targets[0] if targets == ("all-linear",) else targets,
    )


def _read_phases(reader: _Reader, root: CommentedMap) -> tuple[Phase, ...]:
    node = root.get("phases")
    if not isinstance(node, list) or not node:
        raise reader.fail("phases", "expected a non-empty list of phases", root, "phases")
    phases = tuple(_read_phase(reader, item, index, node) for index, item in enumerate(node))
    seen: set[str] = set()
    for index, phase in enumerate(phases):
        if phase.name in seen:
            raise reader.fail(f"phases[{index}].name", f"phase name {phase.name!r} is used twice", node, index)
        seen.add(phase.name)
    return phases


def parse_config(text: str, file: str = "<config>", base_dir: Path | None = None) -> TrainConfig:
    """A `TrainConfig` from YAML text; raises `ConfigError`."""
    reader = _Reader(file)
    try:
        check_yaml(text)
    except InputProblem as err:
        raise ConfigError(file, "", err.message, err.line, err.col) from None
    try:
        root = YAML(typ="rt").load(text)
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ConfigError(file, "", f"not valid YAML: {getattr(err, 'problem', None) or err}", line, col) from None
    root = reader.mapping(root, "", _TOP_KEYS)
    base = base_dir or Path(".")
    method = reader.value(root, "", "method", "str", "full")
    if method not in ("full", "lora"):
        raise reader.fail("method", f"expected `full` or `lora`, got {method!r}", root, "method")
    gc = root.get("gradient_checkpointing")
    scheduler = reader.value(root, "", "lr_scheduler", "str", "linear")
    if scheduler not in SCHEDULERS:
        raise reader.fail("lr_scheduler", f"expected one of {', '.join(SCHEDULERS)}, got {scheduler!r}", root,
                          "lr_scheduler")
    if _number(root.get("warmup_ratio", 0)) is not None and _number(root.get("warmup_ratio", 0)) >= 1:
        raise reader.fail("warmup_ratio", "expected a fraction of the steps, below 1", root, "warmup_ratio")
    attn = reader.value(root, "", "attn_implementation", "str", None)
    if attn is not None and attn not in ATTENTION and not _HUB_KERNEL.match(attn):
        raise reader.fail("attn_implementation", f"expected one of {', '.join(ATTENTION)} or a kernel-hub repo such "
                          f"as `kernels-community/flash-attn2`, got {attn!r}", root, "attn_implementation")
    deepspeed = reader.value(root, "", "deepspeed", "str", None)
    return TrainConfig(
        model=reader.value(root, "", "model", "str"),
        output_dir=base / reader.value(root, "", "output_dir", "str"),
        phases=_read_phases(reader, root),
        base_dir=base,
        method=method,
        lora=_read_lora(reader, root.get("lora"), root),
        max_length=reader.value(root, "", "max_length", "int+", 2048),
        batch_size=reader.value(root, "", "batch_size", "int+", 2),
        grad_accum=reader.value(root, "", "grad_accum", "int+", 1),
        seed=reader.value(root, "", "seed", "int", 0),
        save_steps=reader.value(root, "", "save_steps", "int+", 50),
        save_total_limit=reader.value(root, "", "save_total_limit", "int+", 1),
        keep_checkpoints=reader.value(root, "", "keep_checkpoints", "bool", False),
        logging_steps=reader.value(root, "", "logging_steps", "int+", 10),
        max_steps=reader.value(root, "", "max_steps", "int", -1),
        threads=reader.value(root, "", "threads", "int+", 1),
        require_passed=reader.value(root, "", "require_passed", "bool", True),
        packing=reader.value(root, "", "packing", "bool", False),
        gradient_checkpointing=None if gc is None else reader.value(root, "", "gradient_checkpointing", "bool"),
        warmup_ratio=reader.value(root, "", "warmup_ratio", "num0", 0.0),
        lr_scheduler=scheduler,
        attn_implementation=attn,
        deepspeed=None if deepspeed is None else base / deepspeed,
    )


def load_config(path: Path) -> TrainConfig:
    """Read a train config file; paths in it are taken relative to its directory."""
    try:
        text = read_text(path)
    except OSError as err:
        raise ConfigError(str(path), "", f"cannot read config: {err.strerror}") from None
    except InputProblem as err:
        raise ConfigError(str(path), "", f"cannot read config: {err.message}", err.line, err.col) from None
    return parse_config(text, str(path), path.resolve().parent)


def with_overrides(
    config: TrainConfig,
    *,
    model: str | None = None,
    output_dir: Path | None = None,
    epochs: float | None = None,
    learning_rate: float | None = None,
    method: Method | None = None,
    max_steps: int | None = None,
    threads: int | None = None,
) -> TrainConfig:
    """The config with command-line flags applied; `epochs`, `learning_rate` and `max_steps` apply to every
    phase (a phase's own `max_steps` included)."""
    phases = tuple(
        replace(
            phase,
            epochs=phase.epochs if epochs is None else epochs,
            learning_rate=phase.learning_rate if learning_rate is None else learning_rate,
            max_steps=phase.max_steps if max_steps is None else max_steps,
        )
        for phase in config.phases
    )
    changes: dict[str, Any] = {"phases": phases}
    for name, value in (("model", model), ("output_dir", output_dir), ("method", method),
                        ("max_steps", max_steps), ("threads", threads)):
        if value is not None:
            changes[name] = value
    return replace(config, **changes)
