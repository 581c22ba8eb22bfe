"""YAML nodes → raw spec objects, checking the file's shape (E0xx) and parsing its expressions (E1xx)."""

from __future__ import annotations

import re

from ascc.diagnostics import DiagnosticBag, Span, did_you_mean
from ascc.dsl import ast
from ascc.dsl.exprparse import parse
from ascc.dsl.raw import (
    Named,
    RawAssignment,
    RawEffect,
    RawEntity,
    RawField,
    RawGenerator,
    RawLet,
    RawParam,
    RawRequire,
    RawRule,
    RawSeed,
    RawSimulation,
    RawSpec,
    RawStruct,
    RawTool,
)
from ascc.dsl.yamlhelp import quoted_line
from ascc.dsl.yamlnodes import YMap, YNode, YScalar, YSeq, load_yaml

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TOP_KEYS = ("domain", "version", "description", "policy", "confirm_writes", "clock", "types", "entities", "tools",
            "seed", "simulation")
SIMULATION_KEYS = ("persona", "identify_by", "money", "handoff", "skip", "consent")
ENTITY_KEYS = ("key", "description", "fields")
FIELD_KEYS = ("type", "ref", "enum", "default", "nullable", "unique", "pattern", "check", "description")
STRUCT_FIELD_KEYS = ("type", "ref", "enum", "default", "nullable", "description")
PARAM_KEYS = ("type", "ref", "enum", "default", "optional", "description", "examples")
TOOL_KEYS = ("kind", "description", "intent", "actor", "confirm", "requested_by", "params", "let",
             "requires", "rules", "effects", "returns", "sql", "fails_after_effects")
RULE_KEYS = ("when", "outcome", "policy", "message", "ask", "via")
SEED_KEYS = ("random_seed", "files", "rows", "generate")
GEN_KEYS = ("count", "let", "fields")
def comma_cut(before, key: YScalar, value: YNode, text: str) -> tuple[str, str] | None:
    """When `key` (with no value) is the tail of the value before it, cut off by a comma inside `{ … }`: the help
    that quotes the whole value, and a note that says what YAML read."""
    if before is None or not (isinstance(value, YScalar) and value.value is None and isinstance(key.value, str)):
        return None
    pk, pv = before
    if not (isinstance(pv, YScalar) and pv.is_str and pv.style is None and pv.span.line == key.span.line):
        return None
    line = text.split("\n")[key.span.line - 1]
    if "{" not in line[:key.span.col]:
        return None
    whole = f"{pv.value}, {key.value}".replace('"', '\\"')
    return (f'quote the value: `{pk.value}: "{whole}"`',
            f"inside `{{ … }}` a comma ends a value: `{pk.value}` got `{pv.value}`, and `{key.value}` was read as a key")


_KIND_NAMES = {YMap: "a mapping", YSeq: "a list", YScalar: "a value"}


