"""Write the `# ~ CODE` annotations into a new diagnostic spec, from what the compiler reports for it today.

    PYTHONPATH=. python3 tests/annotate_diagnostics.py tests/diagnostics/<stage>/<name>.env.yaml ...

tests/test_diagnostics.py checks every spec's annotations against the compiler, independently of the `.stderr`
golden file, so `--bless` cannot silently change a code or the line it points at. This script is for a spec
that has no annotation yet: it writes what the compiler says now, so read what it wrote before committing (it
is the test's statement of intent). A spec that already has annotations is left alone; edit those by hand.

Where an annotation goes (the syntax `ANNOTATION` in test_diagnostics.py reads):
- `# ~ E247` at the end of the line the diagnostic points at (several codes: `# ~ E247 W259`);
- inside a block scalar (`sql: |`), where a comment would be text, on the block's header line, one `v` per line
  down: `sql: |  # ~vv E310` points two lines below the header;
- `# ~? E410` (own line, at the top) for a diagnostic with no position in the spec itself.
After writing, the spec is compiled again: the annotated spec must give the same diagnostics (code, line, column,
message) as before, or the script refuses.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ascc.compiler.build import compile_file

MARK = re.compile(r"#\s*~")
BLOCK_HEADER = re.compile(r":\s*[|>][-+0-9]*\s*(#.*)?$")


def where(spec: Path) -> list[tuple[str, int | None, int | None, str, str]]:
    """(code, line, column, severity, message) of each diagnostic; line None when it is not in the spec."""
    out = []
    for d in compile_file(spec, None).diagnostics:
        inside = d.span is not None and d.span.file == str(spec)
        out.append((d.code, d.span.line if inside else None, d.span.col if inside else None, d.severity, d.message))
    return out


def annotated(text: str, diags, in_block) -> str:
    lines = text.split("\n")
    notes: dict[int, list[str]] = {}  # line index -> annotation groups, in order
    top: list[str] = []
    for code, line, _col, _sev, _msg in diags:
        if line is None:
            top.append(code)
            continue
        i = line - 1
        if in_block(i):
            h = max(j for j in range(i) if BLOCK_HEADER.search(lines[j]))
            group = "~" + "v" * (i - h)
            i = h
        else:
            group = "~"
        groups = notes.setdefault(i, [])
        if groups and groups[-1].split(" ")[0] == group:
            groups[-1] += " " + code
        else:
            groups.append(f"{group} {code}")
    for i, groups in notes.items():
        lines[i] = lines[i].rstrip() + "  # " + " ".join(groups)
    if top:
        lines.insert(0, "# ~? " + " ".join(top))
    return "\n".join(lines)


def annotate(spec: Path) -> str:
    text = spec.read_text(encoding="utf-8")
    if any(MARK.search(line) for line in text.split("\n")):
        return "has annotations already; left alone"
    before = where(spec)
    if not before:
        return "no diagnostics: nothing to annotate"
    if any(line is None for _c, line, *_ in before):
        return "a diagnostic outside the spec: add `# ~? CODE` by hand (on line 1 it shifts every line)"

    def in_block(i: int) -> bool:
        """Whether a comment at the end of line i+1 would change the spec (it is text there)."""
        probe = text.split("\n")
        probe[i] = probe[i].rstrip() + "  # ~ E000"
        spec.write_text("\n".join(probe), encoding="utf-8")
        try:
            return where(spec) != before
        finally:
            spec.write_text(text, encoding="utf-8")

    new = annotated(text, before, in_block)
    spec.write_text(new, encoding="utf-8")
    if where(spec) != before:
        spec.write_text(text, encoding="utf-8")
        return "annotating changed the diagnostics: annotate by hand"
    return "annotated: " + ", ".join(f"{c}@{line}" for c, line, *_ in before)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for arg in sys.argv[1:]:
        print(f"{arg}: {annotate(Path(arg))}")
