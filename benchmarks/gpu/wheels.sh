#!/usr/bin/env bash
# Run HERE (not on the GPU machine): download the wheels the GPU machine lacks into .whl/ (git-ignored), for
# Python 3.12 x86-64. The GPU image has torch, transformers, accelerate, peft, pyarrow, jinja2, networkx, rich,
# typer and pyyaml (/work/.library/device/KINDS.md); what ascc needs beyond them travels as wheels (< 64 MiB in all).
set -euo pipefail
cd "$(dirname "$0")/../.."
for d in /.whl/ /.tok/; do grep -qx "$d" .git/info/exclude 2>/dev/null || echo "$d" >> .git/info/exclude; done
rm -rf .whl && mkdir .whl
plat=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64
      --platform manylinux2014_x86_64 --platform manylinux1_x86_64 --platform manylinux_2_24_x86_64)
pkgs=(trl datasets duckdb lark ruamel.yaml sqlglot faker google-re2 dill multiprocess xxhash)
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp "${plat[@]}" \
    -d .whl "${pkgs[@]}"
python3 -m pip wheel -q --no-deps -w .whl .          # ascc itself
# SmolLM2's tokenizer (2 MB; its 98 MB GGUF stays here) for the tiny random model there
python3 -c "from ascc.trainer.model import load_tokenizer; load_tokenizer('smollm2').save_pretrained('.tok')"
du -sh .whl .tok   # carry both: run(command="bash benchmarks/gpu/smoke.sh", carry=[".whl", ".tok"])
