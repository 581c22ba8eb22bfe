"""A compiled domain's description, typed: what `domain.json` holds, read in this one place.

The compiler writes `domain.json` (compiler/build.py `domain_json`); everything after it (the runtime, the
simulator, eval, the trainer, the importers, the catalog) reads the `DomainInfo` that `domain_info` builds from
it, never the JSON's keys. Types are `ascc.lang.types.Type`; defaults are runtime values (decimals, dates), not
their JSON text. `tests/test_layers.py` checks that no other module reads the JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ascc.lang.types import Type, from_json
from ascc.lang.values import convert_value

DOMAIN_JSON = "domain.json"


@dataclass(frozen=True)
class FieldInfo:
    """A field of an entity or a struct."""

    name: str
    type: Type
    ref: str | None = None  # the entity whose key the field holds
    pattern: str | None = None
    description: str | None = None
    unique: bool = False
    is_key: bool = False
    has_default: bool = False
    default: object = None  # a runtime value; meaningful only where `has_default`
    check: str | None = None  # the field check's text


@dataclass(frozen=True)
class EntityInfo:
    """A table: its key column and its fields in schema order."""

    name: str
    key: str
    fields: dict[str, FieldInfo]


@dataclass(frozen=True)
class ParamInfo:
    """A tool parameter. `arg_type` is the type an argument is checked against: `type`, nullable where the
    parameter is optional."""

    name: str
    py_name: str
    type: Type
    required: bool
    default: object = None  # a runtime value, None for none
    ref: str | None = None
    description: str | None = None
    examples: tuple = ()  # values task synthesis gives it (the user's words)

    @cached_property
    def arg_type(self) -> Type:
        return self.type if self.required else self.type.as_nullable()


@dataclass(frozen=True)
class ParamUses:
    """How a tool's expressions use a parameter (compiler/uses.py), as `entity.field` names."""

    keys_of: tuple[str, ...] = ()  # map fields it must be an existing key of
    new_key_of: tuple[str, ...] = ()  # map fields it must not be a key of yet
    equals: tuple[str, ...] = ()  # fields it is compared equal to


@dataclass(frozen=True)
class RuleInfo:
    """A policy rule a call of the tool meets (`rules:` in the spec)."""

    name: str
    when: str | None
    outcome: str  # refuse, ask, transfer, ...
    policy: str | None
    message: str | None
    ask: str | None = None
    via: str | None = None


@dataclass(frozen=True)
class ToolInfo:
    name: str
    kind: str  # read or write
    actor: str  # agent or user
    description: str
    params: tuple[ParamInfo, ...]
    intent: str | None = None
    line: int = 0
    confirm: bool = False
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    requested_by: str = "user"
    returns: Type | None = None
    param_uses: dict[str, ParamUses] = field(default_factory=dict)
    rules: tuple[RuleInfo, ...] = ()

    @property
    def is_write(self) -> bool:
        return self.kind == "write"

    def param(self, name: str) -> ParamInfo | None:
        return next((p for p in self.params if p.name == name), None)

    def uses(self, param: str) -> ParamUses:
        return self.param_uses.get(param) or ParamUses()


@dataclass(frozen=True)
class Clock:
    today: str | None = None
    now: str | None = None


@dataclass(frozen=True)
class SimulationInfo:
    """The spec's `simulation:` section: what the simulator would otherwise guess from names. Empty where the
    spec does not say (sim/hints.py gives the defaults)."""

    persona: str | None = None  # the entity users are
    identify_by: tuple[str, ...] = ()  # fields (or parts of field names) that identify a user
    money: tuple[str, ...] = ()  # money fields
    handoff: tuple[str, ...] = ()  # hand-off tools
    skip: tuple[str, ...] = ()  # tools no errand calls
    consent: tuple[str, ...] = ()  # phrases that ask for consent


