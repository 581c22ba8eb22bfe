"""matches(s, pattern) and `pattern:`: one regular-expression dialect, the part Python's `re` and DuckDB's RE2
read alike, matched against the whole string in tool code (Python) and in query conditions (DuckDB)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ascc.compiler.build import compile_file
from ascc.compiler.regex import pattern_problem
from ascc.runtime import builtins as B
from ascc.runtime.domain import load_domain
from ascc.runtime.env import Environment

SPEC = """
domain: codes
description: Items whose codes and labels are checked with matches().
entities:
  item:
    key: code
    fields:
      code: {type: str, pattern: "[A-Z]{3}-[0-9]+"}
      label: {type: str, check: 'matches(label, "[a-z ]*")'}
tools:
  find:
    kind: read
    description: Items of a code family, and whether the query itself is a code.
    params:
      q: str
    returns:
      is_code: matches($q, "[A-Z]{3}-[0-9]+")
      in_sql: "[i.code for i in item.all(matches(code, 'ABC-.*'))]"
      mixed: "[i.code for i in item.all(matches(code, '.*-1') and matches($q, '(?s).*x.*'))]"
      in_python: "[i.code for i in item.all() if matches(i.label, 'o.*')]"
  relabel:
    kind: write
    description: Change an item's label.
    intent: "relabel {code}"
    params:
      code: {ref: item}
      label: str
    let:
      i: item[$code] else "Item not found"
    requires:
      - not matches($label, ".*[0-9].*") else "Labels have no digits"
    effects:
      - update i: {label: $label}
    returns: i
seed:
  rows:
    item:
      - {code: ABC-1, label: one}
      - {code: ABC-22, label: twenty two}
      - {code: XYZ-1, label: other}
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("matches")
    spec = folder / "codes.env.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    result = compile_file(spec, folder / "build", force=True)
    assert result.ok, [d.message for d in result.diagnostics]
    with Environment(load_domain(str(result.out_dir))) as e:
        yield e


def test_matches_in_python_and_in_query_conditions(env):
    assert env.call("find", {"q": "ABC-9"}).value == {"is_code": True, "in_sql": ["ABC-1", "ABC-22"],
                                                      "mixed": [], "in_python": ["ABC-1", "XYZ-1"]}
    assert env.call("find", {"q": "ab\nx"}).value["mixed"] == ["ABC-1", "XYZ-1"]
    assert env.call("find", {"q": "ABC-9 "}).value["is_code"] is False  # the whole string, not a search


def test_matches_in_preconditions_and_field_checks(env):
    r = env.call("relabel", {"code": "ABC-1", "label": "no 1"})
    assert not r.ok and "Labels have no digits" in r.content
    r = env.call("relabel", {"code": "ABC-1", "label": "UPPER"})
    assert not r.ok and env.rows("item")[0]["label"] == "one"
    assert env.call("relabel", {"code": "ABC-1", "label": "first one"}).ok


# Patterns the checker accepts, with the constructs that could differ between the engines
ACCEPTED = ["[A-Z]{3}-[0-9]+", "^#W[0-9]{7}$", r"\d+", r"\w+", r"[\w.]+@[a-z]+\.example", r"\bk", "(?s).*",
            ".*", "a|ab", "(?:ab)+c?", "[^a-z]*", "[]a]+", "[$]+", r"\$", "é.", "k{0,2}", "a{2,}", "(?P<x>a)b",
            r"[\t\n ]+", "[[a]+"]
ALPHABET = "abkKsSx0-9 \t\n\x0b.$[]:éÉ٣\u212a\u017f"
_DUCK = duckdb.connect()


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_accepted_patterns(pattern):
    assert pattern_problem(pattern) is None


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ACCEPTED), st.text(alphabet=ALPHABET, max_size=8))
def test_python_and_duckdb_agree(pattern, text):
    in_duckdb = _DUCK.execute("SELECT regexp_full_match(?, ?)", [text, pattern]).fetchone()[0]
    assert B.matches(text, pattern) == in_duckdb


@pytest.mark.parametrize(("pattern", "code", "text", "py", "duck"), [
    (r"\s", "E218", "\x0b", True, False),
    ("[[:alpha:]]+", "E218", "ab", False, True),
    ("a{,2}", "E218", "a", True, False),
    ("(?i)k", "E218", "\u212a", False, True),
    ("a$\n", "E218", "a\n", True, False),
])
def test_refused_patterns_are_the_ones_that_differ(pattern, code, text, py, duck):
    """Each refusal names a real difference: the two engines disagree on `text`."""
    problem = pattern_problem(pattern)
    assert problem is not None and problem.code == code
    assert _DUCK.execute("SELECT regexp_full_match(?, ?)", [text, pattern]).fetchone()[0] is duck
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        assert (re.fullmatch(pattern, text, B.REGEX_FLAGS) is not None) is py


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?=a)", "a[", r"\Z", r"\z", r"\u0041", "(?x)a", "a**"])
def test_patterns_one_engine_refuses(pattern):
    problem = pattern_problem(pattern)
    assert problem is not None and problem.code == "E208"


def test_field_patterns_use_the_same_dialect(tmp_path: Path):
    spec = tmp_path / "tags.env.yaml"
    spec.write_text(SPEC.replace('pattern: "[A-Z]{3}-[0-9]+"', r'pattern: "[A-Z]{3}\\s[0-9]+"'), encoding="utf-8")
    result = compile_file(spec, tmp_path / "build", force=True)
    assert [d.code for d in result.diagnostics] == ["E218"]
