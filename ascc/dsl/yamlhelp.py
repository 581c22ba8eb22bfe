"""What a YAML syntax error means in a spec, and how to quote the value that caused it.

PyYAML's messages ("mapping values are not allowed here", "expected ',' or '}'") name the parser's state, not
the spec author's mistake, which is nearly always an unquoted value holding a `: `, a `{`, a `[` or a comma. Here
the message and the line it points at are read together, and the help shows the line quoted. Where YAML only
notices the problem on a later, blank line, the error moves back to the last line with text, so the snippet shows
the line at fault.
"""

from __future__ import annotations

import re

# `  key: value`, `  - value` and `  - key: value`: the prefix kept as written, and the value to quote
_LINE = re.compile(r"^(?P<prefix>\s*(?:-\s+)?(?:[A-Za-z_$][\w$.\[\]]*:\s+)?)(?P<value>\S.*?)\s*$")


def quoted_line(line: str) -> str | None:
    """`line` with its value in single quotes (inner single quotes doubled, outer double quotes that do not hold
    the whole value dropped), or None where there is nothing to quote."""
    m = _LINE.match(_without_comment(line))
    if m is None:
        return None
    value = m["value"]
    if value.startswith("'") and value.endswith("'") and value.count("'") == 2:
        return None
    if value.startswith('"') and value.endswith('"') and value.count('"') > 2:
        value = value[1:-1]  # `"a else "msg""`: the author meant the outer quotes to hold it all
    return m["prefix"] + "'" + value.replace("'", "''") + "'"


def _without_comment(line: str) -> str:
    """`line` without a trailing ` # comment` that sits outside quotes."""
    for m in re.finditer(r"\s#", line):
        before = line[:m.start()]
        if before.count('"') % 2 == 0 and before.count("'") % 2 == 0:
            return before
    return line


def last_text_line(lines: list[str], line: int) -> int:
    """`line` (1-based) or, when it is blank or past the end, the nearest line above it with text."""
    i = min(line, len(lines))
    while i > 1 and not lines[i - 1].strip():
        i -= 1
    return max(i, 1)


def flow_entry(line: str, col: int) -> str | None:
    """The `key: value` of a one-line flow mapping that holds column `col` (1-based), with the value quoted."""
    m = next(reversed(list(re.finditer(r"([A-Za-z_$][\w$]*):\s+", line[:col - 1]))), None)  # the last key
    if m is None or "{" not in line[:m.start()]:
        return None
    rest = _without_comment(line)[m.end():]
    end = re.search(r",\s*[A-Za-z_$][\w$]*:\s|\}\s*$", rest)
    value = (rest[:end.start()] if end else rest).strip()
    if not value or ("'" in value and '"' in value):
        return None
    return f"{m.group(1)}: " + (f"'{value}'" if '"' in value else f'"{value}"')


def yaml_error_help(problem: str, lines: list[str], line: int,
                    opened: int | None = None, col: int = 0) -> tuple[str | None, tuple[str, ...]]:
    """The help and notes for a YAML syntax error at `line`: what YAML read, and the line quoted. `opened` is the
    line of the `{` or `[` YAML was inside, when it says."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    fixed = quoted_line(text)
    show = f": `{fixed.strip()}`" if fixed else ""
    if "mapping values are not allowed" in problem:
        note = "YAML reads `: ` (a colon and a space) inside an unquoted value as the start of a mapping"
        return f"quote the whole value with '…'{show}", (note,)
    if ("expected ',' or '}'" in problem or "expected ',' or ']'" in problem) and opened not in (None, line):
        bracket = "{" if "'}'" in problem else "["
        return (f"close it, or quote the value that starts with `{bracket}` on line {opened}: `key: \"{bracket}…\"`",
                (f"the `{bracket}` on line {opened} starts a YAML {'mapping' if bracket == '{' else 'list'} that "
                 "is never closed",))
    if "expected ',' or '}'" in problem and col > 0 and (entry := flow_entry(text, col)) is not None:
        note = "inside `{ … }` an unquoted value may not hold `{`, `[` or `: `, and ends at a `,`"
        return f"quote the value: `{entry}`", (note,)
    if "expected ',' or '}'" in problem or "expected ',' or ']'" in problem:
        note = ("inside `{ … }` or `[ … ]` an unquoted value ends at a `,`, and may not hold `[`, `{` or `: `; "
                "the rest of the line was read as more entries")
        return "quote the value: `key: \"value, with commas\"` or `key: \"m[k]\"`", (note,)
    if "expected <block end>" in problem or "did not find expected key" in problem:
        if re.search(r"(:\s+|-\s+)[{\[]", text):
            note = "a value that starts with `{` or `[` is a YAML mapping or list; the text after its `}` or `]` is " \
                   "left over"
            return f"quote the whole value with '…'{show}", (note,)
        if text.count('"') > 2 and fixed:
            note = "the value's double quotes end at the next `\"`, inside it; the text after is left over"
            return f"quote the whole value with '…' instead{show}", (note,)
    if "found unexpected ':'" in problem or "could not find expected ':'" in problem:
        return f"quote the whole value with '…'{show}", ()
    return None, ()
