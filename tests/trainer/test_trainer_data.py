"""Trace files to SFT data, and TRL's loss mask held against an independent computation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIXTURE_TRACES = Path(__file__).parents[1] / "fixtures" / "traces"
pytest.importorskip("datasets")

from ascc.trainer.data import (  # noqa: E402
    TraceError,
    assistant_token_mask,
    build_sft_dataset,
    conversation,
    expand_trace_paths,
    load_traces,
    normalise_message,
    to_sft_example,
)


def test_fixture_traces_load_and_filter():
    dataset, summary = build_sft_dataset(["*.jsonl"], FIXTURE_TRACES)
    assert (summary.rows_read, summary.rows_kept) == (8, 7)  # retail/cancel_pending/1 failed its state check
    assert summary.domains == {"general_x": 4, "retail": 3}
    assert summary.verdict_filters == {"calls": 7, "state": 7, "validity": 7}
    assert dataset.column_names == ["messages", "tools"]
    assert isinstance(dataset[0]["tools"], str)

    _, retail_all = build_sft_dataset(["retail.jsonl"], FIXTURE_TRACES, domains=["retail"], require_passed=False)
    assert retail_all.rows_kept == 4 and retail_all.verdict_filters["state"] == 3


def test_missing_traces_and_empty_selection_are_errors(tmp_path):
    with pytest.raises(TraceError, match="no trace file matches `nope/\\*.jsonl`"):
        build_sft_dataset(["nope/*.jsonl"], FIXTURE_TRACES)
    with pytest.raises(TraceError, match="no trace left"):
        build_sft_dataset(["*.jsonl"], FIXTURE_TRACES, domains=["airline"])
    (tmp_path / "x.jsonl").write_text('{"a": 1}\n')
    with pytest.raises(TraceError, match="x.jsonl:1: the trace has no `messages`"):
        build_sft_dataset(["x.jsonl"], tmp_path)


def test_globs_are_deduplicated_and_sorted():
    paths = expand_trace_paths(["*.jsonl", "retail.jsonl"], FIXTURE_TRACES)
    assert [p.name for p in paths] == ["general_x.jsonl", "retail.jsonl"]


def test_normalising_drops_null_keys():
    # Arrow structs (older `datasets`) fill the keys a message lacks with null; `datasets` 5 keeps JSON as is
    raw_user = {"role": "user", "content": "Hi", "tool_calls": None, "tool_call_id": None, "name": None}
    assert normalise_message(raw_user) == {"role": "user", "content": "Hi"}
    row = load_traces([FIXTURE_TRACES / "general_x.jsonl"])[0]
    assert all(v is not None for m in row["messages"] for v in normalise_message(m).values())
    messages, tools = conversation(row)
    assert messages[2] == {"role": "assistant", "tool_calls": [
        {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}
    assert tools[0]["function"]["name"] == "get_weather"
    example = to_sft_example(row)
    assert example["messages"][2]["tool_calls"][0]["function"]["arguments"] == '{"city": "Paris"}'


def test_assistant_content_is_stripped_and_blank_content_dropped():
    assert normalise_message({"role": "assistant", "content": "  hi \n"}) == {"role": "assistant", "content": "hi"}
    assert normalise_message({"role": "assistant", "content": " ", "tool_calls": None}) == {"role": "assistant"}
    assert normalise_message({"role": "user", "content": " hi "})["content"] == " hi "


def _edge_rows() -> list[dict]:
    """Conversations that stress the mask: content next to calls, parallel calls, consecutive tool results,
    whitespace around content, a final user turn, multi-byte text."""
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]

    def call(i: int, **args) -> dict:
        return {"id": f"c{i}", "type": "function", "function": {"name": "f", "arguments": json.dumps(args)}}

    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Go"},
        {"role": "assistant", "content": "  Two calls:\n", "tool_calls": [call(0, a=1), call(1, b="ü ✓")]},
        {"role": "tool", "tool_call_id": "c0", "name": "f", "content": "{}"},
        {"role": "tool", "tool_call_id": "c1", "name": "f", "content": '{"error": {"code": "x", "message": "y"}}'},
        {"role": "assistant", "content": None, "tool_calls": [call(2)]},
        {"role": "tool", "tool_call_id": "c2", "name": "f", "content": "[]"},
        {"role": "assistant", "content": "Done ✓"},
        {"role": "user", "content": "thanks"},
    ]
    no_system = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    return [{"messages": messages, "tools": json.dumps(tools)}, {"messages": no_system, "tools": "[]"}]


def test_trl_loss_mask_equals_the_assistant_spans(tokenizer):
    """TRL's labels (from `{% generation %}` via transformers) mask exactly the tokens our turn structure says."""
    from trl import SFTConfig, SFTTrainer

    from ascc.trainer.model import tiny_llama

    fixtures = list(load_traces(expand_trace_paths(["*.jsonl"], FIXTURE_TRACES)))
    rows = fixtures + _edge_rows()
    from datasets import Dataset

    dataset = Dataset.from_list([to_sft_example(row) for row in rows])
    args = SFTConfig(output_dir="unused", assistant_only_loss=True, max_length=4096, use_cpu=True, bf16=False,
                     activation_checkpointing=False,
                     report_to="none")
    trainer = SFTTrainer(model=tiny_llama(tokenizer), args=args, train_dataset=dataset, processing_class=tokenizer)
    assert trainer.chat_template is None  # TRL kept our template instead of swapping in one of its own

    end_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    for row, processed in zip(rows, trainer.train_dataset, strict=True):
        messages, tools = conversation(row)
        ids, mask = assistant_token_mask(tokenizer, messages, tools)
        assert processed["input_ids"] == ids
        assert [int(label != -100) for label in processed["labels"]] == mask
        assert [label for label, bit in zip(processed["labels"], mask, strict=True) if bit] == \
            [token for token, bit in zip(ids, mask, strict=True) if bit]
        spans = tokenizer.decode([t for t, bit in zip(ids, mask, strict=True) if bit])
        assistants = [m for m in messages if m["role"] == "assistant"]
        assert spans.count("<|im_end|>") == len(assistants)  # every turn trains its end token
        assert "<|im_start|>" not in spans and "<tool_response>" not in spans and "Go" not in spans
        last_masked = max(i for i, bit in enumerate(mask) if bit)
        assert ids[last_masked] == end_id


