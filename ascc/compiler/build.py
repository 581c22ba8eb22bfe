"""`ascc compile`: spec files → build/<domain>/ with every output, or diagnostics. Content-hash cached.

Outputs per domain: schema.sql, tools.py, tools.json, tools.strict.json, user_tools.json (when the domain
has user-side tools), graph.json, domain.json (what the runtime loads), state/<entity>.parquet (the seeded
initial state) and manifest.json (input hash, compiler version, counts, and the SHA-256 of every other output).
Same input → byte-identical output.

A compile can be killed at any moment: it removes the old manifest first, writes each output to a temporary file
and renames it, and writes the manifest last, so a build folder either has a manifest that matches every output
or has none (and is compiled again). A cache hit needs the manifest's input hash and every output's hash to match.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ascc import __version__
from ascc.compiler import types as T
from ascc.compiler.ddl import domain_ddl
from ascc.compiler.ir import Domain
from ascc.compiler.passes import check_spec
from ascc.compiler.seed import StateBuilder, json_default
from ascc.compiler.uses import param_uses
from ascc.diagnostics import Diagnostic, DiagnosticBag, Span
from ascc.dsl.reader import read_spec
from ascc.inputs import InputProblem, read_text

SPEC_SUFFIX = ".env.yaml"


@dataclass
class CompileResult:
    spec: Path
    domain: str | None = None
    out_dir: Path | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    cached: bool = False
    counts: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def find_specs(paths: list[Path]) -> list[Path]:
    out = []
    for p in paths:
        if p.is_dir():
            out += sorted(x for x in p.rglob(f"*{SPEC_SUFFIX}") if x.is_file())
        else:
            out.append(p)
    return out


def _dumps(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=False, ensure_ascii=False, default=json_default) + "\n"


def compiler_hash() -> str:
    """The compiler's own source (and the language it shares with the runtime, lang/): a changed compiler
    invalidates cached builds even at the same version."""
    global _COMPILER_HASH
    if _COMPILER_HASH is None:
        root = Path(__file__).parents[1]
        h = hashlib.sha256()
        for p in sorted([*root.glob("compiler/**/*"), *root.glob("dsl/**/*"), *root.glob("lang/**/*")]):
            if p.suffix in (".py", ".jinja", ".lark"):
                h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
        _COMPILER_HASH = h.hexdigest()
    return _COMPILER_HASH


_COMPILER_HASH: str | None = None


def input_hash(text: str, extra: list[tuple[str, str]]) -> str:
    h = hashlib.sha256(f"ascc {__version__} {compiler_hash()}\n".encode())
    h.update(text.encode("utf-8"))
    for name, digest in extra:
        h.update(f"\n{name}={digest}".encode())
    return h.hexdigest()


def _file_digest(p: Path) -> str:
    try:
        return hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _cached(spec: Path, text: str, out_root: Path) -> CompileResult | None:
    """A previous build of the same input, found by the manifest named after the spec's input hash."""
    index = out_root / ".index" / (hashlib.sha256(str(spec.resolve()).encode()).hexdigest()[:32] + ".json")
    try:
        entry = json.loads(index.read_text())
        manifest = json.loads((Path(entry["out_dir"]) / "manifest.json").read_text())
    except (OSError, ValueError, KeyError):
        return None
    files = [(n, _file_digest(spec.parent / n)) for n in manifest.get("seed_files", [])]
    if manifest.get("input_hash") != input_hash(text, files):
        return None
    if not outputs_match(Path(entry["out_dir"]), manifest):
        return None
    return CompileResult(spec, manifest["domain"], Path(entry["out_dir"]), cached=True, counts=manifest["counts"])


MAX_SPEC_BYTES = 512 << 10  # 9 times the largest spec under specs/; checking one of tools takes ~8 CPU-seconds a MiB


