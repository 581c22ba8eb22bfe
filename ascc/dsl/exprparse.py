"""Parse expression strings (and type strings, effect heads) from the spec into `ast` nodes.

The grammar lives in `expr.lark` (LALR, positions propagated). Spans are made relative to where the string
sits in the YAML file, so a diagnostic inside an expression points at the right column of the spec.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ascc.diagnostics import DiagnosticBag, Span
from ascc.dsl import ast
from ascc.dsl.yamlnodes import YScalar

_STARTS = ["start_expr", "start_guarded", "start_type", "start_effect", "start_foreach", "start_if"]
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}
_TOKEN_NAMES = {
    "NAME": "a name", "PARAM": "a parameter", "INT": "a number", "DECIMAL": "a number", "STRING": "a string",
    "RPAR": "`)`", "LPAR": "`(`", "RSQB": "`]`", "LSQB": "`[`", "RBRACE": "`}`", "LBRACE": "`{`",
    "COMMA": "`,`", "COLON": "`:`", "DOT": "`.`", "COMP_OP": "a comparison", "ADD_OP": "`+` or `-`",
    "MUL_OP": "`*`, `/` or `%`", "$END": "the end of the expression", "ELSE": "`else`", "IF": "`if`",
    "FOR": "`for`", "IN": "`in`", "WHERE": "`where`", "VERB": "an effect verb", "QMARK": "`?`", "VBAR": "`|`", "MINUS": "`-`",
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = files("ascc.dsl").joinpath("expr.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", start=_STARTS, propagate_positions=True, maybe_placeholders=True)


@lru_cache(maxsize=16384)
def _tree(text: str, start: str):
    """The lark tree of one string. Cached: a spec repeats many strings (types, lookups, conditions), and so do
    the domains one process compiles. Trees are only read by `_ToAst`; a syntax error is raised, never cached."""
    return _parser().parse(text, start=start)


def unescape(raw: str) -> str:
    """The value of a string literal token, quotes removed and escapes resolved."""
    body = raw[1:-1]

    def sub(m: re.Match) -> str:
        esc = m.group(1)
        if esc[0] == "u":
            return chr(int(esc[1:], 16))
        return _ESCAPES.get(esc, "\\" + esc)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", sub, body)


class _ToAst(Transformer):
    """lark tree → ast nodes, spans relative to the expression string (line 1, col 1)."""

    def __init__(self, file: str, line: int, col: int, block: bool = False):
        super().__init__()
        self.file, self.line, self.col, self.block = file, line, col, block

    def _span(self, meta_or_tok) -> Span:
        m = meta_or_tok
        if isinstance(m, Token):
            s = Span(self.file, m.line, m.column, m.end_line, m.end_column)
        elif getattr(m, "empty", False):
            s = Span(self.file, 1, 1, 1, 2)
        else:
            s = Span(self.file, m.line, m.column, m.end_line, m.end_column)
        return s.shifted(self.line, self.col, self.block)

    # --- literals and leaves
    @v_args(meta=True)
    def int_(self, meta, c):
        return ast.Literal(self._span(meta), int(c[0]), "int")

    @v_args(meta=True)
    def decimal_(self, meta, c):
        return ast.Literal(self._span(meta), str(c[0]), "decimal")

    @v_args(meta=True)
    def string(self, meta, c):
        return ast.Literal(self._span(meta), unescape(str(c[0])), "str")

    @v_args(meta=True)
    def true(self, meta, c):
        return ast.Literal(self._span(meta), True, "bool")

    @v_args(meta=True)
    def false(self, meta, c):
        return ast.Literal(self._span(meta), False, "bool")

    @v_args(meta=True)
    def null(self, meta, c):
        return ast.Literal(self._span(meta), None, "null")

    @v_args(meta=True)
    def param(self, meta, c):
        return ast.Param(self._span(meta), str(c[0])[1:])

    @v_args(meta=True)
    def name(self, meta, c):
        return ast.Name(self._span(meta), str(c[0]))

    # --- compound
    @v_args(meta=True)
    def attr(self, meta, c):
        return ast.Attr(self._span(meta), c[0], str(c[1]), self._span(c[1]))

    @v_args(meta=True)
    def index(self, meta, c):
        return ast.Index(self._span(meta), c[0], c[1])

    @v_args(meta=True)
    def method(self, meta, c):
        return ast.Method(self._span(meta), c[0], str(c[1]), self._span(c[1]), c[2] or [])

    @v_args(meta=True)
    def call(self, meta, c):
        return ast.Call(self._span(meta), str(c[0]), self._span(c[0]), c[1] or [])

    @v_args(meta=True)
    def gencall(self, meta, c):
        span = self._span(meta)
        clauses = c[2]
        if len(clauses) == 1:
            var, var_span, iterable, cond = clauses[0]
            comp = ast.Comprehension(span, c[1], var, var_span, iterable, cond, reducer=str(c[0]))
            return ast.Call(span, str(c[0]), self._span(c[0]), [comp])
        return ast.Call(span, str(c[0]), self._span(c[0]), [self._nested(span, c[1], clauses)])

    def _nested(self, span, elem, clauses) -> ast.Node:
        """`[e for x in A for y in B]` as `flatten([[e for y in B] for x in A])`, one flatten per outer clause."""
        var, var_span, iterable, cond = clauses[-1]
        inner: ast.Node = ast.Comprehension(span, elem, var, var_span, iterable, cond)
        for var, var_span, iterable, cond in reversed(clauses[:-1]):
            inner = ast.Call(span, "flatten", span, [ast.Comprehension(span, inner, var, var_span, iterable, cond)])
        return inner

    def arglist(self, c):
        return list(c)

    def comp_for(self, c):
        return list(c)

    def comp_clause(self, c):
        return (str(c[0]), self._span(c[0]), c[1], c[2])

    @v_args(meta=True)
    def listcomp(self, meta, c):
        if len(c[1]) > 1:
            return self._nested(self._span(meta), c[0], c[1])
        var, var_span, iterable, cond = c[1][0]
        return ast.Comprehension(self._span(meta), c[0], var, var_span, iterable, cond)

    @v_args(meta=True)
    def list_(self, meta, c):
        return ast.ListLit(self._span(meta), [x for x in c if x is not None])

    @v_args(meta=True)
    def dict_(self, meta, c):
        return ast.DictLit(self._span(meta), [x for x in c if x is not None])

    def dict_item(self, c):
        key, value = c
        if isinstance(key, Token):
            return ast.DictItem(str(key), self._span(key), True, value)
        return ast.DictItem(key.value, key.span, False, value)

    @v_args(meta=True)
    def neg(self, meta, c):
        return ast.Unary(self._span(meta), "-", c[0])

    @v_args(meta=True)
    def binary(self, meta, c):
        return ast.Binary(self._span(meta), str(c[1]), c[0], c[2])

    @v_args(meta=True)
    def compare(self, meta, c):
        return ast.Compare(self._span(meta), str(c[1]), c[0], c[2])

    @v_args(meta=True)
    def in_(self, meta, c):
        return ast.Compare(self._span(meta), "in", c[0], c[1])

    @v_args(meta=True)
    def not_in(self, meta, c):
        return ast.Compare(self._span(meta), "not in", c[0], c[1])

    @v_args(meta=True)
    def is_null(self, meta, c):
        span = self._span(meta)
        return ast.Compare(span, "==", c[0], ast.Literal(span, None, "null"))

    @v_args(meta=True)
    def is_not_null(self, meta, c):
        span = self._span(meta)
        return ast.Compare(span, "!=", c[0], ast.Literal(span, None, "null"))

    @v_args(meta=True)
    def and_(self, meta, c):
        return ast.BoolOp(self._span(meta), "and", c[0], c[1])

    @v_args(meta=True)
    def or_(self, meta, c):
        return ast.BoolOp(self._span(meta), "or", c[0], c[1])

    @v_args(meta=True)
    def not_(self, meta, c):
        return ast.Not(self._span(meta), c[0])

    @v_args(meta=True)
    def ifexp(self, meta, c):
        return ast.IfExp(self._span(meta), c[1], c[0], c[2])

    # --- entry points
    def start_expr(self, c):
        return c[0]

    def start_guarded(self, c):
        expr, msg = c
        return ast.Guarded(expr, msg.value if msg is not None else None, msg.span if msg is not None else None)

    def start_type(self, c):
        return c[0]

    @v_args(meta=True)
    def start_effect(self, meta, c):
        return ast.EffectHead(str(c[0]), self._span(c[0]), c[1], c[2])

    def start_foreach(self, c):
        return (str(c[0]), self._span(c[0]), c[1])

    def start_if(self, c):
        return c[0]

    # --- types
    @v_args(meta=True)
    def simple_type(self, meta, c):
        return ast.TypeExpr(str(c[0]), self._span(meta))

    @v_args(meta=True)
    def param_type(self, meta, c):
        return ast.TypeExpr(str(c[0]), self._span(meta), tuple(int(x) for x in c[1:] if x is not None))

    @v_args(meta=True)
    def generic_type(self, meta, c):
        return ast.TypeExpr(str(c[0]), self._span(meta), tuple(x for x in c[1:] if x is not None))

    def type(self, c):  # `(int | str)`: the parentheses only group
        return c[0]

    @v_args(meta=True)
    def union_type(self, meta, c):
        return ast.TypeExpr("|", self._span(meta), tuple(c))

    @v_args(meta=True)
    def nullable_type(self, meta, c):
        inner = c[0]
        return ast.TypeExpr(inner.name, self._span(meta), inner.args, True)


_OPERAND_START = {"NAME", "PARAM", "INT", "DECIMAL", "STRING", "LPAR", "LSQB", "LBRACE", "MINUS", "TRUE", "FALSE",
                  "NULL", "NOT"}


def _describe_expected(expected) -> str:
    expected = set(expected)
    lead = []
    if {"NAME", "INT", "STRING"} <= expected:  # where any operand fits, say so instead of listing its first tokens
        lead, expected = ["a value"], expected - _OPERAND_START
    names = lead + sorted({_TOKEN_NAMES.get(e, f"`{e.lower()}`") for e in expected})
    if len(names) > 4:
        names = names[:4] + ["…"]
    return ", ".join(names)


def parse(text: str, start: str, where: YScalar | tuple[str, int, int], bag: DiagnosticBag):
    """Parse `text` from entry point `start`; on a syntax error add an E1xx diagnostic and return None."""
    file, line, col = (where.span.file, where.text_line, where.text_col) if isinstance(where, YScalar) else where
    block = isinstance(where, YScalar) and where.style in ("|", ">")
    try:
        tree = _tree(text, start)
    except UnexpectedInput as exc:
        bag.add(_syntax_error(exc, text, file, line, col, start))
        return None
    except LarkError as exc:  # pragma: no cover - lark raises UnexpectedInput for bad input
        bag.error("E100", f"cannot parse expression: {exc}", Span.point(file, line, col))
        return None
    if (deep := _deeper_than(tree, MAX_EXPR_DEPTH)) is not None:
        m = deep.meta
        where = Span(file, m.line, m.column, m.end_line, m.end_column).shifted(line, col, block)
        bag.error("E105", f"the expression nests more than {MAX_EXPR_DEPTH} levels deep", where,
                  help="split it into `let:` values, or look the value up in a table")
        return None
    return _ToAst(file, line, col, block).transform(tree)


# Later stages walk expressions recursively and the generated Python nests one pair of parentheses per level,
# which CPython's parser refuses past 200: a chain of 3,000 `x if c else …` must end here, with its place.
MAX_EXPR_DEPTH = 100


def _deeper_than(tree, limit: int):
    """The first subtree more than `limit` levels below the root, or None (iteratively: the tree may be deep)."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit and not getattr(node.meta, "empty", True):
            return node
        stack.extend((c, depth + 1) for c in node.children if hasattr(c, "children"))
    return None


