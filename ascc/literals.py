"""The one escaping point: every string that enters generated Python or SQL text passes through here.

Spec strings, names and paths (a spec's file name included) are written into `tools.py` and `schema.sql` only as
literals, quoted identifiers or escaped comments, never spliced. Compiler and runtime both import this module;
it imports nothing of either.
"""

from __future__ import annotations

from sqlglot import exp


def py_literal(s: str) -> str:
    """A string as a Python literal: repr escapes quotes, backslashes, line breaks and control characters."""
    return repr(s)


def comment_text(s: str) -> str:
    """Text that stays inside one `#` or `--` comment line, whatever it holds.

    Everything a tokenizer could read as the end of a line (\\n, \\r, \\v, \\f, \\x1c-\\x1e, \\x85, U+2028, U+2029),
    every other unprintable character and lone surrogates are written as escapes, and so is the backslash itself,
    so the comment reads back unambiguously. Printable text, accents and CJK included, is kept as it is.
    """
    return "".join(ch if ch.isprintable() and ch != "\\" else _escape(ch) for ch in s)


def _escape(ch: str) -> str:
    return "\\\\" if ch == "\\" else repr(ch)[1:-1]


def quote_ident(name: str) -> str:
    """A SQL identifier, double-quoted with embedded quotes doubled (DuckDB's rule)."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value) -> str:
    """A Python value as a SQL literal, escaped by sqlglot (spec strings are never spliced raw)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return exp.Literal.number(value).sql("duckdb")
    return exp.Literal.string(str(value)).sql("duckdb")
