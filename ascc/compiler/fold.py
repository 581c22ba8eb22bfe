"""Long lines of the generated module folded at brackets, so it stays within the project's line length.

A line past the limit first loses its `# spec: …` comment to a line of its own above it; if the code is still too
long, its longest bracket group is opened, black's way: the opening bracket ends the line, each top-level item goes
on its own line one indent deeper, and the closing bracket starts the last line. Items still too long are folded
the same way. A long plain string literal that is an item of its own inside brackets is cut into adjacent literals
(implicit concatenation: the same single string to Python), after its line breaks first, else after its spaces,
never inside a word. Lines are found by Python's own tokenizer: a whole logical line is folded, and so is a line
inside a multi-line bracketed statement when it is whole token-wise and its brackets balance (what it becomes
stays inside the enclosing brackets); one that closes brackets opened above it or opens ones closed below has its
longest balanced run opened, what comes before and after the run staying at its ends. The folded text is folded again until nothing changes.
Docstrings, one-line or multi-line, and every line of a multi-line string are left as they are (a tool's
description is prose for the agent and the reader, not cut into pieces), and so is a line that cannot be folded."""

from __future__ import annotations

import ast
import io
import re
import tokenize

LIMIT = 110
_OPEN, _CLOSE = "([{", ")]}"


def fold_module(text: str, limit: int = LIMIT) -> str:
    for _ in range(4):  # a folded line can leave a first or last line that folds again
        folded = _fold_once(text, limit)
        if folded == text:
            break
        text = folded
    return text


def _fold_once(text: str, limit: int) -> str:
    strings, multi, depth = _line_kinds(text)
    out: list[str] = []
    for n, line in enumerate(text.split("\n"), start=1):
        if len(line) <= limit or n in strings:
            out.append(line)
        elif n not in multi:
            out += fold_line(line, limit)
        elif depth.get(n, 0) > 0 and _balanced(line):
            out += fold_line(line, limit, inside=True)
        else:
            out += _fold_between(line, depth.get(n, 0), limit)
    return "\n".join(out)


def _line_kinds(text: str) -> tuple[set[int], set[int], dict[int, int]]:
    """(line numbers that a token spanning several lines, a docstring say, touches; line numbers that a statement
    of several lines touches; the bracket depth at the first token of each line)."""
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        every = set(range(1, text.count("\n") + 2))
        return every, every, {}  # not Python as a whole: fold nothing
    strings: set[int] = set()
    multi: set[int] = set()
    depth_at: dict[int, int] = {}
    start, depth = None, 0
    for t in toks:
        if t.start[0] != t.end[0]:
            strings.update(range(t.start[0], t.end[0] + 1))
        if t.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
            continue
        if t.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            if start is not None and t.start[0] != start:
                multi.update(range(start, t.start[0] + 1))
            start = None
            continue
        if start is None:
            start = t.start[0]
        depth_at.setdefault(t.start[0], depth)
        if t.type == tokenize.OP and t.string in _OPEN:
            depth += 1
        elif t.type == tokenize.OP and t.string in _CLOSE:
            depth -= 1
    return strings, multi, depth_at


def _fold_between(line: str, depth: int, limit: int, rounds: int = 0) -> list[str]:
    """A line of a multi-line statement, `depth` brackets deep where it starts, that closes brackets opened above
    it or opens ones closed below it: its longest balanced run between those brackets is opened (even if the run
    alone would fit), what comes before the run leads the first line and what follows ends the last, and each is
    folded again if still too long. A line with a comment, a backslash or a string that goes on stays as it is."""
    indent = line[: len(line) - len(line.lstrip(" "))]
    body = line.strip()
    if not body or body.endswith("\\") or rounds > 8:
        return [line]
    toks = []
    try:
        for t in tokenize.generate_tokens(io.StringIO(body + "\n").readline):
            toks.append(t)
    except tokenize.TokenError as e:
        if "statement" not in str(e.args[0]):
            return [line]  # a string that goes on past the line
    if any(t.type in (tokenize.COMMENT, tokenize.ERRORTOKEN) or t.type == tokenize.STRING and t.end[0] != 1
           for t in toks):
        return [line]
    stack, bounds = [], []
    for t in toks:
        if t.type == tokenize.OP and t.string in _OPEN:
            stack.append(t)
        elif t.type == tokenize.OP and t.string in _CLOSE:
            if stack:
                stack.pop()
            else:
                bounds.append(t)  # it closes a bracket opened above
    closers, bounds = len(bounds), bounds + stack  # the ones left on the stack stay open below
    if not bounds or depth < closers:
        return [line]
    edges = [0] + [x for t in bounds for x in (t.start[1], t.end[1])] + [len(body)]
    runs = [(edges[2 * k], edges[2 * k + 1], depth - min(k, closers)) for k in range(len(bounds) + 1)]
    a, b, level = max(runs, key=lambda r: len(body[r[0]:r[1]].strip()))
    middle = body[a:b].strip()
    if not middle:
        return [line]
    a = body.index(middle, a)
    folded = fold_line(indent + middle, limit, inside=level > 0, force=True)
    if len(folded) < 2:
        return [line]
    first = indent + body[:a] + folded[0][len(indent):]
    last = folded[-1] + body[a + len(middle):]
    out = [first] + folded[1:-1] + [last]
    if len(last) > limit and last != line:  # it starts inside the group the first line opened
        out[-1:] = _fold_between(last, level + _closing(folded[-1]), limit, rounds + 1)
    if len(first) > limit and first != line:
        out[:1] = _fold_between(first, depth, limit, rounds + 1)
    return out


