"""OpenAI tool schemas for a domain: the agent's view of its tools, plus a strict-mode variant.

Strict mode (OpenAI structured outputs) wants every property listed in `required`, optional ones typed as
nullable, and `additionalProperties: false` on every object.
"""

from __future__ import annotations

from ascc.compiler.ir import Domain, Param, Tool
from ascc.compiler.types import Type


def json_schema(t: Type, domain: Domain, strict: bool = False) -> dict:
    k = t.kind
    if k in ("json", "union"):
        from ascc.compiler.dynamic import dynamic_schema

        return dynamic_schema(t, domain, strict)
    if k in ("str",):
        s: dict = {"type": "string"}
    elif k == "enum":
        s = {"type": "string", "enum": list(t.values)}
    elif k == "int":
        s = {"type": "integer"}
    elif k in ("float", "decimal"):
        s = {"type": "number"}
    elif k == "bool":
        s = {"type": "boolean"}
    elif k == "date":
        s = {"type": "string", "format": "date"}
    elif k == "datetime":
        s = {"type": "string", "format": "date-time"}
    elif k == "list":
        s = {"type": "array", "items": json_schema(t.elem, domain, strict)}
    elif k == "map":
        s = {"type": "object", "additionalProperties": json_schema(t.elem, domain, strict)}
        if strict:  # strict mode has no open maps: an array of key/value entries stands in
            s = {"type": "array", "items": {"type": "object", "properties": {
                "key": {"type": "string"}, "value": json_schema(t.elem, domain, strict)},
                "required": ["key", "value"], "additionalProperties": False}}
    else:  # struct / row
        fields = domain.record_fields(t)
        props = {f.name: _described(json_schema(f.type, domain, strict), f.description) for f in fields.values()}
        required = [f.name for f in fields.values() if strict or not f.has_default]
        s = {"type": "object", "properties": props, "required": required, "additionalProperties": False}
    if t.nullable and strict:
        s = {**s, "type": [s["type"], "null"]} if "enum" not in s else {"anyOf": [s, {"type": "null"}]}
    return s


def _described(s: dict, description: str | None) -> dict:
    return {**s, "description": description} if description else s


def _param_schema(p: Param, domain: Domain, strict: bool) -> dict:
    t = p.type.as_nullable() if strict and not p.required else p.type
    s = json_schema(t if strict else t.nonnull(), domain, strict)
    desc = p.description or ""
    if not p.required and p.default is not None:
        desc = (desc + " " if desc else "") + f"Defaults to {p.default!s}."
    return _described(s, desc or None)


def tool_schema(tool: Tool, domain: Domain, strict: bool = False) -> dict:
    props = {p.name: _param_schema(p, domain, strict) for p in tool.params}
    required = [p.name for p in tool.params if strict or p.required]
    fn: dict = {"name": tool.name, "description": tool.description,
                "parameters": {"type": "object", "properties": props, "required": required,
                               "additionalProperties": False}}
    if strict:
        fn["strict"] = True
    return {"type": "function", "function": fn}


def domain_schemas(domain: Domain, strict: bool = False, actor: str = "agent") -> list[dict]:
    return [tool_schema(t, domain, strict) for t in domain.tools.values() if t.actor == actor]
