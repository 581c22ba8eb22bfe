"""`ascc shell`: one environment at a prompt, for spec authors trying their tools by hand.

Reads one command a line (with readline editing and history at a terminal; plain lines from a pipe, each echoed
after `>` so a transcript reads well). No command can crash the session: a bad line prints an error and the
prompt comes back.
"""

from __future__ import annotations

import json
import shlex
import sys

from rich.console import Console
from rich.json import JSON
from rich.table import Table
from rich.text import Text

from ascc.diagnostics import did_you_mean
from ascc.lang.types import Type
from ascc.runtime.diff import diff_states, render_diff
from ascc.runtime.domain import CompiledDomain
from ascc.runtime.env import Environment, to_jsonable

HELP = """\
commands (a leading `:` marks a shell command, so `:diff` is always this one; a bare word is a tool when the
domain has a tool of that name, and the command otherwise):
  :tools                   the domain's tools: kind and parameters
  :call TOOL {json}        call a tool (`TOOL {json}` works too; arguments default to {})
  :tables                  the tables, their keys and row counts
  :show TABLE [N]          the first N rows of a table (default 10)
  :digest                  the state digest (and per-table row counts)
  :diff                    what changed since the last reset
  :log                     the calls since the last reset
  :reset                   back to the initial state
  :help                    this text
  :quit                    leave (Ctrl-D too)"""
QUIT = ("quit", "exit", "q")


def type_text(t: Type) -> str:
    """A parameter or field type as the spec writes it: `str`, `decimal(10,2)`, `list[line_item]`, ..."""
    k = t.kind
    if k == "decimal":
        s = f"decimal({t.precision},{t.scale})"
    elif k == "enum":
        s = "{" + "|".join(t.values) + "}"
    elif k == "list":
        s = f"list[{type_text(t.elem)}]"
    elif k == "map":
        s = f"map[{type_text(t.elem)}]"
    elif k == "struct":
        s = t.name
    else:
        s = k
    return s + ("?" if t.nullable else "")