class SpecReader:
    """Reads one spec file. Every problem becomes a diagnostic; the result is as complete as the file allows."""

    def __init__(self, file: str, text: str, bag: DiagnosticBag):
        self.file, self.text, self.bag = file, text, bag

    # ---- helpers
    def _kind(self, node: YNode) -> str:
        if isinstance(node, YScalar):
            return "nothing" if node.value is None else f"`{node.value!r}`" if not node.is_str else "a string"
        return _KIND_NAMES[type(node)]

    def _expect(self, node: YNode | None, cls, what: str, path: str):
        if isinstance(node, cls):
            return node
        if node is not None:
            self.bag.error("E006", f"expected {_KIND_NAMES[cls]} for {what}, found {self._kind(node)}", node.span,
                           path=path)
        return None

    def _text(self, node: YNode | None, what: str, path: str) -> YScalar | None:
        if node is None:
            return None
        if isinstance(node, YScalar) and node.is_str:
            return node
        self.bag.error("E006", f"expected a string for {what}, found {self._kind(node)}", node.span, path=path)
        return None

    def _keys(self, m: YMap, allowed: tuple[str, ...], what: str, path: str, skip: tuple = ()) -> None:
        for i, (k, v) in enumerate(m.items):
            if k.value not in allowed and k.value not in skip:
                cut = comma_cut(m.items[i - 1] if i else None, k, v, self.text)
                self.bag.error("E005", f"unknown key `{k.value}` in {what}", k.span, path=path,
                               notes=cut[1:] if cut else (),
                               help=cut[0] if cut else did_you_mean(str(k.value), allowed)
                               or f"allowed keys: {', '.join(allowed)}")

    def _name(self, key: YScalar, what: str) -> Named | None:
        if not isinstance(key.value, str) or not IDENT.match(key.value):
            self.bag.error("E008", f"`{key.value}` is not a valid {what} name", key.span,
                           help="names are ASCII letters, digits and `_`, not starting with a digit")
            return None
        if key.value.startswith("__"):
            self.bag.error("E008", f"`{key.value}`: names starting with `__` are reserved", key.span)
            return None
        return Named(key.value, key.span)

    def _bool(self, node: YNode | None, what: str, path: str) -> bool:
        if node is None:
            return False
        if isinstance(node, YScalar) and isinstance(node.value, bool):
            return node.value
        self.bag.error("E006", f"expected `true` or `false` for {what}, found {self._kind(node)}", node.span, path=path)
        return False

    def expr(self, node: YNode, start: str = "start_expr"):
        """A YAML value as an expression: strings are parsed, numbers/bools/null are literals."""
        if isinstance(node, YScalar) and not node.is_str:
            v = node.value
            if isinstance(v, bool):
                return ast.Literal(node.span, v, "bool")
            if v is None:
                return ast.Literal(node.span, None, "null")
            if isinstance(v, int):
                return ast.Literal(node.span, v, "int")
            return ast.Literal(node.span, repr(v), "decimal")
        if not isinstance(node, YScalar):
            self.bag.error("E006", f"expected an expression, found {self._kind(node)}", node.span,
                           help="quote expressions that start with `[` or `{`")
            return None
        if not node.value.strip():
            self.bag.error("E104", "empty expression", node.span)
            return None
        return parse(node.value, start, node, self.bag)

    def guarded(self, node: YNode) -> ast.Guarded | None:
        if isinstance(node, YScalar) and node.is_str:
            if not node.value.strip():
                self.bag.error("E104", "empty expression", node.span)
                return None
            return parse(node.value, "start_guarded", node, self.bag)
        e = self.expr(node)
        return ast.Guarded(e, None, None) if e is not None else None

    # ---- the file
    def read(self) -> RawSpec | None:
        doc = load_yaml(self.text, self.file, self.bag)
        if doc.root is None:
            if not self.bag.has_errors:
                self.bag.error("E007", "the spec is empty", Span.point(self.file, 1, 1),
                               help="a spec needs at least `domain:`, `entities:` and `tools:`")
            return None
        root = self._expect(doc.root, YMap, "the spec", "")
        if root is None:
            return None
        self._keys(root, TOP_KEYS, "the spec", "")
        spec = RawSpec(self.file, root.span)
        dom = root.get("domain")
        if dom is None:
            self.bag.error("E007", "missing `domain:`: every spec names its domain", Span.point(self.file, 1, 1))
        elif (d := self._text(dom, "`domain`", "domain")) is not None:
            spec.domain = self._name(d, "domain")
        if (v := root.get("version")) is not None:
            if isinstance(v, YScalar) and isinstance(v.value, int) and not isinstance(v.value, bool):
                spec.version = v.value
            else:
                self.bag.error("E006", "expected an integer for `version`", v.span, path="version")
        spec.description = self._str_value(root.get("description"), "`description`", "description")
        spec.policy = self._str_value(root.get("policy"), "`policy`", "policy")
        spec.confirm_writes = self._bool(root.get("confirm_writes"), "`confirm_writes`", "confirm_writes")
        if (clock := self._expect(root.get("clock"), YMap, "`clock`", "clock")) is not None:
            self._keys(clock, ("today", "now"), "`clock`", "clock")
            spec.today = self._text(clock.get("today"), "`clock.today`", "clock.today")
            spec.now = self._text(clock.get("now"), "`clock.now`", "clock.now")
        spec.types = self._section(root, "types", self._struct)
        spec.entities = self._section(root, "entities", self._entity)
        spec.tools = self._section(root, "tools", self._tool)
        if (seed := self._expect(root.get("seed"), YMap, "`seed`", "seed")) is not None:
            spec.seed = self._seed(seed)
        if (sim := self._expect(root.get("simulation"), YMap, "`simulation`", "simulation")) is not None:
            spec.simulation = self._simulation(sim)
        return spec

    def _simulation(self, m: YMap) -> RawSimulation:
        self._keys(m, SIMULATION_KEYS, "`simulation`", "simulation")
        out = RawSimulation(m.span)
        if (p := self._text(m.get("persona"), "`simulation.persona`", "simulation.persona")) is not None:
            out.persona = Named(p.value, p.span)
        for key in ("identify_by", "money", "handoff", "skip", "consent"):
            seq = self._expect(m.get(key), YSeq, f"`simulation.{key}`", f"simulation.{key}")
            for item in seq.items if seq else ():
                if (t := self._text(item, f"an entry of `simulation.{key}`", f"simulation.{key}")) is None:
                    continue
                if key == "consent":
                    if t.value.strip():
                        out.consent.append(t.value.strip())
                    else:
                        self.bag.error("E006", "expected a phrase for an entry of `simulation.consent`, found an empty "
                                       "string", t.span, path="simulation.consent",
                                       help="a phrase an agent asks for consent with, such as \"is it ok to\"")
                else:
                    getattr(out, key).append(Named(t.value, t.span))
        return out

    def _str_value(self, node, what, path) -> str | None:
        s = self._text(node, what, path)
        return s.value if s else None

    def _section(self, root: YMap, key: str, read_one) -> list:
        m = self._expect(root.get(key), YMap, f"`{key}`", key)
        out = []
        for k, v in m.items if m else ():
            name = self._name(k, key.rstrip("s").replace("entitie", "entity"))
            if name is not None:
                item = read_one(name, v, f"{key}.{name.value}")
                if item is not None:
                    out.append(item)
        return out

    # ---- types and entities
    def _struct(self, name: Named, node: YNode, path: str) -> RawStruct | None:
        m = self._expect(node, YMap, f"type `{name.value}`", path)
        if m is None:
            return None
        fields = [f for k, v in m.items if (f := self._field(k, v, f"{path}.{k.value}", STRUCT_FIELD_KEYS))]
        return RawStruct(name, m.span, fields)

    def _entity(self, name: Named, node: YNode, path: str) -> RawEntity | None:
        m = self._expect(node, YMap, f"entity `{name.value}`", path)
        if m is None:
            return None
        self._keys(m, ENTITY_KEYS, f"entity `{name.value}`", path)
        key = None
        if (k := self._text(m.get("key"), "`key`", f"{path}.key")) is not None:
            key = Named(k.value, k.span)
        fm = self._expect(m.get("fields"), YMap, "`fields`", f"{path}.fields")
        if fm is None and m.get("fields") is None:
            self.bag.error("E007", f"entity `{name.value}` has no `fields:`", name.span, path=path)
        fields = [f for k, v in (fm.items if fm else ()) if (f := self._field(k, v, f"{path}.fields.{k.value}"))]
        return RawEntity(name, m.span, key, fields, self._str_value(m.get("description"), "`description`", path))

    def _declared(self, key: YScalar, node: YNode, path: str, kind: str, make, allowed: tuple[str, ...]):
        """A field or parameter: `name: type` (short form) or `name: {type|enum|ref: …, …}`.

        Returns (the raw object, its mapping or None for the short form, whether its type was cut at a comma);
        None when the name or the shape is wrong (already reported).
        """
        name = self._name(key, kind)
        if name is None:
            return None
        obj = make(name, node.span, path)
        if isinstance(node, YScalar) and node.is_str:
            obj.type = parse(node.value, "start_type", node, self.bag)
            return obj, None, False
        m = self._expect(node, YMap, f"{kind} `{name.value}`", path)
        if m is None:
            return None
        cut = self._typed(obj, m, path)
        self._keys(m, allowed, f"{kind} `{name.value}`", path, skip=cut)
        return obj, m, cut

    def _field(self, key: YScalar, node: YNode, path: str, allowed=FIELD_KEYS) -> RawField | None:
        found = self._declared(key, node, path, "field", RawField, allowed)
        if found is None:
            return None
        f, m, cut = found
        if m is None:
            return f
        name = f.name
        f.nullable = self._bool(m.get("nullable"), "`nullable`", path)
        f.unique = self._bool(m.get("unique"), "`unique`", path)
        f.pattern = self._text(m.get("pattern"), "`pattern`", path)
        if (c := m.get("check")) is not None:
            f.check = self.expr(c)
        f.description = self._str_value(m.get("description"), "`description`", path)
        if not (f.type or f.enum or f.ref or cut):
            self.bag.error("E007", f"field `{name.value}` needs `type:`, `enum:` or `ref:`", key.span, path=path)
        return f

    def _typed(self, f, m: YMap, path: str) -> tuple:
        """The type-ish keys shared by fields and parameters: type, enum, ref, default.

        Returns the keys left over from a type cut at a comma (`{type: decimal(10,2)}` reads as a `2)` key),
        which E012 has already reported; a non-empty tuple means the type was cut.
        """
        if (t := self._text(m.get("type"), "`type`", path)) is not None:
            if t.style is None and t.value.count("(") > t.value.count(")"):
                self.bag.error("E012", f"the type `{t.value}` was cut at a comma", t.span, path=path,
                               help="inside `{ … }` a comma ends the value: quote the type, e.g. \"decimal(10,2)\"")
                return (*(k.value for k, _ in m.items if str(k.value).endswith(")")), "")
            f.type = parse(t.value, "start_type", t, self.bag)
        if (e := self._expect(m.get("enum"), YSeq, "`enum`", path)) is not None:
            f.enum = [v for v in e.items if self._text(v, "an enum value", path) is not None]
            if not f.enum:
                self.bag.error("E009", "an enum needs at least one value", e.span, path=path)
        if (r := self._text(m.get("ref"), "`ref`", path)) is not None:
            f.ref = Named(r.value, r.span)
        kinds = [k for k in ("type", "enum", "ref") if m.get(k) is not None]
        if len(kinds) > 1:
            self.bag.error("E010", f"`{kinds[0]}` and `{kinds[1]}` cannot be given together", m.key_node(kinds[1]).span,
                           path=path, help="`ref:` and `enum:` already fix the type")
        if (d := m.get("default")) is not None:
            if isinstance(d, (YSeq, YMap)):  # an empty list or map, or a literal nested value
                d = YScalar(_plain(d), d.span, None, d.span.line, d.span.col)
            f.default = d
        return ()

    # ---- tools
    def _tool(self, name: Named, node: YNode, path: str) -> RawTool | None:
        m = self._expect(node, YMap, f"tool `{name.value}`", path)
        if m is None:
            return None
        self._keys(m, TOOL_KEYS, f"tool `{name.value}`", path)
        kind = self._text(m.get("kind"), "`kind`", f"{path}.kind")
        desc = self._text(m.get("description"), "`description`", f"{path}.description")
        actor = self._text(m.get("actor"), "`actor`", f"{path}.actor")
        tool = RawTool(name, m.span, Named(kind.value, kind.span) if kind else None,
                       desc.value if desc else None, desc.span if desc else None,
                       intent=self._text(m.get("intent"), "`intent`", f"{path}.intent"),
                       actor=Named(actor.value, actor.span) if actor else None)
        if (c := m.get("confirm")) is not None:
            tool.confirm = self._bool(c, "`confirm`", f"{path}.confirm")
            tool.confirm_span = c.span
        if (who := self._text(m.get("requested_by"), "`requested_by`", f"{path}.requested_by")) is not None:
            tool.requested_by = Named(who.value, who.span)
        if kind is None and m.get("kind") is None:
            self.bag.error("E007", f"tool `{name.value}` has no `kind:`", name.span, path=path,
                           help="add `kind: read`, `kind: write` or `kind: generic`")
        if desc is None and m.get("description") is None:
            self.bag.error("E007", f"tool `{name.value}` has no `description:`", name.span, path=path,
                           help="the description becomes the agent's tool schema; say what the tool does")
        if (pm := self._expect(m.get("params"), YMap, "`params`", f"{path}.params")) is not None:
            tool.params = [p for k, v in pm.items if (p := self._param(k, v, f"{path}.params.{k.value}"))]
        if (lm := self._expect(m.get("let"), YMap, "`let`", f"{path}.let")) is not None:
            for k, v in lm.items:
                n, g = self._name(k, "value"), self.guarded(v)
                if n and g:
                    tool.lets.append(RawLet(n, g, k.span.line))
                elif n:
                    self.bag.dropped_names.add(n.value)
        if (fa := self._expect(m.get("fails_after_effects"), YSeq, "`fails_after_effects`",
                               f"{path}.fails_after_effects")) is not None:
            tool.fails_after_span = next(k.span for k, _ in m.items if k.value == "fails_after_effects")
            tool.fails_after_effects = [r for i, item in enumerate(fa.items)
                                        if (r := self._require(item, f"{path}.fails_after_effects[{i}]"))]
        if (rq := self._expect(m.get("requires"), YSeq, "`requires`", f"{path}.requires")) is not None:
            for i, item in enumerate(rq.items):
                if (r := self._require(item, f"{path}.requires[{i}]")) is not None:
                    tool.requires.append(r)
        if (ru := self._expect(m.get("rules"), YMap, "`rules`", f"{path}.rules")) is not None:
            tool.rules = [r for k, v in ru.items if (r := self._rule(k, v, f"{path}.rules.{k.value}"))]
        if (ef := self._expect(m.get("effects"), YSeq, "`effects`", f"{path}.effects")) is not None:
            tool.effects = self._effects(ef, f"{path}.effects")
        if (ret := m.get("returns")) is not None:
            tool.returns_span = ret.span
            tool.returns = self._assignments(ret, f"{path}.returns") if isinstance(ret, YMap) else self.expr(ret)
        tool.sql = self._text(m.get("sql"), "`sql`", f"{path}.sql")
        return tool

    def _param(self, key: YScalar, node: YNode, path: str) -> RawParam | None:
        found = self._declared(key, node, path, "parameter", RawParam, PARAM_KEYS)
        if found is None:
            return None
        p, m, cut = found
        if m is None:
            return p
        name = p.name
        p.optional = self._bool(m.get("optional"), "`optional`", path)
        p.description = self._str_value(m.get("description"), "`description`", path)
        if (ex := self._expect(m.get("examples"), YSeq, "`examples`", f"{path}.examples")) is not None:
            p.examples = [YScalar(_plain(v), v.span, None, v.span.line, v.span.col) if isinstance(v, (YSeq, YMap))
                          else v for v in ex.items]
            p.examples_span = ex.span
            if not p.examples:
                self.bag.error("E014", "`examples` needs at least one value", ex.span, path=f"{path}.examples",
                               help="list values a user would give, such as `examples: [\"moving house\"]`")
        if not (p.type or p.enum or p.ref or cut):
            self.bag.error("E007", f"parameter `{name.value}` needs `type:`, `enum:` or `ref:`", key.span, path=path)
        return p

    def _require(self, item: YNode, path: str) -> RawRequire | None:
        if isinstance(item, YMap) and len(item.items) == 1 and item.items[0][0].value not in ("check", "error"):
            line = self.text.split("\n")[item.span.line - 1]
            fixed = quoted_line(line) if line.lstrip().startswith("- ") else None  # not inside `[ … ]`
            self.bag.error("E013", "YAML read this requirement as a mapping", item.span, path=path,
                           help="a `: ` inside an unquoted line starts a mapping; quote the whole line with '…'"
                           + (f": `{fixed.strip()}`" if fixed else ""))
            return None
        if isinstance(item, YMap):
            self._keys(item, ("check", "error"), "a requirement", path)
            cond, err = item.get("check"), self._text(item.get("error"), "`error`", path)
            if cond is None:
                self.bag.error("E007", "a requirement written as a mapping needs `check:`", item.span, path=path)
                return None
            e = self.expr(cond)
            g = ast.Guarded(e, err.value if err else None, err.span if err else None) if e else None
        else:
            g = self.guarded(item)
        return RawRequire(g, item.span, item.span.line) if g else None

    def _rule(self, key: YScalar, node: YNode, path: str) -> RawRule | None:
        name = self._name(key, "rule")
        m = self._expect(node, YMap, f"rule `{key.value}`", path)
        if name is None or m is None:
            return None
        self._keys(m, RULE_KEYS, f"rule `{name.value}`", path)
        rule = RawRule(name, m.span, key.span.line)
        if (w := m.get("when")) is not None:
            rule.when = self.expr(w)
            rule.when_text = str(w.value) if isinstance(w, YScalar) else None
        for k in ("outcome", "ask", "via"):
            if (t := self._text(m.get(k), f"`{k}`", f"{path}.{k}")) is not None:
                setattr(rule, k, Named(t.value, t.span))
        rule.policy = self._text(m.get("policy"), "`policy`", f"{path}.policy")
        rule.message = self._text(m.get("message"), "`message`", f"{path}.message")
        for k in ("outcome", "policy"):
            if m.get(k) is None:
                self.bag.error("E007", f"rule `{name.value}` has no `{k}:`", name.span, path=path,
                               help="a rule names its `outcome:` (refuse, transfer or ask) and the `policy:` "
                                    "sentence the agent is shown")
        return rule

    def _assignments(self, m: YMap, path: str) -> list[RawAssignment]:
        out = []
        for k, v in m.items:
            if isinstance(v, YMap):
                self._nested_map(k, v, path)
                continue
            n, e = self._name(k, "field"), self.expr(v)
            if n and e:
                out.append(RawAssignment(n, e))
        return out

    def _nested_map(self, key: YScalar, v: YMap, path: str) -> None:
        """A mapping as a field's value (`detail:` + indented `n: t.n`): the map is not read as a nested record
        of expressions; the record is one expression, a quoted literal, shown here built from the map."""
        parts = [f"{k.value}: {x.value}" for k, x in v.items if isinstance(x, YScalar)]
        record = "{" + ", ".join(parts) + "}" if len(parts) == len(v.items) else "{name: value, …}"
        self.bag.error("E006", f"expected an expression for `{key.value}`, found a mapping", v.span,
                       path=f"{path}.{key.value}",
                       notes=("only the outer map holds one expression per field; a map inside it is not read "
                              "as a nested record",),
                       help=f"write the record as one expression in quotes: `{key.value}: \"{record}\"`")

    def _effects(self, seq: YSeq, path: str) -> list[RawEffect]:
        out = []
        for i, item in enumerate(seq.items):
            if (e := self._effect(item, f"{path}[{i}]")) is not None:
                out.append(e)
        return out

    def _effect(self, item: YNode, path: str) -> RawEffect | None:
        if isinstance(item, YScalar) and item.is_str:  # `- delete o`, `- remove o.items where …`
            return self._effect_head(item, None, item.span, path)
        m = self._expect(item, YMap, "an effect", path)
        if m is None:
            return None
        first, body = m.items[0]
        text = str(first.value)
        if text.startswith("if ") or text == "if":
            return self._effect_if(m, first, body, path)
        if len(m.items) > 1:
            extra = m.items[1][0]
            self.bag.error("E011", "an effect is one `verb target: value` entry", extra.span, path=path,
                           help="start a new list item (`- `) for the next effect")
        if text.startswith("for "):
            head = parse(text, "start_foreach", first, self.bag)
            seq = self._expect(body, YSeq, "the body of `for`", path)
            if head is None or seq is None:
                return None
            var, var_span, iterable = head
            return RawEffect("for", m.span, first.span.line, path, var=Named(var, var_span), iterable=iterable,
                             body=self._effects(seq, f"{path}.body"))
        return self._effect_head(first, body, first.span, path)  # diagnostics point at `verb target`

    def _effect_if(self, m: YMap, first: YScalar, body: YNode, path: str) -> RawEffect | None:
        cond = parse(str(first.value), "start_if", first, self.bag)
        seq = self._expect(body, YSeq, "the body of `if`", path)
        eff = RawEffect("if", m.span, first.span.line, path, cond=cond)
        eff.body = self._effects(seq, f"{path}.then") if seq else []
        for k, v in m.items[1:]:
            if k.value == "else" and (s := self._expect(v, YSeq, "the body of `else`", path)) is not None:
                eff.orelse = self._effects(s, f"{path}.else")
            elif k.value != "else":
                self.bag.error("E011", f"unexpected `{k.value}` after `if`", k.span, path=path,
                               help="only `else:` may follow an `if` in the same effect")
        return eff if cond is not None else None

    def _effect_head(self, key: YScalar, payload: YNode | None, span: Span, path: str) -> RawEffect | None:
        head = parse(str(key.value), "start_effect", key, self.bag)
        if head is None:
            return None
        eff = RawEffect(head.verb, span, key.span.line, path, head=head)
        if isinstance(payload, YMap):
            eff.assignments = self._assignments(payload, path)
        elif payload is not None and not (isinstance(payload, YScalar) and payload.value is None):
            eff.value = self.expr(payload)
        return eff

    # ---- seed
    def _seed(self, m: YMap) -> RawSeed:
        self._keys(m, SEED_KEYS, "`seed`", "seed")
        seed = RawSeed(m.span)
        if (rs := m.get("random_seed")) is not None:
            if isinstance(rs, YScalar) and isinstance(rs.value, int) and not isinstance(rs.value, bool):
                seed.random_seed = rs.value
            else:
                self.bag.error("E006", "expected an integer for `random_seed`", rs.span, path="seed.random_seed")
        if (fm := self._expect(m.get("files"), YMap, "`seed.files`", "seed.files")) is not None:
            for k, v in fm.items:
                if (n := self._name(k, "entity")) and (p := self._text(v, "a file path", "seed.files")):
                    seed.files.append((n, p))
        if (rm := self._expect(m.get("rows"), YMap, "`seed.rows`", "seed.rows")) is not None:
            for k, v in rm.items:
                if (n := self._name(k, "entity")) and (rows := self._expect(v, YSeq, "rows", "seed.rows")):
                    seed.rows.append((n, [r for r in rows.items if self._expect(r, YMap, "a row", "seed.rows")]))
        if (gm := self._expect(m.get("generate"), YMap, "`seed.generate`", "seed.generate")) is not None:
            for k, v in gm.items:
                if (n := self._name(k, "entity")) and (g := self._generator(n, v, f"seed.generate.{k.value}")):
                    seed.generate.append(g)
        return seed

    def _generator(self, name: Named, node: YNode, path: str) -> RawGenerator | None:
        m = self._expect(node, YMap, f"the generator of `{name.value}`", path)
        if m is None:
            return None
        self._keys(m, GEN_KEYS, f"the generator of `{name.value}`", path)
        c = m.get("count")
        if not (isinstance(c, YScalar) and isinstance(c.value, int) and not isinstance(c.value, bool) and c.value >= 0):
            self.bag.error("E006", "`count` must be a whole number ≥ 0", (c or m).span, path=f"{path}.count")
            return None
        gen = RawGenerator(name, m.span, c.value, c.span)
        if (lm := self._expect(m.get("let"), YMap, "`let`", f"{path}.let")) is not None:
            for k, v in lm.items:
                if (n := self._name(k, "value")) and (e := self.expr(v)):
                    gen.lets.append(RawLet(n, ast.Guarded(e, None, None), k.span.line))
        if (fm := self._expect(m.get("fields"), YMap, "`fields`", f"{path}.fields")) is not None:
            gen.fields = self._assignments(fm, f"{path}.fields")
        return gen


def _plain(node: YNode):
    """A YAML node as plain Python data."""
    if isinstance(node, YScalar):
        return node.value
    if isinstance(node, YSeq):
        return [_plain(i) for i in node.items]
    return {str(k.value): _plain(v) for k, v in node.items}


def read_spec(file: str, text: str, bag: DiagnosticBag) -> RawSpec | None:
    return SpecReader(file, text, bag).read()
