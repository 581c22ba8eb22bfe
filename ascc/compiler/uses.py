"""How a tool's lets, preconditions and map-entry effects use its parameters, for task synthesis (`domain.json`).

Per parameter, as `entity.field` names of row fields:

- `keys_of`: map fields the parameter must be an existing key of — `$p in row.field`, `row.field[$p]`, an
  `update`/`remove` of `row.field[$p]`;
- `new_key_of`: map fields it must not be a key of yet — `$p not in row.field`, `not ($p in row.field)`;
- `equals`: fields the parameter is compared equal to — `row.field == $p` (a manager's id against an employee's
  `manager_id`: the parameter names the row's manager, not the row).

Only what the expressions say: a SQL tool's parameters have no uses.
"""

from __future__ import annotations

from ascc.compiler.ir import Domain, For, If, RemoveEntry, Tool, UpdateEntry
from ascc.dsl import ast


def param_uses(tool: Tool, domain: Domain) -> dict[str, dict[str, list[str]]]:
    params = {p.name for p in tool.params}
    found: dict[str, dict[str, set[str]]] = {}

    def add(param: str, how: str, field: str | None) -> None:
        if field is not None and param in params:
            found.setdefault(param, {}).setdefault(how, set()).add(field)

    def row_field(node, kind: str | None = None) -> str | None:
        """`entity.field` when `node` is a field of a row (of a map type when `kind` says so)."""
        if not isinstance(node, ast.Attr) or node.obj.type is None or node.obj.type.kind != "row":
            return None
        entity = domain.entities.get(node.obj.type.name)
        f = entity.fields.get(node.name) if entity else None
        if f is None or (kind is not None and f.type.nonnull().kind != kind):
            return None
        return f"{entity.name}.{f.name}"

    def visit(node, negated: bool = False) -> None:
        if isinstance(node, ast.Not):
            visit(node.operand, not negated)
            return
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Param) and node.op in ("in", "not in"):
            new = (node.op == "not in") != negated
            add(node.left.name, "new_key_of" if new else "keys_of", row_field(node.right, "map"))
        elif isinstance(node, ast.Compare) and node.op == "==" and not negated:
            for a, b in ((node.left, node.right), (node.right, node.left)):
                if isinstance(a, ast.Param):
                    add(a.name, "equals", row_field(b))
        elif isinstance(node, ast.Index) and isinstance(node.key, ast.Param):
            add(node.key.name, "keys_of", row_field(node.obj, "map"))
        for child in ast.children(node):
            visit(child, negated if isinstance(node, (ast.BoolOp, ast.IfExp)) else False)

    for let in tool.lets:
        visit(let.expr)
    for req in tool.requires:
        visit(req.cond)

    def effects(body) -> None:
        for e in body:
            if isinstance(e, (UpdateEntry, RemoveEntry)) and isinstance(e.key, ast.Param) and e.field is not None:
                add(e.key.name, "keys_of", f"{e.entity}.{e.field.name}" if e.entity in domain.entities else None)
            if isinstance(e, (For, If)):
                effects(e.body)
            if isinstance(e, If):
                effects(e.orelse)

    effects(tool.effects)
    return {p: {how: sorted(v) for how, v in sorted(hows.items())} for p, hows in sorted(found.items())}
