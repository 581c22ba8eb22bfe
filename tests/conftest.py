"""Options shared by the whole test suite.

Tests marked `@pytest.mark.slow` (minutes: real models, fuzzing at full size) are skipped unless ASCC_SLOW=1;
run them on demand and before a release with `ASCC_SLOW=1 python3 -m pytest -q -m slow`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SLOW = os.environ.get("ASCC_SLOW") == "1"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--bless", action="store_true", default=False,
                     help="rewrite golden files (e.g. tests/diagnostics/*/*.stderr) from the current output")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SLOW:
        return
    skip = pytest.mark.skip(reason="slow: set ASCC_SLOW=1 to run")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def library_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one build folder of a test session for the specs under specs/.

    `compile_file(spec, library_build)` compiles a spec the first time and is a cache hit (the compiler's own,
    keyed on the input hash) after that, so the runtime, simulator, domain, eval and catalog tests compile the
    library once between them instead of once each. Treat it as read-only: a test that changes a domain's files
    or compiles an edited spec uses its own folder (a domain's folder here is named after its spec in specs/).
    """
    return tmp_path_factory.mktemp("library-build")


@pytest.fixture
def bless(request: pytest.FixtureRequest) -> bool:
    """Whether golden files should be rewritten instead of compared."""
    return bool(request.config.getoption("--bless"))
