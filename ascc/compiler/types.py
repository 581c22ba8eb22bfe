"""The static types of the spec language and their images in DuckDB, JSON Schema and Python."""

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
    return out


def from_json(d: dict) -> Type:
    return Type(d["kind"], d.get("nullable", False), d.get("precision", 0), d.get("scale", 0),
                tuple(d.get("values", ())), from_json(d["elem"]) if "elem" in d else None, d.get("name", ""),
                tuple((n, from_json(ft)) for n, ft in d.get("fields", {}).items()))
