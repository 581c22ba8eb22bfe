"""Task synthesis over a domain with `fails_after_effects`: a call that fails yet changes the state is never a
gold step and leaves no unrecorded change behind, so each task's gold digest is what its gold calls make.
`turn_dial` always fails after its effects (settings other than the default 0, so the state does change): a walk
that tries it is dropped."""

from __future__ import annotations

from ascc.runtime.domain import compile_and_load
from ascc.runtime.env import Environment
from ascc.sim.synth import TaskSampler

SPEC = """\
domain: dial
description: A dial that stores any setting and then rejects it.
entities:
  dial:
    key: dial_id
    fields: {dial_id: str, label: str, setting: {type: int, default: 0}}
tools:
  get_dial:
    kind: read
    description: Get a dial.
    params: {dial_id: {ref: dial}}
    returns: dial[$dial_id]
  turn_dial:
    kind: write
    description: Turn a dial; the setting is stored, then rejected.
    params: {dial_id: {ref: dial}, setting: {type: int, examples: [3, 7, 12]}}
    effects:
      - update dial[$dial_id]: {setting: $setting}
    fails_after_effects:
      - $setting < -1000000 else "Setting {setting} rejected"
    returns: $setting
  relabel_dial:
    kind: write
    description: Give a dial a new label.
    params: {dial_id: {ref: dial}, label: {type: str, examples: [porch, attic, cellar]}}
    effects:
      - update dial[$dial_id]: {label: $label}
    returns: dial[$dial_id]
seed:
  rows:
    dial: [{dial_id: d1, label: kitchen}, {dial_id: d2, label: hall}]
"""


def test_gold_digests_match_the_gold_calls(tmp_path):
    spec = tmp_path / "dial.env.yaml"
    spec.write_text(SPEC)
    domain = compile_and_load(spec, tmp_path / "build")
    sampler = TaskSampler(domain, seed=1)
    try:
        tasks = [sampler.sample(i) for i in range(24)]
    finally:
        sampler.close()
    tasks = [t for t in tasks if t is not None]
    assert tasks
    with Environment(domain) as env:
        for task in tasks:
            assert all(c.tool != "turn_dial" for c in task.gold_calls)
            env.reset(id_seed=task.initial_state.id_seed)
            for c in task.gold_calls:
                assert env.call(c.tool, c.arguments).ok
            assert env.digest() == task.gold_digest, task.id
