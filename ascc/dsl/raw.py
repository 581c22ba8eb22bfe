"""Raw spec objects: the spec's shape, read from YAML, with spans; names and types not yet resolved."""

from __future__ import annotations

from dataclasses import dataclass, field

from ascc.diagnostics import Span
from ascc.dsl import ast
from ascc.dsl.yamlnodes import YScalar


@dataclass
class Named:
    """A name as written in the spec, with where it was written."""

    value: str
    span: Span


@dataclass
class RawField:
    name: Named
    span: Span
    path: str
    type: ast.TypeExpr | None = None
    enum: list[YScalar] | None = None
    ref: Named | None = None
    default: YScalar | None = None
    nullable: bool = False
    unique: bool = False
    pattern: YScalar | None = None
    check: ast.Node | None = None
    description: str | None = None


@dataclass
class RawStruct:
    name: Named
    span: Span
    fields: list[RawField]
    description: str | None = None


@dataclass
class RawEntity:
    name: Named
    span: Span
    key: Named | None
    fields: list[RawField]
    description: str | None = None


@dataclass
class RawParam:
    name: Named
    span: Span
    path: str
    type: ast.TypeExpr | None = None
    enum: list[YScalar] | None = None
    ref: Named | None = None
    default: YScalar | None = None
    optional: bool = False
    description: str | None = None
    examples: list[YScalar] | None = None  # values task synthesis gives the parameter
    examples_span: Span | None = None


@dataclass
class RawLet:
    name: Named
    value: ast.Guarded
    line: int


@dataclass
class RawRequire:
    cond: ast.Guarded
    span: Span
    line: int


@dataclass
class RawRule:
    """A policy rule the agent applies itself and the tool does not enforce (`rules:` under a tool)."""

    name: Named
    span: Span
    line: int
    when: ast.Node | None = None  # None: always (an `ask` rule)
    when_text: str | None = None  # the condition as written
    outcome: Named | None = None  # refuse, transfer or ask
    policy: YScalar | None = None  # the policy's sentence, shown to the agent
    message: YScalar | None = None  # what the agent says (refuse: why; transfer: the hand-off summary)
    ask: Named | None = None  # ask: the parameter the agent must get from the user
    via: Named | None = None  # transfer: the hand-off tool


@dataclass
class RawAssignment:
    """One `field: expression` of an update, insert, put or projection."""

    name: Named
    value: ast.Node


@dataclass
class RawEffect:
    verb: str  # update insert delete append remove put for if
    span: Span
    line: int
    path: str
    head: ast.EffectHead | None = None
    assignments: list[RawAssignment] | None = None  # update / insert / put with a map payload
    value: ast.Node | None = None  # append / put with an expression payload
    var: Named | None = None  # for
    iterable: ast.Node | None = None  # for
    cond: ast.Node | None = None  # if
    body: list[RawEffect] = field(default_factory=list)  # for / if-then
    orelse: list[RawEffect] = field(default_factory=list)  # if-else


@dataclass
class RawTool:
    name: Named
    span: Span
    kind: Named | None
    description: str | None
    description_span: Span | None = None
    intent: YScalar | None = None
    actor: Named | None = None
    requested_by: Named | None = None  # user (default) or staff: who asks the agent for a call
    confirm: bool | None = None  # None: the domain's `confirm_writes` decides
    confirm_span: Span | None = None
    params: list[RawParam] = field(default_factory=list)
    lets: list[RawLet] = field(default_factory=list)
    requires: list[RawRequire] = field(default_factory=list)
    rules: list[RawRule] = field(default_factory=list)
    effects: list[RawEffect] = field(default_factory=list)
    returns: ast.Node | list[RawAssignment] | None = None
    returns_span: Span | None = None
    sql: YScalar | None = None
    fails_after_effects: list[RawRequire] = field(default_factory=list)
    fails_after_span: Span | None = None


@dataclass
class RawGenerator:
    entity: Named
    span: Span
    count: int
    count_span: Span
    lets: list[RawLet] = field(default_factory=list)
    fields: list[RawAssignment] = field(default_factory=list)


@dataclass
class RawSeed:
    span: Span
    random_seed: int = 0
    files: list[tuple[Named, YScalar]] = field(default_factory=list)
    rows: list[tuple[Named, list]] = field(default_factory=list)  # (entity, [YMap rows])
    generate: list[RawGenerator] = field(default_factory=list)


@dataclass
class RawSimulation:
    """`simulation:`: what `ascc simulate` would otherwise guess from names (docs/spec-language.md)."""

    span: Span
    persona: Named | None = None
    identify_by: list[Named] = field(default_factory=list)
    money: list[Named] = field(default_factory=list)
    handoff: list[Named] = field(default_factory=list)
    skip: list[Named] = field(default_factory=list)
    consent: list[str] = field(default_factory=list)


@dataclass
class RawSpec:
    file: str
    span: Span
    domain: Named | None = None
    version: int = 1
    description: str | None = None
    policy: str | None = None
    confirm_writes: bool = False
    today: YScalar | None = None
    now: YScalar | None = None
    types: list[RawStruct] = field(default_factory=list)
    entities: list[RawEntity] = field(default_factory=list)
    tools: list[RawTool] = field(default_factory=list)
    seed: RawSeed | None = None
    simulation: RawSimulation | None = None
