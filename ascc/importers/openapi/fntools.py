"""Tool lists without paths or HTTP methods: OpenAI function/tool schemas and MCP `tools/list` results.

Accepted shapes (JSON or YAML):
- a list of OpenAI tools `{"type": "function", "function": {"name", "description", "parameters"}}` or of bare
  functions `{"name", "description", "parameters"}`, alone or under `tools` / `functions`;
- an MCP `tools/list` result `{"tools": [{"name", "description", "inputSchema"}]}`, or the whole JSON-RPC
  response `{"jsonrpc": "2.0", "result": {"tools": [...]}}`.

Each function becomes an `Operation` with no method and no path; its arguments are `arg` parameters. What
it does is read from its name (`get_`/`list_`/`create_`/`update_`/`delete_`…, docs/import.md).
"""

from __future__ import annotations

from pathlib import Path

from ascc.importers.openapi.load import ImportProblem, Resolver
from ascc.importers.openapi.ops import Operation, Param, SchemaFlattener, Skipped, _text


def _entries(doc: object) -> list:
    if isinstance(doc, dict) and isinstance(doc.get("result"), dict):
        doc = doc["result"]
    if isinstance(doc, dict):
        for key in ("tools", "functions"):
            if isinstance(doc.get(key), list):
                return doc[key]
        if "name" in doc and ("parameters" in doc or "inputSchema" in doc):
            return [doc]
        raise ImportProblem("not a tool list (expected a list of function schemas or an MCP `tools` list)")
    if isinstance(doc, list):
        return doc
    raise ImportProblem("not a tool list (expected a list of function schemas or an MCP `tools` list)")


def tool_operations(path: Path, doc: object, api: str, display: str) -> tuple[list[Operation], list[Skipped]]:
    entries = _entries(doc)
    ops: list[Operation] = []
    skipped: list[Skipped] = []
    for n, raw in enumerate(entries):
        fn = raw.get("function") if isinstance(raw, dict) and isinstance(raw.get("function"), dict) else raw
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"].strip():
            skipped.append(Skipped(api, display, f"#{n}", "not a function schema (no `name`)"))
            continue
        name = fn["name"]
        schema = fn.get("parameters", fn.get("inputSchema", fn.get("input_schema", {})))
        schema = schema if isinstance(schema, dict) else {}
        try:  # JSON Schema: `#/$defs/...` is relative to the function's own schema
            schema = SchemaFlattener(Resolver(path, schema)).flatten(schema, path)
        except ImportProblem as exc:
            skipped.append(Skipped(api, display, name, str(exc)))
            continue
        required = set(schema.get("required") or ())
        params = [Param(k, "arg", k in required, v, _text(v.get("description")))
                  for k, v in (schema.get("properties") or {}).items()]
        ops.append(Operation(api, display, "", "", name, _text(fn.get("description")), params, {}))
    return ops, skipped
