"""Checking effects: what a write tool changes, in order, inside one transaction."""

from __future__ import annotations

from ascc.compiler import ir
from ascc.compiler import types as T
from ascc.compiler.exprcheck import ExprChecker, local_py
from ascc.compiler.ir import Domain, Effect, Field
from ascc.compiler.records import check_assignments
from ascc.compiler.scope import Scope, nonnull_facts, null_path
from ascc.diagnostics import did_you_mean
from ascc.dsl import ast
from ascc.dsl.raw import RawEffect

VERBS = ("update", "insert", "delete", "append", "remove", "put")


class EffectChecker:
    def __init__(self, c: ExprChecker, domain: Domain):
        self.c, self.domain = c, domain
        self.writes: set[str] = set()
        self.depth = 0
        self.taken: set[str] = set()  # Python names of the tool's parameters and values: loop variables avoid them

    def check_list(self, raws: list[RawEffect], scope: Scope) -> list[Effect]:
        return [e for r in raws if (e := self.check(r, scope)) is not None]

    def check(self, r: RawEffect, scope: Scope) -> Effect | None:
        if r.verb == "for":
            return self._for(r, scope)
        if r.verb == "if":
            self.c.expect_bool(r.cond, scope, "the condition of `if`")
            return ir.If(r.line, cond=r.cond,
                          body=self.check_list(r.body, scope.narrowed(nonnull_facts(r.cond, True))),
                          orelse=self.check_list(r.orelse, scope.narrowed(nonnull_facts(r.cond, False))))
        return getattr(self, "_" + r.verb)(r, scope)

    def _for(self, r: RawEffect, scope: Scope) -> Effect | None:
        it = self.c.check(r.iterable, scope)
        elem = T.ANY
        if it.kind == "list" and not it.nullable:
            elem = it.elem
        elif it.kind != "any":
            self.c.err("E250", f"cannot iterate over {it}", r.iterable.span)
        inner = scope.child()
        self.depth += 1
        var_py = local_py(r.var.value, self.taken)
        inner.bind(r.var.value, elem, var_py)
        body = self.check_list(r.body, inner)
        self.depth -= 1
        return ir.For(r.line, var=r.var.value, var_py=var_py, iterable=r.iterable, body=body)

    # ---- targets
    def _row_target(self, node: ast.Node, scope: Scope, verb: str) -> str | None:
        """Check that `node` denotes one entity row; returns the entity's name."""
        t = self.c.check(node, scope)
        if t.kind == "any":
            return None
        if t.kind != "row":
            self.c.err("E280", f"`{verb}` needs a row of an entity, found {t}", node.span,
                       help="name a row: a `let` value, a lookup such as `order[$order_id]`, or a loop variable")
            return None
        if t.nullable and not (isinstance(node, ast.Index) and isinstance(node.ref, ast.EntityLookup)):
            self.c.err("E237", "this row may be null here", node.span,
                       help="fail early with `else \"message\"` on its lookup")
            return None
        self.writes.add(t.name)
        return t.name

    def _nested(self, node: ast.Node, scope: Scope, verb: str, kind: str) -> tuple[str, Field] | None:
        """`row.field` naming a list (kind `list`) or map (kind `map`) field of an entity row."""
        if not isinstance(node, ast.Attr):
            self.c.err("E281", f"`{verb}` needs a {kind} field of a row, as in `{verb} o.items …`", node.span)
            self.c.check(node, scope)
            return None
        entity = self._row_target(node.obj, scope, verb)
        if entity is None:
            return None
        fields = self.domain.entities[entity].fields
        f = fields.get(node.name)
        if f is None:
            self.c.err("E238", f"unknown field `{node.name}` on entity `{entity}`", node.name_span,
                       help=did_you_mean(node.name, fields))
            return None
        if f.type.kind != kind:
            self.c.err("E282", f"`{verb}` needs a {kind} field; `{f.name}` is {f.type}", node.name_span)
            return None
        node.type = f.type
        return entity, f

    def _elem_scope(self, f: Field, scope: Scope, var: str) -> Scope:
        elem = f.type.elem
        fields = self.domain.record_fields(elem) if elem is not None and elem.is_record else {}
        return scope.child(record=(elem, fields, var, False))

    def _assigns(self, r: RawEffect, fields, scope, owner: str, *, partial: bool):
        items = [(a.name.value, a.name.span, a.value) for a in r.assignments or []]
        fill = check_assignments(self.c, items, fields, scope, owner, r.span, partial=partial)
        from ascc.compiler.ir import Assign

        out = [Assign(fields[n], v) for n, _, v in items if n in fields]
        return out, fill

    # ---- verbs
    def _update(self, r: RawEffect, scope: Scope) -> Effect | None:
        head = r.head
        if r.assignments is None:
            self.c.err("E283", "`update` needs the fields to set, as in `update o: {status: cancelled}`", r.span)
            return None
        if head.where is not None:
            return self._update_where(r, scope)
        if isinstance(head.target, ast.Index) and isinstance(head.target.obj, ast.Attr) and not self._is_lookup(head.target, scope):
            return self._update_entry(r, scope)
        entity = self._row_target(head.target, scope, "update")
        if entity is None:
            return None
        ent = self.domain.entities[entity]
        var = _local_name(head.target) or self._temp()
        inner = scope.child(record=(T.row(entity), ent.fields, var, False))
        assigns, _ = self._assigns(r, ent.fields, inner, f"entity `{entity}`", partial=True)
        if (base := null_path(head.target)) is not None:  # a field set to a value that may be null is no longer
            for a in assigns:                              # known not to be null (`o.note != null` tested above)
                if a.value.type is None or a.value.type.nullable:
                    scope.forget(f"{base}.{a.field.name}")
                if T.is_dynamic(a.field.type):  # `type_of(o.ref) == "int"` tested above: o.ref may be text now
                    scope.forget_kinds(f"{base}.{a.field.name}")
        return ir.Update(r.line, entity=entity, target=head.target, assigns=assigns, elem_var=var)

    def _is_lookup(self, node: ast.Node, scope: Scope) -> bool:
        return isinstance(node.obj, ast.Name) and node.obj.name in self.domain.entities and scope.lookup(node.obj.name) is None

    def _temp(self) -> str:
        return f"_t{self.depth}"

    def _update_where(self, r: RawEffect, scope: Scope) -> Effect | None:
        found = self._nested(r.head.target, scope, "update", "list")
        if found is None:
            return None
        entity, f = found
        var = f"_e{self.depth}"
        inner = self._elem_scope(f, scope, var)
        self.c.expect_bool(r.head.where, inner, "a `where` condition")
        fields = self.domain.record_fields(f.type.elem)
        if not fields:
            self.c.err("E284", f"`update … where` needs a list of records; `{f.name}` is {f.type}", r.head.target.span)
            return None
        assigns, _ = self._assigns(r, fields, inner, f"type `{f.type.elem.name}`", partial=True)
        return ir.UpdateWhere(r.line, entity=entity, target=r.head.target.obj, field=f, cond=r.head.where,
                      assigns=assigns, elem_var=var)

    def _map_target(self, r: RawEffect, scope: Scope, verb: str):
        t = r.head.target
        if not isinstance(t, ast.Index):
            self.c.err("E281", f"`{verb}` needs a map entry, as in `{verb} u.payment_methods[$id]`", t.span)
            return None
        found = self._nested(t.obj, scope, verb, "map")
        if found is None:
            return None
        self.c.expect(t.key, scope, T.STR, "a map key")
        return found

    def _update_entry(self, r: RawEffect, scope: Scope) -> Effect | None:
        found = self._map_target(r, scope, "update")
        if found is None:
            return None
        entity, f = found
        fields = self.domain.record_fields(f.type.elem)
        if not fields:
            self.c.err("E284", f"`update` of a map entry needs record values; `{f.name}` is {f.type}", r.head.target.span)
            return None
        var = f"_e{self.depth}"
        assigns, _ = self._assigns(r, fields, self._elem_scope(f, scope, var), f"type `{f.type.elem.name}`", partial=True)
        return ir.UpdateEntry(r.line, entity=entity, target=r.head.target.obj.obj, field=f,
                      key=r.head.target.key, assigns=assigns, elem_var=var)

    def _insert(self, r: RawEffect, scope: Scope) -> Effect | None:
        t = r.head.target
        if not (isinstance(t, ast.Name) and t.name in self.domain.entities):
            self.c.err("E285", "`insert` names an entity, as in `insert order: {…}`", t.span,
                       help=did_you_mean(getattr(t, "name", ""), self.domain.entities))
            return None
        if r.assignments is None:
            self.c.err("E283", f"`insert {t.name}` needs the new row's fields", r.span)
            return None
        ent = self.domain.entities[t.name]
        assigns, fill = self._assigns(r, ent.fields, scope, f"entity `{ent.name}`", partial=False)
        if ent.key not in {a.field.name for a in assigns} and ent.key not in fill:
            return None  # reported as a missing field
        self.writes.add(ent.name)
        from ascc.compiler.dynamic import stored_value

        fill = {k: stored_value(v, ent.fields[k].type) for k, v in fill.items()}
        return ir.Insert(r.line, entity=ent.name, assigns=assigns, fill=fill)

    def _delete(self, r: RawEffect, scope: Scope) -> Effect | None:
        if r.assignments is not None or r.value is not None:
            self.c.err("E286", "`delete` takes no value", r.span)
        entity = self._row_target(r.head.target, scope, "delete")
        return ir.Delete(r.line, entity=entity, target=r.head.target) if entity else None

    def _append(self, r: RawEffect, scope: Scope) -> Effect | None:
        found = self._nested(r.head.target, scope, "append", "list")
        if found is None:
            return None
        entity, f = found
        value = r.value
        if r.assignments is not None:  # `append o.items: {a: 1}` — a struct element written as a YAML map
            value = ast.DictLit(r.span, [ast.DictItem(a.name.value, a.name.span, True, a.value) for a in r.assignments])
        if value is None:
            self.c.err("E283", "`append` needs the element (or list of elements) to add", r.span)
            return None
        many = isinstance(value, (ast.ListLit, ast.Comprehension)) and f.type.elem.kind != "list"
        t = self.c.check(value, scope, f.type if many else f.type.elem)
        extend = t.kind == "list" and f.type.elem.kind != "list"
        ok = T.assignable(t, f.type if extend else f.type.elem)
        if not ok:
            self.c.err("E230", f"cannot append {t} to `{f.name}` ({f.type})", value.span)
        return ir.Append(r.line, entity=entity, target=r.head.target.obj, field=f, value=value, extend=extend)

    def _remove(self, r: RawEffect, scope: Scope) -> Effect | None:
        t = r.head.target
        if isinstance(t, ast.Index):
            found = self._map_target(r, scope, "remove")
            if found is None:
                return None
            if (path := null_path(t)) is not None:  # a `k in m` (or `m[k] != null`) test no longer holds
                scope.forget(path)
            return ir.RemoveEntry(r.line, entity=found[0], target=t.obj.obj, field=found[1], key=t.key)
        if r.head.where is None:
            self.c.err("E287", "`remove` needs `where` (list elements) or a map key", r.span,
                       help="write `remove o.items where item_id == $item_id` or `remove u.cards[$id]`")
            return None
        found = self._nested(t, scope, "remove", "list")
        if found is None:
            return None
        entity, f = found
        var = f"_e{self.depth}"
        self.c.expect_bool(r.head.where, self._elem_scope(f, scope, var), "a `where` condition")
        return ir.RemoveWhere(r.line, entity=entity, target=t.obj, field=f, cond=r.head.where, elem_var=var)

    def _put(self, r: RawEffect, scope: Scope) -> Effect | None:
        found = self._map_target(r, scope, "put")
        if found is None:
            return None
        entity, f = found
        value = r.value
        if r.assignments is not None:
            value = ast.DictLit(r.span, [ast.DictItem(a.name.value, a.name.span, True, a.value) for a in r.assignments])
        if value is None:
            self.c.err("E283", "`put` needs the entry's value", r.span)
            return None
        self.c.expect(value, scope, f.type.elem, f"an entry of `{f.name}`")
        return ir.Put(r.line, entity=entity, target=r.head.target.obj.obj, field=f, key=r.head.target.key,
                      value=value)


