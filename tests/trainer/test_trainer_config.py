"""The train config file: typed values, one-line errors with the field path, command-line overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ascc.trainer.cli import register
from ascc.trainer.config import ConfigError, LoraSettings, load_config, parse_config, with_overrides

GOOD = """\
model: smollm2
output_dir: runs/agent
method: lora
lora: {r: 8, target_modules: [q_proj, v_proj]}
max_length: 1024
phases:
  - name: general
    traces: traces/general_*.jsonl
    learning_rate: 2e-5
  - name: vertical
    traces: [traces/retail.jsonl, traces/airline.jsonl]
    domains: [retail, airline]
    epochs: 2
"""


def test_a_good_config_reads_into_typed_values(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text(GOOD)
    config = load_config(path)
    assert config.model == "smollm2"
    assert config.output_dir == tmp_path / "runs/agent"
    assert config.base_dir == tmp_path
    assert config.lora == LoraSettings(r=8, alpha=32, dropout=0.05, target_modules=("q_proj", "v_proj"))
    general, vertical = config.phases
    assert (general.name, general.traces, general.domains, general.epochs) == (
        "general", ("traces/general_*.jsonl",), None, 1.0)
    assert general.learning_rate == 2e-5  # YAML 1.2 reads `2e-5` as a string; it is still a number here
    assert (vertical.domains, vertical.epochs, vertical.learning_rate) == (("retail", "airline"), 2.0, 2e-5)
    assert (config.max_length, config.batch_size, config.threads, config.require_passed) == (1024, 2, 1, True)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("epochs: 2", "epochs: two"), "train.yaml:13:13: phases[1].epochs: expected a number > 0, got 'two'"),
        (("method: lora", "methd: lora"), "train.yaml:3:1: methd: unknown field (did you mean `method`?)"),
        (("model: smollm2\n", ""), "model: missing required field"),
        (("method: lora", "method: qlora"), "train.yaml:3:9: method: expected `full` or `lora`, got 'qlora'"),
        (("r: 8", "r: 0"), "train.yaml:4:11: lora.r: expected an integer > 0, got 0"),
        (("name: vertical", "name: general"), "phases[1].name: phase name 'general' is used twice"),
        (("name: vertical", "name: ../up"), "phases[1].name: expected letters, digits"),
        (("learning_rate: 2e-5", "learning_rate: fast"), "phases[0].learning_rate: expected a number >= 0"),
        (("domains: [retail, airline]", "domains: 3"), "phases[1].domains: expected a string or a list of strings"),
        (("    traces: traces/general_*.jsonl\n", ""), "phases[0].traces: missing required field"),
        (("max_length: 1024", "max_length: 1.5"), "train.yaml:5:13: max_length: expected an integer > 0, got 1.5"),
        (("max_length: 1024", "max_length: [1"), "train.yaml:6:7: not valid YAML"),
    ],
)
def test_bad_configs_fail_with_one_line_naming_the_field(edit, message):
    old, new = edit
    assert old in GOOD
    with pytest.raises(ConfigError) as caught:
        parse_config(GOOD.replace(old, new), "train.yaml")
    text = str(caught.value)
    assert message in text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "train.yaml: expected a mapping, got a list"),
        ("model: m\noutput_dir: o\nphases: []\n", "phases: expected a non-empty list of phases"),
        ("model: m\noutput_dir: o\nphases: [3]\n", "phases[0]: expected a mapping, got 3"),
        ("model: m\noutput_dir: o\nwarmup_ratio: 2\nphases: [{name: a, traces: t}]\n", "warmup_ratio: expected"),
        ("model: m\noutput_dir: o\nlr_scheduler: cosin\nphases: [{name: a, traces: t}]\n",
         "train.yaml:3:15: lr_scheduler: expected one of linear, cosine"),
    ],
)
def test_bad_shapes(text, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_config(text, "train.yaml")


def test_overrides_replace_config_values():
    config = with_overrides(parse_config(GOOD, "t.yaml"), model="tiny:smollm2", epochs=3, learning_rate=1e-4,
                            method="full", max_steps=5, threads=2, output_dir=Path("/tmp/x"))
    assert (config.model, config.method, config.max_steps, config.threads) == ("tiny:smollm2", "full", 5, 2)
    assert config.output_dir == Path("/tmp/x")
    assert {(p.epochs, p.learning_rate) for p in config.phases} == {(3, 1e-4)}
    untouched = with_overrides(parse_config(GOOD, "t.yaml"))
    assert untouched == parse_config(GOOD, "t.yaml")


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """ascc"""

    register(app)
    return app


def test_cli_reports_a_bad_config_in_one_line(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text(GOOD.replace("epochs: 2", "epochs: -1"))
    result = CliRunner().invoke(_app(), ["train", str(path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: {path}:13:13: phases[1].epochs: expected a number > 0, got -1"]


def test_cli_reports_a_missing_file_and_bad_flags(tmp_path):
    result = CliRunner().invoke(_app(), ["train", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2 and "cannot read config" in result.output
    path = tmp_path / "train.yaml"
    path.write_text(GOOD)
    result = CliRunner().invoke(_app(), ["train", str(path), "--method", "qlora"])
    assert result.exit_code == 2 and "--method: expected `full` or `lora`" in result.output
    result = CliRunner().invoke(_app(), ["train", str(path), "--lr", "0"])
    assert result.exit_code == 2 and "--lr: expected a number > 0" in result.output


def test_cli_reports_missing_traces_without_a_traceback(tmp_path):
    pytest.importorskip("trl")
    path = tmp_path / "train.yaml"
    path.write_text(GOOD.replace("model: smollm2", "model: tiny:smollm2"))
    result = CliRunner().invoke(_app(), ["train", str(path)])
    assert result.exit_code == 1
    assert "error: no trace file matches `traces/general_*.jsonl`" in result.output
    assert "Traceback" not in result.output


def test_max_steps_per_phase_as_the_docs_say():
    text = ("model: m\noutput_dir: o\nmax_steps: 20\nphases:\n  - {name: a, traces: t, max_steps: 3}\n"
            "  - {name: b, traces: t}\n")
    config = parse_config(text, "train.yaml")
    assert [config.phase_max_steps(p) for p in config.phases] == [3, 20]
    flagged = with_overrides(config, max_steps=7)  # --max-steps: every phase, its own value included
    assert [flagged.phase_max_steps(p) for p in flagged.phases] == [7, 7]
    with pytest.raises(ConfigError, match=r"train.yaml:5:37: phases\[0\].max_steps: expected an integer"):
        parse_config(text.replace("max_steps: 3", "max_steps: many"), "train.yaml")
    docs = (Path(__file__).parents[2] / "docs" / "training.md").read_text()
    assert "`max_steps` (top level for every phase, or per phase to override it" in docs
