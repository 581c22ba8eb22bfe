"""A spec file past the size limit is refused before it is read (E015), with its place, at once."""

from __future__ import annotations

import time

from ascc.compiler.build import MAX_SPEC_BYTES, compile_file
from ascc.diagnostics import SourceCache, render

SMALL = "domain: shop\ndescription: A tiny shop.\n"


def test_a_spec_past_the_limit_is_refused_at_once(tmp_path):
    spec = tmp_path / "big.env.yaml"
    spec.write_text(SMALL + "# " + "x" * (MAX_SPEC_BYTES + 10) + "\n", encoding="utf-8")
    t = time.perf_counter()
    result = compile_file(spec, tmp_path / "out")
    assert time.perf_counter() - t < 0.5
    (d,) = result.diagnostics
    assert d.code == "E015" and "at most 512 KiB" in d.message
    text = render(d, SourceCache())
    assert f"{spec}:1:1" in text and "^" in text and "help:" in text


def test_a_spec_at_the_limit_is_read(tmp_path):
    spec = tmp_path / "ok.env.yaml"
    spec.write_text(SMALL + "# " + "x" * 1000 + "\n", encoding="utf-8")
    assert all(d.code != "E015" for d in compile_file(spec, None).diagnostics)


GENERATOR_SPEC = """domain: shop
description: A tiny shop.
entities:
  customer:
    key: customer_id
    fields:
      customer_id: str
      bio: str
tools:
  get_customer:
    kind: read
    description: Get a customer.
    params:
      customer_id: {ref: customer}
    let:
      c: customer[$customer_id] else "Customer not found"
    returns: c
seed:
  generate:
    customer:
      count: 3
      fields:
        customer_id: seq("C", 3)
        bio: faker.pystr(300000000, 300000000)
"""


def test_seed_generation_stops_at_its_deadline(tmp_path, monkeypatch):
    """Work inside one generated value (a Faker provider asked for 300 million characters) is bounded too."""
    from ascc.compiler import seed

    monkeypatch.setattr(seed, "MAX_SEED_SECONDS", 0.5)
    spec = tmp_path / "slow.env.yaml"
    spec.write_text(GENERATOR_SPEC, encoding="utf-8")
    t = time.perf_counter()
    result = compile_file(spec, tmp_path / "out")
    assert time.perf_counter() - t < 5
    (d,) = result.diagnostics
    assert d.code == "E415" and "longer than 0.5 s" in d.message and "row 0 of `customer`" in d.message
    text = render(d, SourceCache())
    assert f"{spec}:20:5" in text and "help:" in text
