"""Expression syntax trees: small dataclasses with a `Span`, built from the lark parse.

The checker annotates each node in place with `type` (its static type) and, for names, `ref` (what the name
resolved to). Code generation reads only these annotated nodes, never lark trees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ascc.diagnostics import Span


# What the checker resolved an `Index` or a `Method` to (`Index.ref`, `Method.ref`). Named tuples: code reads
# the fields by name (`ref.kind`, `ref.entity`); a tuple's equality keeps older code that compares them working.
class EntityLookup(NamedTuple):
    """`entity[key]`: the row of `entity` with that key, or null."""

    kind: str = "entity"
    entity: str = ""


class ListIndex(NamedTuple):
    """`list[i]`."""

    kind: str = "list"


class MapKey(NamedTuple):
    """`map[key]`: the entry, or null."""

    kind: str = "map"


class EntityQuery(NamedTuple):
    """`entity.op(cond)`: a query (`one`, `first`, `all`, `exists`, `count`) over `entity`'s rows."""

    kind: str = "query"
    entity: str = ""
    op: str = ""


class FakerCall(NamedTuple):
    """`faker.name()` in a seed generator."""

    kind: str = "faker"
    name: str = ""


@dataclass(eq=False)
class Node:
    span: Span
    type: Any = field(default=None, init=False, repr=False)


@dataclass(eq=False)
class Literal(Node):
    value: object
    kind: str  # int, decimal, str, bool, null


@dataclass(eq=False)
class Param(Node):
    name: str


@dataclass(eq=False)
class Name(Node):
    name: str
    ref: Any = field(default=None, init=False, repr=False)  # set by the checker


@dataclass(eq=False)
class Attr(Node):
    obj: Node
    name: str
    name_span: Span
    stored: bool = field(default=False, init=False, repr=False)  # a json/union field: JSON text in the row


@dataclass(eq=False)
class Index(Node):
    obj: Node
    key: Node
    ref: EntityLookup | ListIndex | MapKey | None = field(default=None, init=False, repr=False)


@dataclass(eq=False)
class Call(Node):
    func: str
    func_span: Span
    args: list[Node]


@dataclass(eq=False)
class Method(Node):
    obj: Node
    name: str
    name_span: Span
    args: list[Node]
    ref: EntityQuery | FakerCall | None = field(default=None, init=False, repr=False)


@dataclass(eq=False)
class Unary(Node):
    op: str
    operand: Node


@dataclass(eq=False)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(eq=False)
class Compare(Node):
    op: str  # == != < <= > >= in "not in"
    left: Node
    right: Node


@dataclass(eq=False)
class BoolOp(Node):
    op: str  # and, or
    left: Node
    right: Node


@dataclass(eq=False)
class Not(Node):
    operand: Node


@dataclass(eq=False)
class IfExp(Node):
    cond: Node
    then: Node
    other: Node


@dataclass(eq=False)
class ListLit(Node):
    items: list[Node]


@dataclass(eq=False)
class DictItem:
    key: str
    key_span: Span
    bare: bool  # written as a name (struct field) rather than a string (map key)
    value: Node


@dataclass(eq=False)
class DictLit(Node):
    items: list[DictItem]
    fill: dict | None = field(default=None, init=False, repr=False)  # defaults of struct fields not given


@dataclass(eq=False)
class Comprehension(Node):
    elem: Node
    var: str
    var_span: Span
    iterable: Node
    cond: Node | None
    reducer: str | None = None  # None for a list comprehension, else the builtin it feeds (sum, any, …)
    var_py: str | None = field(default=None, init=False, repr=False)  # set by the checker


@dataclass(eq=False)
class Guarded:
    """An expression with an optional `else "message"`: a lookup that must succeed or a precondition."""

    expr: Node
    message: str | None
    message_span: Span | None


@dataclass(eq=False)
class TypeExpr:
    name: str
    span: Span
    args: tuple = ()  # ints for decimal(p,s), TypeExprs for list[...] / map[...]
    nullable: bool = False


@dataclass(eq=False)
class EffectHead:
    verb: str
    verb_span: Span
    target: Node
    where: Node | None


def walk(node: Node):
    """Every node under `node`, parents first."""
    yield node
    for child in children(node):
        yield from walk(child)


def children(node: Node) -> list[Node]:
    match node:
        case Attr(obj=o):
            return [o]
        case Index(obj=o, key=k):
            return [o, k]
        case Call(args=a):
            return list(a)
        case Method(obj=o, args=a):
            return [o, *a]
        case Unary(operand=o) | Not(operand=o):
            return [o]
        case Binary(left=l, right=r) | Compare(left=l, right=r) | BoolOp(left=l, right=r):
            return [l, r]
        case IfExp(cond=c, then=t, other=o):
            return [c, t, o]
        case ListLit(items=i):
            return list(i)
        case DictLit(items=i):
            return [it.value for it in i]
        case Comprehension(elem=e, iterable=it, cond=c):
            return [it, e] + ([c] if c else [])
    return []
