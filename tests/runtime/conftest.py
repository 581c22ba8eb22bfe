"""Fixtures for the runtime tests: every spec under specs/ (and this folder's test specs) compiled once per session."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from ascc.compiler.build import compile_file, find_specs
from ascc.runtime.domain import CompiledDomain, load_domain
from ascc.runtime.env import Environment, Limits

ROOT = Path(__file__).resolve().parents[2]
TEST_SPECS = Path(__file__).resolve().parent / "specs"


def compile_all(spec_dir: Path, out_root: Path) -> dict[str, CompiledDomain]:
    """Compile every spec in `spec_dir` (cached in `out_root`); a spec that does not compile is skipped with a
    warning (the diagnostics tests own compiler errors), so a half-written domain never hides the runtime's results."""
    out: dict[str, CompiledDomain] = {}
    for spec in find_specs([spec_dir]):
        result = compile_file(spec, out_root)
        if result.ok and result.out_dir is not None:
            out[result.domain] = load_domain(str(result.out_dir))
        else:
            warnings.warn(f"{spec.name} does not compile; its tools are not exercised", stacklevel=1)
    return out


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runtime-build")


@pytest.fixture(scope="session")
def domains(library_build: Path) -> dict[str, CompiledDomain]:
    """Every compiled domain of specs/ by name (in the session's shared library build)."""
    found = compile_all(ROOT / "specs", library_build)
    assert "shop" in found, "specs/shop.env.yaml must compile"
    return found


@pytest.fixture(scope="session")
def shop(domains) -> CompiledDomain:
    return domains["shop"]


@pytest.fixture(scope="session")
def test_domains(build_dir: Path) -> dict[str, CompiledDomain]:
    """Every compiled domain of this folder's specs/ by name."""
    return compile_all(TEST_SPECS, build_dir / "lab")


@pytest.fixture(scope="session")
def lab(test_domains) -> CompiledDomain:
    """tests/runtime/specs/lab.env.yaml: every field kind, a mid-effects failure, raw SQL, a slow query."""
    return test_domains["lab"]


@pytest.fixture(scope="session")
def keywords(test_domains) -> CompiledDomain:
    """tests/runtime/specs/keywords.env.yaml: every name a SQL (and Python) reserved word."""
    return test_domains["keywords"]


@pytest.fixture
def shop_env(shop):
    with Environment(shop) as env:
        yield env


@pytest.fixture
def lab_env(lab):
    with Environment(lab, Limits(call_seconds=0.3)) as env:
        yield env