def _local_name(node: ast.Node) -> str | None:
    """The Python name of a target that is already a local (`update o: …`), so no temporary is needed."""
    if isinstance(node, ast.Name) and node.ref is not None and node.ref.kind == "local":
        return node.ref.py
    return None


# ---- writes to a row the same call deleted



def check_writes_after_delete(effects: list[Effect], lets: dict[str, ast.Node], bag) -> None:
    """E288: an effect that writes to (or deletes again) a row an earlier effect of the call deleted.

    The runtime writes by key: the row is gone, so the write changes nothing and the call still reports success.
    Rows are the same when their targets are: the same `let` value or loop variable, or lookups of one entity by
    the same key expression (`order[$id]` and a `let o: order[$id]`). A delete inside `if` or `for` counts after
    it only within that branch or loop body.
    """
    _deleted_then_written(effects, lets, {}, bag)


def _deleted_then_written(effects: list[Effect], lets: dict, deleted: dict, bag) -> None:
    deleted = dict(deleted)
    for e in effects:
        if isinstance(e, (ir.If, ir.For)):
            var = e.var if isinstance(e, ir.For) else None
            for body in (e.body, e.orelse if isinstance(e, ir.If) else []):
                _deleted_then_written(body, lets, {k: v for k, v in deleted.items() if var not in k}, bag)
            continue
        if not isinstance(e, ir.RowEffect) or e.target is None:
            continue
        key = _row_key(e.target, lets)
        if key is None:
            continue
        if key in deleted:
            bag.error("E288", f"`{e.verb}` of a row this tool has already deleted", e.target.span,
                      labels=(_deleted_label(deleted[key]),),
                      help="write to the row before `delete`, or drop the write")
        elif isinstance(e, ir.Delete):
            deleted[key] = e.target.span


def _deleted_label(span):
    from ascc.diagnostics import Label

    return Label(span, "deleted here")


def _row_key(node: ast.Node, lets: dict, depth: int = 0):
    """What names one row, comparable across effects: ("row", entity, key shape) or ("name", name); or None."""
    if isinstance(node, ast.Index) and isinstance(node.ref, ast.EntityLookup):
        return ("row", node.ref.entity, _shape(node.key))
    if isinstance(node, ast.Name):
        let = lets.get(node.name)
        if let is not None and depth < 8:
            inner = _row_key(let.expr if isinstance(let, ast.Guarded) else let, lets, depth + 1)
            if inner is not None:
                return inner
        return ("name", node.name)
    return None


def _shape(node) -> tuple | object:
    """An expression without its positions: equal shapes are the same expression."""
    if isinstance(node, list):
        return tuple(_shape(x) for x in node)
    if not hasattr(node, "__dataclass_fields__"):
        return node
    return (type(node).__name__, *(_shape(getattr(node, f)) for f in node.__dataclass_fields__
                                   if f not in ("span", "name_span", "ref", "type")))
