"""Bounded reading of the files ascc is handed: specs, train configs, task files, seed and imported data.

Every YAML or JSON text that ascc parses comes through here first, so that one hostile file cannot make a
command run for minutes or fill the memory. A few hundred bytes of YAML aliases (nine levels of nine-fold
`*a` references, the "billion laughs") expand to 9^9 nodes; a few kilobytes of brackets nest deeper than
the Python stack. The checks here read the text once, in linear time and without building anything, and name
the line and column of the first thing over a limit:

- bytes that are not UTF-8 (`E000`): where the first bad byte is;
- a text over `MAX_BYTES` (`E015`);
- nesting deeper than `MAX_DEPTH` (`E105`): where the level past the limit opens;
- YAML aliases that repeat more than `MAX_ALIAS_NODES` nodes in all, or an alias inside its own anchor
  (`E016`): where the alias is.

Callers turn an `InputProblem` into their own kind of error (a diagnostic, a `ConfigError`, a task-file line).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

MAX_DEPTH = 100  # a spec nests about a dozen levels; the deepest data ascc reads (tasks, seed rows) a few more
MAX_ALIAS_NODES = 10_000  # nodes that YAML aliases may repeat in one document, all aliases together
MAX_BYTES = 64 << 20  # one document: a spec, a config, one task line, one seed or data file


class InputProblem(ValueError):
    """A text that ascc refuses to parse; `line` and `col` are 1-based. A `ValueError`, as `json.loads`' own."""

    def __init__(self, code: str, message: str, line: int = 1, col: int = 1):
        super().__init__(f"{line}:{col}: {message}")
        self.code, self.message, self.line, self.col = code, message, line, col


