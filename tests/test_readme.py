"""README.md's examples, read from README.md itself so they cannot drift from the program.

Every ```bash block's commands run as written (in a scratch folder with `specs/` linked in), except those that
need a network or would run this suite from inside itself: `SKIP` names them with the reason, and a command in
neither list runs, so a new example is tested by default. The Python example runs, and the diagnostic example
is compared with what `ascc check` prints for the typo it shows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

SKIP = {  # command prefix -> why it is not run here
    "python3 -m pip install": "installs packages: needs a network and would change this interpreter",
    "bash .ci/run": "the whole test suite, which this test is part of",
}
SLOW = ("ascc simulate specs/ --tasks 1000",)  # run as written, but 1.5 min on 2 cores (ASCC_SLOW=1 runs it)


def blocks(lang: str) -> list[str]:
    """The fenced blocks of one language (`""` for a bare fence), in order."""
    found, current, open_lang = [], [], None
    for line in README.splitlines(keepends=True):
        if line.startswith("```"):
            if open_lang is None:
                open_lang, current = line[3:].strip(), []
            else:
                if open_lang == lang:
                    found.append("".join(current))
                open_lang = None
        elif open_lang is not None:
            current.append(line)
    return found


def shell_commands() -> list[str]:
    return [c.strip() for b in blocks("bash") for line in b.splitlines() if line.strip()
            and not line.lstrip().startswith("#") for c in line.split("&&")]


def run(command: str, cwd: Path, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, **kw)


@pytest.fixture
def scratch(tmp_path) -> Path:
    """A folder that looks like the checkout to a command: `specs/` is there, outputs land in tmp."""
    (tmp_path / "specs").symlink_to(ROOT / "specs")
    return tmp_path


def _param(command: str):
    slow = [pytest.mark.slow, pytest.mark.skipif(os.environ.get("ASCC_SLOW") != "1", reason="slow: ASCC_SLOW=1")]
    marks = slow if command in SLOW else []
    return pytest.param(command, marks=marks, id=command)


def test_the_readme_has_shell_examples():
    assert "ascc simulate specs/ --tasks 1000" in shell_commands()


@pytest.mark.parametrize("command", [_param(c) for c in shell_commands()])
def test_readme_shell_example(command, scratch):
    skipped = [why for prefix, why in SKIP.items() if command.startswith(prefix)]
    if skipped:
        pytest.skip(skipped[0])
    as_run = re.sub(r"^ascc\b", f"{sys.executable} -m ascc", command)  # the README: `python3 -m ascc` is the same
    r = run(as_run, scratch, timeout=1800)
    assert r.returncode == 0, f"{command}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"


def test_readme_python_example(scratch):
    (code,) = blocks("python")
    r = subprocess.run([sys.executable, "-c", code], cwd=scratch, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith("True {") and '"status": "cancelled"' in first, first


def test_readme_diagnostic_example(scratch):
    """The README's diagnostic is what `ascc check` prints after the typo it shows, line and column included."""
    (shown,) = [b for b in blocks("") if b.startswith("error[")]
    where = re.search(r"--> (\S+):(\d+):\d+", shown)
    spec, line = where.group(1), int(where.group(2))
    typo = re.search(rf"^{line} \|(.*)$", shown, flags=re.M).group(1)[1:]
    source = (ROOT / spec).read_text(encoding="utf-8").splitlines(keepends=True)
    assert source[line - 1].rstrip("\n") == typo.replace("statuss", "status"), "the README quotes another line"
    source[line - 1] = typo + "\n"
    (scratch / "specs").unlink()
    (scratch / spec).parent.mkdir(parents=True)
    (scratch / spec).write_text("".join(source), encoding="utf-8")
    r = run(f"{sys.executable} -m ascc check {spec}", scratch, timeout=120)
    assert r.returncode == 1
    assert r.stderr.startswith(shown), r.stderr


def test_readme_counts_match_the_catalogue():
    catalogue = (ROOT / "docs" / "domains.md").read_text(encoding="utf-8")
    domains, total, agent = re.search(r"^(\d+) domains .*?, (\d+) tools: (\d+) the agent calls", catalogue,
                                      flags=re.M).groups()
    assert f"holds {domains} domains with {agent} tools an agent calls" in README
    assert f"{total} with\nthe user's own tools" in README
