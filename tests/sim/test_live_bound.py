"""A run over many domains keeps a bounded number of samplers and environments alive per process, and closing
the least recently used ones changes no task and no episode."""

from __future__ import annotations

from pathlib import Path

import pytest

from ascc.compiler.build import compile_file
from ascc.runtime.domain import load_domain
from ascc.sim import run
from ascc.sim.run import Lru, synthesize

ROOT = Path(__file__).resolve().parents[2]
SPECS = ["shop", "library", "airline"]


class Thing:
    closed = 0

    def close(self) -> None:
        Thing.closed += 1


def test_lru_closes_the_least_recently_used():
    Thing.closed = 0
    made: list[str] = []
    lru = Lru(2)

    def make(key):
        made.append(key)
        return Thing()

    a = lru.get("a", lambda: make("a"))
    lru.get("b", lambda: make("b"))
    assert lru.get("a", lambda: make("a")) is a  # a hit makes nothing and refreshes "a"
    lru.get("c", lambda: make("c"))  # evicts "b", the least recently used
    assert made == ["a", "b", "c"] and Thing.closed == 1 and len(lru) == 2
    lru.get("b", lambda: make("b"))
    assert made[-1] == "b" and Thing.closed == 2


@pytest.fixture(scope="module")
def domains(library_build: Path) -> dict:
    return {n: load_domain(str(compile_file(ROOT / "specs" / f"{n}.env.yaml", library_build).out_dir))
            for n in SPECS}


def test_evicted_samplers_draw_the_same_tasks(domains, monkeypatch):
    roomy = [t.to_json() for t in synthesize(domains, 24, 3)]
    monkeypatch.setattr(run, "_SAMPLERS", Lru(1))  # every domain switch closes the last sampler
    assert [t.to_json() for t in synthesize(domains, 24, 3)] == roomy