@dataclass(frozen=True)
class DomainInfo:
    """A compiled domain as `domain.json` describes it."""

    name: str
    version: int | None
    description: str | None
    policy: str
    clock: Clock
    spec: str  # the spec's file name
    structs: dict[str, dict[str, FieldInfo]]  # a struct's fields by name
    entities: dict[str, EntityInfo]
    tools: dict[str, ToolInfo]
    simulation: SimulationInfo = field(default_factory=SimulationInfo)  # the spec's `simulation:` section

    def key_of(self, entity: str) -> str:
        return self.entities[entity].key


def is_build(path: Path) -> bool:
    """Whether `path` holds a compiled domain."""
    return (Path(path) / DOMAIN_JSON).is_file()


def read_domain_info(path: Path) -> DomainInfo:
    """The `DomainInfo` of the build folder `path`."""
    return domain_info(json.loads((Path(path) / DOMAIN_JSON).read_text(encoding="utf-8")))


def domain_info(d: dict) -> DomainInfo:
    """`domain.json`'s content as a `DomainInfo`; defaults become runtime values."""
    raw_structs = d.get("structs") or {}
    structs: dict[str, dict[str, FieldInfo]] = {}

    def records(t: Type):
        return structs[t.name]

    # a struct's default may be a record of another struct: read them all before converting any default
    plain = {s: {n: _field(n, f) for n, f in fs.items()} for s, fs in raw_structs.items()}
    structs.update(plain)
    for s, fs in raw_structs.items():
        structs[s] = {n: _field(n, f, records) for n, f in fs.items()}
    entities = {e: EntityInfo(e, m["key"], {n: _field(n, f, records) for n, f in m["fields"].items()})
                for e, m in (d.get("entities") or {}).items()}
    clock = d.get("clock") or {}
    return DomainInfo(
        name=d["domain"], version=d.get("version"), description=d.get("description"), policy=d.get("policy") or "",
        clock=Clock(clock.get("today"), clock.get("now")), spec=d.get("spec") or "", structs=structs,
        entities=entities, tools={n: _tool(n, t, records) for n, t in (d.get("tools") or {}).items()},
        simulation=_simulation(d.get("simulation") or {}))


def _simulation(s: dict) -> SimulationInfo:
    return SimulationInfo(s.get("persona"), *(tuple(s.get(k) or ()) for k in ("identify_by", "money", "handoff",
                                                                              "skip", "consent")))


def _field(name: str, f: dict, records=None) -> FieldInfo:
    t = from_json(f["type"])
    has_default = "default" in f
    default = f.get("default")
    if has_default and records is not None:
        default = convert_value(default, t.as_nullable(), records)
    return FieldInfo(name, t, f.get("ref"), f.get("pattern"), f.get("description"), bool(f.get("unique")),
                     bool(f.get("key")), has_default, default, f.get("check"))


def _param(p: dict, records) -> ParamInfo:
    t = from_json(p["type"])
    default = p.get("default")
    if default is not None:
        default = convert_value(default, t, records)
    return ParamInfo(p["name"], p.get("py_name") or p["name"], t, bool(p.get("required", True)), default,
                     p.get("ref"), p.get("description"), tuple(p.get("examples") or ()))


def _tool(name: str, t: dict, records) -> ToolInfo:
    uses = {p: ParamUses(*(tuple(u.get(k) or ()) for k in ("keys_of", "new_key_of", "equals")))
            for p, u in (t.get("param_uses") or {}).items()}
    rules = tuple(RuleInfo(r["name"], r.get("when"), r["outcome"], r.get("policy"), r.get("message"), r.get("ask"),
                           r.get("via")) for r in t.get("rules") or ())
    return ToolInfo(
        name=name, kind=t.get("kind", "read"), actor=t.get("actor") or "agent", description=t.get("description") or "",
        params=tuple(_param(p, records) for p in t.get("params") or ()), intent=t.get("intent"),
        line=t.get("line") or 0, confirm=bool(t.get("confirm")), reads=tuple(t.get("reads") or ()),
        writes=tuple(t.get("writes") or ()), requested_by=t.get("requested_by") or "user",
        returns=from_json(t["returns"]) if t.get("returns") else None, param_uses=uses, rules=rules)
