"""The expression type checker: resolves every name, types every node, and rejects what cannot run.

An expression reaches only tool parameters (`$name`), named values, loop variables, the fields of the row in
scope, entities (through lookups and queries) and the builtin table in `builtins.py`. Anything else (an unknown
function such as `__import__`, a dunder attribute, a method on a value) is a compile error.
"""

from __future__ import annotations

from dataclasses import replace

from ascc.compiler import builtins as BI
from ascc.compiler import types as T
from ascc.compiler.ir import Domain, Param
from ascc.compiler.scope import Binding, Scope, nonnull_facts, null_path
from ascc.compiler.types import Type
from ascc.diagnostics import DiagnosticBag, Span, did_you_mean
from ascc.dsl import ast

QUERY_OPS = {"one": "one row or null", "first": "the first row by key, or null", "all": "all rows by key",
             "exists": "whether a row matches", "count": "the number of matching rows"}

_LOOKUP_HELP = "fail early with `else \"message\"` on its lookup, or test it with `!= null`"
_ENTRY_HELP = "test that the key is there first: `k in m and m[k].f …`, `… if k in m else …`, or a precondition `k in m`"


class ExprChecker:
    def __init__(self, domain: Domain, bag: DiagnosticBag, params: dict[str, Param] | None = None,
                 *, context: str = "tool", writes: bool = False):
        self.domain, self.bag = domain, bag
        self.params = params or {}
        self.context = context  # tool, check, seed
        self.writes = writes
        self.reads: set[str] = set()

    def err(self, code: str, msg: str, span: Span, **kw) -> None:
        self.bag.error(code, msg, span, **kw)

    # ---- entry point
    def check(self, node: ast.Node, scope: Scope, expected: Type | None = None) -> Type:
        method = getattr(self, "_" + type(node).__name__.lower())
        t = method(node, scope, expected)
        if t is not None and t.nullable and isinstance(node, (ast.Name, ast.Param, ast.Attr, ast.Index)):
            path = null_path(node)
            if path is not None and scope.is_nonnull(path):
                t = t.nonnull()  # narrowed by an enclosing `!= null` test
        if t is not None and T.is_dynamic(t) and isinstance(node, (ast.Name, ast.Param, ast.Attr, ast.Index)):
            t = _narrow_kind(t, node, scope)
        node.type = t if t is not None else T.ANY
        return node.type

    def expect(self, node: ast.Node, scope: Scope, want: Type, what: str) -> Type:
        t = self.check(node, scope, want)
        if T.is_dynamic(t) and not T.assignable(t, want):
            self.dynamic_misuse(node, t, f"{what}: expected {want}")
            return t
        if not T.assignable(t, want):
            help_ = "it may be null: add `else \"message\"` to its lookup, or use coalesce(x, default)" \
                if t.nullable and T.assignable(t.nonnull(), want) else None
            if isinstance(node, ast.Name) and want.kind == "enum" and node.name in want.values:
                help_ = f"`{node.name}` here is the named value `{node.name}`, which hides the enum value; " \
                        f"write it as a string literal, e.g. \"'{node.name}'\" in YAML"
            if isinstance(node, ast.DictLit) and want.kind == "map" and all(it.bare for it in node.items):
                help_ = "map literals have quoted keys, as in {\"lang\": 1}; bare names make a record"
            self.err("E230", f"{what}: expected {want}, found {t}", node.span, help=help_)
        return t

    def dynamic_misuse(self, node: ast.Node, t: Type, what: str, kind: str = "int") -> None:
        """E226: a json or union value used as one of its types before a `type_of()` test says which."""
        kinds = [m.kind for m in t.members] if t.kind == "union" else [kind]
        k = kind if kind in kinds else kinds[0]
        self.err("E226", f"{what}, found {t}", node.span,
                 help=f"test which it is first: `type_of({_text(node)}) == \"{k}\"` narrows it where the "
                      f"test holds (`… and …`, `… if … else …`, a precondition)")

    def expect_bool(self, node: ast.Node, scope: Scope, what: str) -> None:
        self.expect(node, scope, T.BOOL, what)

    # ---- leaves
    def _literal(self, n: ast.Literal, scope, expected):
        if n.kind == "str" and expected is not None and expected.kind == "enum":
            if n.value not in expected.values:
                self.err("E231", f"`{n.value}` is not a value of {expected.nonnull()}", n.span,
                         help=did_you_mean(n.value, expected.values))
                return None
            return Type("enum", values=(n.value,))
        if n.kind == "decimal":
            scale = len(n.value.split(".")[1]) if "." in n.value else 0
            if expected is not None and expected.kind == "float":
                return T.FLOAT
            return T.decimal(38, min(scale, 10))
        if n.kind == "int" and not -(1 << 63) <= n.value <= 1 << 63:  # 2^63 itself, for `-9223372036854775808`
            self.err("E223", f"the integer `{n.value}` does not fit an `int` (64 bits)", n.span,
                     help="an `int` runs from -9223372036854775808 to 9223372036854775807")
            return None
        return {"int": T.INT, "str": T.STR, "bool": T.BOOL, "null": T.NULL}[n.kind]

    def _param(self, n: ast.Param, scope, expected):
        p = self.params.get(n.name)
        if p is None:
            where = "a seed generator" if self.context == "seed" else "this tool"
            self.err("E232", f"unknown parameter `${n.name}` in {where}", n.span,
                     help=did_you_mean(n.name, self.params) or (f"parameters: {', '.join(self.params)}" if self.params else None))
            return None
        return p.type

    def _name(self, n: ast.Name, scope: Scope, expected):
        b = scope.lookup(n.name)
        if b is not None:
            n.ref = b
            if b.kind in ("field", "column") and scope.shadowed_local(n.name):
                self.bag.warning("W273", f"`{n.name}` here is the row's field, not the named value `{n.name}`",
                                 n.span, help="inside `update … :`, `where` and query conditions bare names are the "
                                              "row's fields; rename the named value to use it here")
            return b.type
        if expected is not None and expected.kind == "enum" and n.name in expected.values:
            n.ref = Binding("enum", Type("enum", values=(n.name,)), repr(n.name))
            return n.ref.type
        if n.name in self.domain.entities:
            self.err("E233", f"entity `{n.name}` is not a value", n.span,
                     help=f"look a row up with `{n.name}[key]` or query with `{n.name}.all(condition)`")
            return None
        if n.name in BI.BUILTINS:
            self.err("E233", f"builtin `{n.name}` is not a value", n.span, help=f"call it: `{n.name}(…)`")
            return None
        help_ = did_you_mean(n.name, scope.visible() | set(self.domain.entities))
        if n.name in self.params:
            help_ = f"parameters are written with a `$`: `${n.name}`"
        if help_ is None and expected is not None and expected.kind == "enum":
            help_ = f"expected a value of {expected}"
        if n.name not in getattr(self.bag, "dropped_names", ()):  # else its definition's own error says why
            self.err("E234", f"unknown name `{n.name}`", n.span, help=help_)
        return None

    # ---- access
    def _attr(self, n: ast.Attr, scope, expected):
        if n.name.startswith("_"):
            self.err("E235", f"attribute `{n.name}` is not accessible", n.name_span,
                     help="expressions reach fields of rows and structs only")
            self.check(n.obj, scope)
            return None
        t = self.check(n.obj, scope)
        if t.kind == "any":
            return None
        if T.is_dynamic(t):
            self.dynamic_misuse(n.obj, t, f"`.{n.name}` needs a record (a json map's entries are read "
                                          f"`m[\"{n.name}\"]`)", "map")
            return None
        if not t.is_record:
            self.err("E236", f"{t} has no fields (looking for `{n.name}`)", n.name_span)
            return None
        if t.nullable:
            help_ = _ENTRY_HELP if isinstance(n.obj, ast.Index) and isinstance(n.obj.ref, ast.MapKey) else _LOOKUP_HELP
            self.err("E237", f"`{_text(n.obj)}` may be null here", n.obj.span, help=help_)
            return None
        fields = self.domain.record_fields(t)
        f = fields.get(n.name)
        if f is None:
            owner = f"entity `{t.name}`" if t.kind == "row" else f"type `{t.name}`"
            self.err("E238", f"unknown field `{n.name}` on {owner}", n.name_span, help=did_you_mean(n.name, fields))
            return None
        n.stored = T.is_dynamic(f.type) and t.kind == "row"  # JSON text in the row: read through B.from_json
        return f.type

    def _index(self, n: ast.Index, scope: Scope, expected):
        if isinstance(n.obj, ast.Name) and n.obj.name in self.domain.entities and scope.lookup(n.obj.name) is None:
            ent = self.domain.entities[n.obj.name]
            n.ref = ast.EntityLookup(entity=ent.name)
            n.obj.type = T.ANY
            self.reads.add(ent.name)
            self.expect(n.key, scope, ent.key_field.type, f"the key of `{ent.name}`")
            return T.row(ent.name).as_nullable()
        t = self.check(n.obj, scope)
        if t.kind == "any":
            self.check(n.key, scope)
            return None
        if t.nullable:
            self.err("E237", f"`{_text(n.obj)}` may be null here", n.obj.span)
            return None
        if t.kind == "list":
            n.ref = ast.ListIndex()
            self.expect(n.key, scope, T.INT, "a list index")
            return t.elem
        if t.kind == "map":
            n.ref = ast.MapKey()
            self.expect(n.key, scope, T.STR, "a map key")
            return t.elem.as_nullable()
        if T.is_dynamic(t):
            self.check(n.key, scope)
            self.dynamic_misuse(n.obj, t, "`[…]` needs a list or a map", "map")
            return None
        self.err("E239", f"{t} cannot be indexed", n.span)
        return None

    def _method(self, n: ast.Method, scope: Scope, expected):
        if not (isinstance(n.obj, ast.Name) and n.obj.name in self.domain.entities and scope.lookup(n.obj.name) is None):
            before = len(self.bag)
            self.check(n.obj, scope)
            if len(self.bag) > before:
                return None  # the object is already wrong; a second error on its method says nothing new
            self.err("E240", f"unknown method `{n.name}`", n.name_span,
                     help="only entities have methods (`customer.all(…)`); use builtins for values, e.g. len(x)")
            return None
        ent = self.domain.entities[n.obj.name]
        n.obj.type = T.ANY
        if n.name == "descendants":
            from ascc.compiler.builtins_data import check_descendants

            if self.context != "tool":
                self.err("E241", f"queries are not available in {self._context_name()}", n.span)
                return None
            return check_descendants(self, n, ent, scope)
        if n.name not in QUERY_OPS:
            self.err("E240", f"unknown query `{n.name}` on entity `{ent.name}`", n.name_span,
                     help=did_you_mean(n.name, QUERY_OPS) or f"queries: {', '.join(QUERY_OPS)}")
            return None
        if self.context != "tool":
            self.err("E241", f"queries are not available in {self._context_name()}", n.span)
            return None
        if len(n.args) > 1:
            self.err("E242", f"`{n.name}` takes one condition", n.args[1].span,
                     help="combine conditions with `and`")
        self.reads.add(ent.name)
        n.ref = ast.EntityQuery(entity=ent.name, op=n.name)
        if n.args:
            inner = scope.child(record=(T.row(ent.name), ent.fields, "_r", True))
            self.expect_bool(n.args[0], inner, "a query condition")
            self._check_sql_able(n.args[0])
        row = T.row(ent.name)
        return {"one": row.as_nullable(), "first": row.as_nullable(), "all": T.list_of(row),
                "exists": T.BOOL, "count": T.INT}[n.name]

    def _context_name(self) -> str:
        return {"seed": "seed generators", "check": "field checks"}.get(self.context, "this place")

    def _check_sql_able(self, node: ast.Node) -> None:
        """A query condition runs in DuckDB: the parts that read the row's columns must be SQL-expressible."""
        from ascc.compiler.sqlexpr import unsupported_in_sql

        bad = unsupported_in_sql(node)
        if bad is not None:
            self.err("E243", "this cannot be evaluated inside a query condition", bad.span,
                     help="query conditions compare the row's fields with values; compute other values in `let:` first")

    # ---- calls and operators
    def _call(self, n: ast.Call, scope: Scope, expected):
        sig = BI.BUILTINS.get(n.func)
        if sig is None:
            self.err("E244", f"unknown function `{n.func}`", n.func_span, help=_unknown_function_help(n.func))
            for a in n.args:
                if not isinstance(a, ast.Comprehension):
                    self.check(a, scope)
            return None
        if sig.contexts and self.context not in sig.contexts:
            self.err("E245", f"`{n.func}()` is not available in {self._context_name()}", n.func_span)
            return None
        return sig.check(self, n, scope, expected)

    def _unary(self, n: ast.Unary, scope, expected):
        t = self.check(n.operand, scope, expected)
        if t.kind == "any":
            return None
        if not t.is_numeric or t.nullable:
            self.err("E246", f"cannot negate {t}", n.span)
            return None
        return t

    def _binary(self, n: ast.Binary, scope, expected):
        lt = self.check(n.left, scope, expected)
        rt = self.check(n.right, scope, expected if expected and expected.is_numeric else None)
        if T.ANY in (lt, rt) or "any" in (lt.kind, rt.kind):
            return None
        for side, t in ((n.left, lt), (n.right, rt)):
            if t.nullable:
                self.err("E237", f"`{_text(side)}` may be null here", side.span,
                         help="use coalesce(x, default), or fail early with `else \"message\"`")
                return None
        if T.is_dynamic(lt) or T.is_dynamic(rt):
            side, t = (n.left, lt) if T.is_dynamic(lt) else (n.right, rt)
            self.dynamic_misuse(side, t, f"`{n.op}` needs values of one type")
            return None
        if lt.is_numeric and rt.is_numeric:
            return T.numeric_result(lt, rt, n.op)
        if n.op == "+" and {lt.kind, rt.kind} <= {"str", "enum"}:
            return T.STR
        if n.op == "+" and lt.kind == rt.kind == "list":
            u = T.unify(lt.elem, rt.elem)
            if u is not None:
                return T.list_of(u)
        self.err("E247", f"`{n.op}` cannot combine {lt} and {rt}", n.span)
        return None

    def _compare(self, n: ast.Compare, scope, expected):
        lt = self.check(n.left, scope)
        if n.op in ("in", "not in"):
            want = T.list_of(lt.nonnull()) if lt.kind != "any" else None
            rt = self.check(n.right, scope, want)
            if "any" in (lt.kind, rt.kind):
                return T.BOOL
            if rt.nullable:
                self.err("E237", f"`{_text(n.right)}` may be null here", n.right.span)
            elif rt.kind == "list" and rt.elem is not None and not T.comparable(lt, rt.elem):
                self.err("E248", f"cannot look for {lt} in {rt}", n.span)
            elif rt.kind == "map" and lt.nonnull().kind not in ("str", "enum"):
                self.err("E248", f"map keys are strings; cannot look for {lt}", n.span)
            elif rt.kind in ("str",) and lt.nonnull().kind not in ("str", "enum"):
                self.err("E248", f"cannot look for {lt} in a string", n.span)
            elif rt.kind not in ("list", "map", "str"):
                self.err("E248", f"`{n.op}` needs a list, map or string on the right, found {rt}", n.right.span)
            return T.BOOL
        if lt.kind == "any" and isinstance(n.right, ast.Name) and scope.lookup(n.right.name) is None:
            return T.BOOL  # the left side is unknown, so a bare name on the right may be one of its enum values
        rt = self.check(n.right, scope, lt if lt.kind == "enum" else None)
        if lt.kind == "any" or rt.kind == "any":
            return T.BOOL
        if not T.comparable(lt, rt):
            self.err("E248", f"cannot compare {lt} with {rt}", n.span)
        elif n.op not in ("==", "!=") and (lt.nullable or rt.nullable):
            side = n.left if lt.nullable else n.right
            self.err("E237", f"`{_text(side)}` may be null here", side.span,
                     help=f"`{n.op}` needs values; test for null with `!= null` first")
        elif n.op not in ("==", "!=") and (T.is_dynamic(lt) or T.is_dynamic(rt)):
            self.dynamic_misuse(n.left if T.is_dynamic(lt) else n.right, lt if T.is_dynamic(lt) else rt,
                                f"`{n.op}` orders values of one type")
        elif n.op not in ("==", "!=") and (lt.is_record or lt.kind in ("list", "map", "bool")):
            self.err("E248", f"{lt} values cannot be ordered with `{n.op}`", n.span)
        if rt.kind == "enum" and lt.kind == "str" and isinstance(n.right, ast.Literal):
            pass
        return T.BOOL

    def _boolop(self, n: ast.BoolOp, scope, expected):
        self.expect_bool(n.left, scope, f"the left side of `{n.op}`")
        # `x != null and x.f > 0`, `x == null or x.f > 0`: the right side runs only when x is not null
        right_scope = scope.narrowed(nonnull_facts(n.left, n.op == "and"))
        self.expect_bool(n.right, right_scope, f"the right side of `{n.op}`")
        return T.BOOL

    def _not(self, n: ast.Not, scope, expected):
        self.expect_bool(n.operand, scope, "the operand of `not`")
        return T.BOOL

    def _ifexp(self, n: ast.IfExp, scope, expected):
        self.expect_bool(n.cond, scope, "a condition")
        a = self.check(n.then, scope.narrowed(nonnull_facts(n.cond, True)), expected)
        hint = expected if expected is not None or a.kind not in ("map", "list") else a  # `m if c else {}`
        b = self.check(n.other, scope.narrowed(nonnull_facts(n.cond, False)), hint)
        if "any" in (a.kind, b.kind):
            return None
        u = T.unify(a, b)
        if u is None:
            self.err("E249", f"the branches of `if … else` differ: {a} and {b}", n.span)
        return u

    # ---- literals of compound values
    def _listlit(self, n: ast.ListLit, scope, expected):
        want = expected.elem if expected is not None and expected.kind == "list" else None
        if not n.items:
            return T.list_of(want) if want is not None else Type("list", elem=T.ANY)
        types = [self.check(i, scope, want) for i in n.items]
        out = types[0]
        for i, t in zip(n.items[1:], types[1:]):
            u = T.unify(out, t)
            if u is None:
                self.err("E249", f"list items differ in type: {out} and {t}", i.span)
                return None
            out = u
        return T.list_of(want if want is not None and all(T.assignable(t, want) for t in types) else out)

    def _dictlit(self, n: ast.DictLit, scope, expected):
        from ascc.compiler.records import check_record_literal

        return check_record_literal(self, n, scope, expected)

    def _comprehension(self, n: ast.Comprehension, scope: Scope, expected):
        it = self.check(n.iterable, scope)
        elem = T.ANY
        if it.kind != "any":
            if it.nullable:
                self.err("E237", f"`{_text(n.iterable)}` may be null here", n.iterable.span)
            elif it.kind == "list":
                elem = it.elem
            elif it.kind == "map":
                elem = T.STR
            else:
                self.err("E250", f"cannot iterate over {it}", n.iterable.span)
        inner = scope.child()
        n.var_py = local_py(n.var, {p.py_name for p in self.params.values()})
        inner.bind(n.var, elem, n.var_py)
        if n.cond is not None:
            self.expect_bool(n.cond, inner, "a comprehension's condition")
            inner = inner.narrowed(nonnull_facts(n.cond, True))
        want = expected.elem if expected is not None and expected.kind == "list" else None
        et = self.check(n.elem, inner, want)
        return T.list_of(et)


