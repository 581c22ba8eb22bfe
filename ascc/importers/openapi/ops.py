"""Swagger 2.0 and OpenAPI 3.x operations, normalised into one shape the rest of the importer reads.

An `Operation` carries its origin (file, method, path, operationId), its parameters (path, query, header and
body properties, each with a flattened JSON schema) and the flattened schema of the resource it returns. Schemas
are flattened here once: `$ref`s followed, `allOf` merged, `oneOf`/`anyOf` reduced to their first object
variant, cycles cut (a cyclic property becomes an untyped object), so nothing later needs the resolver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ascc.importers.openapi.load import CYCLE, ImportProblem, Resolver

METHODS = ("get", "post", "put", "patch", "delete")
MAX_SCHEMA_DEPTH = 6


@dataclass
class Param:
    name: str  # as the API names it
    location: str  # path, query, header, body, formData, cookie, arg (function schemas)
    required: bool
    schema: dict
    description: str = ""


@dataclass
class Operation:
    api: str  # the API's label: provider/file stem, or the tool list's name
    file: str
    method: str  # get/post/put/patch/delete; "" for function schemas
    path: str  # "" for function schemas
    operation_id: str
    summary: str
    params: list[Param] = field(default_factory=list)
    response: dict = field(default_factory=dict)  # flattened schema of the success response body
    tags: tuple[str, ...] = ()
    path_has_get: bool = False  # whether the same path also has a GET (a collection, not an action)

    @property
    def ident(self) -> str:
        return f"{self.method.upper()} {self.path}" if self.method else self.operation_id

    def origin(self) -> str:
        where = f"{self.method.upper()} {self.path}" if self.method else "function"
        oid = f" (operationId {self.operation_id})" if self.operation_id and self.method else ""
        return f"from {self.file}: {where}{oid}"


@dataclass
class Skipped:
    api: str
    file: str
    ident: str
    reason: str


class SchemaFlattener:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.memo: dict[tuple, dict] = {}  # (file, $ref, depth) -> flattened: shared definitions flatten once

    def flatten(self, node: object, base: Path, stack: tuple = (), depth: int = 0) -> dict:
        """A schema with refs followed and allOf merged; cycles and overly deep nesting become `{}`."""
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            key = (base, node["$ref"], depth)
            if key not in self.memo:
                self.memo[key] = self._flatten(node, base, stack, depth)
            return self.memo[key]
        return self._flatten(node, base, stack, depth)

    def _flatten(self, node: object, base: Path, stack: tuple, depth: int) -> dict:
        node, base, stack = self.resolver.deref(node, base, stack)
        if node is CYCLE or not isinstance(node, dict) or depth > MAX_SCHEMA_DEPTH:
            return {"type": "object", "x-opaque": True} if node is CYCLE or depth > MAX_SCHEMA_DEPTH else {}
        out = {k: v for k, v in node.items() if k not in ("allOf", "oneOf", "anyOf", "properties", "items",
                                                          "additionalProperties", "$ref")}
        props: dict[str, dict] = {}
        required: list[str] = list(node.get("required") or []) if isinstance(node.get("required"), list) else []
        parts = [node]
        if isinstance(node.get("allOf"), list):
            parts = [*node["allOf"], {k: v for k, v in node.items() if k != "allOf"}]
        for part in parts:
            sub = self._shallow(part, base, stack, depth) if part is not node else (node, base, stack)
            s, sbase, sstack = sub
            if s is CYCLE or not isinstance(s, dict):
                continue
            if part is not node:
                merged = self.flatten(s, sbase, sstack, depth)  # nested allOf of the part
                props.update(merged.get("properties", {}))
                required += merged.get("required", [])
                for k in ("type", "description", "enum", "format"):
                    if k in merged and k not in out:
                        out[k] = merged[k]
                continue
            if isinstance(s.get("properties"), dict):
                for name, p in s["properties"].items():
                    if isinstance(name, str):
                        props[name] = self.flatten(p, sbase, sstack, depth + 1)
        for key in ("oneOf", "anyOf"):
            variants = node.get(key)
            if isinstance(variants, list) and variants and not props:
                first = self.flatten(variants[0], base, stack, depth)
                for variant in variants:
                    v = self.flatten(variant, base, stack, depth)
                    if v.get("properties") or v.get("type") not in (None, "null"):
                        first = v
                        break
                props.update(first.get("properties", {}))
                required += first.get("required", [])
                for k in ("type", "format", "enum", "items"):
                    if k in first and k not in out:
                        out[k] = first[k]
        if props:
            out["properties"] = props
            out.setdefault("type", "object")
        if required:
            out["required"] = [r for r in dict.fromkeys(required) if isinstance(r, str)]
        if "items" in node:
            out["items"] = self.flatten(node["items"], base, stack, depth + 1)
        ap = node.get("additionalProperties")
        if isinstance(ap, dict):
            out["additionalProperties"] = self.flatten(ap, base, stack, depth + 1)
        if isinstance(out.get("type"), list):  # 3.1: ["string", "null"]
            types = [t for t in out["type"] if t != "null"]
            out["type"] = types[0] if types else "string"
            if "null" in node["type"]:
                out["nullable"] = True
        return out

    def _shallow(self, part, base, stack, depth):
        return self.resolver.deref(part, base, stack)


def api_title(doc: object) -> str:
    info = doc.get("info") if isinstance(doc, dict) else None
    title = info.get("title") if isinstance(info, dict) else None
    return " ".join(title.split())[:80] if isinstance(title, str) else ""


def operations(path: Path, doc: object, api: str, display: str) -> tuple[list[Operation], list[Skipped]]:
    """Every operation of one description; operations that cannot be read are returned as Skipped."""
    if not isinstance(doc, dict):
        raise ImportProblem("not an OpenAPI description (the document is not a mapping)")
    version = str(doc.get("swagger") or doc.get("openapi") or "")
    if not (version.startswith("2") or version.startswith("3")):
        raise ImportProblem("not an OpenAPI description (no `swagger: 2.0` or `openapi: 3.x` key)")
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        if doc.get("webhooks"):
            return [], []
        raise ImportProblem("the description has no `paths`")
    resolver = Resolver(path, doc)
    flat = SchemaFlattener(resolver)
    swagger2 = version.startswith("2")
    out: list[Operation] = []
    skipped: list[Skipped] = []
    for p, item in paths.items():
        if not isinstance(p, str):
            continue
        try:
            item, ibase, _ = resolver.deref(item, path)
        except ImportProblem as exc:
            skipped.append(Skipped(api, display, f"* {p}", str(exc)))
            continue
        if not isinstance(item, dict):
            continue
        common = item.get("parameters") if isinstance(item.get("parameters"), list) else []
        for method, op in item.items():
            if method in ("parameters", "summary", "description", "servers", "$ref") or method.startswith("x-"):
                continue
            ident = f"{str(method).upper()} {p}"
            if method not in METHODS:
                skipped.append(Skipped(api, display, ident, f"HTTP method {str(method).upper()} is not imported "
                                       "(only GET, POST, PUT, PATCH, DELETE)"))
                continue
            if not isinstance(op, dict):
                skipped.append(Skipped(api, display, ident, "the operation is not a mapping"))
                continue
            try:
                out.append(_operation(flat, ibase, doc, api, display, method, p, op, common, swagger2))
                out[-1].path_has_get = "get" in item
            except ImportProblem as exc:
                skipped.append(Skipped(api, display, ident, str(exc)))
            except RecursionError:
                skipped.append(Skipped(api, display, ident, "its schemas nest too deeply"))
    return out, skipped


def _text(x: object) -> str:
    return " ".join(x.split()) if isinstance(x, str) else ""


def _operation(flat: SchemaFlattener, base: Path, doc: dict, api: str, display: str, method: str, p: str,
               op: dict, common: list, swagger2: bool) -> Operation:
    params: dict[tuple[str, str], Param] = {}
    own = op.get("parameters") if isinstance(op.get("parameters"), list) else []
    for raw in [*common, *own]:
        prm, pbase, _ = flat.resolver.deref(raw, base)
        if not isinstance(prm, dict) or not isinstance(prm.get("name"), str):
            continue
        loc = str(prm.get("in", "query"))
        if loc == "body":
            schema = flat.flatten(prm.get("schema", {}), pbase)
            _body_params(params, schema, "body")
            continue
        schema = flat.flatten(prm["schema"], pbase) if "schema" in prm else \
            {k: v for k, v in prm.items() if k in ("type", "format", "enum", "items", "default", "minimum",
                                                   "maximum", "example", "x-example")}
        params[(prm["name"], loc)] = Param(prm["name"], loc, bool(prm.get("required")) or loc == "path", schema,
                                           _text(prm.get("description")))
    body = op.get("requestBody")
    if body is not None:
        body, bbase, _ = flat.resolver.deref(body, base)
        if isinstance(body, dict):
            schema = flat.flatten(_media_schema(body.get("content")), bbase)
            _body_params(params, schema, "body", bool(body.get("required")))
    response = {}
    responses = op.get("responses") if isinstance(op.get("responses"), dict) else {}
    for code in sorted(responses, key=lambda c: (not str(c).startswith("2"), str(c))):
        if not (str(code).startswith("2") or str(code) == "default"):
            continue
        r, rbase, _ = flat.resolver.deref(responses[code], base)
        if not isinstance(r, dict):
            continue
        raw = r.get("schema") if swagger2 else _media_schema(r.get("content"))
        if raw:
            response = flat.flatten(raw, rbase)
            break
    tags = tuple(t for t in op.get("tags") or () if isinstance(t, str))
    return Operation(api, display, method, p, str(op.get("operationId") or ""),
                     _text(op.get("summary")) or _text(op.get("description")), list(params.values()), response,
                     tags)


def _media_schema(content: object) -> object:
    if not isinstance(content, dict) or not content:
        return {}
    for mt in ("application/json", *content):
        media = content.get(mt)
        if isinstance(media, dict) and "schema" in media:
            return media["schema"]
    return {}


def _body_params(params: dict, schema: dict, loc: str, required_body: bool = True) -> None:
    props = schema.get("properties") or {}
    req = set(schema.get("required") or ())
    for name, s in props.items():
        if s.get("readOnly"):
            continue
        params.setdefault((name, loc), Param(name, loc, required_body and name in req, s,
                                             _text(s.get("description"))))
