"""Maps inside lists survive writes: DuckDB gives a bound list one element type, so list elements whose maps have
different keys would come back as one struct of all keys, null-filled. The context binds them as key/value lists."""

from __future__ import annotations

from ascc.compiler.build import compile_file
from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment

SPEC = """
domain: closet
description: Garments whose lines carry options maps.
types:
  line:
    sku: str
    options: "map[str, str]"
  box:
    lines: list[line]
entities:
  garment:
    key: garment_id
    fields:
      garment_id: str
      lines: list[line]
      tags: "list[map[str, str]]"
      boxes: "map[str, box]"
tools:
  restyle:
    kind: write
    description: Replace the lines, tags and boxes of a garment; fail afterwards when asked to.
    params:
      garment_id: str
      fail: bool
    let:
      g: garment[$garment_id] else "Garment not found"
    effects:
      - update g:
          lines: '[{sku: "a", options: {"color": "red"}}, {sku: "b", options: {"size": "M", "fit": "slim"}}, {sku: "c", options: {"z": "0"}}]'
          tags: '[{"x": "1"}, {"y": "2"}]'
          boxes: '{"one": {lines: [{sku: "a", options: {"k": "v"}}, {sku: "b", options: {"w": "z"}}]}}'
      - if $fail:
          - update g: {garment_id: "'other'"}
    returns: g
seed:
  rows:
    garment:
      - {garment_id: G1, lines: [{sku: s, options: {"a": "1"}}, {sku: t, options: {"b": "2"}}], tags: [], boxes: {}}
"""


def test_maps_in_lists_keep_their_own_keys(tmp_path):
    spec = tmp_path / "closet.env.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    result = compile_file(spec, tmp_path / "build", force=True)
    assert result.ok, [d.message for d in result.diagnostics]
    with Environment(load_domain(str(result.out_dir))) as env:
        before, digest = env.rows("garment"), env.digest()
        assert before[0]["lines"][1]["options"] == {"b": "2"}
        r = env.call("restyle", {"garment_id": "G1", "fail": True})  # refused after its writes: put back whole
        assert not r.ok and env.rows("garment") == before and env.digest() == digest
        assert env.call("restyle", {"garment_id": "G1", "fail": False}).ok
        g = env.rows("garment")[0]
        assert [x["options"] for x in g["lines"]] == [{"color": "red"}, {"size": "M", "fit": "slim"}, {"z": "0"}]
        assert g["tags"] == [{"x": "1"}, {"y": "2"}]
        assert [x["options"] for x in g["boxes"]["one"]["lines"]] == [{"k": "v"}, {"w": "z"}]
