"""The resolved, typed IR of a domain. Code generation reads only these objects.

Expressions inside are `ascc.dsl.ast` nodes that the checker has annotated with `type` and `ref`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ascc.compiler.types import Type
from ascc.diagnostics import Span
from ascc.dsl import ast


@dataclass
class Field:
    name: str
    type: Type
    span: Span
    line: int
    has_default: bool = False
    default: object = None
    unique: bool = False
    pattern: str | None = None
    check: ast.Node | None = None
    check_text: str | None = None
    ref: str | None = None  # the entity this field refers to
    description: str | None = None
    is_key: bool = False


@dataclass
class Struct:
    name: str
    span: Span
    fields: dict[str, Field]


@dataclass
class Entity:
    name: str
    span: Span
    key: str
    fields: dict[str, Field]
    description: str | None = None

    @property
    def key_field(self) -> Field:
        return self.fields[self.key]


@dataclass
class Param:
    name: str
    py_name: str
    type: Type
    span: Span
    line: int
    required: bool = True
    default: object = None
    ref: str | None = None
    description: str | None = None
    examples: list | None = None  # values task synthesis gives it (the user's words); not in the tool schema


@dataclass
class Let:
    name: str
    py_name: str
    expr: ast.Node
    message: str | None
    line: int
    type: Type | None = None


@dataclass
class Require:
    cond: ast.Node
    message: str
    line: int
    after: int  # evaluated right after this many lets are bound (as early as its names allow)


@dataclass
class Rule:
    """A policy rule the agent applies before calling the tool; the generated tool does not enforce it.

    When `cond` holds (over the call's parameters and `let` values; None: always), the policy prescribes
    `outcome`: `refuse` (say `message`, do not call), `transfer` (hand the user to a human, through the tool
    `via` when there is one, and do not call) or `ask` (get the parameter `ask` from the user before calling)."""

    name: str
    cond: ast.Node | None
    cond_text: str | None
    outcome: str  # refuse transfer ask
    policy: str
    message: str
    line: int
    ask: str | None = None
    via: str | None = None
    via_span: Span | None = None


@dataclass
class Assign:
    field: Field
    value: ast.Node


@dataclass
class Effect:
    """One state change. `verb` picks the variant; the fields used depend on it.

    update/delete: `target` (a row), `entity`. insert: `entity`, `assigns`, `key_value`.
    append: `target`, `field` (a list field), `value`, `extend`. update_where/remove_where: `target`, `field`,
    `cond` (over the element's fields), `assigns` (for update_where). put/update_entry/remove_entry: `target`,
    `field` (a map field), `key`, `value` / `assigns`. for: `var`, `iterable`, `body`. if: `cond`, `body`, `orelse`.
    """

    verb: str
    line: int
    entity: str | None = None
    target: ast.Node | None = None
    field: Field | None = None
    assigns: list[Assign] = dataclasses.field(default_factory=list)
    value: ast.Node | None = None
    extend: bool = False
    key: ast.Node | None = None
    cond: ast.Node | None = None
    var: str | None = None
    var_py: str | None = None
    iterable: ast.Node | None = None
    body: list[Effect] = dataclasses.field(default_factory=list)
    orelse: list[Effect] = dataclasses.field(default_factory=list)
    elem_var: str = "_e"  # the Python name of the element inside update_where/remove_where
    fill: dict = dataclasses.field(default_factory=dict)  # insert: defaults of the fields not given


@dataclass
class SqlQuery:
    text: str
    params: list[str]  # parameter / let names referenced as $name, in order of first use
    is_select: bool
    tables: list[str]
    returning: bool = False  # a write with `RETURNING`: its result is the returned rows, not a count


@dataclass
class Tool:
    name: str
    kind: str  # read write generic
    actor: str  # agent, user or env (task setup and checks only: in no tool schema)
    description: str
    span: Span
    line: int
    intent: str | None = None
    requested_by: str = "user"  # who asks the agent for it: the user (a user's errand) or staff (never an errand)
    confirm: bool = False  # the agent must get the user's explicit yes before calling it
    params: list[Param] = field(default_factory=list)
    lets: list[Let] = field(default_factory=list)
    requires: list[Require] = field(default_factory=list)
    fails_after_effects: list[Require] = field(default_factory=list)  # checked after the effects, which stay
    rules: list[Rule] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    returns: ast.Node | None = None
    projection: list[tuple[str, ast.Node]] | None = None
    returns_type: Type | None = None
    sql: SqlQuery | None = None
    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)


@dataclass
class SeedGenerator:
    entity: str
    count: int
    lets: list[Let]
    fields: list[tuple[str, ast.Node]]
    line: int
    span: Span | None = None  # the entity name under `generate:`, where problems with its rows are reported


@dataclass
class Seed:
    random_seed: int = 0
    files: list[tuple[str, str, Span]] = field(default_factory=list)  # entity, path, span
    rows: list[tuple[str, list]] = field(default_factory=list)  # entity, [YMap]
    generators: list[SeedGenerator] = field(default_factory=list)


@dataclass
class Domain:
    name: str
    file: str
    version: int
    description: str
    policy: str
    today: str
    now: str
    structs: dict[str, Struct]
    entities: dict[str, Entity]
    tools: dict[str, Tool]
    seed: Seed
    source_hash: str = ""
    confirm_writes: bool = False
    simulation: dict | None = None  # `simulation:`, checked (what `ascc simulate` would otherwise guess)

    def record_fields(self, t: Type) -> dict[str, Field]:
        """The fields of a struct or row type."""
        if t.kind == "row":
            return self.entities[t.name].fields
        if t.kind == "struct" and t.name:
            return self.structs[t.name].fields
        if t.kind == "struct":
            return _anonymous_fields(t)
        return {}


_NOWHERE = Span("", 0, 0, 0, 0)


def _anonymous_fields(t: Type) -> dict[str, Field]:
    """Fields of a record literal's type, so `x.n` reads `{c: 'a', n: 1}` like a declared struct."""
    return {n: Field(n, ft, _NOWHERE, 0) for n, ft in t.fields}
