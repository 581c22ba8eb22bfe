"""Trace files (docs/traces.md) to the conversational dataset TRL's SFTTrainer trains on.

A trace row becomes `{"messages": [...], "tools": "<JSON string>"}`: TRL's conversational format with tools, which
its tokenizer step renders with `apply_chat_template(messages, tools=json.loads(tools))`. Tool-call `arguments` stay
JSON strings (canonicalised) because Arrow would merge the argument objects of every row into one struct and fill
the keys a call lacks with nulls; the training template renders a string argument verbatim, which is the same text
`tojson` gives for the parsed object. `assistant_token_mask` computes the loss mask of one conversation without
TRL or `{% generation %}`, from the template's turn structure alone, so tests can hold TRL's mask against it.
"""

from __future__ import annotations

import glob
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets import Dataset, concatenate_datasets, load_dataset

from ascc.trainer.template import TURN_END


class TraceError(ValueError):
    """A trace file that is missing, empty, or not in the docs/traces.md format."""


@dataclass(frozen=True)
class TraceSummary:
    """What a phase trained on: for the model card."""

    files: tuple[str, ...]
    rows_read: int
    rows_kept: int
    domains: dict[str, int]
    verdict_filters: dict[str, int] = field(default_factory=dict)  # filter name -> rows it passed, among those kept


def expand_trace_paths(patterns: list[str], base_dir: Path) -> list[Path]:
    """Trace files named by `patterns` (paths or globs, relative to `base_dir`), sorted, each once."""
    found: dict[str, Path] = {}
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(base_dir / pattern)
        matches = sorted(glob.glob(full, recursive=True))
        if not matches:
            raise TraceError(f"no trace file matches `{pattern}` (looked in {base_dir})")
        for match in matches:
            found.setdefault(str(Path(match).resolve()), Path(match))
    return list(found.values())


