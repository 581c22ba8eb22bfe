"""Passes that resolve names and types: struct types, entities and their fields, tool parameters."""

from __future__ import annotations

import keyword
from decimal import InvalidOperation

from ascc.compiler import types as T
from ascc.compiler.ir import Entity, Field, Param, Struct
from ascc.compiler.regex import pattern_problem
from ascc.compiler.types import Type
from ascc.diagnostics import DiagnosticBag, Label, did_you_mean
from ascc.dsl import ast
from ascc.dsl.raw import RawField, RawParam, RawSpec
from ascc.dsl.yamlnodes import YScalar
from ascc.lang.values import convert_value  # seed.py and seedeval.py import it from here

UNINDEXABLE = ("list", "map", "struct")  # kinds DuckDB refuses as a UNIQUE index key
BUILTIN_TYPES = ("str", "int", "float", "decimal", "bool", "date", "datetime", "list", "map")
# Names the generated module itself uses; a spec name equal to one of them gets a trailing underscore.
RESERVED_PY = {"ctx", "B", "Decimal", "ToolError", "Context", "dt", "date", "datetime", "Any", "annotations",
               "TOOLS", "CHECKS", "DOMAIN", "self", "row",
               "l", "O", "I"}  # the last three: ambiguous-looking names that linters flag (E741)


def py_name(name: str) -> str:
    """A safe Python identifier for a spec name: keywords and reserved names get a trailing underscore."""
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in RESERVED_PY or name in dir(__builtins__):
        return name + "_"
    if name.startswith("_"):
        return "v" + name
    return name


class TypeResolver:
    """Turns written types (`decimal(10,2)`, `list[payment]`, `{enum: [...]}`, `{ref: order}`) into `Type`s."""

    def __init__(self, raw: RawSpec, bag: DiagnosticBag):
        self.bag = bag
        self.struct_names = {s.name.value for s in raw.types}
        self.entity_keys: dict[str, RawField | None] = {}
        for e in raw.entities:
            key = e.key.value if e.key else None
            self.entity_keys[e.name.value] = next((f for f in e.fields if f.name.value == key), None)
        self.resolving: set[str] = set()

    def type_expr(self, t: ast.TypeExpr) -> Type | None:
        base = self._base(t)
        return base.as_nullable() if base is not None and t.nullable else base

    def _base(self, t: ast.TypeExpr) -> Type | None:
        name, args = t.name, t.args
        if name in ("|", "json"):
            from ascc.compiler.dynamic import resolve_dynamic

            return resolve_dynamic(self, t)
        if name == "decimal":
            p, s = (args + (18, 2))[:2] if len(args) < 2 else args[:2]
            if len(args) == 1:
                p, s = args[0], 0
            if not (1 <= p <= 38 and 0 <= s <= p):
                self.bag.error("E201", f"`decimal({p},{s})` is out of range", t.span,
                               help="precision is 1..38 and scale 0..precision, e.g. decimal(10,2)")
                return None
            return T.decimal(p, s)
        if name in ("list", "map"):
            return self._generic(t)
        if args:
            self.bag.error("E202", f"type `{name}` takes no arguments", t.span)
            return None
        if name in T.SCALARS:
            return Type(name)
        if name in self.struct_names:
            return Type("struct", name=name)
        if name in self.entity_keys:
            self.bag.error("E203", f"`{name}` is an entity, not a type", t.span,
                           help=f"to refer to a `{name}` row, write `{{ref: {name}}}`")
            return None
        self.bag.error("E204", f"unknown type `{name}`", t.span,
                       help=did_you_mean(name, (*T.SCALARS, *self.struct_names)))
        return None

    def _generic(self, t: ast.TypeExpr) -> Type | None:
        types = [a for a in t.args if isinstance(a, ast.TypeExpr)]
        if t.name == "list":
            if len(types) != 1:
                self.bag.error("E202", "`list` takes one element type, as in `list[str]`", t.span)
                return None
            elem = self.type_expr(types[0])
            return T.list_of(elem) if elem else None
        if len(types) != 2 or types[0].name != "str" or types[0].nullable:
            self.bag.error("E202", "`map` is keyed by strings: write `map[str, T]`", t.span)
            return None
        elem = self.type_expr(types[1])
        return T.map_of(elem) if elem else None

    def of(self, f: RawField | RawParam, nullable: bool = False) -> Type | None:
        """The type a field or parameter declares through `type:`, `enum:` or `ref:`."""
        t: Type | None = None
        if f.type is not None:
            t = self.type_expr(f.type)
        elif f.enum is not None:
            values = [str(v.value) for v in f.enum]
            for i, v in enumerate(f.enum):
                if str(v.value) in values[:i]:
                    self.bag.error("E205", f"enum value `{v.value}` is listed twice", v.span)
            t = Type("enum", values=tuple(dict.fromkeys(values)))
        elif f.ref is not None:
            t = self.ref_type(f.ref)
        return t.as_nullable() if t is not None and nullable else t

    def ref_type(self, ref) -> Type | None:
        if ref.value not in self.entity_keys:
            self.bag.error("E206", f"`ref: {ref.value}` names no entity", ref.span,
                           help=did_you_mean(ref.value, self.entity_keys))
            return None
        key = self.entity_keys[ref.value]
        if key is None or key.type is None:
            return Type("str")  # the entity's own diagnostics explain its key
        return self.type_expr(key.type) or Type("str")


