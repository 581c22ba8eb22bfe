"""Training end to end with a tiny random-init Llama, the real SmolLM2 tokenizer and real TRL."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

FIXTURE_TRACES = Path(__file__).parents[1] / "fixtures" / "traces"
slow = pytest.mark.skipif(os.environ.get("ASCC_SLOW") != "1", reason="slow: set ASCC_SLOW=1 to run")
pytest.importorskip("trl")

import torch  # noqa: E402
import typer  # noqa: E402
from datasets import Dataset  # noqa: E402
from trl import SFTTrainer  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from ascc.trainer.cli import register  # noqa: E402
from ascc.trainer.config import LoraSettings, Phase, TrainConfig, load_config  # noqa: E402
from ascc.trainer.data import conversation, to_sft_example  # noqa: E402
from ascc.trainer.model import load_model, tiny_llama  # noqa: E402
from ascc.trainer.template import CHATML_TOOLS_TEMPLATE, choose_chat_template, parse_tool_calls  # noqa: E402
from ascc.trainer.train import (  # noqa: E402
    STATE_FILE,
    detect_hardware,
    last_complete_checkpoint,
    lora_config,
    save_final,
    sft_config,
    train,
)

TWO_PHASES = """\
model: tiny:{tokenizer}
output_dir: out
max_length: 256
batch_size: 2
save_steps: 4
logging_steps: 1
max_steps: 8
phases:
  - name: general
    traces: traces/*.jsonl
    domains: [general_x]
    learning_rate: 5e-3
  - name: vertical
    traces: traces/*.jsonl
    domains: [retail]
    learning_rate: 5e-3
"""


@pytest.fixture(scope="module")
def two_phase_run(tmp_path_factory, tokenizer_dir, short_rows, write_traces):
    """One two-phase run (general_x, then retail) shared by the tests that read its results."""
    root = tmp_path_factory.mktemp("two-phase")
    write_traces(root / "traces" / "short.jsonl", short_rows)
    (root / "train.yaml").write_text(TWO_PHASES.format(tokenizer=tokenizer_dir))
    config = load_config(root / "train.yaml")
    lines: list[str] = []
    outcomes = train(config, log=lines.append)
    return config, outcomes, lines


def _losses(phase_dir: Path) -> list[float]:
    """Every logged loss of a phase, from its state file (its checkpoints are gone once it is done)."""
    state = json.loads((phase_dir / STATE_FILE).read_text())
    return [loss for _, loss in state["losses"]]


def test_loss_falls_over_a_few_steps(two_phase_run):
    config, outcomes, _ = two_phase_run
    losses = _losses(config.output_dir / "phases" / "general")
    assert len(losses) == 8
    assert losses[0] == pytest.approx(math.log(49152), abs=0.3)  # a random model: uniform over the vocabulary
    assert losses[-1] < losses[0] - 2.0, losses
    assert outcomes[0].first_loss == losses[0] and outcomes[0].last_loss == losses[-1]


def test_phases_run_in_order_and_phase_two_starts_from_phase_one(two_phase_run):
    config, outcomes, lines = two_phase_run
    general, vertical = outcomes
    assert [o.name for o in outcomes] == ["general", "vertical"]
    assert general.data["domains"] == {"general_x": 2} and vertical.data["domains"] == {"retail": 2}
    assert general.base_model.startswith("tiny:")
    assert vertical.base_model == str(config.output_dir / "phases" / "general" / "final")
    assert [line.split(":")[0] for line in lines if line.startswith("phase")] == [
        "phase general", "phase general", "phase vertical", "phase vertical"]
    # Phase 2 starts from trained weights: its first loss is far below a random model's ln(vocab) ≈ 10.8, which
    # phase 1 started at
    assert general.first_loss == pytest.approx(math.log(49152), abs=0.3)
    assert vertical.first_loss < math.log(49152) - 1.0
    for outcome in outcomes:
        state = json.loads((config.output_dir / "phases" / outcome.name / STATE_FILE).read_text())
        assert (state["status"], state["global_step"]) == ("done", 8)


def test_rerun_skips_finished_phases(two_phase_run):
    config, _, _ = two_phase_run
    lines: list[str] = []
    again = train(config, log=lines.append)
    assert [o.skipped for o in again] == [True, True]
    assert "phase general: already done (8 steps), skipped" in lines
    assert not any("warning" in line for line in lines)


def test_final_model_has_tokenizer_template_and_card(two_phase_run):
    config, _, _ = two_phase_run
    out = config.output_dir
    model, tokenizer = load_model(str(out))
    assert tokenizer.chat_template == CHATML_TOOLS_TEMPLATE
    assert choose_chat_template(tokenizer).source == "model"  # the saved template is recognised as capable
    final = load_model(str(out / "phases" / "vertical" / "final"))[0]
    for (name, ours), (_, theirs) in zip(model.state_dict().items(), final.state_dict().items(), strict=True):
        assert torch.equal(ours, theirs), name
    card = (out / "README.md").read_text()
    for expected in ("Base model: `tiny:", "### Phase 1: `general`", "### Phase 2: `vertical`", "`general_x` (2)",
                     "`retail` (2)", "`state` (2 passed)", "learning rate: 0.005", "max length: 256 tokens",
                     "method: full", "assistant's tokens only"):
        assert expected in card
    facts = json.loads((out / "ascc_training.json").read_text())
    assert [phase["name"] for phase in facts["phases"]] == ["general", "vertical"]


def _direct_trainer(tmp_path, tokenizer, rows, method, steps, lr=5e-3):
    """An SFTTrainer built the way `ascc train` builds one, for tests that need the live model."""
    lora = LoraSettings(r=4, alpha=8, dropout=0.0, target_modules=("q_proj", "v_proj"))
    config = TrainConfig(model="tiny", output_dir=tmp_path, phases=(Phase("p", ("-",), learning_rate=lr),),
                         method=method, lora=lora, max_steps=steps, max_length=256, batch_size=2,
                         save_steps=10_000, lr_scheduler="constant", logging_steps=10)
    dataset = Dataset.from_list([to_sft_example(row) for row in rows])
    args = sft_config(config, config.phases[0], tmp_path / "phase", detect_hardware(config))
    return SFTTrainer(model=tiny_llama(tokenizer), args=args, train_dataset=dataset, processing_class=tokenizer,
                      peft_config=lora_config(config))


@pytest.mark.parametrize("method", ["full", "lora"])
def test_saved_model_reloads_with_the_same_outputs(tmp_path, tokenizer, short_rows, method):
    messages, tools = conversation(short_rows[0])
    probe = tokenizer.apply_chat_template(messages, tools=tools, return_tensors="pt", return_dict=True)["input_ids"]
    with torch.no_grad():
        untrained = tiny_llama(tokenizer)(probe).logits
    trainer = _direct_trainer(tmp_path, tokenizer, short_rows, method, steps=3)
    trainer.train()
    trainer.model.eval()
    with torch.no_grad():
        trained = trainer.model(probe).logits
    assert not torch.allclose(trained, untrained, atol=1e-3)  # training changed the outputs
    save_final(trainer, tokenizer, tmp_path / "final", merge=method == "lora")
    assert not (tmp_path / "final" / "adapter_config.json").exists()  # LoRA is merged into plain weights
    reloaded, reloaded_tokenizer = load_model(str(tmp_path / "final"))
    with torch.no_grad():
        torch.testing.assert_close(reloaded.eval()(probe).logits, trained, atol=1e-4, rtol=1e-4)
    assert reloaded_tokenizer.chat_template == tokenizer.chat_template


def test_overfit_model_generates_a_parseable_tool_call(tmp_path, tokenizer):
    """From the generation prompt, a model trained on one conversation emits the call the parser reads back."""
    arguments = json.dumps({"city": "Paris"})
    call = {"id": "c0", "type": "function", "function": {"name": "get_weather", "arguments": arguments}}
    messages = [{"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": None, "tool_calls": [call]}]
    trainer = _direct_trainer(tmp_path, tokenizer, [{"messages": messages, "tools": "[]"}], "full", steps=100,
                              lr=1e-2)
    trainer.args.per_device_train_batch_size = 1
    trainer.train()
    model = trainer.model.eval()
    prompt = tokenizer.apply_chat_template(messages[:1], add_generation_prompt=True, return_tensors="pt",
                                           return_dict=True)
    output = model.generate(**prompt, max_new_tokens=40, do_sample=False,
                            eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"))
    text = tokenizer.decode(output[0][prompt["input_ids"].shape[1]:])
    content, calls = parse_tool_calls(text)
    assert text.endswith("<|im_end|>"), text  # the end-of-turn token was trained: the model stops
    assert content is None
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls] == [
        ("get_weather", {"city": "Paris"})]


def _cli_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """ascc"""

    register(app)
    return app


KILLABLE = """\
model: tiny:{tokenizer}
output_dir: out
max_length: 256
save_steps: 2
logging_steps: 1
max_steps: 4
phases:
  - name: only
    traces: traces.jsonl
    learning_rate: 1e-3
"""


def test_killed_run_resumes_from_its_last_checkpoint(tmp_path, tokenizer_dir, short_rows, write_traces):
    write_traces(tmp_path / "traces.jsonl", short_rows)
    (tmp_path / "train.yaml").write_text(KILLABLE.format(tokenizer=tokenizer_dir))
    command = [sys.executable, "-m", "ascc.trainer.cli", "train", str(tmp_path / "train.yaml")]
    phase_dir = tmp_path / "out" / "phases" / "only"

    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (phase_dir / "checkpoint-2" / "trainer_state.json").exists():
        assert first.poll() is None, first.stderr.read()
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait()
    resume_point = Path(last_complete_checkpoint(phase_dir)).name
    assert resume_point == "checkpoint-2"  # killed within a step of the first checkpoint, before the last
    assert json.loads((phase_dir / STATE_FILE).read_text())["status"] == "running"

    # The rerun is the same command, invoked in this process to spare a second ~7 s import of torch + TRL
    second = CliRunner().invoke(_cli_app(), command[3:])
    assert second.exit_code == 0, second.output
    assert f"resuming from {resume_point}" in second.output
    state = json.loads((phase_dir / STATE_FILE).read_text())
    assert (state["status"], state["global_step"], state["resumed_from"]) == ("done", 4, resume_point)
    assert [step for step, _ in state["losses"]] == [1, 2, 3, 4]
    assert (tmp_path / "out" / "model.safetensors").is_file()


@pytest.mark.slow
@slow
def test_smollm2_gguf_lora_on_fixture_traces(tmp_path, tokenizer_dir):  # tokenizer_dir: skips without the GGUF
    """The real SmolLM2-135M (GGUF, dequantised and cached) takes a few LoRA steps on the fixture traces."""
    (tmp_path / "train.yaml").write_text(f"""\
model: smollm2
output_dir: out
method: lora
lora: {{r: 8, alpha: 16}}
max_length: 1024
batch_size: 1
max_steps: 4
logging_steps: 1
save_steps: 2
phases:
  - name: all
    traces: {FIXTURE_TRACES}/*.jsonl
    learning_rate: 2e-4
""")
    lines: list[str] = []
    [outcome] = train(load_config(tmp_path / "train.yaml"), log=lines.append)
    print("\n".join(lines), f"\nSmolLM2 LoRA: {outcome.seconds_per_step} s/step")
    assert outcome.status == "done" and outcome.global_step == 4
    assert math.isfinite(outcome.last_loss) and outcome.first_loss < 10  # a pretrained model, not random
    model, tokenizer = load_model(str(tmp_path / "out"))
    assert tokenizer.chat_template == CHATML_TOOLS_TEMPLATE
    assert sum(p.numel() for p in model.parameters()) > 100_000_000  # merged full weights, not an adapter
