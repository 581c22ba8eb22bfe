"""Append-only JSON Lines files that survive `kill -9`: a record is one `write` of one line, then fsync.

A kill can only cut the last line short. Opening a file repairs it: a last line without its newline, or any line
that is not a JSON object with an `id`, is dropped (the file is rewritten without it, atomically), so the
records on disk are exactly the finished ones and a rerun does the rest.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path


class RecordFile:
    """An append-only JSONL file of records with unique `id`s."""

    def __init__(self, path: str | Path, fsync: bool = True):
        self.path = Path(path)
        self.fsync = fsync
        self.ids, self.dropped = _repair(self.path)
        self._f = open(self.path, "ab")

    def append(self, record: dict) -> None:
        """Write one record; a record whose id is already in the file is skipped (never duplicated)."""
        self.extend([record])

    def extend(self, records: list[dict]) -> None:
        """Write records with one write and one fsync (a kill can still only cut the last line short)."""
        fresh, ids = [], set()
        for r in records:
            if r["id"] not in self.ids and r["id"] not in ids:
                ids.add(r["id"])
                fresh.append(json.dumps(r, ensure_ascii=False, default=str) + "\n")
        if not fresh:
            return
        # a lone surrogate (from a model's text) becomes the JSON escape `\ud800`: it can only sit in a string
        try:
            self._f.write("".join(fresh).encode("utf-8", "backslashreplace"))
            self._f.flush()
            if self.fsync:
                os.fsync(self._f.fileno())
        except OSError as exc:  # a full disk: name the file (a failed flush names none)
            exc.filename = exc.filename or str(self.path)
            raise
        self.ids |= ids

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> RecordFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_records(path: str | Path) -> list[dict]:
    """The complete records of a file (a cut-off last line is left out)."""
    path = Path(path)
    if not path.exists():
        return []
    return [r for r in (_parse(line) for line in path.read_bytes().split(b"\n")) if r is not None]


def _parse(line: bytes) -> dict | None:
    if not line.strip():
        return None
    try:
        r = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return r if isinstance(r, dict) and isinstance(r.get("id"), str) else None


def _repair(path: Path) -> tuple[set[str], int]:
    """The ids already in the file; bad or cut-off lines are removed first. Returns (ids, lines dropped)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        return set(), 0
    data = path.read_bytes()
    lines = data.split(b"\n")
    tail = lines.pop()  # after the last newline: b"" unless the last write was cut off
    good, ids, dropped = [], set(), int(bool(tail.strip()))
    for line in lines:
        r = _parse(line)
        if r is None or r["id"] in ids:
            dropped += bool(line.strip())
            continue
        ids.add(r["id"])
        good.append(line)
    if dropped or tail:
        write_atomic(path, b"".join(line + b"\n" for line in good))
    return ids, dropped


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write a whole file so that a reader sees the old one or the new one, never half of it; a write that fails
    (a full disk, a read-only folder) leaves no temporary file and raises an OSError naming `path`."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data.encode("utf-8", "backslashreplace") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        exc.filename = str(path)
        raise
