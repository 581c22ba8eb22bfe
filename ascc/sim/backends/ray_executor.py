"""Run rollout jobs as Ray tasks: on a local Ray instance, or on a cluster (`--executor ray --ray-address`).

`run_with_ray(fn, jobs)` calls `fn(job)` for every job in a Ray task and returns the results in job order. `fn`
and the jobs travel by pickle, so `fn` should be a module-level function of an importable module (or of the
calling script). Workers of a local instance started here get the driver's own `sys.path` entries (the ones
outside the Python installation: a script's folder, a test folder pytest added) on their `PYTHONPATH`; a cluster's
workers need the code installed or shipped (`runtime_env`). A job that raises re-raises here, as its
own exception type, when its result is collected.

Each task asks for one CPU; a local instance is started with `num_cpus` of them (2 by default, as CI has), so at
most that many rollouts run at once. An endpoint's concurrency limit (`ascc.sim.backends.endpoint`) is per
process, so with Ray it holds per worker: size `max_concurrency` for one worker's share.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")


def run_with_ray(fn: Callable[[Job], Result], jobs: Sequence[Job], address: str | None = None,
                 num_cpus: int = 2) -> list[Result]:
    """`[fn(job) for job in jobs]`, each call a Ray task; Ray is started here (and stopped after) unless running.

    `address`: a cluster to join (`ray://host:10001`, `host:6379` or `auto`); None starts a local instance.
    """
    import ray  # not a core dependency: `pip install ray` (the lead's `ray` extra)

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(**init_options(address, num_cpus))
    try:
        remote = ray.remote(num_cpus=1)(_call)
        return ray.get([remote.remote(fn, job) for job in jobs])
    finally:
        if started_here:
            ray.shutdown()


def init_options(address: str | None = None, num_cpus: int = 2) -> dict[str, Any]:
    """`ray.init` keywords as `run_with_ray` starts Ray: for a caller that keeps one instance over many runs."""
    options: dict[str, Any] = {"include_dashboard": False, "logging_level": "WARNING", "log_to_driver": True}
    if address:
        options["address"] = address
    else:
        options["num_cpus"] = num_cpus
        paths = _driver_paths()
        if paths:
            options["runtime_env"] = {"env_vars": {"PYTHONPATH": os.pathsep.join(paths)}}
    return options


def _driver_paths() -> list[str]:
    """The driver's `sys.path` folders that a fresh interpreter would not have (not under the installation)."""
    installed = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    paths = []
    for entry in sys.path:
        folder = Path(entry or os.curdir).resolve()
        if folder.is_dir() and not any(folder.is_relative_to(root) for root in installed):
            paths.append(str(folder))
    return list(dict.fromkeys(paths))


def _call(fn: Callable[[Any], Any], job: Any) -> Any:
    return fn(job)
