"""Malformed trace files: `ascc train` names the file, the line and what is wrong, in one line, exit 1."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("datasets")

import typer  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from ascc.trainer.cli import register  # noqa: E402
from ascc.trainer.data import TraceError, build_sft_dataset  # noqa: E402

GOOD = json.dumps({"id": "a/1/0", "domain": "a", "messages": [{"role": "user", "content": "hi"},
                                                              {"role": "assistant", "content": "hello"}],
                   "tools": "[]", "verdicts": json.dumps({"state": {"passed": True, "detail": ""}})})


def _with(**changes) -> str:
    row = json.loads(GOOD)
    for key, value in changes.items():
        if value is ...:
            del row[key]
        else:
            row[key] = value
    return json.dumps(row)


CASES = {
    "truncated last line": (GOOD + "\n" + GOOD[:40], ":2: the last line is cut off"),
    "a non-JSON line": (GOOD + "\nnot json at all\n" + GOOD + "\n", ":2: not JSON: Expecting value at column 1"),
    "an empty file": ("", ": empty, no trace in it"),
    "blank lines only": ("\n\n", ": empty, no trace in it"),
    "a record without messages": (GOOD + "\n" + _with(messages=...) + "\n", ":2: the trace has no `messages`"),
    "messages as a string": (_with(messages="hi there") + "\n",
                             ":1: `messages` is a string, expected a list of messages"),
    "a message without a role": (_with(messages=[{"content": "hi"}]) + "\n", ":1: messages[0] has no `role`"),
    "a list, not an object": ("[1, 2]\n", ":1: expected a JSON object (one trace), got a list"),
    "tool-call arguments that are not JSON": (
        _with(messages=[{"role": "assistant", "tool_calls": [
            {"id": "c0", "type": "function", "function": {"name": "f", "arguments": "{oops"}}]}]) + "\n",
        ":1: messages[0].tool_calls[0].function.arguments is not JSON"),
    "verdicts that are not JSON": (_with(verdicts="{") + "\n", ":1: `verdicts` is not a JSON string"),
    "tools as a number": (_with(tools=3) + "\n", ":1: `tools` is a number"),
    "not UTF-8": (GOOD + "\n", ":1: not UTF-8 text"),
}


@pytest.mark.parametrize("name", CASES)
def test_a_malformed_trace_file_names_the_line_and_the_problem(tmp_path, name):
    text, expected = CASES[name]
    path = tmp_path / "traces.jsonl"
    path.write_bytes(text.encode() if name != "not UTF-8" else b'{"messages": "\xff"}\n')
    with pytest.raises(TraceError) as caught:
        build_sft_dataset(["traces.jsonl"], tmp_path)
    assert str(caught.value).startswith(f"{path}{expected}"), str(caught.value)


def test_ascc_train_on_a_cut_off_file_is_one_line_and_exit_1(tmp_path):
    (tmp_path / "traces.jsonl").write_text(GOOD + "\n" + GOOD[:40])
    (tmp_path / "train.yaml").write_text("model: tiny:nowhere\noutput_dir: out\n"
                                         "phases:\n  - name: only\n    traces: traces.jsonl\n")
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        pass

    result = CliRunner().invoke(app, ["train", str(tmp_path / "train.yaml")])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {tmp_path / 'traces.jsonl'}:2: the last line is cut off (Unterminated string "
                      "starting at column 32); a run killed while writing leaves this: rerun `ascc simulate` on its "
                      "folder to repair it, or delete the line"], result.output