def literal_value(v: YScalar, t: Type, bag: DiagnosticBag, what: str):
    """A YAML scalar as a value of type `t` (defaults, seed rows); a diagnostic and None when it does not fit."""
    x = v.value
    try:
        return convert_value(x, t)
    except (TypeError, ValueError, InvalidOperation) as exc:
        bag.error("E207", f"{what} `{x}` is not a valid {t}", v.span, notes=(str(exc),) if str(exc) else ())
        return None


def _holds_dynamic(t: Type | None) -> bool:
    while t is not None and t.kind in ("list", "map"):
        t = t.elem
    return t is not None and t.kind in ("json", "union")


def _field(rf: RawField, tr: TypeResolver, bag: DiagnosticBag) -> Field | None:
    t = tr.of(rf, nullable=rf.nullable)
    if t is None:
        return None
    if t.kind in ("list", "map") and _holds_dynamic(t):
        bag.error("E225", f"`{rf.name.value}` cannot be {t}: a json or union value is stored as a whole field",
                  rf.name.span, help="declare the field itself `json` (it holds lists and maps too), or a union "
                                     "such as `str | list[str]`")
        return None
    f = Field(rf.name.value, t, rf.name.span, rf.name.span.line, unique=rf.unique, description=rf.description,
              ref=rf.ref.value if rf.ref else None)
    if rf.unique and t.kind in UNINDEXABLE:
        bag.error("E221", f"`{f.name}` is {t}: DuckDB cannot keep such a field `unique`", rf.name.span,
                  help="make a scalar field unique (a key, an email, a code); lists, maps and records cannot be")
        f.unique = False
    if rf.pattern is not None:
        problem = pattern_problem(rf.pattern.value)
        if problem is None:
            f.pattern = rf.pattern.value
        else:
            bag.error(problem.code, problem.message, rf.pattern.span, help=problem.help)
        if t.nonnull().kind != "str":
            bag.error("E209", f"`pattern` needs a `str` field, `{f.name}` is {t}", rf.pattern.span)
    if rf.default is not None:
        value = literal_value(rf.default, t, bag, "default")
        if value is not None or rf.default.value is None:
            f.has_default, f.default = True, value
    elif t.nullable:
        f.has_default = True
    return f


def resolve_structs(raw: RawSpec, tr: TypeResolver, bag: DiagnosticBag) -> dict[str, Struct]:
    out = {}
    for s in raw.types:
        if s.name.value in BUILTIN_TYPES:
            bag.error("E210", f"type `{s.name.value}` shadows a built-in type", s.name.span)
            continue
        fields = {f.name: f for rf in s.fields if (f := _field(rf, tr, bag))}
        for f in fields.values():
            if _holds_dynamic(f.type):
                bag.error("E225", f"struct field `{f.name}` cannot be {f.type}: a json or union value is stored "
                                  "as a whole field of an entity", f.span,
                          help="move the field to the entity, or make the struct's field `str` holding text")
        out[s.name.value] = Struct(s.name.value, s.name.span, fields)
    _check_recursion(out, bag)
    _check_depth(out, bag)
    return out


MAX_RECORD_DEPTH = 32  # records inside records; the compiler and DuckDB's STRUCT types walk them recursively