def check_trace_file(path: Path) -> int:
    """Check every line of a trace file before `datasets` reads it; returns the number of records.

    Raises `TraceError` naming the file, the line and what is wrong: a file that cannot be read or is empty, a
    line that is not JSON (a cut-off last line says so), not an object, without `messages` or with `messages`
    that are not a list of messages, `tools` that are neither a JSON string nor a list, a tool call without a
    function name or with arguments that are not a JSON object.
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        raise TraceError(f"{path}: cannot read: {err.strerror}") from None
    lines = data.split(b"\n")
    records = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        problem = _line_problem(raw, last=number == len(lines))
        if problem:
            raise TraceError(f"{path}:{number}: {problem}")
        records += 1
    if records == 0:
        raise TraceError(f"{path}: empty, no trace in it")
    return records


def _line_problem(raw: bytes, last: bool) -> str | None:
    try:
        row = json.loads(raw)
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except json.JSONDecodeError as err:
        if last:  # no newline after it: the writer stopped part way
            return (f"the last line is cut off ({_json_error(err)}); a run killed while writing "
                    "leaves this: rerun `ascc simulate` on its folder to repair it, or delete the line")
        return f"not JSON: {_json_error(err)}"
    if not isinstance(row, dict):
        return f"expected a JSON object (one trace), got {_json_kind(row)}"
    if "messages" not in row:
        return "the trace has no `messages`"
    messages = row["messages"]
    if not isinstance(messages, list):
        return f"`messages` is {_json_kind(messages)}, expected a list of messages"
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            return f"{where} is {_json_kind(message)}, expected an object with `role` and `content`"
        if not isinstance(message.get("role"), str):
            return f"{where} has no `role`"
        for number, call in enumerate(message.get("tool_calls") or []):
            problem = _call_problem(call)
            if problem:
                return f"{where}.tool_calls[{number}]{problem}"
    verdicts = row.get("verdicts")
    if isinstance(verdicts, str):
        try:
            verdicts = json.loads(verdicts)
        except json.JSONDecodeError as err:
            return f"`verdicts` is not a JSON string: {_json_error(err)}"
    if verdicts is not None and not (isinstance(verdicts, dict) and all(isinstance(v, dict) for v in verdicts.values())):
        return "`verdicts` is not an object of `{filter: {\"passed\": ..., \"detail\": ...}}`"
    tools = row.get("tools")
    if tools is not None and not isinstance(tools, str | list):
        return f"`tools` is {_json_kind(tools)}, expected a JSON string or a list of tool schemas"
    if isinstance(tools, str):
        try:
            json.loads(tools)
        except json.JSONDecodeError as err:
            return f"`tools` is not a JSON string of tool schemas: {_json_error(err)}"
    return None


def _call_problem(call: Any) -> str | None:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        return ": expected `{\"function\": {\"name\": ..., \"arguments\": ...}}`"
    arguments = function.get("arguments")
    if isinstance(arguments, str) and arguments:
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as err:
            return f".function.arguments is not JSON: {_json_error(err)}"
    if arguments is not None and arguments != "" and not isinstance(arguments, dict):
        return f".function.arguments is {_json_kind(arguments)}, expected a JSON object"
    return None


def _json_error(err: json.JSONDecodeError) -> str:
    return f"{err.msg.removesuffix(' at')} at column {err.colno}"


def _json_kind(value: Any) -> str:
    kinds = {str: "a string", list: "a list", dict: "an object", bool: "a boolean", int: "a number",
             float: "a number", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


def load_traces(paths: list[Path]) -> Dataset:
    """Read trace JSONL files into one `datasets.Dataset`; Arrow fills absent message keys with null.

    Every file is checked line by line first (`check_trace_file`), so a bad one is named with its line. Files
    whose Arrow schemas differ (traces from an older ascc without the `user_tool_calls` column, a
    hand-made file whose messages Arrow typed otherwise) are merged row by row over the union of their columns,
    absent ones null, rather than refused: a phase may name trace files of several runs.
    """
    for path in paths:
        check_trace_file(path)
    parts = [_load_json(path) for path in paths]
    for path, part in zip(paths, parts, strict=True):
        missing = {"messages", "tools"} - set(part.column_names)
        if missing:
            raise TraceError(f"{path}: not a trace file, missing column(s) {sorted(missing)}")
    if len(parts) == 1:
        return parts[0]
    if all(p.features == parts[0].features for p in parts[1:]):
        return concatenate_datasets(parts)
    columns = list(dict.fromkeys(c for p in parts for c in p.column_names))
    return Dataset.from_list([{c: row.get(c) for c in columns} for p in parts for row in p])


def _load_json(path: Path) -> Dataset:
    try:
        return load_dataset("json", data_files=str(path), split="train")
    except Exception as err:  # Arrow refusing rows the line check let through (a field typed two ways)
        cause = err.__cause__ or err
        raise TraceError(f"{path}: cannot be read as one table: {type(cause).__name__}: {cause}"[:500]) from None


def verdicts_of(row: dict[str, Any]) -> dict[str, Any]:
    """A row's verification verdicts (`{filter: {"passed", "detail"}}`), empty when it has none."""
    raw = row.get("verdicts")
    if not raw:
        return {}
    return json.loads(raw) if isinstance(raw, str) else dict(raw)


def passed_all(row: dict[str, Any]) -> bool:
    """True when no verification filter recorded on the row failed: a filter the run switched off (`passed:
    null`) does not count against it, as in `ascc simulate`'s own keep rule."""
    return all(verdict.get("passed") is not False for verdict in verdicts_of(row).values())


def select_traces(rows: Dataset, domains: list[str] | None, require_passed: bool) -> Dataset:
    """Keep the rows of the given domains (all when None) whose verdicts all passed (when required)."""
    wanted = set(domains) if domains else None

    def keep(row: dict[str, Any]) -> bool:
        in_domain = wanted is None or row.get("domain") in wanted
        return in_domain and (not require_passed or passed_all(row))

    return rows.filter(keep)


