#!/usr/bin/env bash
# Run HERE (not on the GPU machine): download the wheels the GPU machine lacks into .whl/ (git-ignored), for
# Python 3.12 x86-64. The GPU image has torch, transformers, accelerate, peft, pyarrow, jinja2, networkx, rich,
# typer and pyyaml (/work/.library/device/KINDS.md); what ascc needs beyond them travels as wheels (< 64 MiB in all).
set -euo pipefail
cd "$(dirname "$0")/../.."
exclude=$(git rev-parse --git-path info/exclude); mkdir -p "$(dirname "$exclude")"   # works in a worktree too
for d in /.whl/ /.tok/; do grep -qx "$d" "$exclude" 2>/dev/null || echo "$d" >> "$exclude"; done
rm -rf .whl && mkdir .whl
plat=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64
      --platform manylinux2014_x86_64 --platform manylinux1_x86_64 --platform manylinux_2_24_x86_64)
pkgs=(trl datasets duckdb lark ruamel.yaml sqlglot faker google-re2 dill multiprocess xxhash)
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp "${plat[@]}" \
    -d .whl "${pkgs[@]}"
# DeepSpeed for the ZeRO-3 part: PyPI has only its source, which builds into a pure-Python wheel (ops are
# compiled on first use there, and ZeRO-3 without offload uses none); hjson and pydantic are what it needs beyond
# the image. Optional: the smoke script skips ZeRO-3 when deepspeed does not import.
python3 -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp "${plat[@]}" \
    -d .whl hjson pydantic || echo "no pydantic/hjson wheels"   # with deps: the pydantic-core pydantic pins
scratch=$(mktemp -d)
python3 -m pip download -q --no-deps --no-binary=:all: deepspeed -d "$scratch" \
    && DS_BUILD_OPS=0 python3 -m pip wheel -q --no-deps --no-build-isolation "$scratch"/deepspeed-*.tar.gz -w .whl \
    || echo "no deepspeed wheel: the smoke script will skip ZeRO-3"
rm -rf "$scratch"
python3 -m pip wheel -q --no-deps -w .whl .          # ascc itself
# SmolLM2's tokenizer (2 MB; its 98 MB GGUF stays here) for the tiny random model there
python3 -c "from ascc.trainer.model import load_tokenizer; load_tokenizer('smollm2').save_pretrained('.tok')"
du -sh .whl .tok   # carry both: run(command="bash benchmarks/gpu/smoke.sh", carry=[".whl", ".tok"])