def compile_file(spec: Path, out_root: Path | None, *, force: bool = False) -> CompileResult:
    """Check one spec and, when `out_root` is given and it has no errors, write its outputs."""
    try:
        if spec.is_file() and (size := spec.stat().st_size) > MAX_SPEC_BYTES:
            bag = DiagnosticBag()
            bag.error("E015", f"the spec is {_kib(size)}; a spec may be at most {_kib(MAX_SPEC_BYTES)}",
                      Span.point(str(spec), 1, 1),
                      help="a spec describes a domain: keep bulk seed data in seed files (`seed: files:`)")
            return CompileResult(spec, diagnostics=bag.sorted())
        text = read_text(spec, MAX_SPEC_BYTES)
    except OSError as exc:
        bag = DiagnosticBag()
        bag.error("E000", f"cannot read `{spec}`: {exc.strerror}", None)
        return CompileResult(spec, diagnostics=bag.sorted())
    except InputProblem as exc:
        bag = DiagnosticBag()
        bag.error(exc.code, f"cannot read `{spec}`: {exc.message}", Span.point(str(spec), exc.line, exc.col))
        return CompileResult(spec, diagnostics=bag.sorted())
    if out_root is not None and not force and (hit := _cached(spec, text, out_root)) is not None:
        return hit
    bag = DiagnosticBag()
    result = CompileResult(spec)
    try:
        domain = _check(spec, text, bag)
        if domain is not None and not bag.has_errors:
            rows = StateBuilder(domain, bag).build()
            if not bag.has_errors and out_root is not None:
                result.out_dir = out_root / domain.name
                try:
                    result.counts = write_outputs(domain, rows, text, result.out_dir)
                    _write_index(spec, out_root, result.out_dir)
                except OSError as exc:
                    bag.error("E095", write_failure(exc, result.out_dir), None,
                              help="free some space or pick a writable folder with `--out`")
        result.domain = domain.name if domain else None
    except RecursionError:
        bag.error("E105", "the spec nests too deeply to compile", None)
    except Exception as exc:  # a compiler bug must still end as a diagnostic, not a traceback
        import traceback

        bag.error("E900", f"internal compiler error: {type(exc).__name__}: {exc}", None,
                  notes=("this is a bug in ascc; please report it with the spec",
                         traceback.format_exc(limit=-3).strip().splitlines()[-3]))
    result.diagnostics = bag.sorted()
    return result


def _kib(n: int) -> str:
    return f"{n >> 10:,} KiB" if n % 1024 == 0 else f"{n / 1024:,.1f} KiB"


def _check(spec: Path, text: str, bag: DiagnosticBag) -> Domain | None:
    raw = read_spec(str(spec), text, bag)
    if raw is None:
        return None
    return check_spec(raw, text, bag)


def write_failure(exc: OSError, where: Path) -> str:
    """One line for an output that could not be written: which file, and why (no space, read-only, …)."""
    name = exc.filename or where
    return f"cannot write `{name}`: {exc.strerror or exc}"


def check_writable(out_root: Path) -> OSError | None:
    """Whether the build folder can be created and written, tried once before any spec is compiled."""
    probe = out_root / f".probe{os.getpid()}"
    try:
        out_root.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as f:
            f.write(b"ascc")
    except OSError as exc:
        return exc
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return None


def _write_index(spec: Path, out_root: Path, out_dir: Path) -> None:
    index = out_root / ".index"
    index.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(str(spec.resolve()).encode()).hexdigest()[:32] + ".json"
    _write(index / name, json.dumps({"spec": str(spec.resolve()), "out_dir": str(out_dir)}))


def _write(path: Path, data: str | bytes) -> None:
    """Write atomically, so a killed compile never leaves a half-written output; a failed write leaves no
    temporary file behind."""
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):  # name the output, not the temporary file (or nothing: a failed flush)
            exc.filename = str(path)
        raise


def digest_outputs(out: Path, names: list[str]) -> dict[str, str]:
    """`{relative path: sha256}` of the outputs of a build folder, for its manifest."""
    return {n: hashlib.sha256((out / n).read_bytes()).hexdigest() for n in sorted(names)}


def outputs_match(out: Path, manifest: dict) -> bool:
    """Every output the manifest lists is there with the bytes it was written with (a build from before output
    hashes were recorded never matches, so it is compiled again)."""
    outputs = manifest.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        return False
    for name, digest in outputs.items():
        try:
            if hashlib.sha256((out / name).read_bytes()).hexdigest() != digest:
                return False
        except OSError:
            return False
    return True


_OUTPUT_NAMES = ("schema.sql", "tools.py", "tools.json", "tools.strict.json", "user_tools.json", "graph.json",
                 "domain.json")


