"""The package's layers, read from its source with `ast` (nothing is imported):

- the compiler and the runtime do not import each other: what both need (types, values, the typed view of a
  compiled domain) lives in `ascc.lang`, which imports neither; `ascc.lang` imports no other ascc package;
- `domain.json` is read in one place, `ascc/lang/compiled.py` (`read_domain_info`/`domain_info`), and every other
  module reads the typed `DomainInfo`: no module past the compiler touches the loaded JSON (`CompiledDomain.meta`)
  or subscripts anything with a key only `domain.json` has;
- the IR is typed: resolved references are read by field, effects told apart by class.

`python3 tests/test_layers.py` prints the package-level import graph (docs/architecture.md shows it).
"""

from __future__ import annotations

import ast
import functools
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "ascc"
LOADER = {"lang/compiled.py", "lang/types.py", "runtime/domain.py"}  # reads domain.json / holds its raw dict
WRITER = {"compiler/build.py"}  # writes domain.json
SPEC_WRITERS = ("compiler/", "dsl/", "importers/openapi/")  # read or write spec YAML, whose keys are alike
# keys that only domain.json's tool, param, field, type and rule records have: a string subscript (or `.get`)
# with one of them outside the loader reads the JSON
JSON_ONLY = {"params", "py_name", "param_uses", "requested_by", "entities", "structs", "fields", "elem", "nullable",
             "precision", "scale", "keys_of", "new_key_of", "equals", "examples", "simulation", "identify_by",
             "handoff", "consent"}
# ascc/dsl reads lark's `meta` (positions), compiler/sqlcheck sqlglot's
TOOLKIT_META = ("dsl/", "compiler/")


@functools.cache
def modules() -> dict[str, ast.Module]:
    return {p.relative_to(ROOT).as_posix(): ast.parse(p.read_text(encoding="utf-8"))
            for p in sorted(ROOT.rglob("*.py"))}


@functools.cache
def all_nodes() -> tuple[tuple[str, ast.AST], ...]:
    """(file, node) for every node of every module, walked once."""
    return tuple((rel, node) for rel, tree in modules().items() for node in ast.walk(tree))


def package_of(rel: str) -> str:
    return rel.split("/")[0] if "/" in rel else rel.removesuffix(".py")


@functools.cache
def imports_of() -> dict[str, set[str]]:
    """{file: the `ascc.x.y` modules it imports, at module level or inside functions}."""
    out: dict[str, set[str]] = {rel: set() for rel in modules()}
    for rel, node in all_nodes():
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out[rel] |= imported(node)
    return out


def imported(tree: ast.AST) -> set[str]:
    """`ascc.x.y` modules an import statement (or a whole tree) imports."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m.startswith("ascc.")}


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for rel, mods in imports_of().items():
        src = package_of(rel)
        for m in mods:
            dst = m.split(".")[1]
            if dst != src and (ROOT / dst).is_dir():
                graph[src].add(dst)
    return graph


def edges(src: str, dst: str) -> list[str]:
    """`file: module` for each import of package `dst` by a file of package `src`."""
    return [f"{rel}: {m}" for rel, mods in imports_of().items() if package_of(rel) == src
            for m in sorted(mods) if m.split(".")[1] == dst]


def test_compiler_and_runtime_do_not_import_each_other():
    """The compiler imports nothing of the runtime (the runtime may drive the compiler: `compile_and_load`)."""
    assert edges("compiler", "runtime") == [], "the compiler imports the runtime:\n" + "\n".join(
        edges("compiler", "runtime"))


def test_lang_imports_no_other_ascc_package():
    assert package_graph().get("lang", set()) == set(), edges("lang", next(iter(package_graph()["lang"])))


def _json_reads(rel: str, nodes) -> list[str]:
    found = []
    for node in nodes:
        key = None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            key = node.slice.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
              and node.args and isinstance(node.args[0], ast.Constant)):
            key = node.args[0].value
        if key in JSON_ONLY:
            found.append(f"{rel}:{node.lineno}: [{key!r}]")
        if isinstance(node, ast.Attribute) and node.attr == "meta" and not rel.startswith(TOOLKIT_META):
            found.append(f"{rel}:{node.lineno}: .meta")
        if isinstance(node, ast.Constant) and node.value == "domain.json" and rel not in WRITER:
            found.append(f"{rel}:{node.lineno}: 'domain.json'")
    return found


def test_domain_json_is_read_only_by_the_loader():
    found = [x for rel, node in all_nodes() if rel not in LOADER and not rel.startswith(SPEC_WRITERS)
             for x in _json_reads(rel, (node,))]
    assert not found, "domain.json read past the loader (use `CompiledDomain.info`):\n" + "\n".join(found)


def test_past_the_runtime_nothing_runs_sql_on_an_environment():
    """The simulator, eval, the trainer and the importers read rows through `Environment.row`/`keys`/
    `field_values`/`rows`, never through its DuckDB connection."""
    found = [f"{rel}:{node.lineno}" for rel, node in all_nodes()
             if rel.startswith(("sim/", "eval/", "trainer/", "importers/"))
             and isinstance(node, ast.Attribute) and node.attr == "con"]
    assert not found, "SQL on an environment's connection:\n" + "\n".join(found)


def test_the_ir_is_read_by_name_and_class():
    """A resolved reference is read by field (`n.ref.entity`), not unpacked by position (`n.ref[1]`); an effect is
    told apart by its class (`isinstance(e, ir.Delete)`), not by comparing its `verb` string."""
    found = []
    for rel, node in all_nodes():
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "ref":
            found.append(f"{rel}:{node.lineno}: .ref[...]")
        if (isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and node.left.attr == "verb"
                and rel.startswith("compiler/") and ast.unparse(node.left.value) != "r"):  # r: a RawEffect
            found.append(f"{rel}:{node.lineno}: .verb compared")
    assert not found, "\n".join(found)


def test_each_builtin_has_its_signature_and_implementation_in_one_entry():
    from ascc.compiler.builtins import BUILTINS
    from ascc.lang import builtins as impl
    from ascc.runtime import builtins as runtime_builtins

    assert runtime_builtins is impl  # the runtime's name for it is the same module
    for b in BUILTINS.values():
        assert b.via_ctx or (callable(b.impl) and b.impl.__module__ == "ascc.lang.builtins"), b.name
    assert BUILTINS["today"].impl is None and BUILTINS["len"].impl is impl.len


def test_the_check_finds_a_json_read():
    """The scan is not vacuous: the reads this refactor removed are found."""
    tree = ast.parse('k = domain.meta["entities"][e]["key"]\nt = p["type"]["elem"]\nopen("domain.json")\n'
                     'by = meta.get("simulation", {}).get("identify_by")\n')
    assert len(_json_reads("sim/x.py", ast.walk(tree))) == 6


if __name__ == "__main__":
    for src, dsts in sorted(package_graph().items()):
        print(f"{src} -> {', '.join(sorted(dsts))}")
    sys.exit(0)
