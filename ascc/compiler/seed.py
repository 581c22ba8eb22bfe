"""Building a domain's initial state: rows from files, inline rows and seeded generators, all validated.

Deterministic for a given `random_seed`: one `random.Random` and one seeded Faker drive every generator, in
the order the spec writes them. Every row is checked against the schema (types, enums, patterns, keys, unique
fields, references, checks); problems are E4xx diagnostics that point at the row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import time
from decimal import Decimal
from pathlib import Path

from ascc.compiler.ir import Domain, Entity
from ascc.compiler.resolve import convert_value
from ascc.compiler.seedeval import SeedEvaluator
from ascc.diagnostics import DiagnosticBag, Label, Span
from ascc.dsl.yamlnodes import YMap, YScalar, YSeq
from ascc.inputs import InputProblem, load_json, read_text
from ascc.lang import builtins as B

MAX_ROW_ERRORS = 5
MAX_SEED_SECONDS = 60.0  # all generators together; 100,000 rows of Faker values take a few seconds
MAX_SEED_FILE_BYTES = 1 << 30  # a JSONL or CSV file; each of its lines is one JSON document, bounded by ascc.inputs


def _plain(node):
    """A YAML node as plain Python data (for inline rows)."""
    if isinstance(node, YScalar):
        return node.value
    if isinstance(node, YSeq):
        return [_plain(i) for i in node.items]
    if isinstance(node, YMap):
        return {str(k.value): _plain(v) for k, v in node.items}
    return None


class StateBuilder:
    def __init__(self, domain: Domain, bag: DiagnosticBag):
        self.domain, self.bag = domain, bag
        self.rows: dict[str, list[dict]] = {e: [] for e in domain.entities}
        self.keys: dict[str, set] = {e: set() for e in domain.entities}
        self.spans: dict[str, list[Span]] = {e: [] for e in domain.entities}  # where each row was written
        self.errors: dict[tuple, int] = {}
        self.ev = SeedEvaluator(domain, random.Random(domain.seed.random_seed), self.rows, domain.seed.random_seed)

    def build(self) -> dict[str, list[dict]]:
        seed = self.domain.seed
        base = Path(self.domain.file).parent
        for entity, path, span in seed.files:
            for where, row in self._read_file(base / path, span):
                self._add(entity, row, where)
        for entity, rows in seed.rows:
            for node in rows:
                self._add(entity, _plain(node), node.span)
        self._generate(seed.generators)
        self._check_refs()
        return self.rows

    def _generate(self, generators) -> None:
        """Run the generators under a deadline (the watchdog of tool calls): a generator whose rows take too long
        (a Faker provider asked for a billion characters, say) stops with E415 at its place."""
        from ascc.watchdog import WATCHDOG, CallTimeout

        ev = self.ev
        g, i = None, 0
        try:
            armed = None
            try:
                armed = WATCHDOG.arm(None, time.monotonic() + MAX_SEED_SECONDS)
                for g in generators:
                    ent = self.domain.entities[g.entity]
                    for i in range(g.count):
                        row, span = ev.generate(g, i)
                        if row is not None:
                            self._add(ent.name, row, span or g.span, note=f"generated row {i}")
                        elif span is not None:
                            self._row_error(ent.name, span, f"cannot generate `{ent.name}` rows: {ev.last_error}",
                                            f"first seen at row {i}")
            finally:
                if armed is not None:
                    WATCHDOG.disarm(armed)
        except CallTimeout:
            self.bag.error("E415", f"seed generation took longer than {MAX_SEED_SECONDS:g} s: stopped at row {i} "
                                   f"of `{g.entity if g else '?'}`", g.span if g else None,
                           help="seed data is built in the compiler: make fewer or smaller values")

    # ---- files
    def _read_file(self, path: Path, span: Span):
        if not path.is_file():
            self.bag.error("E410", f"seed file `{path.name}` not found", span, notes=(f"looked at {path}",))
            return
        suffix = path.suffix.lower()
        try:
            if suffix == ".jsonl":
                for n, line in enumerate(read_text(path, MAX_SEED_FILE_BYTES).splitlines(), 1):
                    if line.strip():
                        yield Span.point(str(path), n, 1), _json_line(line, n)
            elif suffix == ".json":
                data = load_json(read_text(path))
                items = data.values() if isinstance(data, dict) else data
                for row in items:
                    yield Span.point(str(path), 1, 1), row if isinstance(row, dict) else {"__bad__": row}
            elif suffix == ".csv":
                text = read_text(path, MAX_SEED_FILE_BYTES)
                for n, row in enumerate(csv.DictReader(io.StringIO(text, newline="")), 2):
                    yield Span.point(str(path), n, 1), {k: (None if v == "" else v) for k, v in row.items()}
            elif suffix == ".parquet":
                import pyarrow.parquet as pq

                for row in pq.read_table(path).to_pylist():
                    yield span, row
            else:
                self.bag.error("E411", f"unsupported seed file type `{suffix}`", span,
                               help="use .json, .jsonl, .csv or .parquet")
        except InputProblem as exc:
            self.bag.error("E412", f"cannot read seed file `{path.name}`: {exc.message}",
                           Span.point(str(path), exc.line, exc.col), labels=(Label(span, "named here"),))
        except (json.JSONDecodeError, UnicodeDecodeError, OSError, ValueError) as exc:
            self.bag.error("E412", f"cannot read seed file `{path.name}`: {exc}", span)

    # ---- rows
    def _row_error(self, entity: str, span: Span, msg: str, note: str | None = None) -> None:
        """One diagnostic per distinct problem (the first row that has it), at most a few per entity."""
        key = (entity, msg)
        if key in self.errors:
            return
        n = sum(1 for e, _ in self.errors if e == entity) + 1
        self.errors[key] = n
        if n <= MAX_ROW_ERRORS:
            self.bag.error("E413", msg, span, notes=(note,) if note else ())
        elif n == MAX_ROW_ERRORS + 1:
            self.bag.error("E414", f"more `{entity}` rows are invalid; only the first {MAX_ROW_ERRORS} problems "
                                   "are shown", span)

    def _add(self, entity: str, row, span: Span, note: str | None = None) -> None:
        ent = self.domain.entities[entity]
        if not isinstance(row, dict):
            self._row_error(entity, span, f"a `{entity}` row must be an object")
            return
        unknown = [k for k in row if k not in ent.fields]
        if unknown:
            self._row_error(entity, span, f"unknown field `{unknown[0]}` in a `{entity}` row", note)
            return
        out = {}
        for f in ent.fields.values():
            if f.name not in row:
                if not f.has_default:
                    self._row_error(entity, span, f"`{entity}` row lacks `{f.name}`", note)
                    return
                out[f.name] = f.default
                continue
            try:
                out[f.name] = convert_value(_coerce_text(row[f.name], f.type), f.type, self.domain.record_fields)
            except (TypeError, ValueError, ArithmeticError) as exc:
                self._row_error(entity, span, f"`{entity}.{f.name}`: {exc}", note)
                return
        problem = self._row_problem(ent, out)
        if problem:
            self._row_error(entity, span, problem, note)
            return
        self.rows[entity].append(out)
        self.spans[entity].append(span)
        self.keys[entity].add(out[ent.key])

    def _row_problem(self, ent: Entity, row: dict) -> str | None:
        if row[ent.key] in self.keys[ent.name]:
            return f"duplicate key {row[ent.key]!r} in `{ent.name}`"
        for f in ent.fields.values():
            v = row[f.name]
            if f.pattern and v is not None and not B.regex(f.pattern).fullmatch(v):
                return f"`{ent.name}.{f.name}` = {v!r} does not match the pattern {f.pattern!r}"
            if f.unique and v is not None and any(r[f.name] == v for r in self.rows[ent.name]):
                return f"`{ent.name}.{f.name}` = {v!r} is not unique"
        return self.ev.check_row(ent, row)

    def _check_refs(self) -> None:
        for ent in self.domain.entities.values():
            for f in ent.fields.values():
                if not f.ref:
                    continue
                keys = self.keys[f.ref]
                for row, span in zip(self.rows[ent.name], self.spans[ent.name]):
                    v = row[f.name]
                    if v is not None and v not in keys:
                        self._row_error(ent.name, span,
                                        f"`{ent.name}` {row[ent.key]!r}: `{f.name}` = {v!r} names no `{f.ref}`")
                        break


def _coerce_text(v, t):
    """CSV cells are text: read numbers, booleans and nested JSON out of them before type conversion."""
    if not isinstance(v, str):
        return v
    if t.kind == "int":
        return int(v)
    if t.kind in ("float",):
        return float(v)
    if t.kind == "bool" and v.lower() in ("true", "false"):
        return v.lower() == "true"
    if t.kind in ("list", "map", "struct") and v[:1] in "[{":
        return load_json(v)
    return v


def _json_line(line: str, n: int):
    """One line of a JSONL seed file; a problem names its line."""
    try:
        return load_json(line)
    except InputProblem as exc:
        raise InputProblem(exc.code, exc.message, n, exc.col) from None


def json_default(v):
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    raise TypeError(type(v).__name__)
