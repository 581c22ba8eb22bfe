"""The checker: raw spec → typed `Domain`, in small ordered passes that each add diagnostics.

CHECKS runs in order; a pass sees the domain as the earlier passes left it. A pass never raises for a bad spec.
"""

from __future__ import annotations

import hashlib

from ascc.compiler import types as T
from ascc.compiler.exprcheck import ExprChecker
from ascc.compiler.ir import Domain, Seed, SeedGenerator
from ascc.compiler.names import check_namespaces, check_reserved
from ascc.compiler.resolve import TypeResolver, resolve_entities, resolve_structs
from ascc.compiler.scope import Scope
from ascc.compiler.toolcheck import check_tool
from ascc.diagnostics import DiagnosticBag, Label
from ascc.dsl.raw import RawSpec

DEFAULT_TODAY = "2025-01-15"


def new_domain(raw: RawSpec, bag: DiagnosticBag) -> Domain:
    import datetime as dt

    today = raw.today.value if raw.today else DEFAULT_TODAY
    now = raw.now.value if raw.now else f"{today}T09:00:00"
    for node, value, kind in ((raw.today, today, dt.date), (raw.now, now, dt.datetime)):
        try:
            kind.fromisoformat(value)
        except ValueError:
            bag.error("E290", f"`{value}` is not an ISO {kind.__name__}", node.span if node else raw.span)
    return Domain(raw.domain.value if raw.domain else "unnamed", raw.file, raw.version, raw.description or "",
                  raw.policy or "", today, now, {}, {}, {}, Seed(), confirm_writes=raw.confirm_writes)


def check_names(raw: RawSpec, domain: Domain, bag: DiagnosticBag, tr: TypeResolver) -> None:
    """No name is ascc's own, and none collides in its namespace (see names.py); a spec has something to compile."""
    check_reserved(raw, bag)
    check_namespaces(raw, bag)
    if not raw.tools and raw.domain is not None:
        bag.warning("W291", f"domain `{domain.name}` has no tools", raw.domain.span)


def check_structs_entities(raw: RawSpec, domain: Domain, bag: DiagnosticBag, tr: TypeResolver) -> None:
    domain.structs = resolve_structs(raw, tr, bag)
    domain.entities = resolve_entities(raw, tr, bag)


def check_refs(raw: RawSpec, domain: Domain, bag: DiagnosticBag, tr: TypeResolver) -> None:
    """A field's `ref:` must point at an entity whose key has the field's type."""
    for e in domain.entities.values():
        for f in e.fields.values():
            if f.ref and f.ref in domain.entities:
                key = domain.entities[f.ref].key_field.type
                if f.type.nonnull().kind != key.kind:
                    bag.error("E292", f"`{e.name}.{f.name}` refers to `{f.ref}` but its type {f.type} is not the "
                                      f"key type {key}", f.span)


def check_field_checks(raw: RawSpec, domain: Domain, bag: DiagnosticBag, tr: TypeResolver) -> None:
    """`check:` expressions on fields: booleans over the row's own fields and literals."""
    for re_ in raw.entities:
        ent = domain.entities.get(re_.name.value)
        if ent is None:
            continue
        for rf in re_.fields:
            f = ent.fields.get(rf.name.value)
            if rf.check is None or f is None:
                continue
            c = ExprChecker(domain, bag, context="check")
            scope = Scope(record=(T.row(ent.name), ent.fields, "row", False))
            c.expect_bool(rf.check, scope, f"the check of `{ent.name}.{f.name}`")
            f.check = rf.check
            f.check_text = _source_text(raw, rf.check)


def check_defaults(raw: RawSpec, domain: Domain, bag: DiagnosticBag, tr: TypeResolver) -> None:
    """E222: a default must pass its own field's `pattern` and `check`, or every row that takes it is refused."""
    for re_ in raw.entities:
        ent = domain.entities.get(re_.name.value)
        for rf in re_.fields if ent else ():
            f = ent.fields.get(rf.name.value)
            if f is None or rf.default is None or not f.has_default or f.default is None:
                continue
            problem = default_problem(domain, f)
            if problem:
                bag.error("E222", f"the default {f.default!r} of `{ent.name}.{f.name}` {problem}", rf.default.span,
                          help="change the default, or the rule it breaks")


def default_problem(domain: Domain, f) -> str | None:
    """How a field's default breaks its own pattern or check (a check that reads only this field), or None."""
    import random

    from ascc.compiler.seedeval import SeedEvaluator
    from ascc.lang import builtins as B

    if f.pattern and isinstance(f.default, str) and not B.regex(f.pattern).fullmatch(f.default):
        return f"does not match its pattern {f.pattern!r}"
    if f.check is None:
        return None
    try:  # a check that reads other fields as well cannot be decided from the default alone
        ok = SeedEvaluator(domain, random.Random(0), {}, 0).eval(f.check, {}, {f.name: f.default})
    except Exception:  # noqa: BLE001 - any failure means: not decidable here
        return None
    return None if ok else f"fails its check `{f.check_text}`"


