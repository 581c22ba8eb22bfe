"""`ascc shell`: tools named like the shell's own commands (`diff`, `log`, `reset`, `show`) stay reachable, and so
do the commands: a bare word is the tool when the domain has one of that name, `:word` is always the command."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from ascc.runtime.domain import compile_and_load
from ascc.runtime.shell import Shell

SPEC = """\
domain: notes
entities:
  note: {key: id, fields: {id: int, text: str}}
tools:
  diff:
    kind: read
    description: Compare two numbers.
    params: {a: int, b: int}
    returns: $a - $b
  log:
    kind: write
    description: Log a note.
    params: {id: int, text: str}
    effects:
      - insert note: {id: $id, text: $text}
    returns: $id
  show:
    kind: read
    description: Show a note.
    params: {id: int}
    returns: note[$id]
seed:
  rows:
    note: [{id: 1, text: first}]
"""


def run_shell(tmp_path: Path, *lines: str) -> str:
    spec = tmp_path / "notes.env.yaml"
    spec.write_text(SPEC)
    out = io.StringIO()
    shell = Shell(compile_and_load(spec, tmp_path / "build"), Console(file=out, width=200, highlight=False),
                  stdin=io.StringIO("\n".join(lines) + "\n"))
    shell.run()
    return out.getvalue()


def test_bare_words_call_tools_and_colon_words_run_commands(tmp_path):
    o = run_shell(tmp_path, 'diff {"a": 5, "b": 2}', 'log {"id": 2, "text": "second"}', ":diff", ":log",
                  'show {"id": 2}', ":show note", "tables", ":tols", "reset", ":reset", ":diff")
    assert o.startswith("note: the domain has tools named `diff`, `log`, `show`: a bare `diff` calls the tool; "
                        "write `:diff` for the shell's command")
    assert "✓ diff\n3" in o  # the tool, not the command
    assert "✓ log (wrote)" in o
    assert "1 added" in o and '+ {"id": 2, "text": "second"}' in o  # `:diff` is the command
    assert "calls since reset" in o  # and so is `:log`
    assert '"text": "second"' in o  # `show {...}` called the tool
    assert "note: 2 of 2" in o  # `:show note` is the command
    assert "notes tables" in o  # a bare command word that no tool takes still works
    assert "unknown shell command `:tols`; did you mean `:tools`?" in o
    assert o.count("reset to the initial state") == 2
    assert o.rstrip().endswith("no differences")


def test_help_names_the_colon_form(tmp_path):
    o = run_shell(tmp_path, ":help", ":quit", "diff {}")
    assert ":diff" in o and "a bare word is a tool" in o
    assert "invalid_arguments" not in o  # nothing runs after :quit
