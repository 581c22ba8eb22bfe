"""One domain's operations drafted into an ascc spec (plain data, dumped by ruamel.yaml, never spliced text).

The mapping, rule by rule (docs/import.md has it with an example):

- a resource is a path's last literal segment (`/users/{id}/repos` -> `repo`), singularised; its fields are the
  properties of the schemas that carry it (the one-item GET's response, the items of a collection GET's
  array, the POST/PUT/PATCH body), plus one field per parent path parameter (a `ref:` to the parent when the
  parent is a resource of the same domain). Keys are strings (URLs carry them as text).
- GET `/things/{id}` -> a read that looks the row up (`else "Thing … not found"`); GET `/things` -> a read
  returning the rows that match the filters it shares with the resource's fields; POST `/things` -> a write
  inserting a row with a new key; PUT/PATCH `/things/{id}` -> a write updating the fields of the body; DELETE
  `/things/{id}` -> a write deleting the row; POST `/things/{id}/cancel` (a verb after an id) -> an update of
  the resource's status enum to the value named like the verb, otherwise an insert into the domain's
  `recorded_action` entity. A POST whose operationId starts with a read verb (`describe…`, `search…`) reads.
- every write changes the state: an update with nothing to set, a PUT on a collection and the like are recorded
  actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ascc.importers.openapi.names import Namer, singular, snake
from ascc.importers.openapi.ops import Operation, Param

READ_VERBS = ("get", "list", "describe", "search", "find", "query", "lookup", "fetch", "retrieve", "read",
              "show", "check", "count", "view", "download", "export", "estimate", "preview", "validate")
INSERT_VERBS = ("create", "add", "insert", "post", "new", "register", "upload", "submit", "put", "make")
UPDATE_VERBS = ("update", "set", "modify", "edit", "change", "patch", "rename", "replace")
DELETE_VERBS = ("delete", "remove", "destroy", "drop", "purge", "clear", "unregister")
MAX_FIELDS = 24
MAX_STRUCT_FIELDS = 12
SEED_ROWS = 15
SCALARS = ("str", "int", "float", "bool", "date", "datetime")
LITERAL_OK = re.compile(r"^[^'\"\\\n\r\t{}]{1,60}$")


@dataclass
class FieldDef:
    name: str
    type: str | None  # None when `enum` is set
    enum: list | None = None
    ref: str | None = None
    description: str = ""
    schema: dict = field(default_factory=dict)


@dataclass
class Entity:
    name: str
    label: str  # the path segment it came from
    key: str = ""
    fields: dict[str, FieldDef] = field(default_factory=dict)
    description: str = ""
    prefix: str = "X"


@dataclass
class Shape:
    """Where an operation sits: its resource, its role, and the parent path parameters."""

    resource: tuple[str, str]  # (api, segment)
    role: str  # item, collection, action
    verb: str = ""  # the action segment
    item_param: str | None = None
    parents: list[tuple[str, str]] = field(default_factory=list)  # (segment, param name)


def _segments(path: str) -> list[tuple[str, bool]]:
    path = re.split(r"[?#]", path, maxsplit=1)[0]
    out = []
    for s in path.split("/"):
        if not s:
            continue
        m = re.search(r"\{([^}]+)\}", s)
        out.append((m.group(1), True) if m else (s, False))
    return out


def _first_word(op: Operation) -> str:
    w = snake(op.operation_id).split("_")[0] if op.operation_id else ""
    return w


def shape_of(op: Operation, get_paths: set[tuple[str, str]], fallback: str) -> Shape:
    segs = _segments(op.path)
    if not op.method:  # function schemas: the resource is the name's noun, the verb its first word
        parts = snake(op.operation_id).split("_")
        noun = "_".join(parts[1:]) if len(parts) > 1 and parts[0] in (*READ_VERBS, *INSERT_VERBS, *UPDATE_VERBS,
                                                                      *DELETE_VERBS) else "_".join(parts)
        return Shape((op.api, singular(noun.split("_")[-1] if noun else parts[0])), "function")
    if not segs:
        return Shape((op.api, fallback), "collection")
    statics = [i for i, (_, is_param) in enumerate(segs) if not is_param]
    last_i = statics[-1] if statics else -1
    parents: list[tuple[str, str]] = []
    for i, (s, is_param) in enumerate(segs):
        if is_param:
            parents.append((segs[i - 1][0] if i > 0 and not segs[i - 1][1] else s, s))
    last, last_is_param = segs[-1]
    if last_is_param:
        seg = segs[last_i][0] if last_i >= 0 else last
        return Shape((op.api, seg), "item", item_param=last, parents=parents[:-1])
    if (len(segs) >= 2 and segs[-2][1] and op.method != "get" and not op.path_has_get
            and not _plural(last)):
        prev = [i for i in statics if i < len(segs) - 2]
        owner = segs[prev[-1]][0] if prev else segs[-2][0]
        return Shape((op.api, owner), "action", verb=last, item_param=segs[-2][0], parents=parents[:-1])
    return Shape((op.api, segs[last_i][0] if last_i >= 0 else fallback), "collection", parents=parents)


def _plural(word: str) -> bool:
    w = snake(word)
    return w.endswith("s") and not w.endswith(("ss", "us", "is"))


def resource_name(seg: str) -> str:
    return singular(snake(re.sub(r"\.(json|xml|csv)$", "", seg)))


# ---------------------------------------------------------------- field types


def field_type(name: str, s: dict, structs: dict, namer: Namer, depth: int = 0) -> tuple[str | None, list | None]:
    """(type string, enum values) for a flattened JSON schema."""
    t = s.get("type")
    enum = s.get("enum")
    if isinstance(enum, list) and enum and t in (None, "string"):
        vals = list(dict.fromkeys(v for v in enum if isinstance(v, str) and LITERAL_OK.match(v)))
        if len(vals) == len(enum) and len(vals) <= 40:
            return None, vals
    if t == "integer":
        return "int", None
    if t == "number":
        return "float", None
    if t == "boolean":
        return "bool", None
    if t == "string" or (t is None and not s.get("properties") and "items" not in s):
        fmt = s.get("format")
        return {"date": "date", "date-time": "datetime"}.get(fmt, "str"), None
    if t == "array" or "items" in s:
        it = s.get("items") if isinstance(s.get("items"), dict) else {}
        inner, ienum = field_type(name, it, structs, namer, depth + 1)
        if ienum is not None or inner is None:
            inner = "str"
        if inner.startswith("list["):
            inner = "str"
        return f"list[{inner}]", None
    # an object: a struct of its scalar properties, else a map
    props = s.get("properties") or {}
    if props and depth == 0:
        members = {}
        for pname, ps in list(props.items())[:MAX_STRUCT_FIELDS]:
            pt, pe = field_type(pname, ps, structs, namer, depth + 1)
            if pe is not None:
                pt = "str"
            if pt in SCALARS:
                members.setdefault(snake(pname), pt)
        if members:
            for sname, existing in structs.items():
                if existing == members:
                    return sname, None
            sname = namer.get(snake(name) + "_info")
            structs[sname] = members
            return sname, None
    ap = s.get("additionalProperties")
    if isinstance(ap, dict) and ap.get("type") in ("integer", "number", "boolean"):
        return f"map[str, {field_type(name, ap, structs, namer, depth + 1)[0]}]", None
    return "map[str, str]", None


# ---------------------------------------------------------------- seed values


FAKER_BY_NAME = [
    (r"e_?mail", "faker.email"), (r"first_?name|given_?name", "faker.first_name"),
    (r"last_?name|surname|family_?name", "faker.last_name"), (r"user_?name|login|handle|nickname", "faker.user_name"),
    (r"(^|_)name$|full_?name|display_?name", "faker.name"), (r"phone|mobile|fax", "faker.phone_number"),
    (r"street|address", "faker.street_address"), (r"city|town", "faker.city"), (r"country_?code", "faker.country_code"),
    (r"country", "faker.country"), (r"state|region|province", "faker.state"), (r"zip|post_?code|postal", "faker.postcode"),
    (r"company|organi[sz]ation|employer", "faker.company"), (r"url|uri|link|website|href|homepage", "faker.url"),
    (r"image|avatar|photo|picture|icon", "faker.image_url"), (r"uuid|guid", "faker.uuid4"),
    (r"currency", "faker.currency_code"), (r"lang|locale", "faker.language_code"), (r"colou?r", "faker.color_name"),
    (r"ip_?address|(^|_)ip$", "faker.ipv4"), (r"title|subject|headline", "faker.catch_phrase"),
    (r"description|summary|comment|note|message|text|body|content|bio|about", "faker.sentence"),
    (r"job|occupation|position", "faker.job"), (r"file_?name", "faker.file_name"), (r"mime|content_?type", "faker.mime_type"),
    (r"timezone|time_?zone", "faker.timezone"), (r"password|secret|token", "faker.password"),
    (r"(^|_)code$|sku|serial", "faker.ean8"), (r"tag|label|category|keyword|type|kind", "faker.word"),
]


def _lit(v: str) -> str:
    """A string literal of the expression language (LITERAL_OK values hold no quotes or backslashes)."""
    return '"' + v + '"'


def seed_expr(f: FieldDef, structs: dict) -> str | None:
    if f.ref:
        return f"pick({f.ref})"
    if f.enum is not None:
        return "choice(" + ", ".join(_lit(v) for v in f.enum) + ")"
    s = f.schema
    t = f.type
    if t == "bool":
        return "choice(true, false)"
    if t == "int":
        lo, hi = s.get("minimum"), s.get("maximum")
        lo = int(lo) if isinstance(lo, (int, float)) and not isinstance(lo, bool) and abs(lo) < 1e12 else 1
        hi = int(hi) if isinstance(hi, (int, float)) and not isinstance(hi, bool) and abs(hi) < 1e12 else lo + 999
        if hi < lo:
            hi = lo
        return f"randint({lo}, {hi})"
    if t == "float":
        return "float(uniform(0, 1000, 2))"
    if t == "date":
        return 'date_between("2024-01-01", "2025-12-31")'
    if t == "datetime":
        return 'datetime_between("2024-01-01T00:00:00", "2025-12-31T23:59:59")'
    if t == "list[str]":
        return "repeat(0, 3, faker.word())"
    if t == "list[int]":
        return "repeat(0, 3, randint(1, 100))"
    if t != "str":
        return None  # structs, maps, other lists stay null
    fmt = s.get("format")
    by_format = {"email": "faker.email", "uri": "faker.url", "url": "faker.url", "uuid": "faker.uuid4",
                 "ipv4": "faker.ipv4", "ipv6": "faker.ipv6", "hostname": "faker.hostname",
                 "password": "faker.password", "byte": "faker.sha1", "binary": "faker.sha1",
                 "date": 'str(date_between("2024-01-01", "2025-12-31"))'}
    if fmt in by_format:
        return by_format[fmt]
    ex = s.get("example", s.get("x-example"))
    for pattern, gen in FAKER_BY_NAME:
        if re.search(pattern, f.name):
            return gen
    if isinstance(ex, str) and LITERAL_OK.match(ex):
        return f"choice({_lit(ex)}, faker.word())"
    return "faker.word"


def examples_of(s: dict) -> list | None:
    ex = s.get("example", s.get("x-example"))
    if isinstance(ex, str) and LITERAL_OK.match(ex) and s.get("type") in (None, "string") and not s.get("enum") \
            and s.get("format") not in ("date", "date-time"):
        return [ex]
    return None


# ---------------------------------------------------------------- the domain


def _items_schema(s: dict) -> dict:
    """The record schema inside a collection response: the array's items, or the first array property's."""
    if s.get("type") == "array" or "items" in s:
        return s.get("items") or {}
    for p in (s.get("properties") or {}).values():
        if (p.get("type") == "array" or "items" in p) and (p.get("items") or {}).get("properties"):
            return p["items"]
    return {}


def _verb_kind(op: Operation) -> str | None:
    w = _first_word(op)
    for kind, verbs in (("read", READ_VERBS), ("insert", INSERT_VERBS), ("update", UPDATE_VERBS),
                        ("delete", DELETE_VERBS)):
        if w in verbs:
            return kind
    return None


@dataclass
class ToolPlan:
    op: Operation
    shape: Shape
    kind: str  # lookup, query, insert, update, delete, status, record
    entity: str
    name: str = ""
    status_value: str | None = None


class DomainDraft:
    """Entities, tools and seed of one domain, built from its operations."""

    def __init__(self, name: str, ops: list[Operation], title: str = "", plain_seed: bool = False) -> None:
        self.name = name
        self.plain_seed = plain_seed  # seed keys and references only (the fallback when a seed value fails)
        self.title = title or name
        self.ops = ops
        self.namer = Namer()  # entities, types and tools share one namespace
        self.entities: dict[tuple[str, str], Entity] = {}
        self.structs: dict[str, dict] = {}
        self.plans: list[ToolPlan] = []
        self.action_entity: str | None = None
        self._build()

    # -- resources
    def _entity(self, key: tuple[str, str]) -> Entity:
        if key not in self.entities:
            base = resource_name(key[1])
            if any(e.label == key[1] for e in self.entities.values()):  # the same word from another API
                base = f"{snake(key[0].split('/')[-1])}_{base}"
            name = self.namer.get(base)
            prefix = "".join(w[0] for w in name.split("_") if w)[:3].upper() or "X"
            self.entities[key] = Entity(name, key[1], prefix=prefix)
        return self.entities[key]

    def _build(self) -> None:
        get_paths = {(o.api, o.path) for o in self.ops if o.method == "get"}
        shapes = [(op, shape_of(op, get_paths, self._fallback(op))) for op in self.ops]
        # first pass: entities and their record schemas
        records: dict[tuple[str, str], list[dict]] = {}
        for op, sh in shapes:
            ent = self._entity(sh.resource)
            body = {"type": "object", "properties": {p.name: p.schema for p in op.params if p.location == "body"}}
            if sh.role == "item" and op.method == "get":
                records.setdefault(sh.resource, []).append(op.response)
            elif sh.role == "collection" and op.method == "get":
                records.setdefault(sh.resource, []).append(_items_schema(op.response))
            elif sh.role == "function":
                args = {p.name: p.schema for p in op.params}
                records.setdefault(sh.resource, []).append({"properties": args})
            if op.method in ("post", "put", "patch") and sh.role in ("item", "collection"):
                records.setdefault(sh.resource, []).append(body)
            if sh.item_param and not ent.key:
                ent.key = sh.item_param
            if not ent.description:
                d = op.response.get("description") if isinstance(op.response.get("description"), str) else ""
                ent.description = " ".join(d.split())[:300]
        for res, ent in self.entities.items():
            self._fields(ent, records.get(res, []))
        # parent references
        by_label = {(k[0], e.label): e for k, e in self.entities.items()}
        for _op, sh in shapes:
            ent = self.entities[sh.resource]
            for seg, pname in sh.parents:
                fname = snake(pname)
                if fname == ent.key or fname in ent.fields:
                    continue
                parent = by_label.get((sh.resource[0], seg))
                ref = parent.name if parent is not None and parent is not ent else None
                ent.fields[fname] = FieldDef(fname, "str" if ref is None else None, ref=ref,
                                             description=f"The {seg} this {ent.name} belongs to.")
        self._link_ids()
        self._break_ref_cycles()
        for op, sh in shapes:
            self.plans.append(self._plan(op, sh))
        tool_namer = self.namer
        for plan in self.plans:
            plan.name = tool_namer.get(self._tool_name(plan))

    def _fallback(self, op: Operation) -> str:
        return op.tags[0] if op.tags else op.api.split("/")[-1]

    def _fields(self, ent: Entity, schemas: list[dict]) -> None:
        props: dict[str, dict] = {}
        for s in schemas:
            for pname, ps in (s.get("properties") or {}).items():
                props.setdefault(pname, ps)
        key_api = ent.key
        if "id" in props:
            ent.key = "id"
        elif key_api:
            ent.key = snake(key_api)
        else:
            ent.key = snake(ent.name) + "_id" if not snake(ent.name).endswith("_id") else snake(ent.name)
        for pname, ps in props.items():
            fname = snake(pname)
            if fname == ent.key or fname in ent.fields:
                continue
            if len(ent.fields) >= MAX_FIELDS:
                break
            t, enum = field_type(pname, ps, self.structs, self.namer)
            desc = ps.get("description") if isinstance(ps.get("description"), str) else ""
            ent.fields[fname] = FieldDef(fname, t, enum, description=" ".join(desc.split())[:200], schema=ps)

    def _link_ids(self) -> None:
        """`userId` / `user_id` text fields refer to the domain's `user` entity (its key is text too)."""
        names = {e.name: e for e in self.entities.values()}
        for e in self.entities.values():
            for f in e.fields.values():
                if f.type == "str" and f.ref is None and f.name.endswith("_id"):
                    target = names.get(f.name[:-3])
                    if target is not None and target is not e:
                        f.ref, f.type = target.name, None

    def _break_ref_cycles(self) -> None:
        """Seed generators pick parents that already have rows: keep refs acyclic (later ones become text)."""
        order: list[str] = []
        ents = {e.name: e for e in self.entities.values()}
        state: dict[str, int] = {}

        def visit(n: str) -> None:
            state[n] = 1
            for f in ents[n].fields.values():
                if f.ref:
                    if state.get(f.ref) == 1 or f.ref == n:
                        f.ref, f.type = None, "str"
                    elif f.ref not in state:
                        visit(f.ref)
            state[n] = 2
            order.append(n)

        for n in ents:
            if n not in state:
                visit(n)
        self.seed_order = order

    # -- tools
    def _plan(self, op: Operation, sh: Shape) -> ToolPlan:
        ent = self.entities[sh.resource]
        vk = _verb_kind(op)
        m = op.method
        if sh.role == "function":
            has_key = self._key_param(op, ent) is not None
            kind = {"read": "lookup" if has_key and len(op.params) == 1 else "query", "insert": "insert",
                    "update": "update" if has_key else "record",
                    "delete": "delete" if has_key else "record"}.get(vk or "", "record")
            if kind == "record" and has_key and self._status_value(ent, _first_word(op)):
                kind = "status"
                sh.verb = _first_word(op)
        elif m == "get" or (m == "post" and vk == "read" and sh.role != "action"):
            kind = "lookup" if sh.role == "item" and m == "get" else "query"
        elif sh.role == "item":
            kind = "delete" if m == "delete" else "update"
        elif sh.role == "action":
            kind = "status"
        elif m == "post":
            kind = "insert"
        elif m in ("put", "patch") and self._body_key(op, ent):
            kind = "update"  # PUT /things with the thing's key in the body
        else:
            kind = "record"
        plan = ToolPlan(op, sh, kind, ent.name)
        if kind == "update" and not self._settable(op, ent):
            plan.kind = "record"
        if kind == "status":
            plan.status_value = self._status_value(ent, sh.verb)
            if plan.status_value is None:
                plan.kind = "record"
        if plan.kind == "record" and self.action_entity is None:
            self.action_entity = self.namer.get("recorded_action")
        return plan

    def _key_param(self, op: Operation, ent: Entity) -> Param | None:
        for p in op.params:
            if snake(p.name) in (ent.key, f"{ent.name}_id") and p.required:
                return p
        return None

    def _body_key(self, op: Operation, ent: Entity) -> Param | None:
        return next((p for p in op.params if p.location in ("body", "formData") and snake(p.name) == ent.key), None)

    def _settable(self, op: Operation, ent: Entity) -> list[Param]:
        return [p for p in op.params if p.location in ("body", "arg", "formData") and snake(p.name) in ent.fields
                and snake(p.name) != ent.key]

    def _status_value(self, ent: Entity, verb: str) -> str | None:
        stem = snake(verb)[:5]
        for fname in ("status", "state"):
            f = ent.fields.get(fname)
            if f is not None and f.enum and len(stem) >= 3:
                for v in f.enum:
                    if snake(v).startswith(stem):
                        return v
        return None

    def _tool_name(self, plan: ToolPlan) -> str:
        op = plan.op
        if op.operation_id:
            return snake(op.operation_id)
        segs = [snake(s) for s, is_param in _segments(op.path) if not is_param]
        return snake(f"{op.method}_{'_'.join(segs[-3:]) or 'root'}")

    # -- the spec as data
    def spec(self) -> dict:
        spec: dict = {}
        spec["domain"] = self.name
        spec["version"] = 1
        spec["description"] = _one_line(f"Imported from {self.title}.", 300)
        spec["policy"] = (f"You are the assistant of {self.title}. Use the tools to look records up and to "
                          "change them on the user's behalf; ask the user for the identifiers you need and do "
                          "not guess them.\n")
        spec["clock"] = {"today": "2025-06-02", "now": "2025-06-02T10:00:00"}
        if self.structs:
            spec["types"] = {n: {m: {"type": t, "nullable": True} for m, t in members.items()}
                             for n, members in self.structs.items()}
        tools = {plan.name: self._tool_spec(plan) for plan in self.plans}
        ents = {}
        for e in self.entities.values():
            ents[e.name] = self._entity_spec(e)
        if self.action_entity:
            ents[self.action_entity] = {
                "key": "action_id",
                "description": "An action a tool performed that the API's schemas give no field for.",
                "fields": {"action_id": "str", "action": "str", "resource": "str",
                           "target": {"type": "str", "nullable": True}, "at": "datetime"}}
        spec["entities"] = ents
        spec["tools"] = tools
        gen = {}
        by_name = {e.name: e for e in self.entities.values()}
        for n in self.seed_order:
            e = by_name[n]
            fields = {e.key: f'seq("{e.prefix}", 4)'}
            for f in e.fields.values():
                if self.plain_seed and not f.ref:
                    continue
                x = seed_expr(f, self.structs)
                if x is not None:
                    fields[f.name] = x
            gen[n] = {"count": SEED_ROWS, "fields": fields}
        spec["seed"] = {"random_seed": 7, "generate": gen}
        return spec

    def _entity_spec(self, e: Entity) -> dict:
        fields = {e.key: {"type": "str", "description": f"The {e.name}'s identifier."}}
        for f in e.fields.values():
            d: dict = {"ref": f.ref} if f.ref else ({"enum": f.enum} if f.enum is not None else {"type": f.type})
            d["nullable"] = True
            if f.description:
                d["description"] = f.description
            fields[f.name] = d
        out = {"key": e.key}
        if e.description:
            out["description"] = e.description
        out["fields"] = fields
        return out

    def _param_spec(self, p: Param, ent: Entity, as_field: FieldDef | None) -> dict | None:
        if as_field is not None:
            f = as_field
            d: dict = {"ref": f.ref} if f.ref else ({"enum": f.enum} if f.enum is not None else {"type": f.type})
        else:
            t, enum = field_type(p.name, p.schema, {}, Namer())
            if enum is not None:
                d = {"enum": enum}
            elif t in SCALARS or t in ("list[str]", "list[int]", "list[float]"):
                d = {"type": t}
            else:
                return None
            ex = examples_of(p.schema)
            if ex:
                d["examples"] = ex
        if not p.required:
            d["optional"] = True
        desc = p.description or (as_field.description if as_field else "")
        if desc:
            d["description"] = _one_line(desc, 300)
        return d

    def _tool_spec(self, plan: ToolPlan) -> dict:
        op, sh, ent = plan.op, plan.shape, self._by_name(plan.entity)
        pnamer = Namer()
        params: dict[str, dict] = {}
        key_param: str | None = None
        filters: list[tuple[str, str, bool]] = []  # (param, field, required)
        sets: list[tuple[str, str, bool]] = []
        item_names = {sh.item_param} if sh.item_param else set()
        if sh.role == "function":
            kp = self._key_param(op, ent)
            item_names = {kp.name} if kp and plan.kind in ("lookup", "update", "delete", "status", "record") \
                else set()
        elif sh.role == "collection" and plan.kind == "update":
            item_names = {self._body_key(op, ent).name}
        parent_names = {pn for _, pn in sh.parents}
        for p in op.params:
            if p.location in ("header", "cookie"):
                continue
            pname = snake(p.name)
            if p.name in item_names and (p.location in ("path", "arg") or sh.role == "collection"):
                key_param = pnamer.get(pname)
                params[key_param] = {"ref": ent.name, "description": _one_line(
                    p.description or f"The {ent.name}'s identifier.", 300)}
                continue
            if p.location == "path" and p.name in parent_names and pname in ent.fields:
                name = pnamer.get(pname)
                params[name] = self._param_spec(p, ent, ent.fields[pname]) or {"type": "str"}
                params[name].pop("optional", None)
                (sets if plan.kind == "insert" else filters).append((name, pname, True))
                continue
            if pname == ent.key and plan.kind in ("insert", "update"):
                continue  # the key is the path's (or a new one), never the body's
            field_def = ent.fields.get(pname) if pname != ent.key else None
            writes = plan.kind in ("insert", "update") and p.location in ("body", "formData", "arg")
            if field_def is not None and (writes or (plan.kind == "query" and field_def.type != "map[str, str]"
                                                     and (field_def.type in SCALARS or field_def.enum))):
                spec = self._param_spec(p, ent, field_def)
                name = pnamer.get(pname)
                params[name] = spec
                (sets if writes else filters).append((name, pname, p.required))
                continue
            spec = self._param_spec(p, ent, None)
            if spec is not None:
                params[pnamer.get(pname)] = spec
        kind = plan.kind
        if kind in ("lookup", "update", "delete", "status") and key_param is None:
            kind = "query" if kind == "lookup" else "record"
        if kind == "record" and plan.kind != "record" and self.action_entity is None:
            self.action_entity = self.namer.get("recorded_action")
        out: dict = {"kind": "read" if kind in ("lookup", "query") else "write",
                     "description": _one_line(op.summary or _default_description(op, ent), 500)}
        if params:
            out["params"] = params
        miss = f'"{_title(ent.name)} {{{key_param}}} not found"' if key_param else ""
        look = f"{ent.name}[${key_param}] else {miss}" if key_param else ""
        if kind == "lookup":
            out["let"] = {"found": look}
            out["returns"] = "found"
        elif kind == "query":
            conds = [f"r.{f} == ${p}" if req else f"(${p} == null or r.{f} == ${p})" for p, f, req in filters]
            out["returns"] = f"[r for r in {ent.name}.all() if {' and '.join(conds)}]" if conds \
                else f"{ent.name}.all()"
        elif kind == "insert":
            out["let"] = {"new_key": f'new_id("{ent.prefix}", 6)'}
            row = {ent.key: "new_key"}
            for p, f, _ in sets:
                row[f] = f"${p}"
            out["effects"] = [{f"insert {ent.name}": row}]
            out["returns"] = f"{ent.name}[new_key]"
        elif kind == "update":
            out["let"] = {"found": look}
            out["effects"] = [{"update found": {f: (f"${p}" if req else f"coalesce(${p}, {f})")
                                                for p, f, req in sets}}]
            out["returns"] = f"{ent.name}[${key_param}]"
        elif kind == "delete":
            out["let"] = {"found": look}
            out["effects"] = ["delete found"]
            out["returns"] = {"deleted": f"${key_param}"}
        elif kind == "status":
            v = plan.status_value
            fld = "status" if "status" in ent.fields and ent.fields["status"].enum else "state"
            out["let"] = {"found": look}
            out["requires"] = [f'found.{fld} != {_lit(v)} else "The {_title(ent.name)} is already {v}"']
            out["effects"] = [{"update found": {fld: _lit(v)}}]
            out["returns"] = f"{ent.name}[${key_param}]"
        else:  # record
            let = {}
            if key_param:
                let["found"] = look
            let["new_key"] = 'new_id("ACT", 6)'
            out["let"] = let
            row = {"action_id": "new_key", "action": _lit(plan.name), "resource": _lit(ent.name), "at": "now()"}
            if key_param:
                row["target"] = f"${key_param}"
            out["effects"] = [{f"insert {self.action_entity}": row}]
            out["returns"] = f"{self.action_entity}[new_key]"
        plan.kind = kind
        return out

    def _by_name(self, name: str) -> Entity:
        return next(e for e in self.entities.values() if e.name == name)


def _title(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _one_line(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _default_description(op: Operation, ent: Entity) -> str:
    if op.operation_id:
        said = _title(snake(op.operation_id).rstrip("_"))
        return f"{said} ({op.method.upper()} {op.path})." if op.method else f"{said}."
    segs = _segments(op.path)
    if op.method != "get" and len(segs) >= 2 and segs[-2][1] and not segs[-1][1]:
        what = _title(snake(segs[-1][0]))  # POST /pets/{id}/vaccinate: "Vaccinate pet"
    else:
        what = {"get": "Get", "post": "Create", "put": "Replace", "patch": "Update", "delete": "Delete"}[op.method]
    return f"{what} {ent.name.replace('_', ' ')} ({op.method.upper()} {op.path})."
