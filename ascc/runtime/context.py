"""What a generated tool function sees: `ctx`, one tool call's window onto the environment's database.

Every read and write of a tool goes through here, as bound-parameter SQL: rows by key, queries whose
conditions the compiler turned into SQL, inserts, updates and deletes. Rows read in a call are cached by key,
and writes update the cached row in place, so later effects and the return value see earlier writes. Before a
write the row is checked (field checks, references, key and unique conflicts) so that a refused write fails as a
`ToolError` with DuckDB untouched; every write also records how to undo it, for a call that fails later.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from ascc.runtime import builtins as B  # noqa: F401 - re-exported for generated modules
from ascc.runtime.errors import ToolError

__all__ = ["B", "Context", "ToolError"]


_BY_KEY: dict[tuple[str, str], str] = {}  # (entity, key column) -> its key-lookup statement


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Context:
    def __init__(self, env, call_index: int):
        self.env = env
        self.con = env.con
        self.meta = env.domain.meta
        self.cache: dict[tuple[str, object], dict | None] = {}
        self.undo: list[tuple] = []
        self.wrote = False

    # ---- reads
    def _fetch(self, entity: str, where: str, params: list, limit: int | None = None) -> list[dict]:
        key = self.meta["entities"][entity]["key"]
        sql = f"SELECT * FROM {_q(entity)}" + (f" WHERE {where}" if where else "") + f" ORDER BY {_q(key)}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        cur = self.con.execute(sql, params)
        cols = [d[0] for d in cur.description]
        rows = []
        for values in cur.fetchall():
            row = dict(zip(cols, values))
            cached = self.cache.get((entity, row[key]))
            rows.append(cached if cached is not None else self._remember(entity, row))
        return rows

    def _remember(self, entity: str, row: dict) -> dict:
        key = self.meta["entities"][entity]["key"]
        self.cache[(entity, row[key])] = row
        return row

    def get(self, entity: str, key) -> dict | None:
        """A row by key: one statement, no ORDER BY, `fetchone`; cached for the rest of the call."""
        cache_key = (entity, key)
        if cache_key in self.cache:
            return self.cache[cache_key]
        keycol = self.meta["entities"][entity]["key"]
        sql = _BY_KEY.get((entity, keycol))
        if sql is None:
            sql = _BY_KEY[(entity, keycol)] = f"SELECT * FROM {_q(entity)} WHERE {_q(keycol)} = ?"
        cur = self.con.execute(sql, [key])
        values = cur.fetchone()
        row = None if values is None else dict(zip([d[0] for d in cur.description], values))
        self.cache[cache_key] = row
        return row

    def get_required(self, entity: str, key) -> dict:
        row = self.get(entity, key)
        if row is None:
            raise ToolError(f"{entity} {key!r} not found", "not_found")
        return row

    def one(self, entity: str, where: str = "", params: list | None = None) -> dict | None:
        rows = self._fetch(entity, where, params or [], limit=2)
        if len(rows) > 1:
            raise ToolError(f"more than one {entity} matches", "conflict")
        return rows[0] if rows else None

    def first(self, entity: str, where: str = "", params: list | None = None) -> dict | None:
        rows = self._fetch(entity, where, params or [], limit=1)
        return rows[0] if rows else None

    def all(self, entity: str, where: str = "", params: list | None = None) -> list[dict]:
        return self._fetch(entity, where, params or [])

    def exists(self, entity: str, where: str = "", params: list | None = None) -> bool:
        sql = f"SELECT 1 FROM {_q(entity)}" + (f" WHERE {where}" if where else "") + " LIMIT 1"
        return self.con.execute(sql, params or []).fetchone() is not None

    def count(self, entity: str, where: str = "", params: list | None = None) -> int:
        sql = f"SELECT count(*) FROM {_q(entity)}" + (f" WHERE {where}" if where else "")
        return self.con.execute(sql, params or []).fetchone()[0]

    def sql(self, text: str, params: dict) -> list[dict] | int:
        if self.env.domain.is_write_sql(text):
            self.env.written(None)
        cur = self.con.execute(text, params)
        if cur.description is None:
            return 0
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r)) for r in cur.fetchall()]
        if self.env.domain.is_write_sql(text):
            self.wrote = True
            self.env.needs_replay_on_failure = True
            return rows[0].get("Count", len(rows)) if rows and len(cols) == 1 else len(rows)
        return rows

    # ---- clock and ids
    def today(self) -> dt.date:
        return self.env.clock_today

    def now(self) -> dt.datetime:
        return self.env.clock_now

    def new_id(self, prefix: str, digits: int = 6) -> str:
        """A deterministic id: the same in the gold run and in every replay of the same calls."""
        n = self.env.id_counter
        self.env.id_counter += 1
        h = hashlib.sha256(f"{self.env.domain.name}|{self.env.id_seed}|{prefix}|{n}".encode()).hexdigest()
        return f"{prefix}{int(h, 16) % 10 ** digits:0{digits}d}"

    # ---- writes
    def _check(self, entity: str, row: dict, changed: set[str], is_new: bool) -> None:
        meta = self.meta["entities"][entity]
        keycol = meta["key"]
        for name, f in meta["fields"].items():
            if name not in changed:
                continue
            v = row[name]
            if v is None and not f["type"].get("nullable"):
                raise ToolError(f"{entity}.{name} cannot be empty", "invalid_arguments")
            if v is None:
                continue
            if f["type"]["kind"] == "enum" and v not in f["type"]["values"]:
                raise ToolError(f"{v!r} is not a valid {entity}.{name}", "invalid_arguments")
            if f.get("pattern") and not self.env.domain.pattern(f["pattern"]).fullmatch(v):
                raise ToolError(f"{v!r} is not a valid {entity}.{name}", "invalid_arguments")
            if f.get("ref") and self.get(f["ref"], v) is None:
                raise ToolError(f"{f['ref']} {v!r} not found", "not_found")
            if (f.get("unique") or (name == keycol and is_new)) and self._taken(entity, name, v, row[keycol], is_new):
                raise ToolError(f"{entity} with {name} {v!r} already exists", "conflict")
        for _field, text, pred in self.env.domain.checks.get(entity, ()):
            try:
                ok = pred(row)
            except TypeError:
                ok = True  # a null operand: SQL semantics, the check does not apply
            if not ok:
                raise ToolError(f"{entity} {row[keycol]!r} would violate `{text}`", "precondition")

    def _taken(self, entity: str, col: str, value, key, is_new: bool) -> bool:
        keycol = self.meta["entities"][entity]["key"]
        if col == keycol:
            return self.get(entity, value) is not None
        sql = f"SELECT 1 FROM {_q(entity)} WHERE {_q(col)} = ? AND {_q(keycol)} <> ? LIMIT 1"
        return self.con.execute(sql, [value, key]).fetchone() is not None

    def insert(self, entity: str, row: dict) -> dict:
        self._check(entity, row, set(row), True)
        cols = list(row)
        sql = f"INSERT INTO {_q(entity)} ({', '.join(map(_q, cols))}) VALUES ({', '.join('?' * len(cols))})"
        self._write(entity, sql, [row[c] for c in cols])
        key = row[self.meta["entities"][entity]["key"]]
        self.undo.append(("insert", entity, key))
        return self._remember(entity, dict(row))

    def update(self, entity: str, row: dict, changes: dict) -> dict:
        keycol = self.meta["entities"][entity]["key"]
        if keycol in changes and changes[keycol] != row[keycol]:
            raise ToolError(f"the key of {entity} cannot change", "invalid_arguments")
        before = dict(row)
        after = {**row, **changes}
        self._check(entity, after, {k for k in changes if changes[k] != before.get(k)}, False)
        cols = list(changes)
        sql = f"UPDATE {_q(entity)} SET {', '.join(f'{_q(c)} = ?' for c in cols)} WHERE {_q(keycol)} = ?"
        self._write(entity, sql, [changes[c] for c in cols] + [row[keycol]])
        self.undo.append(("update", entity, before))
        row.update(changes)
        return row

    def delete(self, entity: str, row: dict) -> None:
        keycol = self.meta["entities"][entity]["key"]
        self._write(entity, f"DELETE FROM {_q(entity)} WHERE {_q(keycol)} = ?", [row[keycol]])
        self.undo.append(("delete", entity, dict(row)))
        self.cache[(entity, row[keycol])] = None

    def _write(self, entity: str, sql: str, params: list) -> None:
        self.wrote = True
        self.env.written(entity)
        self.con.execute(sql, params)

    def rollback(self) -> None:
        """Undo this call's writes, newest first (the transaction is still healthy)."""
        for op, entity, data in reversed(self.undo):
            keycol = self.meta["entities"][entity]["key"]
            if op == "insert":
                self.con.execute(f"DELETE FROM {_q(entity)} WHERE {_q(keycol)} = ?", [data])
            elif op == "delete":
                cols = list(data)
                self.con.execute(f"INSERT INTO {_q(entity)} ({', '.join(map(_q, cols))}) VALUES "
                                 f"({', '.join('?' * len(cols))})", [data[c] for c in cols])
            else:
                cols = [c for c in data if c != keycol]
                self.con.execute(f"UPDATE {_q(entity)} SET {', '.join(f'{_q(c)} = ?' for c in cols)} "
                                 f"WHERE {_q(keycol)} = ?", [data[c] for c in cols] + [data[keycol]])
        self.undo.clear()