_TEXT = st.text(alphabet=st.sampled_from(list("ab Zé✓ \n\t{}<>\"':,.!?0")) , max_size=24)
_ARGS = st.dictionaries(st.text(alphabet="xyzé_", min_size=1, max_size=4),
                        st.one_of(st.integers(), _TEXT, st.booleans(), st.none()), max_size=3)


@st.composite
def _conversations(draw):
    """Trace-form conversations: user turns, assistant turns with text and/or calls, tool results after calls."""
    messages = [{"role": "system", "content": draw(_TEXT)}] if draw(st.booleans()) else []
    for turn in range(draw(st.integers(1, 3))):
        messages.append({"role": "user", "content": draw(_TEXT)})
        calls = [{"id": f"c{turn}{i}", "type": "function",
                  "function": {"name": draw(st.sampled_from(["f", "get_x"])), "arguments": json.dumps(draw(_ARGS))}}
                 for i in range(draw(st.integers(0, 2)))]
        content = draw(st.one_of(st.none(), _TEXT))
        if not calls and not (content or "").strip():
            content = "ok"
        messages.append({"role": "assistant", "content": content, "tool_calls": calls or None})
        messages += [{"role": "tool", "tool_call_id": c["id"], "name": c["function"]["name"], "content": draw(_TEXT)}
                     for c in calls]
        if calls:
            messages.append({"role": "assistant", "content": draw(_TEXT) + "done"})
    return {"messages": messages, "tools": "[]"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=_conversations())
def test_transformers_generation_mask_matches_the_turn_structure(tokenizer, row):
    """The mask TRL gets from transformers (`return_assistant_tokens_mask`, via `{% generation %}` and character
    offsets) equals the one derived from the turn structure, for arbitrary text at the turn boundaries."""
    messages, tools = conversation(row)
    ids, mask = assistant_token_mask(tokenizer, messages, tools)
    rendered = tokenizer.apply_chat_template(messages, tools=tools or None, tokenize=True, return_dict=True,
                                             return_assistant_tokens_mask=True)
    assert rendered["input_ids"] == ids
    assert rendered["assistant_masks"] == mask


def test_trace_files_of_different_runs_load_together(tmp_path):
    """A new run's traces (with `user_tool_calls`) next to an older file: one dataset, nothing refused."""
    new = json.loads((FIXTURE_TRACES / "retail.jsonl").read_text().splitlines()[0])
    new["user_tool_calls"] = "[]"
    new["messages"] = [{"role": m["role"], "content": m.get("content") or "x"} for m in new["messages"]]
    (tmp_path / "new.jsonl").write_text(json.dumps(new) + "\n")
    paths = [tmp_path / "new.jsonl", FIXTURE_TRACES / "retail.jsonl"]
    merged = load_traces(paths)
    assert len(merged) == 1 + len((FIXTURE_TRACES / "retail.jsonl").read_text().splitlines())
    assert "user_tool_calls" in merged.column_names and merged[1]["user_tool_calls"] is None
    dataset, summary = build_sft_dataset([str(p) for p in paths], tmp_path)
    assert summary.rows_read == len(merged) and len(dataset) == summary.rows_kept > 0


def test_a_switched_off_filter_does_not_drop_a_trace(tmp_path):
    row = json.loads((FIXTURE_TRACES / "retail.jsonl").read_text().splitlines()[0])
    verdicts = json.loads(row["verdicts"])
    assert all(v["passed"] for v in verdicts.values())
    rows = []
    for i, state in enumerate((None, False)):
        r = dict(row, id=f"r{i}", verdicts=json.dumps({**verdicts, "state": {"passed": state, "detail": ""}}))
        rows.append(json.dumps(r))
    (tmp_path / "t.jsonl").write_text("\n".join(rows) + "\n")
    _, summary = build_sft_dataset(["t.jsonl"], tmp_path)
    assert (summary.rows_read, summary.rows_kept) == (2, 1)  # `passed: null` kept, `false` dropped
