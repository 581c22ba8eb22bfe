"""An interpreter for checked expressions, used at compile time: seed generators and field checks.

Tool bodies never run through here: they are compiled to Python. This evaluates the same typed nodes with the
same builtin implementations, plus the seed builtins (Faker, picks, random numbers), all from one seeded RNG.
"""

from __future__ import annotations

import datetime as dt
import operator
import random
from decimal import Decimal

from ascc.compiler.ir import Domain, Entity, SeedGenerator
from ascc.compiler.resolve import convert_value
from ascc.dsl import ast
from ascc.lang import builtins as B
from ascc.lang.errors import ToolError


class EvalError(Exception):
    pass


_METHODS: dict[type, object] = {}  # node class -> its SeedEvaluator method
_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
            ">=": operator.ge, "in": lambda a, b: a in b, "not in": lambda a, b: a not in b}


class SeedEvaluator:
    def __init__(self, domain: Domain, rng: random.Random, rows: dict[str, list[dict]], seed: int):
        self.domain, self.rng, self.rows = domain, rng, rows
        self._faker = None
        self.seed = seed
        self.index = 0
        self.used: dict[tuple, set] = {}
        self.last_error: str | None = None

    @property
    def faker(self):
        if self._faker is None:
            from faker import Faker

            self._faker = Faker("en_US")
            self._faker.seed_instance(self.seed)
        return self._faker

    # ---- rows
    def generate(self, g: SeedGenerator, i: int):
        self.index = i
        env: dict = {}
        try:
            for let in g.lets:
                env[let.name] = self.eval(let.expr, env)
            row = {}
            for name, node in g.fields:
                current = node
                row[name] = self.eval(node, env)
                env[name] = row[name]
            return row, None
        except (EvalError, ToolError, ArithmeticError, TypeError, ValueError, AttributeError, IndexError) as exc:
            self.last_error = str(exc) or type(exc).__name__
            node = locals().get("current")
            return None, (node.span if node is not None else g.fields[0][1].span if g.fields else None)

    def check_row(self, ent: Entity, row: dict) -> str | None:
        for f in ent.fields.values():
            if f.check is None:
                continue
            try:
                ok = self.eval(f.check, {}, row)
            except (EvalError, ToolError, ArithmeticError, TypeError) as exc:
                return f"`{ent.name}` {row[ent.key]!r}: check `{f.check_text}` cannot be evaluated ({exc})"
            if not ok:
                return f"`{ent.name}` {row[ent.key]!r} fails the check `{f.check_text}` of `{f.name}`"
        return None

    # ---- expressions
    def eval(self, n: ast.Node, env: dict, row: dict | None = None):
        method = _METHODS.get(type(n))
        if method is None:  # once per node class: a seed of many rows evaluates millions of nodes
            method = _METHODS[type(n)] = getattr(SeedEvaluator, "_" + type(n).__name__.lower())
        return method(self, n, env, row)

    def _literal(self, n, env, row):
        if n.kind == "decimal":
            return float(n.value) if n.type is not None and n.type.kind == "float" else Decimal(n.value)
        return n.value

    def _param(self, n, env, row):
        raise EvalError(f"parameter ${n.name} has no value here")

    def _name(self, n, env, row):
        ref = n.ref
        if ref is not None and ref.kind == "enum":
            return n.name
        if ref is not None and ref.kind == "field" and row is not None:
            return row[n.name]
        if n.name in env:
            return env[n.name]
        raise EvalError(f"`{n.name}` has no value here")

    def _attr(self, n, env, row):
        if isinstance(n.obj, ast.Name) and n.obj.name == "faker":
            return getattr(self.faker, n.name)()
        return self.eval(n.obj, env, row)[n.name]

    def _index(self, n, env, row):
        key = self.eval(n.key, env, row)
        if isinstance(n.ref, ast.EntityLookup):
            ent = self.domain.entities[n.ref.entity]
            return next((r for r in self.rows[ent.name] if r[ent.key] == key), None)
        obj = self.eval(n.obj, env, row)
        return B.entry_or_none(obj, key) if isinstance(n.ref, ast.MapKey) else B.item(obj, key)

    def _method(self, n, env, row):
        if isinstance(n.obj, ast.Name) and n.obj.name == "faker":
            return getattr(self.faker, n.name)(*[self.eval(a, env, row) for a in n.args])
        raise EvalError("queries do not run at compile time")

    def _call(self, n, env, row):
        special = getattr(self, "_fn_" + n.func, None)
        if special is not None:
            return special(n, env, row)
        args = [self.eval(a, env, row) for a in n.args]
        if n.func == "today":
            return dt.date.fromisoformat(self.domain.today)
        if n.func == "now":
            return dt.datetime.fromisoformat(self.domain.now)
        return getattr(B, n.func)(*args)

    def _unary(self, n, env, row):
        return -self.eval(n.operand, env, row)

    def _binary(self, n, env, row):
        a, b = self.eval(n.left, env, row), self.eval(n.right, env, row)
        if n.type is not None and n.type.kind == "float":
            a, b = float(a), float(b)
        if n.op == "/":
            return B.div(a, b)
        if n.op == "%":
            return B.mod(a, b)
        return _ARITH[n.op](a, b)

    def _compare(self, n, env, row):
        a, b = self.eval(n.left, env, row), self.eval(n.right, env, row)
        return _COMPARE[n.op](a, b)

    def _boolop(self, n, env, row):
        left = self.eval(n.left, env, row)
        if n.op == "and":
            return left and self.eval(n.right, env, row)
        return left or self.eval(n.right, env, row)

    def _not(self, n, env, row):
        return not self.eval(n.operand, env, row)

    def _ifexp(self, n, env, row):
        return self.eval(n.then, env, row) if self.eval(n.cond, env, row) else self.eval(n.other, env, row)

    def _listlit(self, n, env, row):
        return [self.eval(i, env, row) for i in n.items]

    def _dictlit(self, n, env, row):
        out = {it.key: self.eval(it.value, env, row) for it in n.items}
        out.update(n.fill or {})
        return out

    def _comprehension(self, n, env, row):
        out = []
        for x in self.eval(n.iterable, env, row):
            inner = {**env, n.var: x}
            if n.cond is None or self.eval(n.cond, inner, row):
                out.append(self.eval(n.elem, inner, row))
        return out

    # ---- seed builtins
    def _fn_pick(self, n, env, row):
        ent = self.domain.entities[n.args[0].name]
        rows = self.rows[ent.name]
        if not rows:
            raise EvalError(f"no `{ent.name}` rows to pick from")
        return self.rng.choice(rows)[ent.key]

    def _fn_pick_row(self, n, env, row):
        rows = self.rows[n.args[0].name]
        if not rows:
            raise EvalError(f"no `{n.args[0].name}` rows to pick from")
        return self.rng.choice(rows)

    def _fn_rows(self, n, env, row):
        return self.rows[n.args[0].name]

    def _fn_choice(self, n, env, row):
        return self.eval(self.rng.choice(n.args), env, row)

    def _fn_randint(self, n, env, row):
        lo, hi = (self.eval(a, env, row) for a in n.args)
        return self.rng.randint(int(lo), int(hi))

    def _fn_uniform(self, n, env, row):
        lo, hi = float(self.eval(n.args[0], env, row)), float(self.eval(n.args[1], env, row))
        digits = int(n.args[2].value) if len(n.args) == 3 else 2
        return Decimal(repr(round(self.rng.uniform(lo, hi), digits))).quantize(Decimal(1).scaleb(-digits))

    def _fn_seq(self, n, env, row):
        prefix, width = n.args[0].value, n.args[1].value
        return f"{prefix}{self.index + 1:0{width}d}"

    def _fn_digits(self, n, env, row):
        prefix, width = n.args[0].value, n.args[1].value
        used = self.used.setdefault(("digits", prefix, width), set())
        if len(used) >= 10 ** width:
            raise EvalError(f"all {width}-digit ids with prefix {prefix!r} are used")
        while True:
            value = f"{prefix}{self.rng.randrange(10 ** width):0{width}d}"
            if value not in used:
                used.add(value)
                return value

    def _fn_date_between(self, n, env, row):
        a, b = (dt.date.fromisoformat(x.value) for x in n.args)
        return a + dt.timedelta(days=self.rng.randint(0, max(0, (b - a).days)))

    def _fn_datetime_between(self, n, env, row):
        a, b = (dt.datetime.fromisoformat(x.value) for x in n.args)
        return a + dt.timedelta(seconds=self.rng.randint(0, max(0, int((b - a).total_seconds()))))

    def _fn_repeat(self, n, env, row):
        from ascc.compiler.seedcheck import MAX_REPEAT

        lo, hi = (int(self.eval(a, env, row)) for a in n.args[:2])
        if hi > MAX_REPEAT:
            raise EvalError(f"`repeat()` makes at most {MAX_REPEAT} values, and its maximum here is larger")
        return [self.eval(n.args[2], env, row) for _ in range(self.rng.randint(lo, hi))]

    def _fn_maybe(self, n, env, row):
        p = float(self.eval(n.args[0], env, row))
        return self.eval(n.args[1], env, row) if self.rng.random() < p else None

    def _fn_index(self, n, env, row):
        return self.index


__all__ = ["SeedEvaluator", "convert_value"]
