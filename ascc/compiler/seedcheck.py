"""Seed generators: `seed.generate.<entity>` field expressions, typed with the seed builtins added.

Generators may use the whole expression language (no queries, no tool parameters) plus: `faker.<provider>`
(any Faker provider, optionally called with literal arguments), pick(entity) (a random existing key),
pick_row(entity) (a random existing row), rows(entity) (the existing rows, in load order), choice(a, b, …),
randint(lo, hi), uniform(lo, hi, digits), seq(prefix, width), digits(prefix, n), date_between(a, b),
datetime_between(a, b), repeat(lo, hi, value), maybe(p, value) and index() (the row's number, from 0).
"""

from __future__ import annotations

from decimal import Decimal

from ascc.compiler import types as T
from ascc.compiler.exprcheck import ExprChecker
from ascc.compiler.ir import Domain, Let, Seed, SeedGenerator
from ascc.compiler.resolve import py_name
from ascc.compiler.scope import Scope
from ascc.diagnostics import DiagnosticBag, did_you_mean
from ascc.dsl import ast
from ascc.dsl.raw import RawSeed

MAX_GENERATED_ROWS = 100_000  # rows all of a spec's generators make together
MAX_REPEAT = 1000  # values one `repeat()` makes
MAX_WIDTH = 30  # digits of `seq()`/`digits()` ids
MAX_DIGITS = 18  # decimal digits of `uniform()`
SEED_FUNCS = ("pick", "pick_row", "rows", "choice", "randint", "uniform", "seq", "digits", "date_between",
              "datetime_between", "repeat", "maybe", "index")


class SeedChecker(ExprChecker):
    def __init__(self, domain: Domain, bag: DiagnosticBag, available: set[str]):
        super().__init__(domain, bag, {}, context="seed")
        self.available = available

    def _faker_name(self, node: ast.Node) -> bool:
        return isinstance(node, ast.Name) and node.name == "faker"

    def _attr(self, n: ast.Attr, scope, expected):
        if self._faker_name(n.obj):
            self._faker_provider(n.name, n.name_span)
            n.obj.type = T.ANY
            return T.ANY
        return super()._attr(n, scope, expected)

    def _method(self, n: ast.Method, scope, expected):
        if self._faker_name(n.obj):
            self._faker_provider(n.name, n.name_span)
            for a in n.args:
                self.check(a, scope)
                if not isinstance(a, ast.Literal):
                    self.err("E401", "Faker providers take literal arguments", a.span)
            n.obj.type = T.ANY
            n.ref = ast.FakerCall(name=n.name)
            return T.ANY
        return super()._method(n, scope, expected)

    def _faker_provider(self, name: str, span) -> None:
        fake = _faker()
        if name.startswith("_") or not callable(getattr(fake, name, None)):
            self.err("E402", f"unknown Faker provider `{name}`", span,
                     help=did_you_mean(name, [p for p in dir(fake) if not p.startswith("_")][:2000]))

    def _call(self, n: ast.Call, scope, expected):
        if n.func not in SEED_FUNCS:
            return super()._call(n, scope, expected)
        return getattr(self, "_seed_" + n.func)(n, scope, expected)

    def _entity_arg(self, n: ast.Call) -> str | None:
        if len(n.args) != 1 or not isinstance(n.args[0], ast.Name):
            self.err("E403", f"`{n.func}()` takes an entity name, as in {n.func}(customer)", n.span)
            return None
        name = n.args[0].name
        n.args[0].type = T.ANY
        if name not in self.domain.entities:
            self.err("E403", f"`{name}` is not an entity", n.args[0].span, help=did_you_mean(name, self.domain.entities))
            return None
        if name not in self.available:
            self.err("E404", f"no `{name}` rows exist yet at this point of the seed", n.args[0].span,
                     help="rows come from `files`, then `rows`, then `generate` in the order written")
            return None
        return name

    def _seed_pick(self, n, scope, expected):
        e = self._entity_arg(n)
        return self.domain.entities[e].key_field.type if e else None

    def _seed_pick_row(self, n, scope, expected):
        e = self._entity_arg(n)
        return T.row(e) if e else None

    def _seed_rows(self, n, scope, expected):
        e = self._entity_arg(n)
        return T.list_of(T.row(e)) if e else None

    def _seed_choice(self, n, scope, expected):
        if not n.args:
            self.err("E405", "`choice()` needs at least one value", n.span)
            return None
        out = None
        for a in n.args:
            t = self.check(a, scope, expected)
            out = t if out is None else (T.unify(out, t) or out)
        return out

    def _numbers(self, n, scope, lo: int, hi: int, kinds=("int",)):
        if not lo <= len(n.args) <= hi:
            self.err("E251", f"`{n.func}()` takes {lo} to {hi} arguments", n.span)
            return False
        for a in n.args:
            t = self.check(a, scope)
            if t.kind not in (*kinds, "any"):
                self.err("E252", f"`{n.func}()` needs numbers, found {t}", a.span)
                return False
        return True

    def _seed_randint(self, n, scope, expected):
        self._numbers(n, scope, 2, 2)
        return T.INT

    def _seed_uniform(self, n, scope, expected):
        self._numbers(n, scope, 2, 3, ("int", "decimal", "float"))
        digits = n.args[2].value if len(n.args) == 3 and isinstance(n.args[2], ast.Literal) else 2
        if not self._at_most(n, n.args[2] if len(n.args) == 3 else None, MAX_DIGITS, "decimal digits",
                             "`uniform(1, 100, 2)`"):
            return T.decimal(38, 2)
        return T.decimal(38, int(digits))

    def _seed_seq(self, n, scope, expected):
        self._literals(n, ("str", "int"))
        self._at_most(n, n.args[1] if len(n.args) == 2 else None, MAX_WIDTH, "digits", f"`{n.func}(\"C\", 6)`")
        return T.STR

    def _at_most(self, n, arg, limit: int, what: str, example: str) -> bool:
        """Whether a literal size argument is within `limit` (E415 when not)."""
        if isinstance(arg, ast.Literal) and isinstance(arg.value, (int, float, Decimal)) \
                and not isinstance(arg.value, bool) and arg.value > limit:
            self.err("E415", f"`{n.func}()` makes at most {limit} {what}; this asks for {_size(arg.value)}",
                     arg.span, help=f"seed data is built in the compiler: keep it small, as in {example}")
            return False
        return True

    _seed_digits = _seed_seq

    def _literals(self, n, kinds) -> None:
        if len(n.args) != len(kinds):
            self.err("E251", f"`{n.func}()` takes {len(kinds)} arguments", n.span)
            return
        for a, k in zip(n.args, kinds):
            self.check(a, Scope())
            if not (isinstance(a, ast.Literal) and a.kind == k):
                self.err("E253", f"`{n.func}()` takes literal arguments ({', '.join(kinds)})", a.span)

    def _seed_date_between(self, n, scope, expected):
        self._literals(n, ("str", "str"))
        return T.DATE

    def _seed_datetime_between(self, n, scope, expected):
        self._literals(n, ("str", "str"))
        return T.DATETIME

    def _seed_repeat(self, n, scope, expected):
        if len(n.args) != 3:
            self.err("E251", "`repeat()` takes a minimum, a maximum and a value", n.span)
            return None
        self._numbers(ast.Call(n.span, "repeat", n.func_span, n.args[:2]), scope, 2, 2)
        for a in n.args[:2]:
            if not self._at_most(n, a, MAX_REPEAT, "values", "`repeat(1, 5, pick(product))`"):
                break
        elem = expected.elem if expected is not None and expected.kind == "list" else None
        return T.list_of(self.check(n.args[2], scope, elem))

    def _seed_maybe(self, n, scope, expected):
        if len(n.args) != 2:
            self.err("E251", "`maybe()` takes a probability and a value", n.span)
            return None
        self.check(n.args[0], scope)
        return self.check(n.args[1], scope, expected).as_nullable()

    def _seed_index(self, n, scope, expected):
        if n.args:
            self.err("E251", "`index()` takes no arguments", n.span)
        return T.INT