def decode(data: bytes) -> str:
    """`data` as UTF-8 text; raises `InputProblem` at the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
        line_start = data.rfind(b"\n", 0, start) + 1
        col = len(data[line_start:start].decode("utf-8", errors="replace")) + 1
        what = "a binary file, not text" if b"\0" in data[:8192] else "not UTF-8 text"
        raise InputProblem("E000", f"{what}: byte 0x{data[start]:02x} cannot be decoded",
                           data.count(b"\n", 0, start) + 1, col) from None


def read_text(path: str | Path, max_bytes: int = MAX_BYTES) -> str:
    """A file's text, bounded and decoded; `OSError` passes through, everything else is an `InputProblem`."""
    chunks, size = [], 0
    with open(path, "rb") as fh:  # in pieces: `read(n)` would reserve all n bytes at once
        while size <= max_bytes and (chunk := fh.read(min(1 << 20, max_bytes + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
    data = b"".join(chunks)
    if size > max_bytes:
        raise InputProblem("E015", f"the file is larger than {_size(max_bytes)}")
    return decode(data)


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB" if n >= 1 << 10 else f"{n} bytes"


def _where(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _check_size(text: str, max_bytes: int) -> None:
    if len(text) > max_bytes or len(text.encode("utf-8", errors="surrogatepass")) > max_bytes:
        raise InputProblem("E015", f"the text is larger than {_size(max_bytes)}", *_where(text, max_bytes))


# ---- YAML


def _libyaml_events(text: str):
    from yaml._yaml import CParser

    parser = CParser(text)
    try:
        while (ev := parser.get_event()) is not None:
            yield ev
            if type(ev).__name__ == "StreamEndEvent":
                return
    finally:
        parser.dispose()


def _ruamel_events(text: str):
    from ruamel.yaml import YAML

    yield from YAML(typ="rt").parse(text)


def check_yaml(text: str, max_bytes: int = MAX_BYTES) -> None:
    """Raise `InputProblem` when a YAML text is too large, nests too deeply or its aliases expand too far.

    The parser's events are read one at a time (nothing is built): libyaml's when installed, about ten times
    faster; where it stops on something ruamel accepts, ruamel's. A text neither parses is left to the loader,
    which reports it in its own words."""
    _check_size(text, max_bytes)
    if not _has_alias(text) and _depth_bound(text) <= MAX_DEPTH:
        return  # the common case, decided in a few milliseconds: no alias, and too shallow to matter
    try:
        import yaml._yaml  # noqa: F401
        sources = (_libyaml_events, _ruamel_events)
    except ImportError:
        sources = (_ruamel_events,)
    for events in sources:
        try:
            _check_events(events(text))
            return
        except InputProblem:
            raise
        except Exception:  # noqa: BLE001 - a parse error: try the next parser, or leave it to the loader
            continue


_STAR_NAME = re.compile(r"\*[^\s\[\]{},*]")


def _has_alias(text: str) -> bool:
    """Whether the text may hold an alias `*name` (`a * b`, `x*2` and `f(a)*b` in expressions are not)."""
    for m in _STAR_NAME.finditer(text):
        before = text[m.start() - 1] if m.start() else " "
        if not (before.isalnum() or before in "_*)]"):
            return True
    return False


def _depth_bound(text: str) -> int:
    """An upper bound on how deep a YAML text nests: block nesting (a new level per indentation step or per
    `- `, `: ` or `? ` on one line; a sequence may sit at its key's indentation, hence twice the indent) plus
    flow nesting (brackets outside nothing: those in strings and comments only raise the bound)."""
    block = max((2 * (len(ln) - len(ln.lstrip(" "))) + ln.count("- ") + ln.count(": ") + ln.count("? ") + 2
                 for ln in text.split("\n")), default=0)
    flow = deepest = 0
    for m in re.finditer(r"[\[\]{}]", text):
        flow = flow + 1 if m.group() in "[{" else max(flow - 1, 0)
        deepest = max(deepest, flow)
    return block + deepest


def _check_events(events) -> None:
    sizes: dict[str, int] = {}  # an anchor's node count, with the aliases inside it expanded
    open_: list[list] = []  # per open collection: [anchor, node count]
    repeated = 0
    for ev in events:
        kind = type(ev).__name__
        mark = ev.start_mark
        if kind in ("SequenceStartEvent", "MappingStartEvent"):
            if len(open_) >= MAX_DEPTH:
                raise InputProblem("E105", f"the YAML nests more than {MAX_DEPTH} levels deep",
                                   mark.line + 1, mark.column + 1)
            open_.append([ev.anchor, 1])
            continue
        if kind in ("SequenceEndEvent", "MappingEndEvent"):
            anchor, size = open_.pop()
        elif kind == "ScalarEvent":
            anchor, size = ev.anchor, 1
        elif kind == "AliasEvent":
            anchor, size = None, sizes.get(ev.anchor, 0)
            if ev.anchor in {a for a, _ in open_}:
                raise InputProblem("E016", f"the alias `*{ev.anchor}` is inside its own anchor",
                                   mark.line + 1, mark.column + 1)
            repeated += size
            if repeated > MAX_ALIAS_NODES:
                raise InputProblem("E016", f"YAML aliases repeat more than {MAX_ALIAS_NODES:,} nodes",
                                   mark.line + 1, mark.column + 1)
        else:
            continue
        if anchor is not None:
            sizes[anchor] = size
        if open_:
            open_[-1][1] += size


def load_yaml_data(text: str, max_bytes: int = MAX_BYTES):
    """Plain Python data from YAML (PyYAML's safe loader), after `check_yaml`; YAML errors pass through."""
    import yaml

    check_yaml(text, max_bytes)
    return yaml.safe_load(text)


# ---- JSON

_JSON_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def check_json(text: str, max_bytes: int = MAX_BYTES) -> None:
    """Raise `InputProblem` when a JSON text is too large or nests too deeply (JSON has no aliases)."""
    _check_nesting(text, max_bytes, _JSON_NESTING, "JSON")


def _check_nesting(text: str, max_bytes: int, tokens: re.Pattern, language: str) -> None:
    """Brackets and braces outside strings (and comments), counted in one pass of a regular expression."""
    _check_size(text, max_bytes)
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for m in tokens.finditer(text):
        c = m.group()
        if c == "[" or c == "{":
            depth += 1
            if depth > MAX_DEPTH:
                raise InputProblem("E105", f"the {language} nests more than {MAX_DEPTH} levels deep",
                                   *_where(text, m.start()))
        elif c == "]" or c == "}":
            depth -= 1


_TOML_NESTING = re.compile(r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]', re.S)


def check_toml(text: str, max_bytes: int = MAX_BYTES) -> None:
    """Raise `InputProblem` when a TOML text is too large or its arrays and inline tables nest too deeply."""
    _check_nesting(text, max_bytes, _TOML_NESTING, "TOML")


def load_json(text: str, max_bytes: int = MAX_BYTES):
    """`json.loads` after `check_json`; `json.JSONDecodeError` passes through."""
    check_json(text, max_bytes)
    return json.loads(text)