class Shell:
    def __init__(self, domain: CompiledDomain, console: Console | None = None, stdin=None):
        self.domain = domain
        self.env = Environment(domain)
        self.console = console or Console(highlight=False)
        self.stdin = stdin or sys.stdin
        self.initial = self.env.state()
        self.commands = {"tools": self.tools, "call": self.call, "tables": self.tables, "show": self.show,
                         "digest": self.digest, "diff": self.diff, "log": self.log, "reset": self.reset,
                         "help": self.help, "?": self.help}
        # tools that take a command's name: the bare word calls the tool, `:word` runs the command
        self.shadowed = sorted(w for w in [*self.commands, *QUIT] if w in domain.info.tools)

    # ---- loop
    def run(self) -> None:
        interactive = self.stdin.isatty()
        if interactive:
            _enable_readline()
            self.console.print(f"[bold]{self.domain.name}[/]: {len(self.domain.info.tools)} tools, "
                               f"{len(self.domain.info.entities)} tables. Type `:help`.")
        if self.shadowed:
            self.console.print(Text(shadow_note(self.shadowed), style="yellow"))
        while True:
            try:
                line = input(f"{self.domain.name}> ") if interactive else self._read_line()
            except (EOFError, KeyboardInterrupt):
                break
            if line is None:
                break
            if not interactive and line.strip():
                self.console.print(Text(f"> {line}", style="dim"))
            if self.execute(line) is False:
                break
        self.env.close()

    def _read_line(self) -> str | None:
        line = self.stdin.readline()
        return None if line == "" else line.rstrip("\n")

    def execute(self, line: str) -> bool:
        """Run one command line; False means quit. Never raises."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        word, _, rest = line.partition(" ")
        command = word[1:] if word.startswith(":") else None
        tools = self.domain.info.tools
        if command is None and word not in tools:
            command = word  # a bare command word: no tool takes its name
        if command in QUIT:
            return False
        try:
            if command is None:
                self.call(line)
            elif command in self.commands:
                self.commands[command](rest.strip())
            elif word.startswith(":"):
                hint = did_you_mean(command, [*self.commands, *QUIT])
                self.error(f"unknown shell command `{word}`; "
                           + (hint.replace("`", "`:", 1) if hint else "`:help` lists the commands"))
            else:
                hint = did_you_mean(word, [*self.commands, *tools])
                self.error(f"unknown command or tool `{word}`; "
                           + (hint or "`:help` lists the commands, `:tools` the tools"))
        except Exception as exc:  # the shell outlives any mistake
            self.error(f"{type(exc).__name__}: {exc}")
        return True

    def error(self, message: str) -> None:
        self.console.print(Text(f"error: {message}", style="red"))

    # ---- commands
    def help(self, _: str) -> None:
        self.console.print(HELP, markup=False)

    def tools(self, _: str) -> None:
        table = Table(title=f"{self.domain.name} tools", title_justify="left")
        for col in ("tool", "kind", "params", "description"):
            table.add_column(col)
        for name, t in self.domain.info.tools.items():
            params = ", ".join(f"{p.name}: {type_text(p.type)}" + ("" if p.required else " = …")
                               for p in t.params)
            kind = Text(t.kind, style="yellow" if t.kind == "write" else "cyan")
            table.add_row(Text(name), kind, Text(params), Text(t.description or ""))
        self.console.print(table)

    def call(self, rest: str) -> None:
        name, _, raw = rest.strip().partition(" ")
        if not name:
            return self.error("usage: call TOOL {json arguments}")
        if name not in self.domain.info.tools:
            hint = did_you_mean(name, self.domain.info.tools)
            return self.error(f"unknown tool `{name}`; " + (hint or "`tools` lists them"))
        r = self.env.call(name, raw.strip() or "{}")
        if r.ok:
            mark = Text("✓ " + name + (" (wrote)" if r.wrote else ""), style="green")
            self.console.print(mark)
            self.console.print(JSON(r.content))
        else:
            err = r.value["error"]
            self.console.print(Text(f"✗ {name}: {err['code']}: {err['message']}", style="red"))

    def tables(self, _: str) -> None:
        table = Table(title=f"{self.domain.name} tables", title_justify="left")
        for col in ("table", "key", "rows", "fields"):
            table.add_column(col, justify="right" if col == "rows" else "left")
        counts = {t: c for t, (c, _) in self.env.table_digests().items()}
        for name, e in self.domain.info.entities.items():
            fields = ", ".join(f"{f}: {type_text(v.type)}" for f, v in e.fields.items())
            table.add_row(Text(name), Text(e.key), str(counts.get(name, "?")), Text(fields))
        self.console.print(table)

    def show(self, rest: str) -> None:
        args = shlex.split(rest)
        if not args or args[0] not in self.domain.info.entities or len(args) > 2:
            hint = did_you_mean(args[0], self.domain.info.entities) if args else None
            return self.error(hint or f"usage: show TABLE [N]; tables: {', '.join(self.domain.info.entities)}")
        limit = int(args[1]) if len(args) == 2 else 10
        rows = self.env.rows(args[0])
        table = Table(title=f"{args[0]}: {min(limit, len(rows))} of {len(rows)} rows", title_justify="left")
        for f in self.domain.info.entities[args[0]].fields:
            table.add_column(f, overflow="fold")
        for r in rows[:limit]:
            table.add_row(*(Text(_cell(v)) for v in r.values()))
        self.console.print(table)

    def digest(self, _: str) -> None:
        self.console.print(self.env.digest())
        counts = ", ".join(f"{t}: {c}" for t, (c, _) in self.env.table_digests().items())
        self.console.print(Text(counts, style="dim"))

    def diff(self, _: str) -> None:
        self.console.print(render_diff(diff_states(self.domain.info, self.initial, self.env.state()),
                                       title="since reset"))

    def log(self, _: str) -> None:
        if not self.env.log:
            return self.console.print(Text("no calls since the last reset", style="dim"))
        table = Table(title="calls since reset", title_justify="left")
        for col in ("#", "tool", "arguments", "result"):
            table.add_column(col)
        for i, rec in enumerate(self.env.log, 1):
            result = Text("wrote" if rec.wrote else "ok", style="green") if rec.ok else \
                Text(rec.error_code or "error", style="red")
            table.add_row(str(i), Text(rec.tool), Text(json.dumps(rec.arguments, ensure_ascii=False)), result)
        self.console.print(table)

    def reset(self, _: str) -> None:
        self.env.reset()
        self.initial = self.env.state()
        self.console.print(Text("reset to the initial state", style="dim"))


def shadow_note(words: list[str]) -> str:
    """The startup line that says which tools take a shell command's name, and how to reach the command."""
    listed = ", ".join(f"`{w}`" for w in words)
    return (f"note: the domain has tools named {listed}: a bare `{words[0]}` calls the tool; "
            f"write `:{words[0]}` for the shell's command")


def _cell(v) -> str:
    if v is None:
        return "∅"
    if isinstance(v, (list, dict)):
        return json.dumps(to_jsonable(v), ensure_ascii=False)
    return str(to_jsonable(v))


def _enable_readline() -> None:
    try:
        import readline  # noqa: F401  (importing it gives input() line editing and history)
    except ImportError:
        pass
