"""A spec's `simulation:` section: what the simulator would guess from names, stated (persona, what identifies a
user, money fields, hand-off and skipped tools, consent phrases). Each hint is carried into domain.json and
changes what the simulator does; without it the defaults hold (`ascc/sim/hints.py`)."""

from __future__ import annotations

import pytest

from ascc.compiler.build import compile_file
from ascc.runtime.domain import load_domain
from ascc.sim import render
from ascc.sim.hints import hints
from ascc.sim.synth import TaskSampler
from ascc.sim.verify import _confirmed

SPEC = """
domain: hinted
entities:
  client:
    key: client_id
    fields:
      client_id: str
      label: str
      contact: str
  invoice:
    key: invoice_id
    fields:
      invoice_id: str
      client_id: {ref: client}
      due: int
      status: {enum: [open, paid], default: open}
tools:
  get_client:
    kind: read
    description: Get a client.
    params:
      client_id: {ref: client}
    returns: client[$client_id]
  get_invoice:
    kind: read
    description: Get an invoice.
    params:
      invoice_id: {ref: invoice}
    returns: invoice[$invoice_id]
  pay_invoice:
    kind: write
    description: Pay an open invoice.
    intent: "pay invoice {invoice_id}"
    params:
      invoice_id: {ref: invoice}
    let:
      i: invoice[$invoice_id] else "No invoice"
    requires:
      - i.status == open else "The invoice is paid already"
    effects:
      - update i: {status: paid}
    returns: i
  reopen_invoice:
    kind: write
    description: Reopen an invoice.
    params:
      invoice_id: {ref: invoice}
    let:
      i: invoice[$invoice_id] else "No invoice"
    effects:
      - update i: {status: open}
    returns: i
  escalate:
    kind: generic
    description: Hand the client over to a person.
    params:
      summary: str
    returns: "'ok'"
seed:
  random_seed: 1
  generate:
    client:
      count: 4
      fields:
        client_id: seq("C", 2)
        label: faker.name
        contact: format("c{}@example.com", index())
    invoice:
      count: 12
      fields:
        invoice_id: seq("I", 3)
        client_id: pick(client)
        due: int(10 + index())
"""
HINTS = """
simulation:
  persona: client
  identify_by: [label, contact]
  money: [due]
  handoff: [escalate]
  skip: [reopen_invoice]
  consent: ["are you happy for me to"]
"""


def _compile(tmp_path, text: str, name: str):
    spec = tmp_path / f"{name}.env.yaml"
    spec.write_text(text, encoding="utf-8")
    result = compile_file(spec, tmp_path / name)
    assert result.ok, [d.message for d in result.diagnostics]
    return load_domain(str(result.out_dir))


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hints")
    return _compile(tmp, SPEC, "plain"), _compile(tmp, SPEC + HINTS, "hinted")


def test_hints_reach_domain_json_and_only_where_stated(pair):
    plain, hinted = pair
    assert "simulation" not in plain.meta  # a spec without the section compiles to the same domain.json as before
    assert hinted.meta["simulation"] == {"persona": "client", "identify_by": ["label", "contact"], "money": ["due"],
                                         "handoff": ["escalate"], "skip": ["reopen_invoice"],
                                         "consent": ["are you happy for me to"]}
    h = hints(plain.info)
    assert h.persona is None and h.identify_by == ("name", "email", "phone") and h.is_handoff("transfer_to_human_x")


def test_the_sampler_follows_the_hints(pair):
    made = {}
    for name, domain in zip(("plain", "hinted"), pair):
        sampler = TaskSampler(domain, seed=0)
        try:
            made[name] = (sampler.persona_entity, sorted(sampler.tools), sampler.tasks(12))
        finally:
            sampler.close()
    # without hints nothing says the client is a person (no name, email or phone field), and every tool is an errand
    assert made["plain"][0] is None and made["hinted"][0] == "client"
    assert "reopen_invoice" in made["plain"][1] and "escalate" in made["plain"][1]
    assert "reopen_invoice" not in made["hinted"][1] and "escalate" not in made["hinted"][1]
    tasks = made["hinted"][2]
    assert tasks and all(t.user["persona_row"]["entity"] == "client" for t in tasks)
    assert all({"label", "contact"} <= set(t.user["persona_row"]) for t in tasks)
    assert not any(c.tool in ("reopen_invoice", "escalate") for t in tasks for c in t.gold_calls)


def test_money_fields_and_consent_phrases(pair):
    _, hinted = pair
    assert render.fmt(12, "due") == "12"
    with render.money_fields(hints(hinted.info).money):
        assert render.fmt(12, "due") == "$12.00"
    assert render.fmt(12, "due") == "12"  # only within the setting
    msgs = [{"role": "assistant", "content": "Are you happy for me to pay invoice I001?"},
            {"role": "user", "content": "Yes please."}]
    assert not _confirmed(msgs, 1)
    assert _confirmed(msgs, 1, hints(hinted.info))