def _check_depth(structs: dict[str, Struct], bag: DiagnosticBag) -> None:
    """E105 at the outermost type whose records nest more than MAX_RECORD_DEPTH levels (computed without recursion:
    a chain of thousands of types is what this guards against)."""
    def inner(t: Type | None) -> str | None:
        while t is not None and t.kind in ("list", "map"):
            t = t.elem
        return t.name if t is not None and t.kind == "struct" and t.name in structs else None

    depth: dict[str, int] = {}
    for root in structs:
        stack = [root]
        while stack:
            name = stack[-1]
            todo = [n for f in structs[name].fields.values() if (n := inner(f.type)) and n not in depth and n != name
                    and n not in stack]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            depth[name] = 1 + max((depth.get(n, 0) for f in structs[name].fields.values() if (n := inner(f.type))),
                                  default=0)
    deepest = max(structs, key=lambda n: depth.get(n, 0), default=None)
    if deepest is not None and depth[deepest] > MAX_RECORD_DEPTH:
        bag.error("E105", f"type `{deepest}` nests records {depth[deepest]} levels deep, more than "
                          f"{MAX_RECORD_DEPTH}", structs[deepest].span,
                  help="flatten the records, or keep the inner ones in an entity of their own with a `ref:`")


def _check_recursion(structs: dict[str, Struct], bag: DiagnosticBag) -> None:
    def refs(t: Type | None) -> set[str]:
        if t is None:
            return set()
        return {t.name} if t.kind == "struct" else refs(t.elem)

    for name, s in structs.items():
        seen, stack = set(), [name]
        while stack:
            cur = stack.pop()
            for f in structs.get(cur, Struct("", s.span, {})).fields.values():
                for r in refs(f.type):
                    if r == name:
                        bag.error("E211", f"type `{name}` contains itself", s.span,
                                  help="nested values must be finite; use a separate entity with a `ref:`")
                        stack = []
                        break
                    if r not in seen:
                        seen.add(r)
                        stack.append(r)


def resolve_entities(raw: RawSpec, tr: TypeResolver, bag: DiagnosticBag) -> dict[str, Entity]:
    out = {}
    for e in raw.entities:
        if e.name.value in tr.struct_names:
            bag.error("E212", f"`{e.name.value}` is both a type and an entity", e.name.span)
            continue
        fields = {f.name: f for rf in e.fields if (f := _field(rf, tr, bag))}
        if e.key is None:
            bag.error("E213", f"entity `{e.name.value}` has no `key:`", e.name.span,
                      help="name the field that identifies a row, e.g. `key: id`")
            continue
        key = fields.get(e.key.value)
        if key is None:
            if not any(rf.name.value == e.key.value for rf in e.fields):
                bag.error("E214", f"the key `{e.key.value}` is not a field of `{e.name.value}`", e.key.span,
                          help=did_you_mean(e.key.value, fields))
            continue
        if key.type.nullable or key.type.kind not in ("str", "int"):
            bag.error("E215", f"the key `{key.name}` must be a non-null `str` or `int`, not {key.type}", e.key.span)
            continue
        key.is_key = True
        out[e.name.value] = Entity(e.name.value, e.name.span, key.name, fields, e.description)
    return out


def resolve_params(rp: list[RawParam], tr: TypeResolver, bag: DiagnosticBag) -> list[Param]:
    out, seen = [], {}
    for p in rp:
        t = tr.of(p, nullable=p.optional)
        if t is None:
            continue
        py = py_name(p.name.value)
        if py in seen:
            bag.error("E216", f"parameters `{seen[py]}` and `{p.name.value}` collide", p.name.span,
                      help="rename one of them")
            continue
        seen[py] = p.name.value
        param = Param(p.name.value, py, t, p.name.span, p.name.span.line, description=p.description,
                      ref=p.ref.value if p.ref else None)
        if p.default is not None:
            param.default = literal_value(p.default, t.as_nullable(), bag, "default")
            param.required = False
        elif p.optional:
            param.required = False
        param.examples = _examples(p, t, bag)
        out.append(param)
    return out


def _examples(p: RawParam, t, bag: DiagnosticBag) -> list | None:
    """A parameter's `examples:`, each a value of its type; none on a reference, whose values are existing keys."""
    if p.examples is None:
        return None
    if p.ref is not None:
        bag.error("E217", f"`examples` on the reference parameter `{p.name.value}`", p.examples_span,
                  help=f"task synthesis binds a `ref:` parameter to existing `{p.ref.value}` keys; remove `examples:`")
        return None
    values = [literal_value(v, t.nonnull(), bag, "example") for v in p.examples]
    return values if values and all(v is not None for v in values) else None


def first_defined_label(span, what="first defined here") -> tuple[Label, ...]:
    return (Label(span, what),)
