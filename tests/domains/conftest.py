"""Fixtures for the domain library's scenario tests: every spec compiled once per session, fresh environments."""

from __future__ import annotations

from pathlib import Path

import pytest

from ascc.compiler.build import compile_file, find_specs
from ascc.diagnostics import SourceCache, render_all
from ascc.runtime.domain import CompiledDomain, load_domain
from ascc.runtime.env import Environment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def library(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CompiledDomain]:
    """Every domain under specs/, compiled; a spec that does not compile fails the session loudly."""
    out = tmp_path_factory.mktemp("domains")
    found: dict[str, CompiledDomain] = {}
    for spec in find_specs([ROOT / "specs"]):
        result = compile_file(spec, out)
        assert result.ok, render_all(result.diagnostics, SourceCache())
        found[result.domain] = load_domain(str(result.out_dir))
    return found


@pytest.fixture
def open_env(library):
    """`open_env("retail")` → a fresh Environment on that domain's initial state, closed after the test."""
    opened: list[Environment] = []

    def make(domain: str) -> Environment:
        env = Environment(library[domain])
        opened.append(env)
        return env

    yield make
    for env in opened:
        env.close()
