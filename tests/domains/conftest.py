"""Fixtures for the domain library's scenario tests: each domain compiled on first use, fresh environments.

Domains compile lazily, one at a time, so a test of `gym` neither waits for nor fails on another spec; whether
every spec compiles is tests/test_compile.py's job.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ascc.compiler.build import compile_file, find_specs
from ascc.diagnostics import SourceCache, render_all
from ascc.runtime.domain import CompiledDomain, load_domain
from ascc.runtime.env import Environment

ROOT = Path(__file__).resolve().parents[2]


class DomainLibrary:
    """Compiled domains by name; a spec's domain name is its file name (checked when it compiles)."""

    def __init__(self, out: Path):
        self.out = out
        self.specs = {p.name.removesuffix(".env.yaml"): p for p in find_specs([ROOT / "specs"])}
        self._loaded: dict[str, CompiledDomain] = {}

    def __getitem__(self, name: str) -> CompiledDomain:
        if name not in self._loaded:
            if name not in self.specs:
                raise KeyError(f"no spec named {name}.env.yaml under specs/")
            result = compile_file(self.specs[name], self.out)
            assert result.ok, render_all(result.diagnostics, SourceCache())
            assert result.domain == name, f"{self.specs[name]} declares domain `{result.domain}`"
            self._loaded[name] = load_domain(str(result.out_dir))
        return self._loaded[name]

    def __contains__(self, name: str) -> bool:
        return name in self.specs

    def __iter__(self):
        return iter(sorted(self.specs))


@pytest.fixture(scope="session")
def library(library_build: Path) -> DomainLibrary:
    """`library["retail"]` → that domain, compiled once per session (in the session's shared library build)."""
    return DomainLibrary(library_build)


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
