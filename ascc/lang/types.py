"""The static types of the spec language and their images in DuckDB, JSON Schema and Python (shared by the
compiler and the runtime)."""

from __future__ import annotations

from dataclasses import dataclass, replace

SCALARS = ("str", "int", "float", "decimal", "bool", "date", "datetime")
NUMERIC = ("int", "decimal", "float")


@dataclass(frozen=True)
class Type:
    """A value's type. `name` is the struct, entity or enum name where the kind has one."""

    kind: str  # str int float decimal bool date datetime enum list map struct row null any
    nullable: bool = False
    precision: int = 0
    scale: int = 0
    values: tuple[str, ...] = ()  # enum values
    elem: Type | None = None  # list element / map value
    name: str = ""
    fields: tuple[tuple[str, Type], ...] = ()  # an anonymous record's fields (`{c: 'economy', n: 1}`)
    members: tuple[Type, ...] = ()  # a union's member types (`int | str`), each not nullable

    def __str__(self) -> str:
        q = "?" if self.nullable and self.kind not in ("null", "any") else ""
        match self.kind:
            case "decimal":
                return f"decimal({self.precision},{self.scale}){q}"
            case "enum":
                shown = ", ".join(self.values[:4]) + (", …" if len(self.values) > 4 else "")
                return f"enum({shown}){q}"
            case "list":
                return f"list[{self.elem}]{q}"
            case "map":
                return f"map[str, {self.elem}]{q}"
            case "struct":
                return f"{self.name}{q}" if self.name else "a record literal"
            case "row":
                return f"{self.name} row{q}"
            case "union":
                return " | ".join(map(str, self.members)) + (" | null" if self.nullable else "")
        return f"{self.kind}{q}"

    def nonnull(self) -> Type:
        return replace(self, nullable=False) if self.nullable else self

    def as_nullable(self) -> Type:
        return self if self.nullable else replace(self, nullable=True)

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC

    @property
    def is_record(self) -> bool:
        return self.kind in ("struct", "row")


STR, INT, FLOAT, BOOL, DATE, DATETIME = (Type(k) for k in ("str", "int", "float", "bool", "date", "datetime"))
NULL, ANY = Type("null", nullable=True), Type("any", nullable=True)


def decimal(p: int = 18, s: int = 2) -> Type:
    return Type("decimal", precision=p, scale=s)


def list_of(t: Type) -> Type:
    return Type("list", elem=t)


def map_of(t: Type) -> Type:
    return Type("map", elem=t)


def row(entity: str) -> Type:
    return Type("row", name=entity)


def assignable(src: Type, dst: Type) -> bool:
    """Whether a value of type `src` may be stored where `dst` is expected."""
    if src.kind == "any" or dst.kind == "any":
        return True
    if DYNAMIC.intersection((src.kind, dst.kind)):
        return dynamic_assignable(src, dst)
    if src.kind == "null":
        return dst.nullable
    if src.nullable and not dst.nullable:
        return False
    if src.kind == dst.kind == "enum":
        return set(src.values) <= set(dst.values)
    if dst.kind == "enum":
        return False
    if src.kind == "enum":
        return dst.kind == "str"
    if dst.kind in NUMERIC and src.kind in NUMERIC:
        return NUMERIC.index(src.kind) <= NUMERIC.index(dst.kind) or dst.kind == "decimal"
    if dst.kind == "datetime" and src.kind == "date":
        return False
    if src.kind in ("list", "map") and src.kind == dst.kind:
        return src.elem is None or dst.elem is None or assignable(src.elem, dst.elem)
    if src.kind == "struct" and dst.kind == "struct":
        return src.name in ("", dst.name)
    if src.kind == "row" and dst.kind == "row":
        return src.name == dst.name
    return src.kind == dst.kind


def comparable(a: Type, b: Type) -> bool:
    if "any" in (a.kind, b.kind) or "null" in (a.kind, b.kind):
        return True
    if "json" in (a.kind, b.kind):
        return jsonable(b if a.kind == "json" else a)
    if a.kind == "union" or b.kind == "union":
        u, other = (a, b) if a.kind == "union" else (b, a)
        return any(comparable(m, other) for m in u.members)
    if a.is_numeric and b.is_numeric:
        return True
    if {a.kind, b.kind} <= {"str", "enum"}:
        return True
    return a.kind == b.kind


def numeric_result(a: Type, b: Type, op: str) -> Type:
    """int op int is int (except `/`, which is decimal); float wins over decimal."""
    kinds = {a.kind, b.kind}
    if "float" in kinds:
        return FLOAT
    if "decimal" in kinds or op == "/":
        s = max(a.scale, b.scale, 2)
        return decimal(38, min(s, 10))
    return INT


