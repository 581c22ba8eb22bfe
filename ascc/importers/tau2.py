"""`ascc import tau2`: a local copy of τ²-bench's domain data as an ascc spec, seed files and a task file.

For one τ² domain folder (`db.json` or `db.toml`, optionally telecom's `user_db.toml`, and `tasks.json`) this
writes, under OUT:

- `<domain>.env.yaml`: ascc's own spec for the domain (specs/<domain>.env.yaml) with its `seed:` replaced by
  `files:` that point at the converted data, so the imported domain compiles like any spec and the compiler
  checks every row;
- `<domain>/data/<entity>.jsonl`: τ²'s records, one per line, exactly as τ² holds them (the compiler converts
  them); records the spec cannot hold are left out and listed;
- `<domain>/tasks.jsonl`: τ²'s tasks in ascc's task format (ascc/runtime/tasks.py). The gold calls are τ²'s
  evaluation actions (user-side ones, `requestor: user`, are marked `"actor": "user"`: telecom's `actor: user`
  tools, which the simulated user calls), τ²'s initialization actions are the setup calls (telecom's `actor: env` tools), the scenario is copied under `user` (τ²'s own task fields under
  `user.tau2`), and `gold_digest` is ascc's digest after replaying the gold calls from the imported state;
- `<domain>/import_report.json`: what was converted, and every record and task that was not, with the reason.

A task is left out (and listed) when ascc cannot express it (initialization data, message history, a tool the
spec lacks) or when replaying it in ascc does not go as τ² expects (a setup or gold call ascc refuses, an env
assertion of τ² that the gold state fails); `keep_failing` keeps the last two kinds in the task file.

What is never reproduced: τ²'s DB hash (a SHA-256 of the pydantic dump); ascc's digest is its own, over the
same facts. The report's `notes` list the known semantic differences per domain.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ascc.inputs import InputProblem, check_toml, load_json, load_yaml_data, read_text
from ascc.lang.compiled import ToolInfo
from ascc.runtime.tasks import InitialState, Task, ToolCall, write_tasks

DOMAIN_NAMES = ("airline", "retail", "telecom")
SPECS_DIR = Path(__file__).resolve().parents[2] / "specs"


@dataclass(frozen=True)
class DomainMap:
    """How one τ² domain's DB maps onto the ascc spec's entities."""

    collections: dict[str, str]  # τ² top-level key -> ascc entity
    # telecom's user DB: τ² top-level key -> (entity, key field, key value) of the single row it becomes
    user_collections: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


COMMON_NOTES = (
    "gold_digest is ascc's state digest after replaying τ²'s gold actions in ascc; τ²'s own DB hash "
    "(SHA-256 of the pydantic dump, list order included) is not reproduced, and τ²'s tasks store no gold hash "
    "to compare with: agreement is checked by the replay itself and, where τ² has them, by its env assertions.",
    "ascc tool calls are atomic (a refused call changes nothing); τ² has no rollback, so a τ² call that fails "
    "half-way keeps its partial effects. No gold action in the converted tasks is refused (those tasks are "
    "listed as skipped unless keep_failing is set).",
    "ascc checks arguments against the tool's schema (unknown or missing keys and wrong JSON types are "
    "refused; 348.0 passes for an int); τ² runs the raw method. Where τ² turns a list of dicts into models it "
    "drops unknown keys (e.g. an `origin` inside book_reservation's `flights`): the importer drops them too "
    "and warns. Other argument problems leave the task out as refused with `invalid_arguments`.",
    "The task's `kind` is inferred: `write` if a gold call is a write tool, else `read` if τ² expects "
    "information to be communicated (communicate_info), else `refusal`.",
)

DOMAINS: dict[str, DomainMap] = {
    "airline": DomainMap(
        {"flights": "flight", "users": "user", "reservations": "reservation"},
        notes=("Reservation ids HATHAT/HATHAU/HATHAV and certificate ids certificate_3221322…24 are τ²'s fixed "
               "ids; created_at of a new reservation is the spec clock (2024-05-15T15:00:00).",)),
    "retail": DomainMap(
        {"products": "product", "users": "user", "orders": "order"},
        notes=("τ²'s modify_pending_order_items bug (every modified item takes the last pair's variant) is "
               "reproduced by the spec, as τ²'s gold states depend on it.",)),
    "telecom": DomainMap(
        {"plans": "plan", "devices": "device", "lines": "line", "bills": "bill", "customers": "customer"},
        user_collections={"device": ("phone", "phone_id", "phone"),
                          "surroundings": ("surroundings", "surroundings_id", "user")},
        notes=("ascc keeps the phone and the account in step inside every tool (τ²'s sync after every live "
               "call); τ²'s gold replay does not sync between gold actions, so where a gold list pays a bill "
               "(send_payment_request, then make_payment) τ²'s gold DB leaves the bill unpaid while ascc's marks "
               "it Paid. τ²'s stored telecom tasks are scored on env assertions only, which ascc checks here.",
               "refuel_data on a customer without a Draft bill creates a bill whose id τ² draws at random "
               "(`B` + 8 hex digits); ascc's id differs.",
               "Without a user_db.toml the phone and surroundings take τ²'s defaults (the spec's seed rows).",
               "τ² task env assertions are copied to user.tau2 and checked after the gold replay at import; "
               "ascc's task format has no field for them, so `ascc replay` checks only the digest.",
               "User-side gold actions (toggle_roaming, make_payment, reboot_device, …) are `actor: user` tools "
               "and gold calls marked `\"actor\": \"user\"` (τ²'s requestor: user): `ascc replay` runs them, "
               "and in `ascc eval` the simulated user makes them when the agent asks it to (dual control).")),
}


class Tau2ImportError(ValueError):
    """The folder cannot be imported at all (no DB, unknown domain, the output spec does not compile)."""


# ---- reading τ²'s files
def _plain(v):
    """TOML dates and datetimes as the ISO text τ²'s JSON would carry."""
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None).isoformat() if v.tzinfo is None else v.isoformat()
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def _read_data(path: Path):
    try:
        text = read_text(path)
        if path.suffix == ".toml":
            check_toml(text)
            return _plain(tomllib.loads(text))
        return load_json(text)
    except InputProblem as exc:
        raise Tau2ImportError(f"{path}:{exc.line}:{exc.col}: cannot read: {exc.message}") from None
    except (OSError, ValueError) as exc:
        raise Tau2ImportError(f"{path}: cannot read: {exc}") from None


