"""No stale caches: a spec edited and recompiled in the same process loads with its new behaviour."""

from __future__ import annotations

from pathlib import Path

from ascc.runtime.domain import compile_and_load, load_domain
from ascc.runtime.env import Environment

LAMP = Path(__file__).resolve().parents[1] / "trainer" / "specs" / "lamp.env.yaml"


def test_an_edited_spec_recompiled_in_the_same_process_behaves_anew(tmp_path):
    spec = tmp_path / "lamp.env.yaml"
    spec.write_text(LAMP.read_text())
    first = compile_and_load(spec, tmp_path / "build")
    with Environment(first) as env:
        refused = env.call("switch_on", {"lamp_id": "L3"})
    assert not refused.ok and "already on" in refused.content
    spec.write_text(LAMP.read_text().replace("The lamp is already on", "That lamp burns already"))
    second = compile_and_load(spec, tmp_path / "build")
    assert second is not first and second.path == first.path
    with Environment(second) as env:
        assert "burns already" in env.call("switch_on", {"lamp_id": "L3"}).content
    assert load_domain(second.path) is second  # unchanged since: the loaded domain is shared


def test_domain_caches_are_held_by_the_loaded_domain(tmp_path):
    domain = compile_and_load(LAMP, tmp_path / "build")
    assert "map_columns" not in vars(domain)
    assert domain.map_columns == {"lamp": {}}
    assert "map_columns" in vars(domain)  # computed once, on the domain it describes