def _closing(text: str) -> int:
    """How many brackets opened before it a balanced run's closing line closes."""
    level = low = 0
    for ch in text.strip():  # it starts with closing brackets, before any string
        if ch in _CLOSE:
            level -= 1
            low = min(low, level)
        elif ch in _OPEN or ch in "'\"":
            break
    return -low


def _balanced(line: str) -> bool:
    """Whether a line's brackets close in order, none closing one opened before the line."""
    toks = _tokens(line.strip()) if not line.rstrip().endswith("\\") else None
    if toks is None:
        return False
    level = 0
    for t in toks:
        if t.type == tokenize.OP and t.string in _OPEN:
            level += 1
        elif t.type == tokenize.OP and t.string in _CLOSE:
            level -= 1
            if level < 0:
                return False
    return level == 0


def fold_line(line: str, limit: int = LIMIT, depth: int = 0, inside: bool = False, force: bool = False) -> list[str]:
    """The line folded; `inside` says it stands inside brackets, where a string item may be cut in pieces, and
    `force` opens its longest bracket group even if it fits."""
    indent = line[: len(line) - len(line.lstrip(" "))]
    code, comment = _split_comment(line.strip())
    if code is None:
        return [line]
    head = [indent + comment] if comment else []
    if (len(indent) + len(code) <= limit and not force) or depth > 8:
        return head + [indent + code]
    pieces = _cut_string(code, limit - len(indent)) if inside else None
    if pieces is not None:
        return head + [indent + p for p in pieces]
    parts = _open_longest(code)
    if parts is None:
        return head + [indent + code]
    opening, items, closing, commas = parts
    inner = indent + "    "
    body = []
    for item in items:  # comma-separated items each end with one (the last too); clauses and terms with none
        body += fold_line(inner + item + ("," if commas else ""), limit, depth + 1, inside=True)
    return head + [indent + opening] + body + [indent + closing]


def _cut_string(code: str, width: int) -> list[str] | None:
    """A plain string literal item (`'…'` or `"…"`, a comma after it or not) as adjacent literals, each as `repr`
    writes it and within `width` where the text allows: cut after each line break, then after spaces, never inside
    a word. None when the code is no such item or cutting gains nothing."""
    toks = _tokens(code)
    if not toks or toks[0].type != tokenize.STRING or toks[0].string[:1] not in ("'", '"'):
        return None
    if toks[0].string[:3] in ("'''", '"""') or [t.string for t in toks[1:]] not in ([], [","]):
        return None
    value = ast.literal_eval(toks[0].string)
    tail = "," if len(toks) == 2 else ""
    chunks: list[str] = []
    for line in re.findall(r"[^\n]*\n|[^\n]+", value):
        for word in re.findall(r"[^ ]* +|[^ ]+", line):
            if chunks and not chunks[-1].endswith("\n") and len(repr(chunks[-1] + word)) + len(tail) <= width:
                chunks[-1] += word
            else:
                chunks.append(word)
    if len(chunks) < 2:
        return None
    return [repr(c) for c in chunks[:-1]] + [repr(chunks[-1]) + tail]


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
    if outer is not None and len(outer[1]) > 1:
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
    if any(code[a:a + 3] == "for" for a, _ in words):
        commas = []  # a comprehension: its top-level commas are its target's (`for k, v in …`), not items
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