def summarise(files: list[Path], read: Dataset, kept: Dataset) -> TraceSummary:
    """Counts for the model card: rows per domain and, per verification filter, how many kept rows passed it."""
    filters: Counter[str] = Counter()
    for row in kept:
        for name, verdict in verdicts_of(row).items():
            filters[name] += int(bool(verdict.get("passed")))
    domains = Counter(kept["domain"]) if "domain" in kept.column_names else Counter({"?": len(kept)})
    return TraceSummary(tuple(str(f) for f in files), len(read), len(kept), dict(sorted(domains.items())),
                        dict(sorted(filters.items())))


def normalise_message(message: dict[str, Any], parse_arguments: bool = False) -> dict[str, Any]:
    """Drop null keys; strip assistant content; canonicalise (or parse) tool-call arguments.

    Assistant content is stripped because leading or trailing whitespace would merge with the newline of the turn
    header into one token straddling the loss-mask boundary, and generated text is stripped before use anyway.
    """
    clean = {key: value for key, value in message.items() if value is not None}
    if clean.get("role") == "assistant":
        if isinstance(clean.get("content"), str):
            clean["content"] = clean["content"].strip() or None
            if clean["content"] is None:
                del clean["content"]
        if clean.get("tool_calls"):
            clean["tool_calls"] = [_normalise_call(call, parse_arguments) for call in clean["tool_calls"]]
    return clean


def _normalise_call(call: dict[str, Any], parse_arguments: bool) -> dict[str, Any]:
    call = {key: value for key, value in call.items() if value is not None}
    function = dict(call["function"])
    arguments = function.get("arguments") or "{}"
    parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
    function["arguments"] = parsed if parse_arguments else json.dumps(parsed, ensure_ascii=False)
    call["function"] = function
    return call


def conversation(row: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One trace row as Python objects for `apply_chat_template`: messages (arguments parsed) and tools list."""
    messages = [normalise_message(message, parse_arguments=True) for message in row["messages"]]
    tools = json.loads(row["tools"]) if isinstance(row.get("tools"), str) else list(row.get("tools") or [])
    return messages, tools


def to_sft_example(row: dict[str, Any]) -> dict[str, Any]:
    """One trace row in TRL's conversational-with-tools form, Arrow-safe (arguments and tools as JSON strings)."""
    tools = row.get("tools")
    tools_json = tools if isinstance(tools, str) else json.dumps(tools or [])
    return {"messages": [normalise_message(message) for message in row["messages"]], "tools": tools_json}


def build_sft_dataset(
    patterns: list[str], base_dir: Path, domains: list[str] | None = None, require_passed: bool = True
) -> tuple[Dataset, TraceSummary]:
    """The SFT dataset of one training phase, and what went into it."""
    files = expand_trace_paths(patterns, base_dir)
    read = load_traces(files)
    kept = select_traces(read, domains, require_passed)
    if len(kept) == 0:
        raise TraceError(f"no trace left to train on from {len(read)} row(s) (domains={domains}, "
                         f"require_passed={require_passed})")
    summary = summarise(files, read, kept)
    dataset = kept.map(to_sft_example, remove_columns=kept.column_names)
    return dataset, summary


def assistant_token_mask(
    tokenizer: Any, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None
) -> tuple[list[int], list[int]]:
    """Token ids of a conversation and its loss mask, 1 on exactly the tokens each assistant turn emits.

    Computed from the template's turn structure, not from `{% generation %}`: an assistant turn's tokens are those
    after the conversation so far plus the generation prompt, up to and including the first end-of-turn token.
    That needs a prefix-preserving template (checked here: a prefix that renders differently raises).
    """
    def ids(part: list[dict[str, Any]], prompt: bool = False) -> list[int]:
        return list(tokenizer.apply_chat_template(part, tools=tools or None, tokenize=True, return_dict=True,
                                                  add_generation_prompt=prompt)["input_ids"])

    full = ids(messages)
    mask = [0] * len(full)
    end_id = tokenizer.convert_tokens_to_ids(TURN_END)
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = ids(messages[:index], prompt=True)
        through = ids(messages[: index + 1])
        if full[: len(before)] != before or full[: len(through)] != through:
            raise ValueError(f"template is not prefix preserving at message {index}")
        start = len(before)
        end = through.index(end_id, start) + 1
        mask[start:end] = [1] * (end - start)
    return full, mask
