"""Held-out domains: the same setting picks the same domains in `ascc simulate` (leaves them out) and in
`ascc eval` (evaluates only them), so a model trained on one side is measured on domains it never saw.

A domain's place is fixed by a hash of the seed and its name, not by the order or number of the others: adding a
spec to the library never moves an existing domain from one side to the other unless it is pushed out of a count.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable


class SplitError(ValueError):
    """A `--holdout-domains` value that names no split; the message says what is accepted."""


def heldout(names: Iterable[str], spec: str, seed: int = 0) -> list[str]:
    """The held-out domains among `names`, sorted.

    `spec` is a count (`5`), a share of the domains (`0.2`, rounded up, at least one, never all) or a comma list of
    domain names (`airline,telecom`).
    """
    pool = sorted(set(names))
    spec = spec.strip()
    if not spec:
        raise SplitError("--holdout-domains is empty; give a count (5), a share (0.2) or names (airline,telecom)")
    if any(c.isalpha() or c == "_" for c in spec):
        wanted = [n.strip() for n in spec.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in pool]
        if unknown:
            raise SplitError(f"--holdout-domains names unknown domain(s) {', '.join(unknown)}; "
                             f"domains here: {', '.join(pool)}")
        return sorted(wanted)
    try:
        value = float(spec)
    except ValueError:
        raise SplitError(f"--holdout-domains {spec!r}: give a count (5), a share (0.2) or names") from None
    count = int(value) if value >= 1 and value.is_integer() else math.ceil(value * len(pool)) if 0 < value < 1 else -1
    if count < 1 or count >= len(pool):
        raise SplitError(f"--holdout-domains {spec}: holds out {max(count, 0)} of {len(pool)} domains; "
                         "at least one must be held out and one left to train on")
    return sorted(sorted(pool, key=lambda n: _rank(seed, n))[:count])


def _rank(seed: int, name: str) -> str:
    return hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()


def split(names: Iterable[str], spec: str | None, seed: int = 0) -> tuple[list[str], list[str]]:
    """(train side, held-out side); without a spec every domain is on the train side."""
    pool = sorted(set(names))
    if spec is None:
        return pool, []
    out = heldout(pool, spec, seed)
    return [n for n in pool if n not in out], out
