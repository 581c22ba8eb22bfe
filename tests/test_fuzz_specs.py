"""Property test: mutated specs never crash the compiler.

Valid specs (the examples in `specs/` and two small ones here) are mutated line by line and character by
character (deleted, duplicated and swapped lines, changed indentation, dropped keys, random characters,
quotes, braces, template markers, and expression tokens swapped for random names, operators and literals)
and compiled in-process. Every mutant either compiles or reports at least one error with a span inside the
file; none ends in an exception or an internal error (E900). The default suite tries `ASCC_FUZZ_EXAMPLES`
mutants (default 150); the full 2,000 run under the slow marker (ASCC_SLOW=1), on demand and before a release.
`ASCC_FUZZ_RANDOM=1` draws new examples instead of the fixed derandomized ones.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ascc.compiler.build import compile_file
from ascc.diagnostics import SourceCache, render_all

ROOT = Path(__file__).parents[1]
EXAMPLES = int(os.environ.get("ASCC_FUZZ_EXAMPLES", "150"))
FULL_EXAMPLES = 2000
RANDOM = os.environ.get("ASCC_FUZZ_RANDOM") == "1"  # explore new mutants locally; CI stays derandomized

SMALL = '''\
domain: mini
description: A minimal desk.
types:
  money:
    amount: "decimal(10,2)"
    currency: {enum: [eur, usd]}
entities:
  account:
    key: id
    fields:
      id: {type: str, pattern: "^A[0-9]+$"}
      owner: str
      balance: {type: "decimal(10,2)", default: 0, check: "balance >= 0"}
      tags: list[str]
      history: list[money]
      closed_on: {type: date, nullable: true}
tools:
  get_account:
    kind: read
    description: Get an account by id.
    params:
      id: {ref: account}
    let:
      a: account[$id] else "Account not found"
    returns: {id: a.id, balance: a.balance, tags: a.tags}
  deposit:
    kind: write
    description: Add money to an open account.
    intent: "deposit {amount} into {id}"
    params:
      id: {ref: account}
      amount: "decimal(10,2)"
    let:
      a: account[$id] else "Account not found"
    requires:
      - $amount > 0 else "Amount must be positive"
      - a.closed_on == null else "Account is closed"
    effects:
      - update a: {balance: balance + $amount}
      - append a.history: {amount: $amount, currency: eur}
      - if len(a.tags) == 0:
          - append a.tags: "'active'"
    returns: account[$id]
  rich:
    kind: read
    description: Accounts above a balance.
    params:
      min: "decimal(10,2)"
    sql: SELECT id, balance FROM account WHERE balance > $min ORDER BY id
seed:
  random_seed: 3
  rows:
    account:
      - {id: A1, owner: Ann, balance: 10, tags: [], history: []}
  generate:
    account:
      count: 3
      fields:
        id: seq("A", 3)
        owner: faker.first_name
        balance: uniform(0, 100, 2)
        tags: "[]"
        history: "[]"
'''

TINY = '''\
domain: tiny
description: Notes.
entities:
  note:
    key: id
    fields:
      id: int
      text: str
      done: {type: bool, default: false}
tools:
  add_note:
    kind: write
    description: Add a note.
    params:
      text: str
    effects:
      - insert note: {id: "note.count() + 1", text: $text}
  open_notes:
    kind: read
    description: Notes that are not done.
    returns: "[n.text for n in note.all(not done)]"
seed:
  rows:
    note:
      - {id: 1, text: "first"}
'''

BASES = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "specs").glob("*.env.yaml"))] + [SMALL, TINY]

SNIPPETS = ['"', "'", '"""', "'''", "\\", "\\n", "{{ x }}", "{% if x %}", "{#", "{", "}", "[", "]", "(", ")", ":",
            ": ", "- ", "\t", "  ", "#", "&a ", "*a", "!!python/object:os.system ", "<<: ", "? ", "|", ">", "%",
            "é", "ß", "🙂", "\u2028", "\u00a0", "\ufeff", "$", "$x", "__import__('os')", "eval(", "null", "~",
            ".", "..", "else", " if ", " for ", " in ", "-1", "1e309", "99999999999999999999999", "0.5", "'a'"]
NAMES = ["x", "o", "order", "customer", "status", "pending", "$order_id", "$x", "len", "sum", "faker", "__class__",
         "class", "from", "import", "lambda", "self", "ctx", "true", "null", "else", "if", "for", "not", "where"]
