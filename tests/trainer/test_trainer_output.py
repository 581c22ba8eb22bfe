"""What `ascc train` leaves and says: every step of a short run logged, rows cut at `max_length` counted in the
log and the card, no checkpoints or second copy of the weights once done, and the shipped tiny CPU config.

Real TRL with a tiny random-init Llama and the real SmolLM2 tokenizer (tests/trainer/conftest.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("trl")

from ascc.trainer.config import load_config, with_overrides  # noqa: E402
from ascc.trainer.data import assistant_token_mask, conversation  # noqa: E402
from ascc.trainer.train import STATE_FILE, train  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MAX_LENGTH = 64

SHORT = """\
model: tiny:{tokenizer}
output_dir: out
max_length: {max_length}
batch_size: 2
save_steps: 2
max_steps: 3
phases:
  - name: only
    traces: traces.jsonl
    learning_rate: 5e-3
"""


def _long_prompt_row(short_rows):
    row = json.loads(json.dumps(short_rows[0]))
    row["id"] = row["task_id"] = "long"
    row["messages"][0]["content"] = "Weather in Paris? " + "Please be precise. " * 40
    return row


@pytest.fixture(scope="module")
def short_run(tmp_path_factory, tokenizer_dir, short_rows, write_traces):
    """Three steps (logging_steps left at its default, 10), rows longer than max_length, one whose prompt alone
    fills it."""
    root = tmp_path_factory.mktemp("short-run")
    rows = [*short_rows, _long_prompt_row(short_rows)]
    write_traces(root / "traces.jsonl", rows)
    (root / "train.yaml").write_text(SHORT.format(tokenizer=tokenizer_dir, max_length=MAX_LENGTH))
    config = load_config(root / "train.yaml")
    lines: list[str] = []
    outcomes = train(config, log=lines.append)
    return config, outcomes, lines, rows


def test_a_three_step_run_logs_every_step(short_run):
    config, (outcome,), lines, _ = short_run
    assert config.logging_steps == 10
    state = json.loads((config.output_dir / "phases" / "only" / STATE_FILE).read_text())
    assert [step for step, _ in state["losses"]] == [1, 2, 3]
    first, last = state["losses"][0][1], state["losses"][-1][1]
    assert f"phase only: done, 3 steps, loss {first:.4g} -> {last:.4g} over 3 logged steps" in lines


def test_rows_cut_at_max_length_are_counted_in_the_log_and_the_card(short_run, tokenizer):
    config, (outcome,), lines, rows = short_run
    # independently of TRL and of the code under test: the template's own turn structure
    lengths, first_assistant = [], []
    for row in rows:
        ids, mask = assistant_token_mask(tokenizer, *conversation(row))
        lengths.append(len(ids))
        first_assistant.append(mask.index(1))
    cut = sum(n > MAX_LENGTH for n in lengths)
    left_out = sum(i >= MAX_LENGTH for i in first_assistant)
    assert cut >= 2 and left_out == 1  # the fixture must exercise both
    data = outcome.data
    assert (data["rows_cut"], data["rows_left_out"], data["rows_trained"]) == (cut, left_out, len(rows) - left_out)
    assert data["longest_tokens"] == max(lengths)
    assert any(line.startswith(f"phase only: {cut} of {len(rows)} traces are longer than max_length "
                               f"({MAX_LENGTH} tokens; the longest has {max(lengths)})")
               and f"{left_out} of them kept no assistant token and were left out" in line for line in lines), lines
    card = (config.output_dir / "README.md").read_text()
    assert (f"- length: {cut} of {len(rows)} rows were longer than max_length {MAX_LENGTH} and cut at the end"
            in card)
    assert f"{len(rows) - left_out} rows trained" in card


def test_a_finished_run_keeps_no_checkpoints_and_one_copy_of_the_weights(short_run):
    config, _, _, _ = short_run
    out = config.output_dir
    phase = out / "phases" / "only"
    assert not list(phase.glob("checkpoint-*"))
    published, final = out / "model.safetensors", phase / "final" / "model.safetensors"
    assert published.stat().st_ino == final.stat().st_ino  # a hard link, not a second copy
    files = {p.stat().st_ino: p.stat().st_size for p in out.rglob("*") if p.is_file()}
    assert sum(files.values()) < 1.2 * sum(p.stat().st_size for p in (phase / "final").iterdir())


def test_the_tiny_cpu_config_in_the_docs_runs(tmp_path, tokenizer_dir, short_rows, write_traces):
    shipped = ROOT / "examples" / "train-cpu-tiny.yaml"
    assert "examples/train-cpu-tiny.yaml" in (ROOT / "docs" / "training.md").read_text()
    config = load_config(shipped)
    assert config.model == "smollm2" and config.method == "lora" and config.threads >= 1
    # its settings on this machine's fixtures, with the tiny model instead of SmolLM2 and 2 steps
    (tmp_path / "train.yaml").write_text(shipped.read_text())
    write_traces(tmp_path / "traces" / "t.jsonl", short_rows)
    config = with_overrides(load_config(tmp_path / "train.yaml"), model=f"tiny:{tokenizer_dir}", max_steps=2)
    config = replace(config, phases=tuple(replace(p, traces=("traces/*.jsonl",)) for p in config.phases))
    (outcome,) = train(config, log=lambda _: None)
    assert outcome.global_step == 2 and outcome.status == "done"


def test_the_results_configs_parse_and_the_results_page_runs_them():
    results = (ROOT / "docs" / "results.md").read_text()
    assert "examples/call_anatomy.py" in results
    sft = load_config(ROOT / "examples" / "results-holdout-sft.yaml")
    assert "examples/results-holdout-sft.yaml" in results and "ascc train results-holdout-sft.yaml" in results
    assert sft.model == "smollm2" and sft.threads == 1 and [p.method for p in sft.phases] == ["sft"]
    grpo = load_config(ROOT / "examples" / "results-grpo.yaml")
    assert "examples/results-grpo.yaml" in results and "ascc train results-grpo.yaml" in results
    (rl,) = grpo.phases
    assert rl.method == "grpo" and grpo.model == "sft" and grpo.batch_size % rl.num_generations == 0
