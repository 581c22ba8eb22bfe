"""Fixtures for the simulator's tests: every spec under specs/ that compiles, compiled once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from ascc.compiler.build import compile_file, find_specs
from ascc.runtime.domain import CompiledDomain, load_domain

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def build_dir(library_build: Path) -> Path:
    """The session's shared build of specs/ (tests/conftest.py): `ascc simulate --build` finds it compiled."""
    return library_build


@pytest.fixture(scope="session")
def domains(build_dir: Path) -> dict[str, CompiledDomain]:
    """The library's domains (the spec library is growing: whatever compiles today; shop and library must)."""
    found = {}
    for spec in find_specs([ROOT / "specs"]):
        result = compile_file(spec, build_dir)
        if result.ok:
            found[result.domain] = load_domain(str(result.out_dir))
    assert {"shop", "library"} <= set(found)
    return dict(sorted(found.items()))
