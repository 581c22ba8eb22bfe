"""The JSON Schema of `*.env.yaml` files: valid itself, accepts the example specs, rejects bad shapes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from ascc.schema import schema_path

SPECS = sorted((Path(__file__).resolve().parents[1] / "specs").glob("*.env.yaml"))


def _load(path: Path):
    return YAML(typ="safe", pure=True).load(path.read_text())


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_path().read_text()))


def test_schema_is_valid() -> None:
    Draft202012Validator.check_schema(json.loads(schema_path().read_text()))


def test_there_are_specs() -> None:
    assert SPECS


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.name)
def test_specs_validate(spec: Path, validator: Draft202012Validator) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_load(spec))]
    assert not errors, "\n".join(errors)


def _shop() -> dict:
    return _load(next(p for p in SPECS if p.name == "shop.env.yaml"))


def _bad(mutate):
    doc = copy.deepcopy(_shop())
    mutate(doc)
    return doc


BAD = {
    "unknown top-level key": lambda d: d.update(entites={}),
    "missing domain": lambda d: d.pop("domain"),
    "domain not an identifier": lambda d: d.update(domain="my shop"),
    "unknown tool kind": lambda d: d["tools"]["get_order"].update(kind="query"),
    "unknown actor": lambda d: d["tools"]["get_order"].update(actor="admin"),
    "tool without description": lambda d: d["tools"]["get_order"].pop("description"),
    "unknown tool key": lambda d: d["tools"]["get_order"].update(require=[]),
    "entity without fields": lambda d: d["entities"]["product"].pop("fields"),
    "field with type and enum": lambda d: d["entities"]["order"]["fields"]["status"].update(type="str"),
    "field with no type": lambda d: d["entities"]["product"]["fields"].update(stock={"check": "stock >= 0"}),
    "unknown field key": lambda d: d["entities"]["product"]["fields"].update(sku={"type": "str", "primary": True}),
    "version not an integer": lambda d: d.update(version="one"),
    "requires not a list": lambda d: d["tools"]["cancel_pending_order"].update(requires="o.status == pending"),
    "requirement map without check": lambda d: d["tools"]["cancel_pending_order"].update(requires=[{"error": "x"}]),
    "effect with two entries": lambda d: d["tools"]["cancel_pending_order"]["effects"].append(
        {"update o": {"status": "cancelled"}, "delete o": None}),
    "unknown effect verb": lambda d: d["tools"]["cancel_pending_order"]["effects"].append({"upsert o": {"a": 1}}),
    "sql with effects": lambda d: d["tools"]["list_products_under"].update(effects=["delete x"]),
    "negative generator count": lambda d: d["seed"]["generate"]["customer"].update(count=-1),
    "unknown seed key": lambda d: d["seed"].update(data={}),
    "unsupported seed file": lambda d: d["seed"].update(files={"product": "products.xlsx"}),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_shapes_are_rejected(name: str, validator: Draft202012Validator) -> None:
    assert not validator.is_valid(_bad(BAD[name])), name


def test_schema_ships_with_the_package() -> None:
    assert schema_path().name == "env.schema.json" and schema_path().is_file()