def unify(a: Type, b: Type) -> Type | None:
    """The type of `x if c else y`; None where the branches disagree."""
    if a.kind == "null":
        return b.as_nullable()
    if b.kind == "null":
        return a.as_nullable()
    nullable = a.nullable or b.nullable
    if a.is_numeric and b.is_numeric:
        t = a if NUMERIC.index(a.kind) >= NUMERIC.index(b.kind) else b
        return replace(t, nullable=nullable)
    if {a.kind, b.kind} <= {"str", "enum"}:
        if a.kind == b.kind == "enum":
            return Type("enum", nullable, values=tuple(dict.fromkeys(a.values + b.values)))
        return Type("str", nullable)
    if assignable(a.nonnull(), b.nonnull()):
        return replace(b, nullable=nullable)
    if assignable(b.nonnull(), a.nonnull()):
        return replace(a, nullable=nullable)
    return None


def to_json(t: Type) -> dict:
    out: dict = {"kind": t.kind}
    if t.nullable:
        out["nullable"] = True
    if t.kind == "decimal":
        out["precision"], out["scale"] = t.precision, t.scale
    if t.values:
        out["values"] = list(t.values)
    if t.elem is not None:
        out["elem"] = to_json(t.elem)
    if t.name:
        out["name"] = t.name
    if t.fields:
        out["fields"] = {n: to_json(ft) for n, ft in t.fields}
    if t.members:
        out["members"] = [to_json(m) for m in t.members]
    return out


def from_json(d: dict) -> Type:
    return Type(d["kind"], d.get("nullable", False), d.get("precision", 0), d.get("scale", 0),
                tuple(d.get("values", ())), from_json(d["elem"]) if "elem" in d else None, d.get("name", ""),
                tuple((n, from_json(ft)) for n, ft in d.get("fields", {}).items()),
                tuple(from_json(m) for m in d.get("members", ())))


# ---- untyped (`json`) and union (`int | str`) values

DYNAMIC = frozenset(("json", "union"))  # kinds whose values are held as JSON text in a row
JSON = Type("json")
UNION_MEMBERS = ("str", "int", "float", "bool", "list", "map")  # kinds a union may hold: exact in JSON


def is_dynamic(t: Type | None) -> bool:
    return t is not None and t.kind in DYNAMIC


def jsonable(t: Type) -> bool:
    """Whether values of `t` can be held by a `json` value (everything but whole rows)."""
    if t.kind in ("list", "map"):
        return t.elem is None or jsonable(t.elem)
    if t.kind == "struct" and not t.name:
        return all(jsonable(ft) for _, ft in t.fields)
    return t.kind != "row"


def union(members: list[Type], nullable: bool = False) -> Type:
    """A union of `members` (nested unions flattened, repeats dropped); one member is that member."""
    flat: list[Type] = []
    for m in members:
        nullable = nullable or m.nullable
        for x in (m.members if m.kind == "union" else (m,)):
            x = x.nonnull()
            if x not in flat:
                flat.append(x)
    if len(flat) == 1:
        return replace(flat[0], nullable=nullable)
    return Type("union", nullable, members=tuple(flat))


def dynamic_assignable(src: Type, dst: Type) -> bool:
    if dst.kind == "json":
        return jsonable(src)
    if src.kind == "json":
        return False  # a json value is used as a type only after a test: `type_of(x) == "int"`
    if src.kind == "null":
        return dst.nullable
    if src.nullable and not dst.nullable:
        return False
    if src.kind == "union":
        return all(assignable(m, dst.nonnull() if dst.kind != "union" else replace(dst, nullable=False))
                   for m in src.members)
    return any(assignable(src.nonnull(), m) for m in dst.members)


def narrowed_to(t: Type, kinds: set[str], excluded: set[str]) -> Type:
    """`t` (json or a union) where `type_of()` is known to be in `kinds` (if any) and not in `excluded`."""
    def kind_of(m: Type) -> str:
        return m.kind if m.kind in UNION_MEMBERS else ("str" if m.kind == "enum" else m.kind)

    if t.kind == "json":
        if len(kinds) == 1:
            (k,) = kinds
            return {"list": list_of(JSON), "map": map_of(JSON), "null": NULL}.get(k, Type(k))
        return t
    members = [m for m in t.members if (not kinds or kind_of(m) in kinds) and kind_of(m) not in excluded]
    nullable = t.nullable and "null" not in excluded and (not kinds or "null" in kinds)
    if not members:
        return NULL if nullable else t
    return union(members, nullable)