def _remove_stale(out: Path, written: list[str]) -> None:
    """Outputs of an earlier compile that this one did not write (user_tools.json, a removed entity's state)."""
    keep = set(written)
    stale = [out / n for n in _OUTPUT_NAMES if n not in keep]
    stale += [p for p in (out / "state").glob("*.parquet") if f"state/{p.name}" not in keep]
    for p in stale:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def write_outputs(domain: Domain, rows: dict, text: str, out: Path) -> dict:
    # imported here, so `ascc check` (which writes nothing) does not load jinja2, networkx and pyarrow
    from ascc.compiler.graph import build_graph, graph_json
    from ascc.compiler.pygen import render_module
    from ascc.compiler.schemas import domain_schemas
    from ascc.compiler.state import write_state

    out.mkdir(parents=True, exist_ok=True)
    # the old manifest goes first: a compile killed part way leaves outputs of two specs and no manifest, which
    # the next compile redoes instead of calling it unchanged
    with contextlib.suppress(FileNotFoundError):
        (out / "manifest.json").unlink()
    seed_files = sorted({p for _, p, _ in domain.seed.files})
    spec_dir = Path(domain.file).parent
    digest = input_hash(text, [(n, _file_digest(spec_dir / n)) for n in seed_files])
    graph = build_graph(domain)
    files = {"schema.sql": domain_ddl(domain), "tools.py": render_module(domain),
             "tools.json": _dumps(domain_schemas(domain)),
             "tools.strict.json": _dumps(domain_schemas(domain, strict=True))}
    if any(t.actor == "user" for t in domain.tools.values()):
        files["user_tools.json"] = _dumps(domain_schemas(domain, actor="user"))
    files["graph.json"] = _dumps(graph_json(graph))
    for name, data in files.items():
        _write(out / name, data)
    state_counts = write_state(domain, rows, out / "state", _write)
    _write(out / "domain.json", _dumps(domain_json(domain)))
    written = [*files, *(f"state/{e}.parquet" for e in state_counts), "domain.json"]
    _remove_stale(out, written)
    tools = list(domain.tools.values())
    counts = {"entities": len(domain.entities), "tools": len(tools),
              "writes": sum(t.kind == "write" for t in tools), "graph_edges": graph.number_of_edges(),
              "rows": state_counts}
    manifest = {"domain": domain.name, "version": domain.version, "compiler": __version__,
                "spec": Path(domain.file).name, "input_hash": digest, "source_hash": domain.source_hash,
                "seed_files": seed_files, "counts": counts, "outputs": digest_outputs(out, written)}
    _write(out / "manifest.json", _dumps(manifest))
    return counts


def _field_json(f) -> dict:
    from ascc.compiler.dynamic import meta_type, stored_value

    if T.is_dynamic(f.type):  # a text column to the runtime; `json` keeps the declared type
        d: dict = {"type": meta_type(f.type), "json": T.to_json(f.type)}
        if f.has_default:
            d["default"] = stored_value(f.default, f.type)
        for k in ("description",):
            if getattr(f, k):
                d[k] = getattr(f, k)
        return d
    d = {"type": T.to_json(f.type)}
    for k in ("ref", "pattern", "description"):
        if getattr(f, k):
            d[k] = getattr(f, k)
    if f.unique:
        d["unique"] = True
    if f.is_key:
        d["key"] = True
    if f.has_default:
        d["default"] = f.default
    if f.check_text:
        d["check"] = f.check_text
    return d


def domain_json(domain: Domain) -> dict:
    """What the runtime needs to validate arguments and run tools, without re-reading the spec."""
    return {
        "domain": domain.name, "version": domain.version, "description": domain.description,
        "policy": policy_text(domain), "clock": {"today": domain.today, "now": domain.now},
        "spec": Path(domain.file).name,
        "structs": {s.name: {f.name: _field_json(f) for f in s.fields.values()} for s in domain.structs.values()},
        "entities": {e.name: {"key": e.key, "fields": {f.name: _field_json(f) for f in e.fields.values()}}
                     for e in domain.entities.values()},
        "tools": {t.name: {
            "kind": t.kind, "actor": t.actor, "description": t.description, "intent": t.intent, "line": t.line,
            "confirm": t.confirm,
            "params": [{"name": p.name, "py_name": p.py_name, "type": T.to_json(p.type), "required": p.required,
                        "default": p.default, "ref": p.ref, "description": p.description, "examples": p.examples}
                       for p in t.params],
            "reads": sorted(t.reads), "writes": sorted(t.writes), "requested_by": t.requested_by,
            "returns": T.to_json(t.returns_type) if t.returns_type else None,
            "param_uses": param_uses(t, domain),
            **({"rules": [_rule_json(r) for r in t.rules]} if t.rules else {}),
        } for t in domain.tools.values()},
        **({"simulation": domain.simulation} if domain.simulation is not None else {}),
    }


RULES_HEAD = "Rules to check before calling a tool (the tools do not check them):"


def policy_text(domain: Domain) -> str:
    """The policy the agent is shown: the spec's text, then each rule whose sentence it does not already hold."""
    text = domain.policy.rstrip()
    flat = " ".join(text.split())
    lines = [f"- {t.name}: {r.policy}" for t in domain.tools.values() for r in t.rules
             if r.policy and " ".join(r.policy.split()) not in flat]
    if not lines:
        return domain.policy
    return (text + "\n\n" if text else "") + RULES_HEAD + "\n" + "\n".join(lines) + "\n"


def _rule_json(r) -> dict:
    out = {"name": r.name, "when": r.cond_text, "outcome": r.outcome, "policy": r.policy, "message": r.message}
    if r.ask:
        out["ask"] = r.ask
    if r.via:
        out["via"] = r.via
    return out
