"""A compiled domain loaded for execution: its metadata, generated tool module and initial state."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ascc.lang.compiled import DOMAIN_JSON, DomainInfo, ToolInfo, domain_info
from ascc.runtime.builtins import Pattern, regex
from ascc.runtime.digest import DigestBase, state_digest_sql
from ascc.runtime.errors import ToolError


@dataclass
class CompiledDomain:
    name: str
    path: Path
    meta: dict  # domain.json as read; the loader's alone: everything else reads `info`
    tools: dict  # name -> generated function
    checks: dict
    schema_sql: str
    digest_sql: str
    schemas: list[dict]
    user_schemas: list[dict] = field(default_factory=list)
    rules: dict = field(default_factory=dict)  # tool name -> generated function: the policy rules a call meets
    info: DomainInfo | None = None  # domain.json, typed
    _arrow: dict | None = None
    # the initial state's row hashes, read by the first environment (not copied by `dataclasses.replace`,
    # which gives a domain another initial state)
    _digest_base: DigestBase | None = field(default=None, init=False, repr=False, compare=False)
    # initial rows read so far by any environment, {entity: {key: row}} (see known.py; not copied either)
    initial_rows: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    # whole initial tables read so far, {entity: {key: row} in key order} (known.py `all`; not copied either)
    initial_tables: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    # for each whole initial table, (the table, {columns: {values: [keys in key order]}}, {key: position}): the
    # indexes of `col = ?` filters over it, built once each (known.py `_matching`; not copied either)
    initial_indexes: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    # results of `sql:` read queries over tables as at reset, {(query, repr(params)): rows} (context.py `sql`)
    query_results: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    # a database holding the initial state, shared read-only by environments without their own (env.py)
    shared_db: object = field(default=None, init=False, repr=False, compare=False)

    def digest_base(self, con) -> DigestBase:
        """The initial state's row hashes; `con` must hold the initial state the first time."""
        if self._digest_base is None:
            self._digest_base = DigestBase(self.info, con)
        return self._digest_base

    @cached_property
    def column_names(self) -> frozenset:
        """Every entity's column names, lowercased (context.py `_pure`)."""
        return frozenset(c.lower() for e in self.info.entities.values() for c in e.fields)

    @cached_property
    def map_columns(self) -> dict:
        """{entity: {column: type}} of the columns whose type holds a map inside a list. DuckDB infers one element
        type for a bound list, so maps of different keys there would become one struct of all keys (null-filled);
        the runtime binds them as key/value lists. Held by the loaded domain, so it is never stale."""
        structs = self.info.structs

        def has(t, in_list, seen=()):
            k = t.kind
            if k == "map":
                return in_list or has(t.elem, in_list, seen)
            if k == "list":
                return has(t.elem, True, seen)
            if k == "struct" and t.name in structs and t.name not in seen:
                return any(has(f.type, in_list, (*seen, t.name)) for f in structs[t.name].values())
            return False

        return {e: {c: f.type for c, f in ent.fields.items() if has(f.type, False)}
                for e, ent in self.info.entities.items()}

    def tool(self, name: str) -> tuple[ToolInfo, object]:
        meta = self.info.tools.get(name) if isinstance(name, str) else None
        if meta is None:
            shown = name if isinstance(name, str) and len(name) <= 60 else f"{str(name)[:60]}…"
            raise ToolError(f"unknown tool `{shown}`", "unknown_tool")
        return meta, self.tools[name]

    def tool_rules(self, name: str) -> tuple:
        """A tool's policy rules (`RuleInfo`: name, when, outcome, policy, message, ask, via)."""
        tool = self.info.tools.get(name) if isinstance(name, str) else None
        return tool.rules if tool else ()

    @property
    def policy(self) -> str:
        return self.info.policy

    def arrow_state(self) -> dict:
        """The initial state as Arrow tables, read once per process."""
        if self._arrow is None:
            import pyarrow.parquet as pq

            self._arrow = {e: pq.read_table(self.path / "state" / f"{e}.parquet") for e in self.info.entities}
        return self._arrow

    @staticmethod
    def pattern(p: str) -> Pattern:
        return regex(p)

    @staticmethod
    def is_write_sql(text: str) -> bool:
        return not re.match(r"\s*(SELECT|WITH|\()", text, re.I)


def _import_module(path: Path, name: str, build_key: str):
    """The generated module, imported once per content: an edited and recompiled build is a new module."""
    module_name = f"ascc_domain_{re.sub(r'[^A-Za-z0-9_]', '_', name)}_{build_key}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


_LOADED: OrderedDict[tuple[str, str], CompiledDomain] = OrderedDict()
_LOADED_MAX = 64


def build_key(path: Path) -> str:
    """What a build's content is, in 16 hex digits: its domain.json, tools.py and manifest (which holds the spec's
    and the seed files' hashes). A recompiled build of an edited spec has another key."""
    h = hashlib.sha256()
    for name in (DOMAIN_JSON, "tools.py", "manifest.json"):
        f = path / name
        h.update(f.read_bytes() if f.exists() else b"-")
        h.update(b"\0")
    return h.hexdigest()[:16]


def load_domain(path: str | Path) -> CompiledDomain:
    """Load `build/<domain>/` (as written by `ascc compile`); loaded once per content, so a build recompiled from
    an edited spec loads anew while an unchanged one is shared."""
    path = Path(path).resolve()
    key = (str(path), build_key(path))
    if key in _LOADED:
        _LOADED.move_to_end(key)
        return _LOADED[key]
    domain = _load(path, key[1])
    _LOADED[key] = domain
    while len(_LOADED) > _LOADED_MAX:
        _LOADED.popitem(last=False)
    return domain


load_domain.cache_clear = _LOADED.clear  # type: ignore[attr-defined]


def _load(path: Path, key: str) -> CompiledDomain:
    meta = json.loads((path / DOMAIN_JSON).read_text(encoding="utf-8"))
    info = domain_info(meta)
    module = _import_module(path / "tools.py", info.name, key)
    user = path / "user_tools.json"
    return CompiledDomain(
        name=info.name, path=path, meta=meta, tools=module.TOOLS, checks=module.CHECKS,
        schema_sql=(path / "schema.sql").read_text(encoding="utf-8"), digest_sql=state_digest_sql(info),
        schemas=json.loads((path / "tools.json").read_text(encoding="utf-8")),
        user_schemas=json.loads(user.read_text(encoding="utf-8")) if user.exists() else [],
        rules=getattr(module, "RULES", {}), info=info)


def compile_and_load(spec: str | Path, out_root: str | Path = "build") -> CompiledDomain:
    """Compile one spec (cached when unchanged) and load it; bad specs raise `SpecError` with the diagnostics."""
    from ascc.compiler.build import compile_file
    from ascc.diagnostics import SourceCache, render_all

    result = compile_file(Path(spec), Path(out_root))
    if not result.ok:
        raise SpecError(render_all(result.diagnostics, SourceCache()))
    return load_domain(str(result.out_dir))


class SpecError(Exception):
    """A spec that does not compile; the message is the rendered diagnostics."""