OPERATORS = ["==", "!=", "<", ">=", "+", "-", "*", "/", "%", "and", "or", "not", "in", ".", ",", "(", ")", "[", "]",
             "{", "}", "if", "else", "for"]
LITERALS = ["0", "-1", "1.5", "'x'", '"y"', "''", "true", "false", "null", "[]", "{}", "10000000000000000000000"]
TOKEN = re.compile(r"\$?[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|==|!=|<=|>=|[-+*/%<>.,()\[\]{}]")

mutations = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, 10_000)),
    st.tuples(st.just("duplicate"), st.integers(0, 10_000)),
    st.tuples(st.just("swap"), st.integers(0, 10_000), st.integers(0, 10_000)),
    st.tuples(st.just("indent"), st.integers(0, 10_000), st.sampled_from([-4, -2, -1, 1, 2, 4])),
    st.tuples(st.just("drop_block"), st.integers(0, 10_000)),
    st.tuples(st.just("char"), st.integers(0, 10_000), st.integers(0, 200), st.characters(codec="utf-8")),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.integers(0, 200), st.sampled_from(SNIPPETS)),
    st.tuples(st.just("token"), st.integers(0, 10_000), st.integers(0, 50),
              st.sampled_from(NAMES + OPERATORS + LITERALS)),
)


def mutate(text: str, ops) -> str:
    lines = text.split("\n")
    for op, *args in ops:
        if not lines:
            lines = [""]
        i = args[0] % len(lines)
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = args[1] % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            n = args[1]
            lines[i] = " " * n + lines[i] if n > 0 else lines[i][min(-n, len(lines[i]) - len(lines[i].lstrip())):]
        elif op == "drop_block":  # a key and everything nested under it
            depth = len(lines[i]) - len(lines[i].lstrip())
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > depth):
                j += 1
            del lines[i:j]
        elif op in ("char", "insert"):
            line = lines[i]
            k = args[1] % (len(line) + 1)
            lines[i] = line[:k] + args[2] + line[k + (op == "char"):]
        elif op == "token":
            found = list(TOKEN.finditer(lines[i]))
            if found:
                m = found[args[1] % len(found)]
                lines[i] = lines[i][:m.start()] + args[2] + lines[i][m.end():]
    return "\n".join(lines)


WORK = Path(tempfile.mkdtemp(prefix="ascc-fuzz-"))
# Specs name their seed files relative to themselves: the mutants sit where those paths still resolve.
shutil.copytree(ROOT / "specs" / "data", WORK / "data")


def check_mutant(text: str) -> None:
    spec = WORK / "mutant.env.yaml"
    spec.write_text(text, encoding="utf-8")
    result = compile_file(spec, None)
    sources = SourceCache()
    shown = render_all(result.diagnostics, sources)
    assert "Traceback" not in shown
    internal = [d for d in result.diagnostics if d.code.startswith("E9")]
    assert not internal, f"internal compiler error:\n{shown}\n--- spec ---\n{text}"
    if result.ok:
        return
    n_lines = max(text.count("\n"), len(text.splitlines())) + 1  # YAML also breaks lines at U+2028 and others
    located = [d for d in result.diagnostics if d.severity == "error" and d.span is not None]
    assert located, f"errors without a location:\n{shown}\n--- spec ---\n{text}"
    for d in result.diagnostics:
        s = d.span
        if s is not None and s.file == str(spec):
            assert 1 <= s.line <= s.end_line <= n_lines + 1 and s.col >= 1, f"span outside the file: {d}\n{text}"


