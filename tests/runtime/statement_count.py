"""A DuckDB connection wrapper that records the statements run through it (the runtime's statement-count tests)."""

from __future__ import annotations


class Counting:
    """A connection that counts the statements run through it."""

    def __init__(self, con):
        self.con, self.statements = con, []

    def execute(self, sql, params=None):
        self.statements.append(sql)
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    def __getattr__(self, name):
        return getattr(self.con, name)
