"""Diagnostics: the one error type every compiler stage reports, printed the rustc way.

A `Diagnostic` carries a code (E0xx YAML/shape, E1xx expression syntax, E2xx names/types, E3xx SQL,
E4xx seed data, E9xx internal), a primary `Span`, optional labelled secondary spans, notes and a help line.
Stages collect them in a `DiagnosticBag`; nothing raises for a bad spec.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Span:
    """A region of a source file; lines and columns are 1-based, `end_col` is exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    @staticmethod
    def point(file: str, line: int, col: int, width: int = 1) -> Span:
        return Span(file, line, col, line, col + max(width, 1))

    def shifted(self, line: int, col: int, block: bool = False) -> Span:
        """This span, taken relative to a string that starts at (line, col) of the file.

        In a YAML block scalar (`block`) every line of the string is indented like the first.
        """
        first_col = col + self.col - 1 if self.line == 1 or block else self.col
        last_col = col + self.end_col - 1 if self.end_line == 1 or block else self.end_col
        return Span(self.file, line + self.line - 1, first_col, line + self.end_line - 1, last_col)


@dataclass(frozen=True)
class Label:
    span: Span
    message: str


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None
    severity: str = "error"
    labels: tuple[Label, ...] = ()
    notes: tuple[str, ...] = ()
    help: str | None = None
    path: str | None = None  # the data path in the spec, e.g. tools.cancel.requires[0]

    def sort_key(self) -> tuple:
        where = (self.span.file, self.span.line, self.span.col) if self.span else ("", 0, 0)
        return (*where, self.code, self.message)

    def to_json(self) -> dict:
        def span_json(s: Span | None) -> dict | None:
            if s is None:
                return None
            return {"file": s.file, "line": s.line, "col": s.col, "end_line": s.end_line, "end_col": s.end_col}

        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "span": span_json(self.span),
            "labels": [{"span": span_json(lb.span), "message": lb.message} for lb in self.labels],
            "notes": list(self.notes),
            "help": self.help,
            "path": self.path,
        }


class DiagnosticBag:
    """Collects diagnostics from all stages; sorted and de-duplicated on the way out."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []
        # names whose definition was dropped after an error of its own (a duplicate `let:` block, a `let` value
        # that does not parse): their uses are not reported again as unknown (E234), so the cause shows once
        self.dropped_names: set[str] = set()

    def add(self, diag: Diagnostic) -> None:
        self._items.append(diag)

    def error(self, code: str, message: str, span: Span | None, **kw) -> None:
        self.add(Diagnostic(code, message, span, **kw))

    def warning(self, code: str, message: str, span: Span | None, **kw) -> None:
        self.add(Diagnostic(code, message, span, severity="warning", **kw))

    def extend(self, diags) -> None:
        self._items.extend(diags)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self._items)

    def sorted(self) -> list[Diagnostic]:
        seen: set[tuple] = set()
        out = []
        for d in sorted(self._items, key=Diagnostic.sort_key):
            key = (d.sort_key(), d.severity)
            if key not in seen:
                seen.add(key)
                out.append(d)
        return out

    def __len__(self) -> int:
        return len(self._items)


class SourceCache:
    """Source lines by file name, for rendering; files are read once."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str]] = {}

    def put(self, file: str, text: str) -> None:
        self._lines[file] = text.splitlines()

    def line(self, file: str, n: int) -> str | None:
        if file not in self._lines:
            try:  # bytes that are not UTF-8 show as U+FFFD: the caret under them still has its line
                self.put(file, Path(file).read_bytes().decode("utf-8", errors="replace"))
            except OSError:
                self._lines[file] = []
        lines = self._lines[file]
        return lines[n - 1] if 0 < n <= len(lines) else None


def render(diag: Diagnostic, sources: SourceCache, display_path=lambda f: f) -> str:
    """One diagnostic as rustc prints it: header, location arrow, source line, carets, notes, help."""
    out = [f"{diag.severity}[{diag.code}]: {diag.message}"]
    spans = [(diag.span, None, "^")] if diag.span else []
    spans += [(lb.span, lb.message, "-") for lb in diag.labels]
    width = max((len(str(s.line)) for s, _, _ in spans), default=1)
    pad = " " * width
    if diag.span:
        s = diag.span
        out.append(f"{pad}--> {display_path(s.file)}:{s.line}:{s.col}")
        out.append(f"{pad} |")
    for s, label, mark in spans:
        text = sources.line(s.file, s.line)
        if text is None:
            continue
        if mark == "-" and s.file != (diag.span.file if diag.span else s.file):
            out.append(f"{pad}::: {display_path(s.file)}:{s.line}:{s.col}")
        text = text.expandtabs(1)
        end = s.end_col if s.end_line == s.line else len(text) + 1
        n = max(1, min(end, len(text) + 1) - s.col)
        carets = " " * (s.col - 1) + mark * n
        primary_label = f" {label}" if label else ""
        out.append(f"{str(s.line).rjust(width)} | {text}".rstrip())
        out.append(f"{pad} | {carets}{primary_label}".rstrip())
    for note in diag.notes:
        out.append(f"{pad} = note: {note}")
    if diag.help:
        out.append(f"{pad} = help: {diag.help}")
    return "\n".join(out)


def render_all(diags: list[Diagnostic], sources: SourceCache, cap: int = 50, display_path=lambda f: f) -> str:
    """All diagnostics, capped, with the closing count line rustc prints."""
    shown = diags[:cap]
    parts = [render(d, sources, display_path) for d in shown]
    if len(diags) > cap:
        parts.append(f"... and {len(diags) - cap} more")
    errors = sum(d.severity == "error" for d in diags)
    warnings = len(diags) - errors
    summary = []
    if errors:
        summary.append(f"error: could not compile due to {errors} previous error{'s' if errors != 1 else ''}")
    if warnings:
        summary.append(f"warning: {warnings} warning{'s' if warnings != 1 else ''} emitted")
    return "\n\n".join(parts) + ("\n\n" + "\n".join(summary) if summary else "")


def to_json(diags: list[Diagnostic]) -> str:
    return json.dumps([d.to_json() for d in diags], indent=2)


def did_you_mean(name: str, candidates) -> str | None:
    """The closest candidate as a help text, or None."""
    import difflib

    match = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean `{match[0]}`?" if match else None
