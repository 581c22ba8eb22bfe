"""A tool that raises: the agent gets the safe message; the developer gets the exception, traceback and spec line
in the call record, the trace and the log; `ASCC_DEBUG=1` (`ascc --debug`) lets it raise."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from ascc.runtime import builtins as B
from ascc.runtime.domain import compile_and_load
from ascc.runtime.env import Environment

SPEC = Path(__file__).resolve().parents[2] / "specs" / "library.env.yaml"


@pytest.fixture(scope="module")
def domain(tmp_path_factory):
    return compile_and_load(SPEC, tmp_path_factory.mktemp("build"))


def _raising_call(domain):
    """A tool whose generated code calls a builtin, and that builtin's name (the fault is injected there)."""
    source = Path(domain.path / "tools.py").read_text()
    for name, fn in domain.tools.items():
        import inspect

        body = inspect.getsource(fn)
        used = sorted({b for b in dir(B) if not b.startswith("_") and f"B.{b}(" in body})
        if used:
            return name, used[0], source
    raise AssertionError("no tool of the library calls a builtin")


def _args_for(env, domain, tool):
    from ascc.eval.run import synth_tasks

    for t in synth_tasks({domain.name: domain}, 60, 0):
        for c in t.gold_calls:
            if c.tool == tool:
                return t, c.arguments
    pytest.skip(f"no synthesized call of {tool}")


def test_a_raising_tool_keeps_its_error_for_the_developer(domain, monkeypatch, caplog):
    tool, builtin, source = _raising_call(domain)
    env = Environment(domain)
    task, args = _args_for(env, domain, tool)
    env.reset(**task.initial_state.reset_kwargs())
    before = env.digest()

    def boom(*_a, **_k):
        raise RuntimeError("boom from the injected fault")
    monkeypatch.setattr(B, builtin, boom)
    with caplog.at_level(logging.ERROR, logger="ascc.runtime"):
        r = env.call(tool, args)
    if r.ok:
        pytest.skip(f"{tool} did not reach B.{builtin} with these arguments")
    # the agent: the safe message only
    assert r.error_code == "internal" and "boom" not in r.content and "Traceback" not in r.content
    assert env.digest() == before
    # the developer: the exception, the traceback and the spec line, in the result, the call record and the log
    for detail in (r.internal, env.log[-1].internal):
        assert detail["type"] == "RuntimeError" and detail["message"] == "boom from the injected fault"
        assert "Traceback" in detail["traceback"] and "boom" in detail["traceback"]
        file, line = detail["spec"].rsplit(":", 1)
        assert file == "library.env.yaml" and int(line) > 0
        assert f"# spec: library.env.yaml:{line}" in source
    assert "boom from the injected fault" in caplog.text and detail["spec"] in caplog.text


def test_debug_lets_the_exception_through(domain, monkeypatch):
    tool, builtin, _ = _raising_call(domain)
    env = Environment(domain)
    task, args = _args_for(env, domain, tool)
    env.reset(**task.initial_state.reset_kwargs())

    def boom(*_a, **_k):
        raise RuntimeError("boom")
    monkeypatch.setattr(B, builtin, boom)
    monkeypatch.setenv("ASCC_DEBUG", "1")
    try:
        r = env.call(tool, args)
    except RuntimeError as exc:
        assert str(exc) == "boom"
    else:
        assert r.ok, "an internal error was turned into a result under ASCC_DEBUG=1"


def test_the_trace_carries_internal_errors(domain, monkeypatch, tmp_path, caplog):
    """A simulate run whose tool raises: the rejected trace and the log hold the error's type, message, traceback
    and spec line."""
    from ascc.sim.run import SimConfig, simulate

    tool, builtin, _ = _raising_call(domain)
    # tasks first, without the fault (the synthesizer leaves out walks whose calls fail); the build is the
    # fixture's, already compiled
    cfg = SimConfig([str(SPEC)], tasks=30, out=str(tmp_path / "sim"), jobs=1, executor="inline",
                    build=str(domain.path.parent))
    simulate(cfg)
    for f in ("traces.jsonl", "rejected.jsonl"):
        (tmp_path / "sim" / f).unlink()

    def boom(*_a, **_k):
        raise RuntimeError("boom in a rollout")
    monkeypatch.setattr(B, builtin, boom)
    with caplog.at_level(logging.ERROR, logger="ascc.runtime"):
        simulate(cfg)  # the same tasks, read back; the episodes run again, now with the fault
    rows = [json.loads(x) for f in ("traces.jsonl", "rejected.jsonl")
            for x in (tmp_path / "sim" / f).read_text().splitlines() if x.strip()]
    assert all("internal_errors" in r for r in rows)
    errors = [e for r in rows for e in json.loads(r["internal_errors"])]
    assert errors, "no episode reached the raising builtin"
    assert all(e["message"] == "boom in a rollout" and e["spec"].startswith("library.env.yaml:") for e in errors)
    assert all(e["tool"] == tool and e["type"] == "RuntimeError" for e in errors)
    assert all("Traceback" in e["traceback"] and "boom in a rollout" in e["traceback"] for e in errors)
    for e in errors:  # the log has each: message, spec line and traceback
        assert f"at {e['spec']}: RuntimeError: boom in a rollout\nTraceback" in caplog.text
