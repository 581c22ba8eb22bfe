"""Optional extras (`sim`, `train`, `ray`): which modules each brings, and the one line a command prints when one
is missing, with the install command that fits how ascc was installed (a source checkout or a package).
"""

from __future__ import annotations

import contextlib
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

# top-level module -> the extra that installs it (pyproject.toml's [project.optional-dependencies])
MODULE_EXTRA = {
    "torch": "train", "transformers": "train", "trl": "train", "peft": "train", "accelerate": "train",
    "gguf": "train", "datasets": "sim", "openai": "sim", "mcp": "sim", "mcp_types": "sim", "ray": "ray",
}


def checkout_root() -> Path | None:
    """The source checkout ascc runs from (its pyproject.toml sits next to the package), or None when installed."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() else None


def install_command(extra: str, root: Path | None = None, cwd: Path | None = None) -> str:
    """`pip install -e '.[train]'` in a checkout (its path when run elsewhere), `pip install 'ascc[train]'` else."""
    root = checkout_root() if root is None else root
    if root is None:
        return f"pip install {shlex.quote(f'ascc[{extra}]')}"
    here = (cwd or Path.cwd()).resolve()
    target = "." if here == root.resolve() else str(root)
    return f"pip install -e {shlex.quote(f'{target}[{extra}]')}"


def missing_extra_message(command: str, exc: ModuleNotFoundError, extra: str | None = None) -> str | None:
    """The one line for `exc` when the missing module belongs to an extra, else None (a real bug: re-raise)."""
    module = (exc.name or "").split(".")[0]
    if module not in MODULE_EXTRA:
        return None
    extra = extra or MODULE_EXTRA[module]  # a command names its extra: `datasets` is in both `sim` and `train`
    return f"error: `{command}` needs the `{extra}` extra (`{module}` is not installed): {install_command(extra)}"


@contextlib.contextmanager
def needs_extra(command: str, extra: str | None = None) -> Iterator[None]:
    """Turn a missing extra's ModuleNotFoundError inside the block into one line on stderr and exit status 1.

    Written without rich markup on purpose: rich would swallow `[train]` as a style tag.
    """
    try:
        yield
    except ModuleNotFoundError as exc:
        line = missing_extra_message(command, exc, extra)
        if line is None:
            raise
        sys.stderr.write(line + "\n")
        raise SystemExit(1) from None