_FAKER = None


def _faker():
    global _FAKER
    if _FAKER is None:
        from faker import Faker

        _FAKER = Faker()
    return _FAKER


def check_seed_spec(raw: RawSeed, domain: Domain, bag: DiagnosticBag) -> Seed:
    seed = Seed(raw.random_seed)
    available: set[str] = set()
    for name, path in raw.files:
        if _entity_ok(name, domain, bag):
            seed.files.append((name.value, path.value, path.span))
            available.add(name.value)
    for name, rows in raw.rows:
        if _entity_ok(name, domain, bag):
            seed.rows.append((name.value, rows))
            available.add(name.value)
    generated = 0
    for g in raw.generate:
        if not _entity_ok(g.entity, domain, bag):
            continue
        generated += g.count
        if generated > MAX_GENERATED_ROWS:
            before = generated - g.count
            bag.error("E415", f"the seed generators make {_size(generated)} rows; at most {MAX_GENERATED_ROWS:,} "
                              "in all", g.count_span,
                      help=f"seed data is built in the compiler: a generator may make up to "
                           f"{max(0, MAX_GENERATED_ROWS - before):,} more rows here"
                           + (f" (those before it make {before:,})" if before else ""))
            continue
        ent = domain.entities[g.entity.value]
        c = SeedChecker(domain, bag, available | {ent.name})
        scope = Scope()
        lets = []
        for rl in g.lets:
            t = c.check(rl.value.expr, scope)
            py = py_name(rl.name.value)
            scope.bind(rl.name.value, t, py)
            lets.append(Let(rl.name.value, py, rl.value.expr, None, rl.line, t))
        fields = []
        for a in g.fields:
            f = ent.fields.get(a.name.value)
            if f is None:
                c.err("E238", f"unknown field `{a.name.value}` on entity `{ent.name}`", a.name.span,
                      help=did_you_mean(a.name.value, ent.fields))
                continue
            t = c.check(a.value, scope, f.type)
            if not T.assignable(t, f.type):
                c.err("E230", f"field `{f.name}`: expected {f.type}, found {t}", a.value.span)
            fields.append((f.name, a.value))
            scope.bind(f.name, f.type, py_name(f.name))
        seed.generators.append(SeedGenerator(ent.name, g.count, lets, fields, g.span.line, g.entity.span))
        available.add(ent.name)
    return seed


def _entity_ok(name, domain: Domain, bag) -> bool:
    if name.value in domain.entities:
        return True
    bag.error("E406", f"seed data for unknown entity `{name.value}`", name.span,
              help=did_you_mean(name.value, domain.entities))
    return False


def _size(n) -> str:
    """A count for a message: `100,000`, or `about 10^30` past what reads well."""
    if isinstance(n, float) or abs(n) >= 10 ** 15:
        return f"about 10^{len(str(int(abs(n)))) - 1}" if abs(n) < 10 ** 4000 else "far too many"
    return f"{n:,}"