_UNQUOTED_ELSE = re.compile(r"\belse\s+([^\s\"'][^\"']*)?$")  # `… else Thing {id} not`: a message without quotes


def _syntax_error(exc: UnexpectedInput, text: str, file: str, line: int, col: int, start: str):
    from ascc.diagnostics import Diagnostic

    what = "type" if start == "start_type" else "expression"
    rel = Span.point(file, getattr(exc, "line", 1) or 1, getattr(exc, "column", 1) or 1)
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        end_line = text.count("\n") + 1
        end_col = len(text.rsplit("\n", 1)[-1]) + 1
        span = Span.point(file, end_line, end_col).shifted(line, col)
        expected = getattr(exc, "expected", None) or getattr(exc, "accepts", None) or []
        return Diagnostic("E102", f"unexpected end of {what}", span,
                          help=f"expected {_describe_expected(expected)}" if expected else None)
    if isinstance(exc, UnexpectedCharacters):
        lines = text.split("\n")  # lark counts lines by "\n" only; splitlines() also breaks at U+2028 and others
        line_text = lines[exc.line - 1] if 0 < exc.line <= len(lines) else ""
        ch = line_text[exc.column - 1] if 0 < exc.column <= len(line_text) else "?"
        span = rel.shifted(line, col)
        help_ = None
        if ch == "=":
            help_ = "use `==` to compare"
        elif ch in "&|!":
            help_ = "use `and`, `or`, `not`"
        shown = ch if ch.isprintable() and not ch.isspace() else ascii(ch)[1:-1]  # U+2028 shows as `\u2028`
        return Diagnostic("E101", f"unexpected character `{shown}` in {what}", span, help=help_)
    tok = exc.token
    if tok.type == "VBAR" and start != "start_type":  # `|` is a token only for union types (`int | str`)
        span = Span.point(file, tok.line, tok.column).shifted(line, col)
        return Diagnostic("E101", f"unexpected character `|` in {what}", span, help="use `and`, `or`, `not`")
    width = max(1, len(str(tok)))
    span = Span.point(file, tok.line, tok.column, width).shifted(line, col)
    expected = getattr(exc, "expected", None) or getattr(exc, "accepts", None) or []
    help_ = f"expected {_describe_expected(expected)}" if expected else None
    if start == "start_guarded" and (m := _UNQUOTED_ELSE.search(text[:tok.start_pos or 0])):
        message = text[m.start() + len("else"):].strip().replace('"', "'")
        help_ = (f'the message after `else` is a string: write it in quotes, `else "{message}"`, and the whole line '
                 f"in single quotes for YAML: `'… else \"{message}\"'`")
    return Diagnostic("E103", f"unexpected `{tok}` in {what}", span, help=help_)
