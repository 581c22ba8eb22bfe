"""The resolved, typed IR of a domain. Code generation reads only these objects.

Expressions inside are `ascc.dsl.ast` nodes that the checker has annotated with `type` and `ref`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar

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
    """One state change; a subclass per verb holds just what that verb needs. `verb` names the variant (in
    messages)."""

    line: int
    verb: ClassVar[str] = ""


@dataclass(kw_only=True)
class RowEffect(Effect):
    """An effect on one row: `target` names it (a `let` value, a lookup, a loop variable), of `entity`."""

    entity: str | None = None
    target: ast.Node | None = None


@dataclass(kw_only=True)
class Update(RowEffect):
    verb: ClassVar[str] = "update"
    assigns: list[Assign] = dataclasses.field(default_factory=list)
    elem_var: str = "_e"  # the Python name the row is bound to where `target` is not a local


@dataclass(kw_only=True)
class Insert(Effect):
    verb: ClassVar[str] = "insert"
    entity: str
    assigns: list[Assign] = dataclasses.field(default_factory=list)
    fill: dict = dataclasses.field(default_factory=dict)  # defaults of the fields not given


@dataclass(kw_only=True)
class Delete(RowEffect):
    verb: ClassVar[str] = "delete"


@dataclass(kw_only=True)
class Append(RowEffect):
    """`append` to a list field (`extend`: a list of items)."""

    verb: ClassVar[str] = "append"
    field: Field
    value: ast.Node
    extend: bool = False


@dataclass(kw_only=True)
class UpdateWhere(RowEffect):
    """`update row.field[where cond]`: the list field's elements that meet `cond` (over the element's fields)."""

    verb: ClassVar[str] = "update_where"
    field: Field
    cond: ast.Node
    assigns: list[Assign] = dataclasses.field(default_factory=list)
    elem_var: str = "_e"  # the Python name of the element


@dataclass(kw_only=True)
class RemoveWhere(RowEffect):
    verb: ClassVar[str] = "remove_where"
    field: Field
    cond: ast.Node
    elem_var: str = "_e"


@dataclass(kw_only=True)
class Put(RowEffect):
    """`put row.field[key]: value` on a map field."""

    verb: ClassVar[str] = "put"
    field: Field
    key: ast.Node
    value: ast.Node


@dataclass(kw_only=True)
class UpdateEntry(RowEffect):
    verb: ClassVar[str] = "update_entry"
    field: Field
    key: ast.Node
    assigns: list[Assign] = dataclasses.field(default_factory=list)
    elem_var: str = "_e"  # the Python name of the entry


@dataclass(kw_only=True)
class RemoveEntry(RowEffect):
    verb: ClassVar[str] = "remove_entry"
    field: Field
    key: ast.Node


@dataclass(kw_only=True)
class For(Effect):
    verb: ClassVar[str] = "for"
    var: str
    var_py: str
    iterable: ast.Node
    body: list[Effect] = dataclasses.field(default_factory=list)


@dataclass(kw_only=True)
class If(Effect):
    verb: ClassVar[str] = "if"
    cond: ast.Node
    body: list[Effect] = dataclasses.field(default_factory=list)
    orelse: list[Effect] = dataclasses.field(default_factory=list)


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
