"""`ascc import openapi` / `ascc import tools`: small fixtures of our own (tests/fixtures/openapi/) drafted into
specs that compile, run (lookups fail with "not found", writes change the state) and are reported; broken inputs
end in the report with a reason, never a traceback or a half-written spec. The golden file pins one generated
spec (tests/golden/import/pet_store.env.yaml; `pytest --bless` rewrites it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ascc.importers.openapi import load
from ascc.importers.openapi.graph import split_api
from ascc.importers.openapi.names import snake
from ascc.importers.openapi.ops import Operation, Param
from ascc.importers.openapi.run import import_openapi, import_tools
from ascc.runtime.domain import compile_and_load
from ascc.runtime.env import Environment

FIX = Path(__file__).parent / "fixtures" / "openapi"
GOLDEN = Path(__file__).parent / "golden" / "import"


def kinds(report, domain: str) -> dict[str, str]:
    return {o.tool: o.kind for o in report.operations if o.domain == domain and o.status == "imported"}


@pytest.fixture(scope="module")
def petstore(tmp_path_factory):
    out = tmp_path_factory.mktemp("pet")
    return out, import_openapi([FIX / "petstore_swagger2.json"], out)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    out = tmp_path_factory.mktemp("shop")
    return out, import_openapi([FIX / "shop_oas31.yaml"], out)


def env_of(out: Path, domain: str) -> Environment:
    env = Environment(compile_and_load(out / f"{domain}.env.yaml", out / "build"))
    env.reset()
    return env


def test_swagger2_operations_map_to_reads_and_writes(petstore):
    out, r = petstore
    assert [d.name for d in r.domains] == ["pet_store"] and r.domains[0].compiled
    assert kinds(r, "pet_store") == {
        "list_pets": "query", "add_pet": "insert", "get_pet_by_id": "lookup", "update_pet": "update",
        "delete_pet": "delete", "adopt_pet": "status", "post_pets_vaccinate": "record",
        "list_owner_pets": "query", "get_owner": "lookup"}
    [head] = [o for o in r.operations if o.status == "skipped"]
    assert head.operation == "HEAD /pets/{petId}" and "HEAD is not imported" in head.reason
    report = json.loads((out / "import_report.json").read_text())
    assert report["operations_total"] == 10 and report["operations_imported"] == 9


def test_swagger2_spec_carries_origin_names_and_refs(petstore):
    out, _ = petstore
    text = (out / "pet_store.env.yaml").read_text()
    assert "  # from petstore_swagger2.json: POST /pets/{petId}/adopt (operationId adoptPet)\n  adopt_pet:" in text
    spec = __import__("yaml").safe_load(text)
    pet = spec["entities"]["pet"]["fields"]
    assert {"class_", "from_", "grosse"} <= set(pet)  # keywords and non-ASCII made valid
    assert pet["owner_id"]["ref"] == "owner"  # /owners/{ownerId}/pets: a reference to the parent
    assert pet["status"]["enum"] == ["available", "pending", "adopted", "sold"]
    assert spec["tools"]["add_pet"]["params"]["name"] == {"type": "str"}  # required in the schema
    assert spec["tools"]["add_pet"]["params"]["tag"]["optional"] is True
    assert spec["seed"]["generate"]["owner"]["fields"]["email"] == "faker.email"


def test_imported_tools_run(petstore):
    out, _ = petstore
    env = env_of(out, "pet_store")
    missing = env.call("get_pet_by_id", {"pet_id": "nope"})
    assert not missing.ok and "Pet nope not found" in missing.content
    made = env.call("add_pet", {"name": "Rex"})
    assert made.ok and made.wrote, made.content
    pet_id = json.loads(made.content)["id"]
    before = env.digest()
    adopted = env.call("adopt_pet", {"pet_id": pet_id})
    assert adopted.ok and json.loads(adopted.content)["status"] == "adopted"
    again = env.call("adopt_pet", {"pet_id": pet_id})
    assert not again.ok and "already adopted" in again.content
    assert env.digest() != before
    recorded = env.call("post_pets_vaccinate", {"pet_id": pet_id, "vaccine": "rabies"})
    assert recorded.ok and json.loads(recorded.content)["target"] == pet_id
    listed = json.loads(env.call("list_pets", {"status": "adopted"}).content)
    assert pet_id in [p["id"] for p in listed] and {p["status"] for p in listed} == {"adopted"}
    assert env.call("delete_pet", {"pet_id": pet_id}).ok
    assert not env.call("get_pet_by_id", {"pet_id": pet_id}).ok


def test_oas31_allof_cycles_and_relative_refs(shop):
    out, r = shop
    assert r.domains[0].compiled and r.imported == len(r.operations) == 7
    spec = __import__("yaml").safe_load((out / "tiny_shop.env.yaml").read_text())
    customer = spec["entities"]["customer"]["fields"]
    assert {"name", "email", "created", "tier", "address", "referrer"} <= set(customer)  # allOf merged
    assert customer["created"]["type"] == "datetime"  # 3.1's [string, "null"]
    assert spec["types"][customer["address"]["type"]] .keys() == {"street", "city", "zip"}  # from common.yaml
    assert customer["referrer"]["type"] == "map[str, str]"  # Customer -> Customer: the cycle is cut
    category = spec["entities"]["category"]["fields"]
    assert category["children"]["type"] == "list[map[str, str]]"
    assert spec["entities"]["order"]["fields"]["customer_id"]["ref"] == "customer"  # customerId -> customer
    assert kinds(r, "tiny_shop")["cancel_order"] == "status"
    # strings YAML 1.1 and 1.2 read differently stay strings
    assert spec["tools"]["search_customers"]["params"]["page_size"]["enum"] == ["1e3", "0o7", "08", "yes", "null"]
    env = env_of(out, "tiny_shop")
    found = json.loads(env.call("search_customers", {}).content)
    assert len(found) == 15  # seeded
    cid = found[0]["id"]
    upd = env.call("update_customer", {"customer_id": cid, "tier": "gold"})
    assert upd.ok and json.loads(upd.content)["tier"] == "gold" and json.loads(upd.content)["name"] == found[0]["name"]


def test_broken_inputs_are_reported_and_the_rest_imported(tmp_path, monkeypatch):
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"swagger": "2.0", "paths": {}, "pad": "x" * 300000}))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    monkeypatch.setattr(load, "MAX_BYTES", 250000)
    out = tmp_path / "out"
    r = import_openapi([FIX / "broken", big, deep, FIX / "petstore_swagger2.json"], out)
    why = {Path(p["file"]).name: p["reason"] for p in r.problems}
    assert why["invalid.json"].startswith("invalid JSON")
    assert "not an OpenAPI description" in why["not_openapi.yaml"]
    assert "YAML bomb" in why["yaml_bomb.yaml"]
    assert "are not imported" in why["big.json"]
    assert "nests" in why["deep.json"]
    missing = next(o for o in r.operations if o.operation == "GET /things/{id}")
    assert missing.status == "skipped" and "missing file `nowhere.yaml`" in missing.reason
    assert any(o.operation == "GET /widgets" and o.status == "imported" for o in r.operations)
    assert sorted(p.name for p in out.glob("*.env.yaml")) == ["missing_ref.env.yaml", "pet_store.env.yaml"]
    assert not list(out.glob(".tmp-*"))


def test_yaml_limits():
    with pytest.raises(load.ImportProblem, match="YAML aliases"):
        load.parse_text("a: &a [x]\n" + "".join(f"k{i}: *a\n" for i in range(load.MAX_ALIASES + 5)))
    with pytest.raises(load.ImportProblem, match="nests"):
        load.parse_text("a: " + "[" * 300 + "]" * 300 + "\n")
    assert load.parse_text("a: &x {b: 1}\nc: *x\n") == {"a": {"b": 1}, "c": {"b": 1}}


def test_function_schemas_and_mcp_tool_lists(tmp_path):
    r = import_tools([FIX / "openai_functions.json", FIX / "mcp_tools_list.json"], tmp_path,
                     one_domain_per_api=True)
    assert all(d.compiled for d in r.domains) and len(r.domains) == 2
    assert kinds(r, "openai_functions") == {"get_weather": "query", "create_reminder": "insert",
                                            "get_reminder": "lookup", "delete_reminder": "delete",
                                            "send_email": "record"}
    assert kinds(r, "mcp_tools_list") == {"list_issues": "query", "get_issue": "lookup", "create_issue": "insert",
                                          "close_issue": "status"}  # `state: [open, closed]` from list_issues
    spec = __import__("yaml").safe_load((tmp_path / "mcp_tools_list.env.yaml").read_text())
    assert spec["tools"]["create_issue"]["params"]["priority"]["enum"] == ["low", "high"]  # `#/$defs/` resolved
    [nameless] = [o for o in r.operations if o.status == "skipped"]
    assert "no `name`" in nameless.reason
    env = env_of(tmp_path, "openai_functions")
    made = env.call("create_reminder", {"text": "call mum"})
    assert made.ok, made.content
    rid = json.loads(made.content)["reminder_id"]
    assert json.loads(env.call("get_reminder", {"reminder_id": rid}).content)["text"] == "call mum"


def _op(api: str, path: str, method: str = "get", names=("a",)) -> Operation:
    return Operation(api, "f.json", method, path, "", f"{method} {path}",
                     [Param(n, "query", False, {"type": "string"}) for n in names])


def test_large_api_split_along_communities_deterministically():
    ops = [_op("big", f"/{res}/{{id}}/x{i}", names=(f"{res}_field", f"{res}_other")) for res in
           ("alpha", "beta", "gamma") for i in range(6)]
    groups = split_api(ops, 4, 8, seed=3)
    assert all(4 <= len(g) <= 8 for g in groups) and sum(map(len, groups)) == 18
    assert all(len({o.path.split("/")[1] for o in g}) == 1 for g in groups)  # each community one resource
    assert [[o.path for o in g] for g in split_api(ops, 4, 8, seed=3)] == [[o.path for o in g] for g in groups]
    assert split_api(ops[:5], 4, 8, seed=3) == [ops[:5]]


def test_names():
    assert snake("userId") == "user_id" and snake("class") == "class_" and snake("Größe") == "grosse"
    assert snake("2fa") == "n_2fa" and snake("__init__") == "init" and snake("!!") == "x"
    # nothing survives transliteration: the code points keep two such names apart (they were both `x`)
    assert snake("名前") == "x_540d524d" != snake("名字")


def test_keyword_and_non_ascii_names_compile_and_run(tmp_path):
    r = import_openapi([FIX / "hostile_names.yaml"], tmp_path)
    [d] = r.domains
    assert d.compiled and r.imported == len(r.operations) == 8
    tools = kinds(r, d.name)
    assert {"import_", "def_", "lambda_", "select_2", "drop_table_group", "urun_getir"} <= set(tools)
    spec = __import__("yaml").safe_load((tmp_path / f"{d.name}.env.yaml").read_text())
    group = spec["entities"]["group"]["fields"]  # SQL keywords stay names (quoted in the SQL), Python's get `_`
    assert {"order", "limit", "user", "class_", "grosse", "drop_table_x"} <= set(group)
    assert {"x_540d524d", "x_540d5b57"} <= set(spec["entities"]["x_75286237"]["fields"])
    env = env_of(tmp_path, d.name)
    made = env.call("drop_table_group", {"order": 3, "limit": "ten", "class_": "a"})
    assert made.ok, made.content
    gid = json.loads(made.content)["group_id"]
    assert [g["group_id"] for g in json.loads(env.call("select_2", {"order": 3}).content)] == [gid]
    person = env.call("x_521b5efa75286237", {"x_540d524d": "花子", "x_540d5b57": "山田"})
    assert person.ok and json.loads(person.content)["x_540d5b57"] == "山田"  # two fields, not one overwritten
    assert env.call("lambda_", {"group_id": gid}).ok and not env.call("def_", {"group_id": gid}).ok


def test_a_100_mb_file_is_refused_by_its_size_unread(tmp_path):
    big = tmp_path / "huge.json"
    with big.open("wb") as fh:  # sparse: 100 MB on paper, no disk
        fh.truncate(100 * 1024 * 1024)
    r = import_openapi([big, FIX / "petstore_swagger2.json"], tmp_path / "out")
    [problem] = r.problems
    assert problem["reason"] == "`huge.json` is 104,857,600 bytes; descriptions over 20,971,520 bytes are not imported"
    assert [d.name for d in r.domains] == ["pet_store"]


def test_cli_on_every_broken_input(tmp_path):
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, "-m", "ascc", "import", "openapi", str(FIX / "broken"), "--out", str(out),
                        "--jobs", "1"], capture_output=True, text=True)
    text = p.stdout + p.stderr
    assert "Traceback" not in text
    for file, why in (("invalid.json", "invalid JSON"), ("not_openapi.yaml", "not an OpenAPI description"),
                      ("yaml_bomb.yaml", "YAML bomb"), ("missing_ref.yaml", "missing file `nowhere.yaml`")):
        assert file in text or why in text, (file, text)
        assert why in text, (why, text)
    # only whole specs and the report: no temporary files, nothing in failed/
    assert sorted(x.name for x in out.iterdir()) == ["import_report.json", "missing_ref.env.yaml"]
    from typer.testing import CliRunner

    from ascc.cli import _register_optional, app

    _register_optional()
    nothing = CliRunner().invoke(app, ["import", "openapi", str(FIX / "broken" / "invalid.json"), "--out",
                                       str(tmp_path / "none")])
    assert nothing.exit_code == 1 and (nothing.exception is None or isinstance(nothing.exception, SystemExit))
    assert "invalid JSON" in nothing.output and not list((tmp_path / "none").glob("*.env.yaml"))


def test_golden_spec(petstore, bless):
    out, _ = petstore
    got = (out / "pet_store.env.yaml").read_text()
    golden = GOLDEN / "pet_store.env.yaml"
    if bless or not golden.exists():
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(got)
    assert got == golden.read_text()


def test_cli(tmp_path):
    p = subprocess.run([sys.executable, "-m", "ascc", "import", "openapi", str(FIX / "shop_oas31.yaml"),
                        str(FIX / "broken" / "yaml_bomb.yaml"), "--out", str(tmp_path)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stdout + p.stderr
    assert "tiny_shop" in p.stdout and "YAML bomb" in p.stdout


def test_build_dir_makes_the_later_compile_a_cache_hit(tmp_path):
    from ascc.compiler.driver import compile_many

    out, build = tmp_path / "out", tmp_path / "build"
    r = import_openapi([FIX / "shop_oas31.yaml"], out, build_dir=build)
    assert r.domains[0].compiled and (build / "tiny_shop" / "tools.py").exists()
    [res] = compile_many([out], build)
    assert res.ok and res.cached


def test_parameters_on_every_operation_are_plumbing():
    from ascc.importers.openapi.run import _drop_plumbing

    ops = [_op("api", f"/r{i}", names=("api_key", "pretty", f"own{i}")) for i in range(6)]
    ops[0].params.append(Param("fields", "query", True, {"type": "string"}))
    _drop_plumbing(ops)
    assert [p.name for p in ops[0].params] == ["own0", "fields"]  # required ones stay
    small = [_op("api", f"/r{i}", names=("api_key",)) for i in range(3)]
    _drop_plumbing(small)
    assert all(o.params for o in small)


def test_errors_are_blamed_on_the_tool_whose_block_holds_them():
    from ascc.importers.openapi.run import _tools_at, dump_yaml

    text = dump_yaml({"domain": "d", "tools": {"a": {"kind": "read"}, "b": {"kind": "read", "returns": "x"}},
                      "seed": {}}, {"a": "from f: GET /a", "b": "from f: GET /b"})
    lines = text.splitlines()
    at = {name: lines.index(f"  {name}:") + 1 for name in ("a", "b")}
    assert _tools_at(text, [(at["b"] + 2, "E234 unknown name")]) == {"b": "E234 unknown name"}
    assert _tools_at(text, [(at["a"] + 1, "m"), (len(lines), "seed")]) == {}  # one error outside a tool: no blame
    assert lines[at["a"] - 2] == "  # from f: GET /a"
