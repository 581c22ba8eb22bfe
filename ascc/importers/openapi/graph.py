"""Domains from the tool graph, as AgentScaler does: tools are nodes, edges weigh what two tools share, and
Louvain communities (networkx, seeded) are the domains.

Edge weight between two tools of one API (the sum of):
- 3.0 when they act on the same resource (the path's last literal segment, `/users/{id}` and `/users`);
- 1.0 when their paths share the first literal segment;
- 2.0 × the Jaccard overlap of their parameter and response-field names (snake_case), plus 0.5 × that of their
  parameter types;
- 1.0 × the Jaccard overlap of their description words (stop words left out).

An API with at most `max_size` tools is one domain. A larger one is split along its Louvain communities
(`resolution` raised until every community fits). Communities smaller than `min_size` join the community of
the same API they are most connected to, while that fits; APIs smaller than `min_size` are merged with other
small APIs only when related (the same provider folder, or description/field words overlapping ≥ 0.2).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx

from ascc.importers.openapi.names import snake, words
from ascc.importers.openapi.ops import Operation


@dataclass
class Features:
    resource: str
    top: str
    names: frozenset
    types: frozenset
    words: frozenset


def features(op: Operation) -> Features:
    from ascc.importers.openapi.draft import _segments

    statics = [s for s, p in _segments(op.path) if not p]
    names = {snake(p.name) for p in op.params} | {snake(n) for n in (op.response.get("properties") or {})}
    items = op.response.get("items") or {}
    names |= {snake(n) for n in (items.get("properties") or {})}
    types = {f"{snake(p.name)}:{p.schema.get('type')}" for p in op.params}
    res = statics[-1] if statics else snake(op.operation_id).split("_")[-1]
    return Features(res.lower(), (statics[0] if statics else "").lower(), frozenset(names), frozenset(types),
                    frozenset(words(op.summary) | words(op.operation_id)))


def _jac(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def weight(a: Features, b: Features) -> float:
    w = 3.0 * (a.resource == b.resource) + 1.0 * (bool(a.top) and a.top == b.top)
    w += 2.0 * _jac(a.names, b.names) + 0.5 * _jac(a.types, b.types) + 1.0 * _jac(a.words, b.words)
    return w


def split_api(ops: list[Operation], min_size: int, max_size: int, seed: int) -> list[list[Operation]]:
    """One API's tools as communities of at most max_size (one group when it fits)."""
    if len(ops) <= max_size:
        return [ops]
    feats = [features(o) for o in ops]
    g = nx.Graph()
    g.add_nodes_from(range(len(ops)))
    for i, j in itertools.combinations(range(len(ops)), 2):
        w = weight(feats[i], feats[j])
        if w > 0.3:
            g.add_edge(i, j, weight=w)
    groups = _bounded(g, list(range(len(ops))), max_size, seed, 1.0)
    groups = _merge_small(g, groups, min_size, max_size)
    return [[ops[i] for i in sorted(grp)] for grp in sorted(groups, key=min)]


def _bounded(g: nx.Graph, nodes: list[int], max_size: int, seed: int, resolution: float) -> list[list[int]]:
    if len(nodes) <= max_size:
        return [nodes]
    keep = set(nodes)
    sub = nx.Graph()  # a plain copy: networkx's subgraph views are slow under Louvain's many lookups
    sub.add_nodes_from(nodes)
    sub.add_weighted_edges_from((a, b, d["weight"]) for a in nodes for b, d in g.adj[a].items() if b in keep and a < b)
    comms = [sorted(c) for c in nx.community.louvain_communities(sub, weight="weight", seed=seed,
                                                                 resolution=resolution)]
    if len(comms) == 1:  # Louvain keeps it whole: cut it in path order
        if resolution < 8:
            return _bounded(g, nodes, max_size, seed, resolution * 2)
        return [nodes[i:i + max_size] for i in range(0, len(nodes), max_size)]
    out: list[list[int]] = []
    for c in comms:
        out += _bounded(g, c, max_size, seed, resolution * 1.5) if len(c) > max_size else [c]
    return out


def _merge_small(g: nx.Graph, groups: list[list[int]], min_size: int, max_size: int) -> list[list[int]]:
    groups = [list(x) for x in groups]
    changed = True
    while changed:
        changed = False
        groups.sort(key=len)
        for i, small in enumerate(groups):
            if len(small) >= min_size:
                continue
            best, best_w = None, 0.0
            for j, other in enumerate(groups):
                if j == i or len(other) + len(small) > max_size:
                    continue
                w = sum(g[a][b]["weight"] for a in small for b in other if g.has_edge(a, b))
                if w > best_w:
                    best, best_w = j, w
            if best is not None:
                groups[best] += small
                del groups[i]
                changed = True
                break
    return groups


def merge_small_apis(apis: list[tuple[str, list[Operation]]], min_size: int,
                     max_size: int) -> list[tuple[list[str], list[Operation]]]:
    """Groups of APIs: small APIs joined with related small ones (same provider, or shared words)."""
    out: list[tuple[list[str], list[Operation]]] = []
    small: list[tuple[str, list[Operation], frozenset]] = []
    for api, ops in apis:
        if len(ops) >= min_size:
            out.append(([api], ops))
        else:
            vocab = frozenset().union(*(features(o).words | features(o).names for o in ops)) if ops else frozenset()
            small.append((api, ops, vocab))
    used = [False] * len(small)
    for i, (api, ops, vocab) in enumerate(small):
        if used[i]:
            continue
        used[i] = True
        group_apis, group_ops, group_vocab = [api], list(ops), vocab
        for j in range(i + 1, len(small)):
            if used[j] or len(group_ops) >= min_size:
                continue
            api2, ops2, vocab2 = small[j]
            if len(group_ops) + len(ops2) > max_size:
                continue
            related = api2.split("/")[0] == api.split("/")[0] or _jac(group_vocab, vocab2) >= 0.2
            if related:
                used[j] = True
                group_apis.append(api2)
                group_ops += ops2
                group_vocab |= vocab2
        out.append((group_apis, group_ops))
    return out
