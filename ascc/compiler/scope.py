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

    def bind(self, name: str, t: Type, py: str) -> None:
        self.names[name] = Binding("local", t, py)

    def child(self, **kw) -> Scope:
        return Scope(self, **kw)

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
