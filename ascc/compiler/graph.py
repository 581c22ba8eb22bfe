"""The tool dependency graph (AgentScaler): an edge A → B where A's output can supply one of B's parameters.

A tool's output is described by the entity fields it yields: a row (or rows) of entity E yields every field of
E; a single field yields that field. A parameter is fed by a field when it is a reference to the same entity
(`ref:`), or has the same name and type as an entity's key, or as the field itself. Edges carry the field.
"""

from __future__ import annotations

import networkx as nx

from ascc.compiler.ir import Domain, Tool
from ascc.compiler.types import Type
from ascc.dsl import ast


def outputs(tool: Tool, domain: Domain) -> set[tuple[str, str]]:
    """(entity, field) pairs the tool's result can contain."""
    out: set[tuple[str, str]] = set()
    t = tool.returns_type

    def rows_of(t: Type | None) -> None:
        if t is None:
            return
        if t.kind == "row":
            out.update((t.name, f) for f in domain.entities[t.name].fields)
        elif t.kind == "list":
            rows_of(t.elem)

    rows_of(t)
    nodes = [tool.returns] if tool.returns is not None else [v for _, v in tool.projection or []]
    for node in nodes:
        for n in ast.walk(node):
            if isinstance(n, ast.Attr) and n.obj.type is not None and n.obj.type.kind == "row":
                out.add((n.obj.type.name, n.name))
    if tool.sql is not None:
        for e in tool.sql.tables:
            out.update((e, f) for f in domain.entities[e].fields if f in tool.sql.text)
    return out


def _feeds(entity: str, field: str, param, domain: Domain) -> bool:
    ent = domain.entities[entity]
    f = ent.fields[field]
    if param.ref is not None:
        return (param.ref == entity and field == ent.key) or (f.ref == param.ref)
    if param.type.kind != f.type.kind:  # nullability aside (`nonnull()` copies the type, in the hot loop)
        return False
    if param.name == field and (f.is_key or f.ref is not None):
        return True
    return f.ref is not None and param.name == domain.entities[f.ref].key and field == param.name


def build_graph(domain: Domain) -> nx.DiGraph:
    g = nx.DiGraph()
    for t in domain.tools.values():
        g.add_node(t.name, kind=t.kind, actor=t.actor)
    produced = {t.name: outputs(t, domain) for t in domain.tools.values()}
    for a in domain.tools.values():
        for b in domain.tools.values():
            if a is b or a.actor != b.actor:
                continue
            via = sorted({f"{e}.{f}->{p.name}" for e, f in produced[a.name] for p in b.params
                          if _feeds(e, f, p, domain)})
            if via:
                g.add_edge(a.name, b.name, via=via)
    return g


def graph_json(g: nx.DiGraph) -> dict:
    return {
        "nodes": [{"id": n, **g.nodes[n]} for n in sorted(g.nodes)],
        "edges": [{"source": a, "target": b, "via": g.edges[a, b]["via"]} for a, b in sorted(g.edges)],
    }
