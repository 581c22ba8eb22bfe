"""Name scopes for the expression checker: locals, and the implicit fields of a row being queried or updated."""

from __future__ import annotations

from dataclasses import dataclass

from ascc.compiler.types import Type


@dataclass(frozen=True)
class Binding:
    """What a bare name means where it is used.

    kind: `local` (a `let` value or loop variable), `field` (a field of the row in scope, read in Python as
    `row_var["field"]`), `column` (a column of the table a query condition filters, emitted as SQL).
    """

    kind: str
    type: Type
    py: str
    field: str | None = None


class Scope:
    def __init__(self, parent: Scope | None = None, *, names: dict[str, Binding] | None = None,
                 record: tuple[Type, dict, str, bool] | None = None):
        self.parent = parent
        self.names = dict(names or {})
        self.record = record  # (type, fields, python variable, is-SQL-column scope)
        self.nonnull: set[str] = set()  # paths (`o.note`, `$x`) known not to be null here (narrowed by a test)

    def bind(self, name: str, t: Type, py: str) -> None:
        self.names[name] = Binding("local", t, py)

    def child(self, **kw) -> Scope:
        return Scope(self, **kw)

    def narrowed(self, facts: set[str]) -> Scope:
        """A child scope in which the given paths are known not to be null."""
        s = Scope(self)
        s.nonnull = set(facts)
        return s

    def forget(self, path: str) -> None:
        """An effect removed what `path` names: it, and everything read through it, may be null from here on."""
        s: Scope | None = self
        while s is not None:
            s.nonnull = {p for p in s.nonnull if p != path and not p.startswith((path + ".", path + "[", path + "#"))}
            s = s.parent

    def forget_kinds(self, path: str) -> None:
        """An effect wrote a json or union value at `path`: what `type_of()` tests said of it no longer holds."""
        s: Scope | None = self
        while s is not None:
            s.nonnull = {p for p in s.nonnull if not p.startswith(path + "#")}
            s = s.parent

    def is_nonnull(self, path: str) -> bool:
        s: Scope | None = self
        while s is not None:
            if path in s.nonnull:
                return True
            s = s.parent
        return False

    def lookup(self, name: str) -> Binding | None:
        s: Scope | None = self
        while s is not None:
            if name in s.names:
                return s.names[name]
            if s.record is not None:
                t, fields, var, is_sql = s.record
                if name in fields:
                    f = fields[name]
                    return Binding("column" if is_sql else "field", f.type, f"{var}[{name!r}]", name)
            s = s.parent
        return None

    def shadowed_local(self, name: str) -> bool:
        """Whether `name` resolves to a row field here while an enclosing scope binds a local of that name."""
        s: Scope | None = self
        while s is not None:
            if s.record is not None and name in s.record[1]:
                p = s.parent
                while p is not None:
                    if name in p.names:
                        return True
                    p = p.parent
                return False
            if name in s.names:
                return False
            s = s.parent
        return False

    def visible(self) -> set[str]:
        out: set[str] = set()
        s: Scope | None = self
        while s is not None:
            out |= set(s.names)
            if s.record is not None:
                out |= set(s.record[1])
            s = s.parent
        return out

    def sql_depth(self) -> bool:
        """Whether this scope lies inside a query condition (SQL columns are visible)."""
        s: Scope | None = self
        while s is not None:
            if s.record is not None and s.record[3]:
                return True
            s = s.parent
        return False


def null_path(node) -> str | None:
    """The path a null test can narrow: a name, a parameter, fields of one (`o.note`, `$x`), and lookups or map
    entries keyed by one (`order[$id]`, `f.dates[$date]`)."""
    from ascc.dsl import ast

    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, ast.Param):
        return "$" + node.name
    if isinstance(node, ast.Attr):
        base = null_path(node.obj)
        return f"{base}.{node.name}" if base else None
    if isinstance(node, ast.Index):  # a lookup or map entry whose key is a path or a literal: `flight[f.no]`
        return _entry_path(node.obj, node.key)
    return None


def _entry_path(obj, key) -> str | None:
    from ascc.dsl import ast

    base = null_path(obj)
    k = repr(key.value) if isinstance(key, ast.Literal) else null_path(key)
    return f"{base}[{k}]" if base and k else None


def _has_entry(m) -> bool:
    """Whether `k in m` means `m[k]` is not null: `m` is a map whose values cannot be null."""
    t = m.type
    return t is not None and t.kind == "map" and t.elem is not None and not t.elem.nullable


def nonnull_facts(cond, when: bool) -> set[str]:
    """Paths that are not null whenever `cond` (already type-checked) evaluates to `when`, and the `path#kind`
    facts of `type_of()` tests (compiler/dynamic.py)."""
    from ascc.compiler.dynamic import kind_facts

    return _nonnull_facts(cond, when) | kind_facts(cond, when)


def _nonnull_facts(cond, when: bool) -> set[str]:
    from ascc.dsl import ast

    match cond:
        case ast.Compare(op=op, left=l, right=r) if op in ("==", "!="):
            null_right = isinstance(r, ast.Literal) and r.kind == "null"
            null_left = isinstance(l, ast.Literal) and l.kind == "null"
            path = null_path(l) if null_right else null_path(r) if null_left else None
            if path is None:
                return set()
            return {path} if (op == "!=") == when else set()
        case ast.Compare(op=op, left=k, right=m) if op in ("in", "not in") and _has_entry(m):
            path = _entry_path(m, k)  # `k in m` guards `m[k]` as `m[k] != null` does
            return {path} if path is not None and (op == "in") == when else set()
        case ast.BoolOp(op="and", left=l, right=r) if when:
            return nonnull_facts(l, True) | nonnull_facts(r, True)
        case ast.BoolOp(op="or", left=l, right=r) if not when:
            return nonnull_facts(l, False) | nonnull_facts(r, False)
        case ast.Not(operand=o):
            return nonnull_facts(o, not when)
    return set()
