"""The tool-aware chat template used for training, and the parser that reads tool calls back out of model text.

A model's own template is kept when it already renders the whole tool-use exchange the way trace files carry it
(tools list, assistant `tool_calls` with JSON-string `arguments` and null content, tool results) and marks the
assistant's tokens with `{% generation %}`. Otherwise ascc installs its ChatML-with-tools template
(`templates/chatml_tools.jinja`), which writes tool calls Hermes/Qwen style:
`<tool_call>\\n{"name": ..., "arguments": {...}}\\n</tool_call>`. `parse_tool_calls` reads that style back into
OpenAI tool calls; the simulator's `hf` agent backend uses it on generated text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from jinja2 import TemplateError

CHATML_TOOLS_TEMPLATE: str = (
    resources.files("ascc.trainer").joinpath("templates/chatml_tools.jinja").read_text(encoding="utf-8")
)
TURN_START = "<|im_start|>"
TURN_END = "<|im_end|>"
TOOL_CALL_OPEN = "<tool_call>"
TOOL_CALL_CLOSE = "</tool_call>"

# A malformed tool call is returned, not raised: it carries this key with what went wrong, so the caller can feed
# an error back to the agent (or fail the episode) without losing the raw text the model wrote.
MALFORMED_KEY = "error"

_GENERATION_TAG = re.compile(r"\{%-?\s*generation\s*-?%\}")

# Sentinels for probing a template: each one must survive rendering, or the template drops part of the exchange.
_PROBE_NAME = "probe_tool_a8f3"
_PROBE_ARGS = '{"probe_key_b9d4": "probe_value_d6e7"}'
_PROBE_RESULT = '{"probe_result": "c4f9"}'
_PROBE_TOOL_DOC = "probe_tool_doc_e5a1"


@dataclass(frozen=True)
class TemplateChoice:
    """Which chat template a tokenizer trains with, and why."""

    source: Literal["model", "ascc"]
    template: str
    reason: str
    added_tokens: tuple[str, ...] = ()


def probe_conversation() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A tool-use exchange in trace form (JSON-string arguments, null content) and its tools list."""
    tools = [
        {
            "type": "function",
            "function": {
                "name": _PROBE_NAME,
                "description": _PROBE_TOOL_DOC,
                "parameters": {"type": "object", "properties": {"probe_key_b9d4": {"type": "string"}}},
            },
        }
    ]
    call = {"id": "call_0", "type": "function", "function": {"name": _PROBE_NAME, "arguments": _PROBE_ARGS}}
    messages = [
        {"role": "system", "content": "policy"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_0", "name": _PROBE_NAME, "content": _PROBE_RESULT},
        {"role": "assistant", "content": "done"},
    ]
    return messages, tools


def renders_tool_use(tokenizer: Any, template: str | None) -> bool:
    """Whether `template` renders every part of a trace-form tool-use exchange and marks assistant tokens."""
    if not template or not _GENERATION_TAG.search(template):
        return False
    messages, tools = probe_conversation()
    try:
        text = tokenizer.apply_chat_template(messages, tools=tools, tokenize=False, chat_template=template)
    except (TemplateError, TypeError, ValueError, KeyError, AttributeError):
        return False
    # The arguments must appear verbatim: a template that runs `tojson` on the string would double-encode them.
    return all(part in text for part in (_PROBE_NAME, _PROBE_ARGS, _PROBE_RESULT, _PROBE_TOOL_DOC))


def choose_chat_template(tokenizer: Any) -> TemplateChoice:
    """Keep the model's template when it handles tool use with generation marks, else pick ascc's."""
    own = tokenizer.chat_template
    if isinstance(own, dict):
        own = own.get("default")
    if renders_tool_use(tokenizer, own):
        return TemplateChoice("model", own, "the model's template renders tools and marks assistant tokens")
    vocab = tokenizer.get_vocab()
    missing = tuple(token for token in (TURN_START, TURN_END) if token not in vocab)
    reason = "the model's template lacks tool rendering or {% generation %} marks"
    return TemplateChoice("ascc", CHATML_TOOLS_TEMPLATE, reason, missing)


def install_chat_template(tokenizer: Any) -> TemplateChoice:
    """Set the training template on `tokenizer`, adding the ChatML turn tokens when its vocabulary lacks them.

    When tokens are added the caller must resize the model's embeddings (`model.resize_token_embeddings`).
    """
    choice = choose_chat_template(tokenizer)
    if choice.added_tokens:
        tokenizer.add_special_tokens({"additional_special_tokens": list(choice.added_tokens)})
    if choice.source == "ascc" and tokenizer.eos_token != TURN_END:
        # Generation must stop where an assistant turn ends, and TRL adds the tokenizer's eos to the stop tokens.
        tokenizer.eos_token = TURN_END
    tokenizer.chat_template = choice.template
    return choice


_TOOL_CALL_BLOCK = re.compile(re.escape(TOOL_CALL_OPEN) + r"(.*?)(?:" + re.escape(TOOL_CALL_CLOSE) + r"|$)", re.S)
_NAME_GUESS = re.compile(r'"name"\s*:\s*"([^"]*)"')


def parse_tool_calls(text: str) -> tuple[str | None, list[dict[str, Any]]]:
    """Split model output into its text content and OpenAI-style tool calls.

    Reads `<tool_call>{"name": ..., "arguments": {...}}</tool_call>` blocks (an unclosed last block too, as a
    generation cut at max tokens leaves it). Each call comes back as
    `{"id": "call_<i>", "type": "function", "function": {"name", "arguments": <JSON string>}}`. A block that is
    not a JSON object with a string `name` and object `arguments` is returned with an extra `"error"` key
    (`MALFORMED_KEY`), its best-guess name and the raw block text as `arguments`; nothing raises.
    Content is the text outside the blocks, stripped, or None when empty.
    """
    text = text.replace(TURN_END, "")
    calls = [_read_call(index, match.group(1)) for index, match in enumerate(_TOOL_CALL_BLOCK.finditer(text))]
    content = _TOOL_CALL_BLOCK.sub("", text).strip()
    return (content or None), calls


def _read_call(index: int, block: str) -> dict[str, Any]:
    raw = block.strip()
    call_id = f"call_{index}"
    try:
        payload = json.loads(raw)
    except json.JSONDecodeError as err:
        return _malformed(call_id, raw, f"tool call is not valid JSON: {err.msg} at char {err.pos}")
    if not isinstance(payload, dict) or not isinstance(payload.get("name"), str) or not payload["name"]:
        return _malformed(call_id, raw, "tool call needs a non-empty string `name`")
    arguments = payload.get("arguments", payload.get("parameters", {}))
    if isinstance(arguments, str):
        # Some models write the arguments as a JSON string, OpenAI style; accept it when it holds an object.
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            return _malformed(call_id, raw, "tool call `arguments` string is not valid JSON")
    if not isinstance(arguments, dict):
        return _malformed(call_id, raw, "tool call `arguments` must be a JSON object")
    function = {"name": payload["name"], "arguments": json.dumps(arguments, ensure_ascii=False)}
    return {"id": call_id, "type": "function", "function": function}


def _malformed(call_id: str, raw: str, why: str) -> dict[str, Any]:
    guess = _NAME_GUESS.search(raw)
    function = {"name": guess.group(1) if guess else "", "arguments": raw}
    return {"id": call_id, "type": "function", "function": function, MALFORMED_KEY: why}
