"""pass^k as τ-bench defines it: the chance that k trials of a task, drawn from its n, all pass.

For a task with n trials of which c passed, pass^k = C(c, k) / C(n, k); a domain's pass^k is the mean over its
tasks (τ-bench's `run.py`, `display_metrics`). pass^1 is the plain success rate; pass^k falls as k grows unless
the agent is consistent. k runs from 1 to the smallest trial count of any task in the group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from math import comb


def pass_hat_k(n: int, c: int, k: int) -> float:
    """C(c, k) / C(n, k) for one task: n trials, c of them passed."""
    if not 0 <= c <= n:
        raise ValueError(f"passed trials must be between 0 and {n}, got {c}")
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and the number of trials {n}, got {k}")
    return comb(c, k) / comb(n, k)


def pass_k_curve(outcomes: Mapping[str, Iterable[bool]], max_k: int | None = None) -> dict[int, float]:
    """pass^1..K over tasks (`task id -> its trials' outcomes`); K is the fewest trials any task has."""
    counts = [(len(v), sum(map(bool, v))) for v in (list(o) for o in outcomes.values())]
    if not counts:
        return {}
    top = min(n for n, _ in counts)
    if max_k is not None:
        top = min(top, max_k)
    return {k: sum(pass_hat_k(n, c, k) for n, c in counts) / len(counts) for k in range(1, top + 1)}


def by_group(outcomes: Mapping[tuple[str, str], Iterable[bool]]) -> dict[str, dict[str, list[bool]]]:
    """`(domain, task id) -> outcomes` regrouped as `domain -> task id -> outcomes`."""
    out: dict[str, dict[str, list[bool]]] = {}
    for (domain, task), v in outcomes.items():
        out.setdefault(domain, {})[task] = list(v)
    return out