def _source_text(raw: RawSpec, node) -> str:
    s = node.span
    try:
        with open(raw.file, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        if s.line == s.end_line:
            return lines[s.line - 1][s.col - 1:s.end_col - 1]
    except (OSError, IndexError):
        pass
    return "check"


def check_tools(raw: RawSpec, domain: Domain, bag: DiagnosticBag, tr: TypeResolver) -> None:
    from ascc.compiler.resolve import py_name
    seen = {}
    for rt in raw.tools:
        py = py_name(rt.name.value)
        if py in seen:
            bag.error("E293", f"tools `{seen[py][0]}` and `{rt.name.value}` collide", rt.name.span,
                      labels=(Label(seen[py][1], "first here"),))
            continue
        seen[py] = (rt.name.value, rt.name.span)
        tool = check_tool(rt, domain, tr, bag)
        if tool is not None:
            domain.tools[tool.name] = tool
    check_handoffs(domain, bag)


def check_handoffs(domain: Domain, bag: DiagnosticBag) -> None:
    """A `transfer` rule's `via:` names a tool of the domain that changes no data (it may be declared later)."""
    from ascc.diagnostics import did_you_mean

    for t in domain.tools.values():
        for r in t.rules:
            if r.via is None:
                continue
            target = domain.tools.get(r.via)
            if target is None:
                bag.error("E278", f"rule `{r.name}` hands over through `{r.via}`, which is not a tool", r.via_span,
                          help=did_you_mean(r.via, list(domain.tools)) or "name the domain's hand-off tool")
                r.via = None
            elif target.kind == "write":
                bag.error("E278", f"the hand-off tool `{r.via}` changes data", r.via_span,
                          help="a transfer hands the user over; it names a `read` or `generic` tool")


def check_seed(raw: RawSpec, domain: Domain, bag: DiagnosticBag, tr: TypeResolver) -> None:
    from ascc.compiler.seedcheck import check_seed_spec

    if raw.seed is not None:
        domain.seed = check_seed_spec(raw.seed, domain, bag)


def check_simulation(raw: RawSpec, domain: Domain, bag: DiagnosticBag, tr: TypeResolver) -> None:
    """`simulation:` names the domain's own entity, fields and tools (E294); what it names goes to domain.json."""
    from ascc.diagnostics import did_you_mean

    sim = raw.simulation
    if sim is None:
        return
    out: dict = {}

    def unknown(named, key: str, what: str, known: list[str], help: str) -> None:
        bag.error("E294", f"`simulation.{key}`: `{named.value}` is not {what}", named.span,
                  help=did_you_mean(named.value, known) or help)

    persona = None
    if sim.persona is not None:
        if sim.persona.value in domain.entities:
            persona = out["persona"] = sim.persona.value
        else:
            unknown(sim.persona, "persona", "an entity of the domain", list(domain.entities),
                    "name the entity the users are")

    def field_names(entities) -> list[str]:
        names = []
        for e in entities:
            for f in e.fields.values():
                names.append(f.name)
                names += [x.name for x in domain.record_fields(f.type).values()] if f.type is not None else []
        return names

    people = field_names([domain.entities[persona]] if persona else domain.entities.values())
    every = field_names(domain.entities.values()) + [f.name for s in domain.structs.values() for f in s.fields.values()]
    whose = f"`{persona}`" if persona else "an entity"
    for key, names, what in (("identify_by", people, f"a field (or part of the name of one) of {whose}"),
                             ("money", every, "a field of the domain's entities or types")):
        values = []
        for n in getattr(sim, key):
            if key == "identify_by" and any(n.value in f for f in names) or key == "money" and n.value in names:
                values.append(n.value)
            else:
                unknown(n, key, what, names, "name a field of the domain's entities")
        if getattr(sim, key):
            out[key] = values
    for key in ("handoff", "skip"):
        values = []
        for n in getattr(sim, key):
            if n.value in domain.tools:
                values.append(n.value)
            else:
                unknown(n, key, "a tool of the domain", list(domain.tools), "name one of the domain's tools")
        if getattr(sim, key):
            out[key] = values
    if sim.consent:
        out["consent"] = list(sim.consent)
    domain.simulation = out


CHECKS = (check_names, check_structs_entities, check_refs, check_field_checks, check_defaults, check_tools,
          check_seed, check_simulation)


def check_spec(raw: RawSpec, text: str, bag: DiagnosticBag) -> Domain:
    domain = new_domain(raw, bag)
    domain.source_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    tr = TypeResolver(raw, bag)
    for check in CHECKS:
        check(raw, domain, bag, tr)
    return domain


__all__ = ["CHECKS", "check_spec", "Seed", "SeedGenerator"]
