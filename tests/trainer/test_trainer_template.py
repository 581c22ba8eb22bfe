"""The training chat template (rendered by the real SmolLM2 tokenizer) and the tool-call parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ascc.trainer.template import (
    CHATML_TOOLS_TEMPLATE,
    MALFORMED_KEY,
    TURN_END,
    choose_chat_template,
    parse_tool_calls,
    probe_conversation,
)

GENERATION_PROMPT = "<|im_start|>assistant\n"
FIXTURE_TRACES = Path(__file__).parents[1] / "fixtures" / "traces"


def _fixture_rows() -> list[dict]:
    from ascc.trainer.data import expand_trace_paths, load_traces

    return list(load_traces(expand_trace_paths(["*.jsonl"], FIXTURE_TRACES)))


def test_smollm2_stock_template_is_replaced(tokenizer_dir):
    from transformers import AutoTokenizer

    choice = choose_chat_template(AutoTokenizer.from_pretrained(tokenizer_dir))
    assert choice.source == "ascc"
    assert choice.template == CHATML_TOOLS_TEMPLATE
    assert choice.added_tokens == ()  # SmolLM2 already has <|im_start|> and <|im_end|>


def test_a_capable_model_template_is_kept(tokenizer_dir):
    from transformers import AutoTokenizer
    from trl.chat_template_utils import qwen3_training_chat_template

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    tokenizer.chat_template = qwen3_training_chat_template  # renders tools, string arguments, generation marks
    assert choose_chat_template(tokenizer).source == "model"


def test_a_template_that_double_encodes_string_arguments_is_replaced(tokenizer_dir):
    from transformers import AutoTokenizer
    from trl.chat_template_utils import qwen2_5_training_chat_template

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    tokenizer.chat_template = qwen2_5_training_chat_template  # `arguments | tojson` on a JSON string
    assert choose_chat_template(tokenizer).source == "ascc"


def test_renders_tools_calls_results_and_null_content(tokenizer):
    messages, tools = probe_conversation()
    text = tokenizer.apply_chat_template(messages, tools=tools, tokenize=False)
    assert text.startswith("<|im_start|>system\npolicy\n\n# Tools")
    assert json.dumps(tools[0]) in text
    assert ('<|im_start|>assistant\n<tool_call>\n{"name": "probe_tool_a8f3", '
            '"arguments": {"probe_key_b9d4": "probe_value_d6e7"}}\n</tool_call><|im_end|>\n') in text
    assert '<|im_start|>user\n<tool_response>\n{"probe_result": "c4f9"}\n</tool_response><|im_end|>\n' in text
    assert text.endswith("<|im_start|>assistant\ndone<|im_end|>\n")


def test_generation_prompt_and_prefix_preservation(tokenizer):
    from ascc.trainer.data import conversation

    for row in _fixture_rows():
        messages, tools = conversation(row)
        full = tokenizer.apply_chat_template(messages, tools=tools, tokenize=False)
        for index, message in enumerate(messages):
            if message["role"] == "assistant":
                prompt = tokenizer.apply_chat_template(messages[:index], tools=tools, tokenize=False,
                                                       add_generation_prompt=True)
                assert prompt.endswith(GENERATION_PROMPT)
                assert full.startswith(prompt)


def test_string_arguments_render_like_parsed_ones(tokenizer):
    """Trace files keep arguments as JSON strings; the template must render them like the parsed objects."""
    from ascc.trainer.data import conversation, to_sft_example

    for row in _fixture_rows():
        messages, tools = conversation(row)
        example = to_sft_example(row)
        as_strings = tokenizer.apply_chat_template(example["messages"], tools=json.loads(example["tools"]),
                                                   tokenize=False)
        assert as_strings == tokenizer.apply_chat_template(messages, tools=tools, tokenize=False)


def test_parser_reads_back_what_the_template_writes(tokenizer):
    """Round trip: the assistant turn as rendered (what the model learns to emit) parses to the same calls."""
    from ascc.trainer.data import conversation

    for row in _fixture_rows():
        messages, tools = conversation(row)
        for index, message in enumerate(messages):
            if message["role"] != "assistant":
                continue
            prompt = tokenizer.apply_chat_template(messages[:index], tools=tools, tokenize=False,
                                                   add_generation_prompt=True)
            turn = tokenizer.apply_chat_template(messages[: index + 1], tools=tools, tokenize=False)
            emitted = turn[len(prompt):].split(TURN_END)[0] + TURN_END
            content, calls = parse_tool_calls(emitted)
            assert content == message.get("content")
            expected = [(c["function"]["name"], c["function"]["arguments"]) for c in message.get("tool_calls", [])]
            assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls] == expected
            assert not any(MALFORMED_KEY in c for c in calls)


def test_parser_content_and_several_calls():
    text = ('Checking both.\n<tool_call>\n{"name": "a", "arguments": {"x": 1}}\n</tool_call>\n'
            '<tool_call>{"name": "b", "arguments": "{\\"y\\": [2]}"}</tool_call><|im_end|>')
    content, calls = parse_tool_calls(text)
    assert content == "Checking both."
    assert [c["id"] for c in calls] == ["call_0", "call_1"]
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls] == [
        ("a", {"x": 1}), ("b", {"y": [2]})]


def test_parser_without_calls():
    assert parse_tool_calls("Just text.<|im_end|>") == ("Just text.", [])
    assert parse_tool_calls("") == (None, [])


@pytest.mark.parametrize(
    ("block", "why", "name"),
    [
        ('{"name": "get_weather", "arguments": {"city": "Paris"', "not valid JSON", "get_weather"),
        ('{"arguments": {}}', "non-empty string `name`", ""),
        ('["get_weather"]', "non-empty string `name`", ""),
        ('{"name": "f", "arguments": [1, 2]}', "must be a JSON object", "f"),
        ('{"name": "f", "arguments": "{oops"}', "string is not valid JSON", "f"),
    ],
)
def test_parser_marks_malformed_calls(block, why, name):
    content, calls = parse_tool_calls(f"<tool_call>\n{block}\n</tool_call>")
    assert content is None
    [bad] = calls
    assert why in bad[MALFORMED_KEY]
    assert bad["function"] == {"name": name, "arguments": block}


def test_parser_accepts_an_unclosed_last_call():
    """A generation cut at its token limit can leave the last block open."""
    _, calls = parse_tool_calls('<tool_call>\n{"name": "f", "arguments": {"k": "v"}}')
    assert calls[0]["function"] == {"name": "f", "arguments": '{"k": "v"}'}
    _, calls = parse_tool_calls('<tool_call>\n{"name": "f", "argu')
    assert MALFORMED_KEY in calls[0]


_FRAGMENTS = st.sampled_from(["<tool_call>", "</tool_call>", "{", "}", '"name"', ":", '"arguments"', ",", "[", "]",
                              '"f"', "1", "\n", " ", "<|im_end|>", "null", '"'])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(_FRAGMENTS, max_size=30).map("".join)))
def test_parser_never_raises_and_returns_well_formed_calls(text):
    content, calls = parse_tool_calls(text)
    assert content is None or (isinstance(content, str) and content == content.strip() and content)
    for call in calls:
        assert call["type"] == "function"
        assert isinstance(call["function"]["name"], str)
        assert isinstance(call["function"]["arguments"], str)
        if MALFORMED_KEY not in call:
            assert call["function"]["name"]
            assert isinstance(json.loads(call["function"]["arguments"]), dict)