def find_db(folder: Path) -> Path | None:
    for name in ("db.json", "db.toml"):
        if (folder / name).is_file():
            return folder / name
    return None


def detect_domain(folder: Path, db: dict | None = None) -> str:
    """The τ² domain a folder holds: by its DB's top-level keys, else by the folder's name."""
    if db is None:
        p = find_db(folder)
        db = _read_data(p) if p else {}
    keys = set(db) if isinstance(db, dict) else set()
    for name, dmap in DOMAINS.items():
        if keys and keys & set(dmap.collections) == set(dmap.collections):
            return name
    if folder.name in DOMAINS:
        return folder.name
    raise Tau2ImportError(f"{folder}: cannot tell which τ² domain this is (top-level keys: "
                          f"{', '.join(sorted(keys)) or 'none'}); pass --domain")


def domain_folders(folder: Path) -> list[Path]:
    """`folder` itself when it holds a DB, else its airline/retail/telecom subfolders that do."""
    if find_db(folder):
        return [folder]
    return [folder / n for n in DOMAIN_NAMES if (folder / n).is_dir() and find_db(folder / n)]


# ---- the report
@dataclass
class ImportReport:
    domain: str
    source: str
    spec: str = ""
    out_spec: str = ""
    tasks_file: str = ""
    records: dict[str, dict[str, int]] = field(default_factory=dict)  # entity -> {read, converted, skipped}
    skipped_records: list[dict] = field(default_factory=list)
    unmapped: list[dict] = field(default_factory=list)  # τ² collections / fields the spec has no place for
    tasks_read: int = 0
    tasks_converted: int = 0
    skipped_tasks: list[dict] = field(default_factory=list)
    task_warnings: list[dict] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"domain": self.domain, "source": self.source, "spec": self.spec, "out_spec": self.out_spec,
                "tasks_file": self.tasks_file,
                "summary": {"records_read": sum(r["read"] for r in self.records.values()),
                            "records_converted": sum(r["converted"] for r in self.records.values()),
                            "records_skipped": len(self.skipped_records),
                            "tasks_read": self.tasks_read, "tasks_converted": self.tasks_converted,
                            "tasks_skipped": len(self.skipped_tasks), "task_kinds": self.kinds},
                "records": self.records, "skipped_records": self.skipped_records, "unmapped": self.unmapped,
                "skipped_tasks": self.skipped_tasks, "task_warnings": self.task_warnings, "notes": self.notes}


# ---- records
def _validator(spec: Path):
    """A checker of single rows against the spec's schema: the compiler's own seed checks, one row at a time."""
    from ascc.compiler.build import _check
    from ascc.compiler.seed import StateBuilder
    from ascc.diagnostics import DiagnosticBag, Span

    bag = DiagnosticBag()
    try:
        text = read_text(spec)
    except (OSError, InputProblem) as exc:
        raise Tau2ImportError(f"{spec}: cannot read: {exc}") from None
    domain = _check(spec, text, bag)
    if domain is None or bag.has_errors:
        raise Tau2ImportError(f"{spec}: the spec does not compile; run `ascc check {spec}`")

    class RowChecker(StateBuilder):
        def __init__(self):
            super().__init__(domain, DiagnosticBag())
            self.failures: list[str] = []

        def _row_error(self, entity, span, msg, note=None):  # every row's own problem, not one per kind
            self.failures.append(msg)

        def check(self, entity: str, row: dict) -> str | None:
            self.failures = []
            self._add(entity, row, Span.point("<tau2>", 1, 1))
            return self.failures[0] if self.failures else None

    return domain, RowChecker()


def convert_records(db: dict, user_db: dict | None, dmap: DomainMap, spec: Path, report: ImportReport,
                    drop_unknown_fields: bool = False) -> tuple[dict[str, list[dict]], object]:
    """τ²'s records per ascc entity, each checked against the spec; those that fail are reported and left out."""
    domain, checker = _validator(spec)
    entities = domain.entities
    raw: dict[str, list[tuple[str, dict]]] = {}
    if not isinstance(db, dict):
        raise Tau2ImportError("the τ² DB must be a JSON/TOML object of collections")
    for coll, value in db.items():
        ent = dmap.collections.get(coll)
        if ent is None or ent not in entities:
            report.unmapped.append({"collection": coll, "reason": "the ascc spec has no entity for this τ² "
                                    "collection; its data is not imported",
                                    "entries": len(value) if isinstance(value, (list, dict)) else 1})
            continue
        key_field = entities[ent].key
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value or []))
        rows = raw.setdefault(ent, [])
        for k, rec in items:
            if isinstance(rec, dict) and isinstance(value, dict) and key_field not in rec:
                rec = {key_field: k, **rec}  # a map entry that leaves its id to the key
            label = str(rec.get(key_field, k)) if isinstance(rec, dict) else str(k)
            rows.append((label, rec))
    for coll, (ent, key_field, key_value) in dmap.user_collections.items():
        if user_db is None or coll not in user_db:
            continue
        rec = user_db[coll]
        if isinstance(rec, dict):
            rec = {key_field: key_value, **rec}
        raw.setdefault(ent, []).append((key_value, rec))
    if user_db:
        for coll in user_db:
            if coll not in dmap.user_collections:
                report.unmapped.append({"collection": f"user_db.{coll}", "reason": "the ascc spec has no entity "
                                        "for this τ² user-DB section; its data is not imported"})
    for ent in dmap.collections.values():
        raw.setdefault(ent, [])

    accepted: dict[str, list[tuple[str, dict]]] = {}
    for ent, rows in raw.items():
        stats = report.records.setdefault(ent, {"read": 0, "converted": 0, "skipped": 0})
        for label, rec in rows:
            stats["read"] += 1
            if not isinstance(rec, dict):
                _skip_record(report, ent, label, "not an object")
                continue
            unknown = [k for k in rec if k not in entities[ent].fields]
            if unknown and drop_unknown_fields:
                for k in unknown:
                    report.unmapped.append({"entity": ent, "key": label, "field": k,
                                            "reason": "dropped: the ascc spec has no such field"})
                rec = {k: v for k, v in rec.items() if k not in unknown}
            elif unknown:
                _skip_record(report, ent, label, f"τ² field `{unknown[0]}` has no place in the ascc spec's "
                             f"`{ent}` (pass --drop-unknown-fields to import the record without it)")
                continue
            problem = checker.check(ent, rec)
            if problem:
                _skip_record(report, ent, label, problem)
                continue
            accepted.setdefault(ent, []).append((label, rec))
    # references: a row whose reference names a left-out (or missing) row goes too, until nothing changes
    changed = True
    while changed:
        changed = False
        keys = {e: {str(r[entities[e].key]) for _, r in accepted.get(e, [])} for e in entities}
        for ent, rows in accepted.items():
            keep = []
            for label, rec in rows:
                bad = next((f for f in entities[ent].fields.values()
                            if f.ref and rec.get(f.name) is not None and str(rec[f.name]) not in keys[f.ref]), None)
                if bad is None:
                    keep.append((label, rec))
                else:
                    _skip_record(report, ent, label, f"`{bad.name}` = {rec[bad.name]!r} names no imported "
                                 f"`{bad.ref}`")
                    changed = True
            accepted[ent] = keep
    out = {}
    for ent, rows in accepted.items():
        out[ent] = [r for _, r in rows]
        report.records.setdefault(ent, {"read": 0, "converted": 0, "skipped": 0})["converted"] = len(rows)
    for stats in report.records.values():
        stats["skipped"] = stats["read"] - stats["converted"]
    return out, domain


def _skip_record(report: ImportReport, entity: str, key: str, reason: str) -> None:
    report.skipped_records.append({"entity": entity, "key": key, "reason": reason})


# ---- the output spec
_SEED_LINE = re.compile(r"^seed:\s*(#.*)?$")
_TOP_LEVEL = re.compile(r"^[^\s#]")


def write_spec(spec: Path, out_spec: Path, files: dict[str, str], source: Path) -> None:
    """The spec with its seed replaced: `files` for τ²'s entities, the spec's own rows/generators for the rest."""
    text = read_text(spec)
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if _SEED_LINE.match(ln)), None)
    if start is None:
        before, after = lines, []
    else:
        end = next((j for j in range(start + 1, len(lines)) if _TOP_LEVEL.match(lines[j])), len(lines))
        before, after = lines[:start], lines[end:]
    old = (load_yaml_data(text) or {}).get("seed") or {}
    seed: dict = {"files": files}
    rows = {e: r for e, r in (old.get("rows") or {}).items() if e not in files}
    gens = {e: g for e, g in (old.get("generate") or {}).items() if e not in files}
    if gens and "random_seed" in old:
        seed = {"random_seed": old["random_seed"], **seed}
    if rows:
        seed["rows"] = rows
    if gens:
        seed["generate"] = gens
    body = yaml.safe_dump({"seed": seed}, sort_keys=False, allow_unicode=True, width=120)
    header = (f"# Imported by `ascc import tau2` from {source}: {spec.name}'s entities and tools, with τ²-bench's\n"
              f"# data as seed files (see {out_spec.stem.split('.')[0]}/import_report.json for what was left out).\n")
    before = [ln for ln in before if not ln.startswith("# yaml-language-server:")]
    out_spec.write_text(header + "".join(before) + body + "".join(after), encoding="utf-8")


def write_rows(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


# ---- tasks
_INSTRUCTION_PARTS = (("domain", "Domain"), ("reason_for_call", "Reason for call"), ("known_info", "Known info"),
                      ("unknown_info", "Unknown info"), ("task_instructions", "Task instructions"))


def user_scenario(task: dict) -> dict:
    """τ²'s user scenario in the shape ascc's simulated users read (ascc/sim/scenario.py), τ²'s fields kept."""
    us = task.get("user_scenario") or {}
    ec = task.get("evaluation_criteria") or {}
    instr = us.get("instructions")
    if isinstance(instr, dict):
        text = "\n".join(f"{label}: {instr[k]}" for k, label in _INSTRUCTION_PARTS if instr.get(k))
        request = instr.get("reason_for_call") or text
    else:
        text = request = str(instr or "")
    out: dict = {}
    if us.get("persona"):
        out["persona"] = us["persona"]
    out["instructions"] = text
    out["request"] = request
    facts = [str(f) for f in ec.get("communicate_info") or []]
    if facts:
        out["facts"] = facts
    out["tau2"] = {k: task[k] for k in ("id", "description", "ticket", "user_scenario", "initial_state",
                                         "evaluation_criteria", "user_tools") if task.get(k) is not None}
    return out


def _actor_ok(actor: str, side: str) -> bool:
    """Whether an ascc tool's actor fits the τ² side that calls it (`env` tools fit both)."""
    if actor == "env":
        return True
    return actor == ("user" if side == "user" else "agent")


def convert_tasks(tasks: list, domain, report: ImportReport, keep_failing: bool = False) -> list[Task]:
    from ascc.runtime.env import Environment

    tools = domain.info.tools
    out: list[Task] = []
    seen: set[str] = set()
    with Environment(domain) as env:
        for i, raw in enumerate(tasks):
            report.tasks_read += 1
            tid = str(raw.get("id", i)) if isinstance(raw, dict) else str(i)
            if not isinstance(raw, dict):
                report.skipped_tasks.append({"id": tid, "reason": "not a task object"})
                continue
            if tid in seen:
                report.skipped_tasks.append({"id": tid, "reason": "duplicate task id"})
                continue
            seen.add(tid)
            task, fatal, warnings = _convert_task(raw, tid, domain, tools, env)
            if warnings:
                report.task_warnings += [{"id": tid, "warning": w} for w in warnings]
            if fatal and not (keep_failing and all(f.startswith("~") for f in fatal)):
                report.skipped_tasks.append({"id": tid, "reason": "; ".join(f.lstrip("~") for f in fatal)})
                continue
            if fatal:  # kept on request: say so
                report.task_warnings += [{"id": tid, "warning": "kept although " + f.lstrip("~")} for f in fatal]
            out.append(task)
            report.kinds[task.kind] = report.kinds.get(task.kind, 0) + 1
    report.tasks_converted = len(out)
    return out


def _convert_task(raw: dict, tid: str, domain, tools: dict, env):
    """(task, fatal problems, warnings). A fatal problem starting with `~` is a replay problem that
    keep_failing may overlook; the others mean the task cannot be expressed in ascc at all."""
    fatal: list[str] = []
    warnings: list[str] = []
    init = raw.get("initial_state") or {}
    data = init.get("initialization_data")
    if isinstance(data, dict) and any(v for v in data.values()):
        fatal.append("initial_state.initialization_data (a deep-merge patch of τ²'s DB) has no ascc equivalent")
    if init.get("message_history"):
        fatal.append("initial_state.message_history (earlier messages) has no ascc equivalent")
    setup: list[ToolCall] = []
    inline_asserts: list[tuple[int, dict]] = []
    for a in init.get("initialization_actions") or []:
        name, args = a.get("func_name"), a.get("arguments") or {}
        side = a.get("env_type", "assistant")
        if name not in tools:
            fatal.append(f"initialization action `{name}` ({side} side): no such tool in the ascc spec")
            continue
        if "assert_value" in a:
            inline_asserts.append((len(setup), a))
        setup.append(ToolCall(name, dict(args)))
    ec = raw.get("evaluation_criteria") or {}
    gold: list[ToolCall] = []
    for a in ec.get("actions") or []:
        name, args = a.get("name"), a.get("arguments") or {}
        side = a.get("requestor", "assistant")
        if name not in tools:
            fatal.append(f"gold action `{name}` ({side} side): no such tool in the ascc spec")
            continue
        actor = tools[name].actor
        if not _actor_ok(actor, side):
            warnings.append(f"gold action `{name}` is called by τ²'s {side} but is an `actor: {actor}` tool in ascc")
        args, dropped = tau2_arguments(tools[name], dict(args), domain.info.structs)
        if dropped:
            warnings.append(f"gold action `{name}`: dropped {', '.join(dropped)} (τ²'s models drop unknown keys; "
                            "ascc's schema refuses them)")
        gold.append(ToolCall(name, args, "user" if side == "user" else "agent"))
    task = Task(id=tid, domain=domain.name, kind="refusal", gold_calls=gold,
                initial_state=InitialState(setup=setup), user=user_scenario(raw))
    if any(not f.startswith("~") for f in fatal):
        return task, fatal, warnings

    # replay in ascc: the setup, τ²'s inline assertions, the gold calls, then τ²'s env assertions
    env.reset()
    for n, c in enumerate(setup):
        r = env.call(c.tool, c.arguments)
        if not r.ok:
            fatal.append(f"setup call `{c.tool}` {_short(c.arguments)} is refused in ascc: {_message(r)}")
            return task, fatal, warnings
        for pos, a in inline_asserts:
            if pos == n and r.value != a.get("assert_value", True):
                fatal.append(f"~setup assertion `{c.tool}` gives {r.value!r}, τ² expects {a.get('assert_value')!r}")
    wrote = False
    for c in gold:
        r = env.call(c.tool, c.arguments)
        if not r.ok:
            fatal.append(f"~gold call `{c.tool}` {_short(c.arguments)} is refused in ascc "
                         f"({r.error_code}): {_message(r)}")
        wrote |= tools[c.tool].kind == "write"
    for a in ec.get("env_assertions") or []:
        name, args = a.get("func_name"), a.get("arguments") or {}
        want = a.get("assert_value", True)
        if name not in tools:
            warnings.append(f"env assertion `{name}` is not an ascc tool; not checked")
            continue
        r = env.call(name, args)
        got = r.value if r.ok else f"refused: {_message(r)}"
        if got != want:
            fatal.append(f"~after the gold calls τ²'s env assertion `{name}` {json.dumps(args)} gives {got!r} in "
                         f"ascc, τ² expects {want!r}")
    if domain.name == "telecom":
        names = [c.tool for c in gold]
        if "make_payment" in names and "send_payment_request" in names[:names.index("make_payment")]:
            warnings.append("τ²'s gold replay does not sync between actions, so its gold DB leaves the bill unpaid; "
                            "ascc (like τ²'s live runs) marks it Paid")
    # the digest by the same path `ascc replay` takes
    env.reset(**task.initial_state.reset_kwargs())
    for c in gold:
        env.call(c.tool, c.arguments)
    task.gold_digest = env.digest()
    task.kind = "write" if wrote else "read" if ec.get("communicate_info") else "refusal"
    return task, fatal, warnings


def tau2_arguments(tool: ToolInfo, args: dict, structs: dict) -> tuple[dict, list[str]]:
    """Arguments as τ²'s tool sees them: where τ² turns a list of dicts (or a dict) into a pydantic model, keys
    the model lacks are dropped; ascc's argument check would refuse them. Returns (arguments, dropped paths)."""
    dropped: list[str] = []
    out = dict(args)
    for p in tool.params:
        t, v = p.type, args.get(p.name)
        if t.kind == "list" and t.elem.kind == "struct" and isinstance(v, list) \
                and v and all(isinstance(x, dict) for x in v):
            fields = structs.get(t.elem.name, {})
            out[p.name] = []
            for i, x in enumerate(v):
                dropped += [f"`{p.name}[{i}].{k}`" for k in x if k not in fields]
                out[p.name].append({k: y for k, y in x.items() if k in fields})
        elif t.kind == "struct" and isinstance(v, dict):
            fields = structs.get(t.name, {})
            dropped += [f"`{p.name}.{k}`" for k in v if k not in fields]
            out[p.name] = {k: y for k, y in v.items() if k in fields}
    return out, dropped


def _short(args: dict, limit: int = 160) -> str:
    text = json.dumps(args, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _message(r) -> str:
    try:
        return r.value["error"]["message"]
    except (KeyError, TypeError, ValueError):
        return r.content


# ---- one domain
def import_domain(folder: Path, out: Path, domain: str = "auto", spec: Path | None = None,
                  build_dir: Path | None = None, keep_failing: bool = False, drop_unknown_fields: bool = False,
                  split: str | None = None, limit: int | None = None) -> ImportReport:
    from ascc.runtime.domain import SpecError, compile_and_load

    folder = Path(folder)
    db_path = find_db(folder)
    if db_path is None:
        raise Tau2ImportError(f"{folder}: no db.json or db.toml")
    db = _read_data(db_path)
    name = detect_domain(folder, db) if domain == "auto" else domain
    if name not in DOMAINS:
        raise Tau2ImportError(f"unknown τ² domain `{name}`; known: {', '.join(DOMAINS)}")
    dmap = DOMAINS[name]
    spec = Path(spec) if spec else _default_spec(name)
    if not spec.is_file():
        raise Tau2ImportError(f"no ascc spec for `{name}` at {spec}; pass --spec")
    user_db = _read_data(folder / "user_db.toml") if (folder / "user_db.toml").is_file() else None
    if user_db is None and (folder / "user_db.json").is_file():
        user_db = _read_data(folder / "user_db.json")

    report = ImportReport(domain=name, source=str(folder), spec=str(spec))
    report.notes = [*COMMON_NOTES, *dmap.notes]
    rows, _ = convert_records(db, user_db, dmap, spec, report, drop_unknown_fields)

    out = Path(out)
    data_dir = out / name / "data"
    files = {}
    for ent, ent_rows in rows.items():
        write_rows(data_dir / f"{ent}.jsonl", ent_rows)
        files[ent] = f"{name}/data/{ent}.jsonl"
    out_spec = out / f"{name}.env.yaml"
    write_spec(spec, out_spec, files, folder)
    report.out_spec = str(out_spec)
    try:
        compiled = compile_and_load(out_spec, build_dir or out / "build")
    except SpecError as exc:
        raise Tau2ImportError(f"the imported spec {out_spec} does not compile:\n{exc}") from None

    tasks_path = folder / "tasks.json"
    tasks_out = out / name / "tasks.jsonl"
    if tasks_path.is_file():
        tasks = _read_data(tasks_path)
        if isinstance(tasks, dict) and isinstance(tasks.get("tasks"), list):
            tasks = tasks["tasks"]
        if not isinstance(tasks, list):
            raise Tau2ImportError(f"{tasks_path}: expected a JSON list of tasks")
        if split:
            tasks = _split(folder, split, tasks)
        if limit is not None:
            tasks = tasks[:limit]
        converted = convert_tasks(tasks, compiled, report, keep_failing)
        write_tasks(converted, tasks_out)
        report.tasks_file = str(tasks_out)
    else:
        report.notes.append(f"no tasks.json in {folder}: only the data was imported")
    (out / name).mkdir(parents=True, exist_ok=True)
    (out / name / "import_report.json").write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False)
                                                   + "\n", encoding="utf-8")
    return report


def _split(folder: Path, split: str, tasks: list) -> list:
    path = folder / "split_tasks.json"
    if not path.is_file():
        raise Tau2ImportError(f"--split {split}: no split_tasks.json in {folder}")
    splits = _read_data(path)
    if split not in splits:
        raise Tau2ImportError(f"--split {split}: splits are {', '.join(splits)}")
    ids = {str(i) for i in splits[split]}
    return [t for t in tasks if isinstance(t, dict) and str(t.get("id")) in ids]


def _default_spec(name: str) -> Path:
    for root in (Path.cwd() / "specs", SPECS_DIR):
        if (root / f"{name}.env.yaml").is_file():
            return root / f"{name}.env.yaml"
    return SPECS_DIR / f"{name}.env.yaml"


def import_tau2(folder: Path, out: Path, domain: str = "auto", **kw) -> list[ImportReport]:
    """Import one domain folder, or each airline/retail/telecom subfolder of a τ² `domains/` folder."""
    folder = Path(folder)
    if domain != "auto":
        sub = folder / domain
        target = folder if find_db(folder) or not find_db(sub) else sub
        return [import_domain(target, out, domain, **kw)]
    found = domain_folders(folder)
    if not found:
        raise Tau2ImportError(f"{folder}: no db.json/db.toml here or in airline/, retail/, telecom/")
    if len(found) > 1 and kw.get("spec"):
        raise Tau2ImportError("--spec names one spec; import one domain at a time with it")
    return [import_domain(f, out, "auto", **kw) for f in found]