def local_py(name: str, taken: set[str]) -> str:
    """The Python name of a `let` value or loop variable: never one a parameter (or earlier value) already has.

    Parameters (`$text`) and values (`text`) are apart in the spec but share one Python function: a value named
    like a parameter would overwrite it, and `_b` and `v_b` are both `v_b` in Python."""
    from ascc.compiler.resolve import py_name

    py = py_name(name)
    while py in taken:
        py += "_"
    return py


def _text(node: ast.Node) -> str:
    match node:
        case ast.Name(name=x):
            return x
        case ast.Param(name=x):
            return "$" + x
        case ast.Attr(obj=o, name=x):
            return f"{_text(o)}.{x}"
        case ast.Index(obj=o):
            return f"{_text(o)}[…]"
        case ast.Method(obj=o, name=x):
            return f"{_text(o)}.{x}(…)"
        case ast.Call(func=f):
            return f"{f}(…)"
    return "this value"


def strip_nullable(t: Type) -> Type:
    return replace(t, nullable=False)


def _unknown_function_help(name: str) -> str:
    """A lookalike builtin, except for Python's own functions: `eval` is not a typo of `values`."""
    import builtins

    if hasattr(builtins, name) or name.startswith("_"):
        return f"expressions cannot call Python's `{name}`; see `ascc explain E244` for the builtin table"
    return did_you_mean(name, BI.BUILTINS) or "see `ascc explain E244` for the builtin table"


def _narrow_kind(t: Type, node: ast.Node, scope: Scope) -> Type:
    from ascc.compiler.dynamic import narrow

    path = null_path(node)
    return narrow(t, path, scope) if path is not None else t
