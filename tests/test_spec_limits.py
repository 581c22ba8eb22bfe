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
    assert d.code == "E015" and "at most 1 MiB" in d.message
    text = render(d, SourceCache())
    assert f"{spec}:1:1" in text and "^" in text and "help:" in text


def test_a_spec_at_the_limit_is_read(tmp_path):
    spec = tmp_path / "ok.env.yaml"
    spec.write_text(SMALL + "# " + "x" * 1000 + "\n", encoding="utf-8")
    assert all(d.code != "E015" for d in compile_file(spec, None).diagnostics)
