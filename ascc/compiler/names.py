"""Names the spec shares with DuckDB and with ascc itself: which are reserved, and which must differ.

A spec's entities become DuckDB tables, their fields columns, a type's fields the keys of a STRUCT; tools become
functions of the generated module and tool schemas. Two rules follow, checked here for every name at once:

- `RESERVED`: names starting with `_` belong to ascc: the runtime's own tables (`_ascc_seed`, `_ascc_rows`,
  `_ascc_check`), and attributes that expressions may not read (E235 refuses `o._x`). An entity, type or
  field named so would compile and then fail at load or be unreadable.
- `NAMESPACES`: DuckDB identifiers are case-insensitive, so two names of one namespace that differ only in case
  are one name to it (`Note` and `note` are one table). Entities, types and tools share one namespace (the spec
  language says so); the fields of one entity and those of one type are each a namespace.
"""

from __future__ import annotations

from ascc.diagnostics import DiagnosticBag, Label
from ascc.dsl.raw import Named, RawSpec

# what may not start a name, for which kinds of name, and why (the text goes into the diagnostic's note)
RESERVED = (
    ("_", ("entity", "type", "field"), "names starting with `_` are ascc's own: its internal tables "
                                        "(such as `_ascc_seed`) and attributes expressions cannot read"),
)


def _top_level(raw: RawSpec) -> list[tuple[str, Named]]:
    return ([("type", t.name) for t in raw.types] + [("entity", e.name) for e in raw.entities]
            + [("tool", t.name) for t in raw.tools])


def check_reserved(raw: RawSpec, bag: DiagnosticBag) -> None:
    """E219: entity, type and field names that ascc keeps for itself."""
    named = [(kind, n) for kind, n in _top_level(raw) if kind != "tool"]
    for owner in (*raw.types, *raw.entities):
        named += [("field", f.name) for f in owner.fields]
    for kind, name in named:
        for prefix, kinds, why in RESERVED:
            if kind in kinds and name.value.startswith(prefix):
                bag.error("E219", f"`{name.value}`: {kind} names may not start with `{prefix}`", name.span,
                          notes=(why,), help=f"rename it, e.g. `{name.value.lstrip('_') or 'x'}`")


def check_namespaces(raw: RawSpec, bag: DiagnosticBag) -> None:
    """E220: two names of one namespace that are equal after case folding."""
    _one_namespace(_top_level(raw), bag)
    for owner in (*raw.types, *raw.entities):
        _one_namespace([("field", f.name) for f in owner.fields], bag)


def _one_namespace(names: list[tuple[str, Named]], bag: DiagnosticBag) -> None:
    first: dict[str, tuple[str, Named]] = {}
    for kind, name in sorted(names, key=lambda kn: (kn[1].span.line, kn[1].span.col)):
        folded = name.value.casefold()
        if folded not in first:
            first[folded] = (kind, name)
            continue
        kind0, name0 = first[folded]
        if name0.value == name.value and {kind0, kind} == {"type", "entity"}:
            continue  # E212 says it: both a type and an entity
        if name0.value == name.value:
            msg = f"`{name.value}` names both {_a(kind0)} and {_a(kind)}"
        else:
            msg = f"the {kind} `{name.value}` and the {kind0} `{name0.value}` differ only in case"
        note = ("entities, types and tools share one namespace, in which case does not count"
                if "tool" in (kind0, kind) else "DuckDB reads names without regard to case: to it they are one name")
        bag.error("E220", msg, name.span, labels=(Label(name0.span, f"the {kind0} `{name0.value}`"),),
                  notes=(note,), help="rename one of them")


def _a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind
