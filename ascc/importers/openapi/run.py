"""`ascc import openapi` / `ascc import tools`: files -> operations -> domains -> specs, compiled, reported.

Every input file is read on its own and every domain is drafted and compiled on its own, so one broken file
or one domain the compiler refuses never stops the rest; each operation ends in the report either as a tool of
a domain that compiles or with the reason it was left out. A domain's spec is written atomically (a temporary
file renamed into place); one that still fails to compile after its failing tools are dropped goes to
`OUT/failed/` with its diagnostics, never next to the good ones.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from ascc.importers.openapi.draft import DomainDraft
from ascc.importers.openapi.graph import merge_small_apis, split_api
from ascc.importers.openapi.load import ImportProblem, load_document
from ascc.importers.openapi.names import Namer, snake
from ascc.importers.openapi.ops import Operation, Skipped, api_title, operations

SUFFIXES = (".json", ".yaml", ".yml")
MAX_REPAIR_ROUNDS = 3


@dataclass
class OpRecord:
    api: str
    file: str
    operation: str  # "GET /pets/{id}" or the function's name
    operation_id: str
    status: str  # imported / skipped
    domain: str = ""
    tool: str = ""
    kind: str = ""  # lookup, query, insert, update, delete, status, record
    reason: str = ""


@dataclass
class DomainRecord:
    name: str
    apis: list[str]
    tools: int
    entities: int
    spec: str
    compiled: bool
    errors: list[str] = field(default_factory=list)
    warnings: int = 0
    refinement: dict | None = None  # with --llm: status (accepted/unchanged/rejected/failed), changes, reason


@dataclass
class ImportReport:
    files: int = 0
    problems: list[dict] = field(default_factory=list)  # files not imported, with the reason
    domains: list[DomainRecord] = field(default_factory=list)
    operations: list[OpRecord] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)

    @property
    def imported(self) -> int:
        return sum(o.status == "imported" for o in self.operations)

    def to_json(self) -> dict:
        return {"files": self.files, "operations_total": len(self.operations), "operations_imported": self.imported,
                "domains_total": len(self.domains), "domains_compiled": sum(d.compiled for d in self.domains),
                "seconds": self.seconds, "problems": self.problems,
                "domains": [asdict(d) for d in self.domains], "operations": [asdict(o) for o in self.operations]}


def collect_files(paths: list[Path]) -> list[tuple[Path, str, str]]:
    """(file, API label, name shown) for each file, or each JSON/YAML file under each folder, in a stable order."""
    out = []
    for p in paths:
        if p.is_dir():
            for f in sorted(x for x in p.rglob("*") if x.suffix.lower() in SUFFIXES and x.is_file()):
                rel = f.relative_to(p)
                out.append((f, rel.with_suffix("").as_posix(), (Path(p.resolve().name) / rel).as_posix()))
        else:
            out.append((p, p.with_suffix("").name, p.name))
    return out


def import_openapi(paths: list[Path], out_dir: Path, *, min_size: int = 4, max_size: int = 40,
                   one_domain_per_api: bool = False, seed: int = 0, jobs: int = 1,
                   build_dir: Path | None = None, reader=operations, refine=None) -> ImportReport:
    """Import API descriptions (`reader`: OpenAPI by default, `fntools.tool_operations` for tool lists);
    with `refine` (a `refine.RefineConfig`) a model then improves each compiling domain (`refine.py`)."""
    report = ImportReport()
    t0 = time.perf_counter()
    per_api: list[tuple[str, list[Operation]]] = []
    titles: dict[str, str] = {}
    for path, api, display in collect_files(paths):
        report.files += 1
        try:
            doc = load_document(path)
            ops, skipped = reader(path, doc, api, display)
            titles[api] = api_title(doc)
        except ImportProblem as exc:
            report.problems.append({"file": display, "reason": str(exc)})
            continue
        except RecursionError:
            report.problems.append({"file": display, "reason": "the description nests too deeply"})
            continue
        except Exception as exc:  # an importer bug must not stop the other files
            report.problems.append({"file": display, "reason": f"internal importer error: {type(exc).__name__}: "
                                                               f"{exc}"})
            continue
        for s in skipped:
            report.operations.append(_skip(s))
        _drop_plumbing(ops)
        if ops:
            per_api.append((api, ops))
        elif not skipped:
            report.problems.append({"file": display, "reason": "the description has no operations"})
    report.seconds["read"] = round(time.perf_counter() - t0, 2)
    return _domains(report, per_api, titles, out_dir, min_size, max_size, one_domain_per_api, seed, jobs,
                    build_dir, t0, refine)


def _drop_plumbing(ops: list[Operation]) -> None:
    """Optional query/header parameters on (nearly) every operation of an API are plumbing (API keys, response
    formats, quota users, pretty-printing), not part of what a call does: left out of the tools."""
    if len(ops) < 5:
        return
    from collections import Counter

    counts = Counter((p.name, p.location) for o in ops for p in {(q.name, q.location): q for q in o.params}.values()
                     if not p.required and p.location in ("query", "header"))
    common = {k for k, n in counts.items() if n >= 0.9 * len(ops)}
    if common:
        for o in ops:
            o.params = [p for p in o.params if (p.name, p.location) not in common]


def import_tools(paths: list[Path], out_dir: Path, **kw) -> ImportReport:
    """Import OpenAI function-schema lists and MCP tools/list results."""
    from ascc.importers.openapi.fntools import tool_operations

    return import_openapi(paths, out_dir, reader=tool_operations, **kw)


def _domains(report: ImportReport, per_api: list[tuple[str, list[Operation]]], titles: dict[str, str],
             out_dir: Path, min_size: int, max_size: int, one_domain_per_api: bool, seed: int, jobs: int,
             build_dir: Path | None, t0: float, refine=None) -> ImportReport:
    t1 = time.perf_counter()
    units: list[tuple[list[str], list[Operation]]] = []
    if one_domain_per_api:
        units = [([api], ops) for api, ops in per_api]
    else:
        split = [(api, grp) for api, ops in per_api for grp in split_api(ops, min_size, max_size, seed)]
        units = merge_small_apis(split, min_size, max_size)
    report.seconds["group"] = round(time.perf_counter() - t1, 2)
    out_dir.mkdir(parents=True, exist_ok=True)
    namer = Namer()
    compile_s = 0.0
    jobs_list = []
    for apis, ops in units:
        base = _domain_name(titles.get(apis[0]) or apis[0])
        name = namer.get(base)
        shown = [titles.get(a) or a for a in dict.fromkeys(apis)]
        title = ", ".join(shown[:3]) + (f" and {len(shown) - 3} more" if len(shown) > 3 else "")
        jobs_list.append((name, title, apis, ops, out_dir, build_dir))
    if jobs > 1 and len(jobs_list) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs) as pool:
            results = list(pool.map(_domain_job, jobs_list, chunksize=4))
    else:
        results = [_domain_job(j) for j in jobs_list]
    for (name, _, _, ops, _, _), (rec, recs, dt, error) in zip(jobs_list, results, strict=True):
        if error:  # an importer bug in one domain must not stop the others
            report.operations += [OpRecord(o.api, o.file, o.ident, o.operation_id, "skipped", domain=name,
                                           reason=f"internal importer error: {error}") for o in ops]
            continue
        compile_s += dt
        report.domains.append(rec)
        report.operations += recs
    report.seconds["compile_check"] = round(compile_s, 2)
    if refine is not None:
        from ascc.importers.openapi.refine import refine_report

        t2 = time.perf_counter()
        refine_report(report, refine, build_dir)
        report.seconds["refine"] = round(time.perf_counter() - t2, 2)
    report.seconds["total"] = round(time.perf_counter() - t0, 2)
    (out_dir / "import_report.json").write_text(json.dumps(report.to_json(), indent=1, ensure_ascii=False) + "\n",
                                                 encoding="utf-8")
    return report


def _domain_job(job: tuple) -> tuple:
    try:
        return (*_one_domain(*job), None)
    except Exception as exc:  # reported for the domain's operations; the other domains go on
        return None, [], 0.0, f"{type(exc).__name__}: {exc}"


def _domain_name(api: str) -> str:
    if "/" not in api and " " in api.strip():  # a title
        return snake(" ".join(w for w in api.split() if w.lower() not in ("api", "the", "rest", "v1", "v2"))
                     or api)[:40].rstrip("_")
    parts = [p for p in re.split(r"[/]", api) if p]
    host = parts[0].split(".")
    host = [h for h in host if h not in ("com", "org", "net", "io", "www", "api", "co", "gov", "appspot")] or host
    rest = [p for p in parts[1:] if not re.fullmatch(r"v?[0-9][0-9._-]*", p)]
    return snake("_".join([*host[:2], *rest[-2:]]))[:40].rstrip("_") or "api"


def _one_domain(name: str, title: str, apis: list[str], ops: list[Operation], out_dir: Path,
                build_dir: Path | None = None) -> tuple[DomainRecord, list[OpRecord], float]:
    """Draft, write and compile one domain; with `build_dir` the compile that succeeds also writes the build
    (so a later `ascc compile OUT --build-dir BUILD` finds it cached instead of compiling again)."""
    from ascc.compiler.build import compile_file

    dropped: dict[int, str] = {}
    dt = 0.0
    plain_seed = False
    for _ in range(MAX_REPAIR_ROUNDS + 1):
        keep = [o for i, o in enumerate(ops) if i not in dropped]
        draft = DomainDraft(name, keep, title, plain_seed=plain_seed)
        text = dump_yaml(draft.spec(), {p.name: p.op.origin() for p in draft.plans})
        target = out_dir / f"{name}.env.yaml"
        _write_atomic(target, text)
        t = time.perf_counter()
        res = compile_file(target, build_dir.resolve() if build_dir else None, force=True)
        dt += time.perf_counter() - t
        errors = [d for d in res.diagnostics if d.severity == "error"]
        if not errors:
            break
        blame = _tools_at(text, [(d.span.line if d.span else 0, f"{d.code} {d.message}") for d in errors])
        pos = {id(o): i for i, o in enumerate(ops)}
        index = {p.name: pos[id(p.op)] for p in draft.plans}
        if not blame or not set(blame) <= set(index):
            if plain_seed:
                break
            plain_seed = True  # an error outside the tools: most often a seed value; seed keys and refs only
            continue
        for tool in blame:
            dropped[index[tool]] = f"the compiler refused the drafted tool: {blame[tool]}"
    ok = not errors
    if not ok:
        failed = out_dir / "failed"
        failed.mkdir(exist_ok=True)
        os.replace(target, failed / target.name)
        target = failed / target.name
    warnings = sum(d.severity == "warning" for d in res.diagnostics)
    msgs = [f"{d.code} {d.message}" + (f" (line {d.span.line})" if d.span else "") for d in errors[:10]]
    rec = DomainRecord(name, apis, len(draft.plans) if ok else 0, len(draft.entities), target.as_posix(), ok,
                       msgs, warnings)
    recs = []
    by_op = {id(p.op): p for p in draft.plans}
    for i, o in enumerate(ops):
        if i in dropped:
            recs.append(OpRecord(o.api, o.file, o.ident, o.operation_id, "skipped", name, reason=dropped[i]))
        elif not ok:
            recs.append(OpRecord(o.api, o.file, o.ident, o.operation_id, "skipped", name,
                                 reason="its domain does not compile: " + (msgs[0] if msgs else "")))
        else:
            p = by_op[id(o)]
            recs.append(OpRecord(o.api, o.file, o.ident, o.operation_id, "imported", name, p.name, p.kind))
    return rec, recs, dt


def _tools_at(text: str, lines: list[tuple[int, str]]) -> dict[str, str]:
    """The tools whose YAML blocks hold the given lines (a tool's block starts at `  name:` under `tools:`)."""
    starts: list[tuple[int, str]] = []
    in_tools = False
    for n, line in enumerate(text.splitlines(), 1):
        if re.match(r"^\S", line):
            in_tools = line.startswith("tools:")
            starts.append((n, ""))
            continue
        m = re.match(r"^  ([A-Za-z_][A-Za-z0-9_]*):\s*$", line)
        if in_tools and m:
            starts.append((n, m.group(1)))
    out: dict[str, str] = {}
    for ln, msg in lines:
        owner = ""
        for n, tool in starts:
            if n <= ln:
                owner = tool
        if not owner:
            return {}
        out.setdefault(owner, msg)
    return out


class _Flow(dict):
    """A map written on one line."""


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    def ignore_aliases(self, data: object) -> bool:  # shared lists are written out, never as anchors
        return True


_RETYPED = re.compile(r"^([-+.]?[0-9]|\.(inf|nan)|(y|yes|n|no|on|off|true|false|null|~)$)", re.IGNORECASE)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # libyaml resolves by YAML 1.1, the compiler reads YAML 1.2 (`1e3`, `0o7`, `08` differ): quote anything that
    # either could read as a number, a boolean or null, so a string stays a string.
    style = "'" if _RETYPED.match(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_Flow, lambda d, m: d.represent_mapping("tag:yaml.org,2002:map", m, flow_style=True))


def dump_yaml(data: dict, comments: dict[str, str] | None = None) -> str:
    """The spec as YAML text. Values are data for libyaml's emitter (it quotes what needs quoting); the only
    text added is one `# comment` line above each tool, made of a single line (no line breaks of any kind)."""
    body = yaml.dump(_flow_leaves(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110,
                     default_flow_style=False, indent=2)
    lines = ["# Drafted by `ascc import`: review the tools against the API before relying on them."]
    in_tools = False
    for line in body.splitlines():
        if line and not line[0].isspace():
            in_tools = line.startswith("tools:")
        elif in_tools and comments and line.startswith("  ") and not line.startswith("   ") \
                and line.rstrip().endswith(":") and line.strip()[:-1] in comments:
            lines.append("  # " + " ".join(comments[line.strip()[:-1]].split()))
        lines.append(line)
    return "\n".join(lines) + "\n"


def _flow_leaves(node: object, depth: int = 0) -> object:
    """Small maps of plain values (a field, a parameter) on one line, as a person writes them."""
    if isinstance(node, dict):
        out = {k: _flow_leaves(v, depth + 1) for k, v in node.items()}
        leaf = depth >= 3 and len(node) <= 6 and len(repr(node)) < 100 and all(
            isinstance(v, (str, int, float, bool, type(None))) or
            (isinstance(v, list) and all(isinstance(x, str) for x in v)) for v in node.values())
        return _Flow(out) if leaf else out
    if isinstance(node, list):
        return [_flow_leaves(x, depth + 1) for x in node]
    return node


def _write_atomic(target: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, target)


def _skip(s: Skipped) -> OpRecord:
    return OpRecord(s.api, s.file, s.ident, "", "skipped", reason=s.reason)
