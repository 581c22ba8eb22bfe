"""What changed between two states: rows added, removed and changed, keyed by each entity's key.

A digest says only *whether* two states differ; a `StateDiff` says *how*. Changed rows list one `FieldChange`
per leaf that differs, with a path into nested values: `items[0].quantity`, `payments[+1]` (an element only
the new list has), `payments[-2]` (one only the old list has), `tags.vip` (`tags['a b']` for other keys).
`StateDiff.to_json()` is plain JSON (decimals as numbers, dates as ISO text); `render_diff` is the rich view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Group
from rich.text import Text
from rich.tree import Tree

from ascc.lang.compiled import DomainInfo
from ascc.runtime.env import to_jsonable

_MISSING = object()


@dataclass
class FieldChange:
    path: str
    old: object
    new: object

    def to_json(self) -> dict:
        return {"path": self.path, "old": to_jsonable(self.old), "new": to_jsonable(self.new)}


@dataclass
class RowChange:
    key: object
    changes: list[FieldChange]

    def to_json(self) -> dict:
        return {"key": to_jsonable(self.key), "changes": [c.to_json() for c in self.changes]}


@dataclass
class TableDiff:
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def to_json(self) -> dict:
        return {"added": to_jsonable(self.added), "removed": to_jsonable(self.removed),
                "changed": [c.to_json() for c in self.changed]}


@dataclass
class StateDiff:
    """Per-entity differences; entities without any are left out."""

    tables: dict[str, TableDiff] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.tables.values())

    @property
    def counts(self) -> dict[str, int]:
        return {"added": sum(len(t.added) for t in self.tables.values()),
                "removed": sum(len(t.removed) for t in self.tables.values()),
                "changed": sum(len(t.changed) for t in self.tables.values())}

    def to_json(self) -> dict:
        return {"tables": {n: t.to_json() for n, t in self.tables.items()}, **self.counts}


def diff_states(info: DomainInfo, before: dict[str, list[dict]], after: dict[str, list[dict]]) -> StateDiff:
    """Compare two states (`Environment.state()` shapes); a table missing on one side is not compared."""
    out = StateDiff()
    for entity, ent in info.entities.items():
        if entity not in before or entity not in after:
            continue
        table = diff_rows(ent.key, before[entity], after[entity])
        if table:
            out.tables[entity] = table
    return out


def diff_rows(key: str, before: list[dict], after: list[dict]) -> TableDiff:
    old = {_hashable(r[key]): r for r in before}
    new = {_hashable(r[key]): r for r in after}
    table = TableDiff(added=[new[k] for k in new if k not in old], removed=[old[k] for k in old if k not in new])
    for k, row in old.items():
        if k in new:
            changes = diff_values("", row, new[k])
            if changes:
                table.changed.append(RowChange(row[key], changes))
    return table


def diff_values(path: str, old, new) -> list[FieldChange]:
    """Leaf-level differences between two values; lists are compared element by element, by position."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in [*old, *(k for k in new if k not in old)]:
            out += diff_values(_field_path(path, k), old.get(k, _MISSING), new.get(k, _MISSING))
        return [c for c in out if not (c.old is _MISSING and c.new is _MISSING)]
    if isinstance(old, list) and isinstance(new, list):
        out = []
        for i in range(max(len(old), len(new))):
            if i >= len(old):
                out.append(FieldChange(f"{path}[+{i}]", None, new[i]))
            elif i >= len(new):
                out.append(FieldChange(f"{path}[-{i}]", old[i], None))
            else:
                out += diff_values(f"{path}[{i}]", old[i], new[i])
        return out
    if _same(old, new):
        return []
    return [FieldChange(path, None if old is _MISSING else old, None if new is _MISSING else new)]


def _same(a, b) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _field_path(path: str, k) -> str:
    if isinstance(k, str) and k.isidentifier():
        return f"{path}.{k}" if path else k
    return f"{path}[{k!r}]" if path else f"[{k!r}]"


def _hashable(v):
    return repr(v) if isinstance(v, (list, dict)) else v


def _show(v) -> str:
    import json

    return json.dumps(to_jsonable(v), ensure_ascii=False)


def render_diff(diff: StateDiff, *, title: str = "state diff", max_rows: int = 20) -> Group | Text:
    """A rich tree: entity → row key → `path: old → new`; added rows in green, removed in red."""
    if not diff:
        return Text("no differences", style="dim")
    c = diff.counts
    tree = Tree(Text(f"{title}: {c['changed']} changed, {c['added']} added, {c['removed']} removed", style="bold"))
    for entity, t in diff.tables.items():
        branch = tree.add(Text(entity, style="bold cyan"))
        for rc in t.changed[:max_rows]:
            row = branch.add(Text(f"~ {to_jsonable(rc.key)}", style="yellow"))
            for ch in rc.changes:
                line = Text(f"{ch.path}: ")
                line.append(_show(ch.old), style="red")
                line.append(" → ")
                line.append(_show(ch.new), style="green")
                row.add(line)
        for kind, rows, style in (("+", t.added, "green"), ("-", t.removed, "red")):
            for r in rows[:max_rows]:
                branch.add(Text(f"{kind} {_show(r)}", style=style))
        hidden = sum(max(0, len(x) - max_rows) for x in (t.changed, t.added, t.removed))
        if hidden:
            branch.add(Text(f"... and {hidden} more", style="dim"))
    return Group(tree)
