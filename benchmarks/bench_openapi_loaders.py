"""Which library reads the collection's `$ref`s? A comparison on real descriptions (docs/import.md says why).

    python benchmarks/bench_openapi_loaders.py DIR [--every 4] [--out result.json]

For every Nth JSON/YAML file under DIR (default: all), each candidate reads the file and resolves it; per
candidate we count files read, failures (with the first error kinds) and CPU seconds:
  - ascc's own lazy resolver (`ascc.importers.openapi`): load, then flatten every operation's schemas;
  - jsonref 1.x `replace_refs` (lazy proxies), then a bounded walk of the result, as an importer would;
  - prance `ResolvingParser` (full resolution; validates with openapi-spec-validator first);
  - openapi-spec-validator 0.7+ `validate` alone: how many real descriptions are valid at all.
Missing packages are reported as such, not installed.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

sys.setrecursionlimit(10000)


def walk(x, depth=0, budget=[0]):  # noqa: B006 - a shared node budget per call tree
    budget[0] += 1
    if depth > 40 or budget[0] > 2_000_000:
        return
    if isinstance(x, dict):
        for v in x.values():
            walk(v, depth + 1, budget)
    elif isinstance(x, list):
        for v in x:
            walk(v, depth + 1, budget)


def ours(path: Path) -> None:
    from ascc.importers.openapi.load import load_document
    from ascc.importers.openapi.ops import operations

    operations(path, load_document(path), "api", path.name)


def with_jsonref(path: Path) -> None:
    import jsonref

    doc = json.loads(path.read_text()) if path.suffix == ".json" else __import__("yaml").safe_load(path.read_text())
    resolved = jsonref.replace_refs(doc, base_uri=path.resolve().as_uri(), lazy_load=True)
    walk(resolved, 0, [0])


def with_prance(path: Path) -> None:
    import prance

    prance.ResolvingParser(str(path), backend="openapi-spec-validator", strict=False)


def with_validator(path: Path) -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    spec, _ = read_from_filename(str(path))
    validate(spec)


CANDIDATES = {"ascc": ours, "jsonref": with_jsonref, "prance": with_prance,
              "openapi-spec-validator": with_validator}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    files = sorted(p for p in a.folder.rglob("*") if p.suffix in (".json", ".yaml", ".yml"))[:: a.every]
    results = {}
    for name, fn in CANDIDATES.items():
        ok, errors, cpu = 0, collections.Counter(), 0.0
        for f in files:
            t = time.process_time()
            try:
                fn(f)
                ok += 1
            except ImportError as exc:
                errors[f"not installed: {exc.name}"] += 1
                break
            except RecursionError:
                errors["RecursionError"] += 1
            except Exception as exc:  # noqa: BLE001 - counting every kind of failure is the point
                errors[type(exc).__name__] += 1
            cpu += time.process_time() - t
        results[name] = {"files": len(files), "ok": ok, "cpu_s": round(cpu, 1),
                         "errors": dict(errors.most_common(5))}
        print(f"{name:24} ok {ok:4}/{len(files)}  cpu {cpu:7.1f} s  {dict(errors.most_common(3))}", flush=True)
    if a.out:
        a.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
