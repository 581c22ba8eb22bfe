"""Synthesis results kept as they are made, so that `ascc simulate` killed while synthesising resumes there.

`synth.partial.jsonl` in the run folder holds one record per sampled index: `{"id", "domain", "index", "task"}`
(`task` null where the sampler found none). A sample depends only on the domain's build, the seed, `max_len` and
the index, and all four are in the record's id, so a rerun reuses exactly the samples it would have drawn and
the tasks come out the same as in an uninterrupted run. The file is removed once `tasks.jsonl` is written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ascc.runtime.domain import CompiledDomain
from ascc.sim.output import RecordFile, read_records

FILE = "synth.partial.jsonl"


def build_id(domain: CompiledDomain) -> str:
    """What a domain's samples depend on: its compiled build (the manifest holds the input and output hashes)."""
    try:
        data = (Path(domain.path) / "manifest.json").read_bytes()
    except OSError:
        data = repr(domain.info).encode()
    return hashlib.sha256(data).hexdigest()[:16]


class SynthLog:
    """The samples drawn so far in this run folder, and an append-only file to add to."""

    def __init__(self, out: Path, seed: int, max_len: int, domains: dict[str, CompiledDomain]):
        self.path = Path(out) / FILE
        self.prefix = {name: f"{seed}/{max_len}/{name}/{build_id(d)}/" for name, d in domains.items()}
        self.done: dict[tuple[str, int], dict | None] = {}
        for r in read_records(self.path):
            domain, index = r.get("domain"), r.get("index")
            if domain in self.prefix and r["id"] == f"{self.prefix[domain]}{index}":
                self.done[(domain, index)] = r.get("task")
        self.reused = 0
        self._file = RecordFile(self.path)

    def get(self, domain: str, index: int) -> tuple[bool, dict | None]:
        if (domain, index) in self.done:
            self.reused += 1
            return True, self.done[(domain, index)]
        return False, None

    def put(self, results: list[tuple[str, int, dict | None]]) -> None:
        self._file.extend([{"id": f"{self.prefix[d]}{i}", "domain": d, "index": i, "task": obj}
                           for d, i, obj in results])
        self.done.update({(d, i): obj for d, i, obj in results})

    def close(self, finished: bool) -> None:
        """Close the file; remove it when the run's tasks are written."""
        self._file.close()
        if finished:
            self.path.unlink(missing_ok=True)
