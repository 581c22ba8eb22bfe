"""The spec library compiles, deterministically, into modules that import and match their golden copies."""

from __future__ import annotations

import ast
import filecmp
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ascc.compiler.build import compile_file, find_specs

ROOT = Path(__file__).resolve().parents[1]
SPECS = find_specs([ROOT / "specs"])
GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    for spec in SPECS:
        result = compile_file(spec, out, force=True)
        assert result.ok, [d.message for d in result.diagnostics]
        assert not [d for d in result.diagnostics if d.severity == "warning"], result.diagnostics
    return out


def _domain(spec: Path) -> str:
    return spec.name.removesuffix(".env.yaml")


@pytest.mark.parametrize("spec", SPECS, ids=_domain)
def test_generated_module_matches_golden(build: Path, spec: Path, bless: bool) -> None:
    produced = (build / _domain(spec) / "tools.py").read_text(encoding="utf-8")
    golden = GOLDEN / f"{_domain(spec)}.tools.py"
    if bless or not golden.exists():
        golden.write_text(produced, encoding="utf-8")
    assert produced == golden.read_text(encoding="utf-8"), "regenerate with `pytest tests/test_compile.py --bless`"


@pytest.mark.parametrize("spec", SPECS, ids=_domain)
def test_generated_module_imports_and_lists_every_tool(build: Path, spec: Path) -> None:
    path = build / _domain(spec) / "tools.py"
    mod_spec = importlib.util.spec_from_file_location(f"golden_{_domain(spec)}", path)
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    import json

    meta = json.loads((build / _domain(spec) / "domain.json").read_text())
    assert set(module.TOOLS) == set(meta["tools"])
    for name, fn in module.TOOLS.items():
        assert fn.__doc__ == meta["tools"][name]["description"]


@pytest.mark.parametrize("spec", SPECS, ids=_domain)
def test_generated_module_passes_ruff(build: Path, spec: Path) -> None:
    path = build / _domain(spec) / "tools.py"
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated",
                           "--select", "E,F,W,I,B,UP", "--ignore", "E501", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_same_input_gives_byte_identical_output(build: Path, tmp_path: Path) -> None:
    for spec in SPECS:
        assert compile_file(spec, tmp_path, force=True).ok
    for spec in SPECS:
        d = _domain(spec)
        cmp = filecmp.dircmp(build / d, tmp_path / d)
        files = [p.relative_to(build / d) for p in (build / d).rglob("*") if p.is_file()]
        for rel in files:
            assert (build / d / rel).read_bytes() == (tmp_path / d / rel).read_bytes(), f"{d}/{rel} differs"
        assert not cmp.left_only and not cmp.right_only


def test_unchanged_spec_is_not_recompiled(tmp_path: Path) -> None:
    spec = ROOT / "specs" / "shop.env.yaml"  # a small one: the cache, not the compiler, is under test
    first = compile_file(spec, tmp_path)
    second = compile_file(spec, tmp_path)
    assert first.ok and not first.cached
    assert second.cached


def test_changed_spec_is_recompiled(tmp_path: Path) -> None:
    spec = tmp_path / "shop.env.yaml"
    spec.write_text((ROOT / "specs" / "shop.env.yaml").read_text())
    out = tmp_path / "out"
    assert not compile_file(spec, out).cached
    spec.write_text(spec.read_text().replace("A small online shop", "A tiny online shop"))
    result = compile_file(spec, out)
    assert result.ok and not result.cached
    assert "A tiny online shop" in (out / "shop" / "tools.py").read_text()


def test_spec_strings_enter_generated_code_only_as_literals(tmp_path: Path) -> None:
    nasty = 'He said """hi""" \\ {{ x }} {% if %} \' " \n and é ✓'
    spec = tmp_path / "nasty.env.yaml"
    import json

    spec.write_text(f"""
domain: nasty
description: {json.dumps(nasty)}
entities:
  thing:
    key: id
    fields:
      id: str
      class: {{enum: ["a'b", 'c"d', "{{{{e}}}}"]}}
tools:
  import:
    kind: read
    description: {json.dumps(nasty)}
    params:
      from: str
    let:
      t: thing[$from] else {json.dumps(nasty)}
    returns: t
seed:
  rows:
    thing:
      - {{id: x, class: "a'b"}}
""")
    result = compile_file(spec, tmp_path / "out")
    assert result.ok, [d.message for d in result.diagnostics]
    source = (tmp_path / "out" / "nasty" / "tools.py").read_text()
    tree = ast.parse(source)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    assert ast.get_docstring(fn, clean=False) == nasty
    raises = [n for n in ast.walk(fn) if isinstance(n, ast.Raise)]
    assert raises[0].exc.args[0].value == nasty
    from ascc.runtime.domain import load_domain
    from ascc.runtime.env import Environment

    env = Environment(load_domain(str(tmp_path / "out" / "nasty")))
    assert env.call("import", {"from": "x"}).value == {"id": "x", "class": "a'b"}
    assert env.call("import", {"from": "nope"}).value["error"]["message"] == nasty


def test_env_tools_are_in_no_schema_file(tmp_path: Path) -> None:
    """`actor: env` tools (task setup and checks) are compiled and callable, but offered to nobody."""
    spec = tmp_path / "phone.env.yaml"
    spec.write_text((Path(__file__).parent / "diagnostics" / "e2_types" / "actor_env_misspelt.env.yaml").read_text()
                    .replace("actor: environment", "actor: env")
                    .replace("entities:", "seed: {rows: {device: [{device_id: phone}]}}\nentities:"))
    result = compile_file(spec, tmp_path / "out")
    assert result.ok, [d.message for d in result.diagnostics]
    out = tmp_path / "out" / "phone"
    names = lambda f: [s["function"]["name"] for s in json.loads((out / f).read_text())]  # noqa: E731
    assert names("user_tools.json") == ["toggle_airplane_mode"]
    assert names("tools.json") == []
    from ascc.runtime.domain import load_domain
    from ascc.runtime.env import Environment

    with Environment(load_domain(str(out))) as env:
        env.reset(setup=[("turn_airplane_mode_on", {})])
        assert env.rows("device")[0]["airplane_mode"] is True


def test_error_messages_fill_parameter_holes(tmp_path: Path) -> None:
    """`{param}` holes of an error message are filled in; other braces and unknown names stay as written."""
    spec = tmp_path / "shop.env.yaml"
    spec.write_text((Path(__file__).parent / "diagnostics" / "e2_types" / "warn_message_holes.env.yaml").read_text()
                    + "seed: {rows: {order: [{order_id: A1, status: cancelled}]}}\n")
    result = compile_file(spec, tmp_path / "out")
    assert result.ok and [d.code for d in result.diagnostics] == ["W259"]
    from ascc.runtime.domain import load_domain
    from ascc.runtime.env import Environment

    with Environment(load_domain(str(tmp_path / "out" / "shop"))) as env:
        assert env.call("cancel_order", {"order_id": "Z9"}).value["error"]["message"] == "Order {order} not found"
        assert env.call("cancel_order", {"order_id": "A1"}).value["error"]["message"] == \
            "Order A1 is not pending {{as of today}}"
