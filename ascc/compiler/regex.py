"""Regular expressions that Python's `re` and DuckDB's RE2 read alike: `pattern:` fields and `matches()`.

A pattern runs in RE2 twice: in Python (google-re2, in tool code, field checks and seeding) and in DuckDB
(`regexp_full_match`, in the table's CHECK and in query conditions). Both match the *whole* string, in time linear
in the text, so no pattern can backtrack for minutes. Python's `re` (with `re.ASCII`) still reads every pattern
here, so that a spec means the same to a reader who knows Python's dialect:
a pattern is accepted only when both compile it and nothing in it is read differently by the two:

- `\\s`/`\\S`: RE2 leaves out the vertical tab;
- `[:alpha:]` inside a class: a POSIX class to RE2, four characters to Python;
- `{,n}`: a repetition to Python, literal text to RE2;
- `$` before the end of the pattern, and the `m` flag: Python's `$` also matches before a final newline;
- the `i` flag (and every other flag but `s`): RE2 folds case by Unicode rules (the Kelvin sign is a `k`),
  Python with `re.ASCII` does not.

`\\d`, `\\w` and `\\b` are ASCII-only in both (Python is given `re.ASCII`).
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass

import duckdb

from ascc.duck import sandboxed
from ascc.lang.builtins import REGEX_FLAGS, regex


@dataclass(frozen=True)
class PatternProblem:
    code: str  # E208: an engine refuses it; E218: the engines read it differently
    message: str
    help: str | None = None


def pattern_problem(pattern: str) -> PatternProblem | None:
    """Why `pattern` cannot be used by both engines alike, or None."""
    try:
        with warnings.catch_warnings():  # "possible nested set": reported below as a POSIX class
            warnings.simplefilter("ignore", FutureWarning)
            re.compile(pattern, REGEX_FLAGS)
    except re.error as exc:
        return PatternProblem("E208", f"invalid pattern: {exc.msg}")
    refused = _re2_error(pattern)
    if refused is None:
        try:
            regex(pattern)  # the runtime's own RE2 (google-re2), which matches in Python
        except Exception as exc:  # noqa: BLE001 - re2.error and its kin
            refused = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if refused is not None:
        return PatternProblem("E208", f"invalid pattern for DuckDB: {refused}",
                              "use the syntax both Python and RE2 accept (no look-arounds or back-references)")
    return _differences(pattern)


@functools.lru_cache(maxsize=512)
def _re2_error(pattern: str) -> str | None:
    try:
        _duck().execute("SELECT regexp_full_match('', ?)", [pattern]).fetchone()
    except duckdb.Error as exc:
        return str(exc).splitlines()[0].removeprefix("Invalid Input Error: ")
    return None


@functools.cache
def _duck() -> duckdb.DuckDBPyConnection:
    return sandboxed()


def _differences(p: str) -> PatternProblem | None:
    i, n, class_start = 0, len(p), None
    while i < n:
        c = p[i]
        if c == "\\":
            if p[i + 1:i + 2] in ("s", "S"):
                return PatternProblem("E218", f"`\\{p[i + 1]}` differs between Python and DuckDB (the vertical tab)",
                                      "write the characters out, as in `[ \\t\\n]`")
            i += 2
            continue
        if class_start is not None:
            if c == "[" and p[i + 1:i + 2] == ":":
                return PatternProblem("E218", "a POSIX class such as `[:alpha:]` is plain characters to Python",
                                      "write the range out, as in `[A-Za-z]`")
            if c == "]" and i > class_start:
                class_start = None
        elif c == "[":
            class_start = i + 1 + (p[i + 1:i + 2] == "^")  # a `]` right after `[` or `[^` is a character
            i = class_start
            continue
        elif c == "$" and i != n - 1:
            return PatternProblem("E218", "`$` before the end of the pattern differs between Python and DuckDB",
                                  "patterns match the whole string: drop the `$`, or move it to the end")
        elif c == "{" and p[i + 1:i + 2] == ",":
            return PatternProblem("E218", "`{,n}` is a repetition to Python but plain text to DuckDB",
                                  "write `{0,n}`")
        elif c == "(" and (flags := re.match(r"\(\?([a-zA-Z-]+)[:)]", p[i:])) and set(flags.group(1)) - {"s"}:
            return PatternProblem("E218", f"the flag `(?{flags.group(1)})` differs between Python and DuckDB",
                                  "only `(?s)` is shared; for case, write both (`[Kk]`) or match `lower(s)`")
        i += 1
    return None