def fuzz(examples: int) -> None:
    @settings(max_examples=examples, deadline=None, derandomize=not RANDOM, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(base=st.sampled_from(range(len(BASES))), ops=st.lists(mutations, min_size=1, max_size=4))
    def mutants_never_crash(base: int, ops):
        check_mutant(mutate(BASES[base], ops))

    mutants_never_crash()


@pytest.mark.parametrize("examples", [EXAMPLES, pytest.param(FULL_EXAMPLES, marks=pytest.mark.slow)],
                         ids=["default", "full"])
def test_mutated_specs_never_crash(examples: int):
    fuzz(examples)


def test_the_bases_compile():
    for text in BASES:
        spec = WORK / "base.env.yaml"
        spec.write_text(text, encoding="utf-8")
        result = compile_file(spec, None)
        assert result.ok, render_all(result.diagnostics, SourceCache())


# ---- hostile text: spec strings enter generated code only as literals

NASTY = [
    'quotes " and \' and """ and \'\'\' in one line',
    "back\\slashes \\n \\\\ \\' \\\" and a trailing backslash \\",
    "template markers {{ ctx }} {% for x in y %}{% endfor %} {# c #} {} {0}",
    "unicode: é ß Ω 漢字 🙂 \u00a0 and a tab\tinside",
    "two lines\nof text",
    "code-looking ''') ; import os; os.system('true') #",
]


def q(s: str) -> str:
    """`s` as a YAML double-quoted scalar (JSON strings are YAML)."""
    import json

    return json.dumps(s, ensure_ascii=False)


def expr_str(s: str) -> str:
    """`s` as a string literal of the expression language."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def hostile_spec() -> tuple[str, dict[str, str], list[str]]:
    """A spec with Python keywords as names and hostile strings; its tool descriptions and error messages.

    The entity is `global` and the tools `class`, `from` and `import`: entities and tools share one namespace."""
    descriptions = {"class": NASTY[0], "from": NASTY[1] + " " + NASTY[3], "import": NASTY[2]}
    messages = [NASTY[0], NASTY[1], NASTY[2], NASTY[3], NASTY[4], NASTY[5]]
    text = f"""\
domain: hostile
description: {q(NASTY[5] + " " + NASTY[0])}
policy: {q(NASTY[4] + " " + NASTY[2])}
entities:
  global:
    key: class
    description: {q(NASTY[1])}
    fields:
      class: {{type: str, description: {q(NASTY[0])}}}
      from: {{type: str, nullable: true}}
      def: {{type: int, default: 0}}
      lambda: {{enum: ["a \\"quoted\\" value", "{{{{ x }}}}", "é"], default: "é"}}
tools:
  class:
    kind: read
    description: {q(descriptions["class"])}
    params:
      from: {{ref: global, description: {q(NASTY[2])}}}
    let:
      x: {q("global[$from] else " + expr_str(messages[0]))}
    requires:
      - {{check: "x.def >= 0", error: {q(messages[1])}}}
      - {{check: "x.lambda != 'é'", error: {q(messages[2])}}}
    returns: x
  from:
    kind: write
    description: {q(descriptions["from"])}
    intent: "set {{import}} on {{from}} ({{{{literal braces}}}})"
    params:
      from: {{ref: global}}
      import: str
    let:
      x: {q("global[$from] else " + expr_str(messages[3]))}
    requires:
      - {{check: "$import != ''", error: {q(messages[4])}}}
    effects:
      - update x: {{from: $import}}
    returns: x
  import:
    kind: generic
    description: {q(descriptions["import"])}
    params:
      class: int
    requires:
      - {{check: "$class > 0", error: {q(messages[5])}}}
    returns: "$class + 1"
seed:
  rows:
    global:
      - {{class: {q(NASTY[0])}, from: {q(NASTY[2])}, def: 1}}
"""
    return text, descriptions, messages


def _string_args(tree, func: str) -> set[str]:
    import ast

    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == func:
            out |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return out


def test_hostile_strings_and_keyword_names(tmp_path: Path):
    import ast
    import importlib.util

    from ascc.compiler.resolve import py_name

    text, descriptions, messages = hostile_spec()
    spec = tmp_path / "hostile.env.yaml"
    spec.write_text(text, encoding="utf-8")
    result = compile_file(spec, tmp_path / "build")
    assert result.ok, render_all(result.diagnostics, SourceCache())
    source = (tmp_path / "build" / "hostile" / "tools.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    compile(source, "tools.py", "exec")
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    for name, desc in descriptions.items():
        fn = functions[py_name(name)]
        assert ast.get_docstring(fn, clean=False) == desc
    assert set(messages) <= _string_args(tree, "ToolError")
    assert ast.get_docstring(tree).count(NASTY[5]) == 1  # the domain description, as text
    if importlib.util.find_spec("ascc.runtime.context") is not None:
        mod_spec = importlib.util.spec_from_file_location("hostile_tools", tmp_path / "build" / "hostile" / "tools.py")
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
        for name, desc in descriptions.items():
            assert getattr(module, py_name(name)).__doc__ == desc
