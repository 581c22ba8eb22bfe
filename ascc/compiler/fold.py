"""Long lines of the generated module folded at brackets, so it stays within the project's line length.

A line past the limit first loses its `# spec: …` comment to a line of its own above it; if the code is still too
long, its longest bracket group is opened, black's way: the opening bracket ends the line, each top-level item goes
on its own line one indent deeper, and the closing bracket starts the last line. Items still too long are folded
the same way. Only whole logical lines are folded, found by Python's own tokenizer (so nothing inside a string
literal moves); a line that cannot be folded is left as it is.
"""

from __future__ import annotations

import io
import tokenize

LIMIT = 110
_OPEN, _CLOSE = "([{", ")]}"


def fold_module(text: str, limit: int = LIMIT) -> str:
    inside = _multiline_tokens(text)
    out: list[str] = []
    for n, line in enumerate(text.split("\n"), start=1):
        out += fold_line(line, limit) if len(line) > limit and n not in inside else [line]
    return "\n".join(out)


def _multiline_tokens(text: str) -> set[int]:
    """Line numbers that a token spanning several lines (a docstring) or a bracketed statement touches."""
    lines: set[int] = set()
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return set(range(1, text.count("\n") + 2))  # not Python as a whole: fold nothing
    start = None
    for t in toks:
        if t.start[0] != t.end[0]:
            lines.update(range(t.start[0], t.end[0] + 1))
        if start is None and t.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
            start = t.start[0]
        if t.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            if start is not None and t.start[0] != start:
                lines.update(range(start, t.start[0] + 1))
            start = None
    return lines


def fold_line(line: str, limit: int = LIMIT, depth: int = 0) -> list[str]:
    indent = line[: len(line) - len(line.lstrip(" "))]
    code, comment = _split_comment(line.strip())
    if code is None:
        return [line]
    head = [indent + comment] if comment else []
    if len(indent) + len(code) <= limit or depth > 8:
        return head + [indent + code]
    parts = _open_longest(code)
    if parts is None:
        return head + [indent + code]
    opening, items, closing, commas = parts
    inner = indent + "    "
    body = []
    for item in items:  # comma-separated items each end with one (the last too); clauses and terms with none
        body += fold_line(inner + item + ("," if commas else ""), limit, depth + 1)
    return head + [indent + opening] + body + [indent + closing]


def _tokens(code: str):
    try:
        return [t for t in tokenize.generate_tokens(io.StringIO(code + "\n").readline)
                if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT,
                                  tokenize.DEDENT)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None


def _split_comment(text: str) -> tuple[str | None, str]:
    """(the code, its trailing comment); code None when the line is not one whole logical line."""
    toks = _tokens(text)
    if toks is None or any(t.start[0] != 1 or t.end[0] != 1 for t in toks):
        return None, ""
    if toks and toks[-1].type == tokenize.COMMENT:
        return text[: toks[-1].start[1]].rstrip(), toks[-1].string
    return text, ""


def _open_longest(code: str):
    """(text up to and with the opening bracket, the items inside, the closing bracket and what follows, whether
    the items are comma-separated) of the longest outermost bracket group; None if there is none worth opening.
    Items are split at top-level commas or, where there are none, before top-level `for`, `if`, `else`, `and`
    and `or` (a comprehension's clauses, a condition's terms), as black does."""
    toks = _tokens(code)
    if toks is None:
        return None
    groups = _groups(toks)
    outer = _group(code, toks, max((g for g in groups if g[3] == 0), key=lambda g: g[2], default=None))
    if outer is None or len(outer[1]) > 1:
        return outer
    for g in sorted(groups, key=lambda g: -g[2]):  # one item: open the longest group inside that splits
        inner = _group(code, toks, g)
        if inner is not None and len(inner[1]) > 1:
            return inner
    return outer


def _groups(toks) -> list[tuple[int, int, int, int]]:
    """(opening token, closing token, span in characters, nesting depth) of every bracket group."""
    stack, out = [], []
    for i, t in enumerate(toks):
        if t.type == tokenize.OP and t.string in _OPEN:
            stack.append(i)
        elif t.type == tokenize.OP and t.string in _CLOSE and stack:
            j = stack.pop()
            out.append((j, i, t.start[1] - toks[j].end[1], len(stack)))
    return out


def _group(code: str, toks, best):
    if best is None or best[2] < 20:
        return None
    j, i = best[0], best[1]
    start, end = toks[j].end[1], toks[i].start[1]
    commas, words, level = [], [], 0
    for t in toks[j + 1:i]:
        if t.type == tokenize.OP and t.string in _OPEN:
            level += 1
        elif t.type == tokenize.OP and t.string in _CLOSE:
            level -= 1
        elif level == 0 and t.type == tokenize.OP and t.string == ",":
            commas.append((t.start[1], t.end[1]))
        elif level == 0 and t.type == tokenize.NAME and t.string in _CLAUSES:
            words.append((t.start[1], t.start[1]))
    cuts = commas or words
    pieces, last = [], start
    for a, b in cuts:
        piece = code[last:a].strip()
        if piece:
            pieces.append(piece)
        last = b
    tail = code[last:end].strip()
    if tail:
        pieces.append(tail)
    if len(pieces) < 2 and not commas and len(pieces[0] if pieces else "") == len(code[start:end].strip()):
        if code[:start].strip() in _OPEN and code[end:].strip() in _CLOSE:
            return None  # nothing to gain: a lone bracket around one unsplittable item
    return code[:start], pieces, code[end:], bool(commas)


_CLAUSES = frozenset(("for", "if", "else", "and", "or"))
