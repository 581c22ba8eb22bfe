"""`ascc simulate --agent hf:…` with a real (tiny, random-init) transformers model and SmolLM2's tokenizer.

A random model cannot solve tasks: the point is that the whole path — prompt through the tool-aware chat
template, generation, tool-call parsing, rollout, verification, output — runs and rejects with reasons.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers")
ROOT = Path(__file__).resolve().parents[2]


def test_simulate_with_a_local_transformers_model(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-c", "from ascc.cli import main; main()", "simulate",
                           "specs/shop.env.yaml", "--tasks", "2", "--agent", "hf:tiny:smollm2", "--max-tokens", "16",
                           "--max-turns", "3", "--out", str(out), "--build", str(tmp_path / "build"),
                           "--format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["episodes"] == 2 and report["errors"] == 0
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    kept = (out / "traces.jsonl").read_text().splitlines()
    assert len(rejected) + len(kept) == 2
    for r in rejected:
        assert r["reason"] in ("validity", "state", "calls")
        assert any(m["role"] == "assistant" for m in r["messages"])
