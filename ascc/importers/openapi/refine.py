"""Optional LLM refinement of drafted domains (`ascc import openapi ... --llm URL --model NAME`).

A model sees a drafted spec and answers with a *patch* of the few things it may change, never a new spec: the
domain's description and policy, entity and field descriptions, and per tool a new name, a description,
parameter descriptions and added preconditions (`requires`). Kinds, parameters' types, lets, effects, returns,
entities' fields and seed data are not in the patch format at all, so a model cannot change what a tool does or
how the state is stored; everything it writes is data in the spec (libyaml quotes it) and goes through the
compiler like a hand-written spec, so hostile output is at worst a bad spec that is refused.

Each domain: ask, check the patch's shape, apply it to the draft, compile the result; on errors the patch
problems and the compiler's JSON diagnostics go back to the model for a repair, up to `rounds` times. A patch
that compiles replaces the draft (written atomically, with its build when there is one); otherwise the draft
stays and the report says why. A failing endpoint (refused connection, timeout, HTTP error after the client's
retries) keeps the draft too; after `MAX_ENDPOINT_FAILURES` failures in a row the remaining domains are not
sent, so a dead server costs a few timeouts, not one per domain.
"""

from __future__ import annotations

import json
import keyword
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_ENDPOINT_FAILURES = 3
MAX_TEXT = {"description": 2000, "policy": 8000}
MAX_REQUIRES = 8  # preconditions a patch may add to one tool
MAX_EXPR = 400
NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\u0085]")

PATCH_FORMAT = """\
Reply with ONE JSON object and nothing else. Every key is optional; leave out what you do not change:
{
  "description": "one or two sentences: what this domain is",
  "policy": "the rules the assistant follows in this domain, plain text",
  "entities": {"<entity>": {"description": "...", "fields": {"<field>": "what the field holds"}}},
  "tools": {"<tool>": {"name": "better_snake_case_name",
                       "description": "what the tool does, for an agent choosing a tool",
                       "params": {"<param>": "what the parameter means"},
                       "requires": ["<condition> else \\"<message shown when it fails>\\""]}}
}
Rules: <entity>, <field>, <tool> and <param> are names that exist in the spec. A new tool name is lower
snake_case and unique. `requires` ADDS preconditions to a tool (checked before its effects, in order); write
them in the spec's expression language exactly as the existing `requires`, `let` and `returns` do (`$param`
for a parameter, names bound by the tool's `let`, `entity[key]`, `and`, `or`, `not`, `==`, `in`). Nothing else
can be changed: kinds, parameters' types, lets, effects, returns, fields and seed data stay as drafted."""

SYSTEM = ("You improve environment specs drafted from API descriptions for training tool-using agents. "
          "A drafted spec is correct but mechanical: names come from operationIds or paths, descriptions from "
          "summaries or the HTTP method, the policy is generic, and only status changes have preconditions. "
          "Make names and descriptions clear, write a policy a customer-facing assistant of this API would "
          "follow, and add preconditions that the API's business rules imply.\n\n" + PATCH_FORMAT)


@dataclass(frozen=True)
class RefineConfig:
    """Where the model is and how hard to try."""

    base_url: str
    model: str
    rounds: int = 2  # repair rounds after the first answer
    timeout_s: float = 120.0
    max_retries: int = 2
    api_key: str = "EMPTY"
    temperature: float | None = 0.2


@dataclass
class Refinement:
    """What refinement did to one domain; `status` is accepted, unchanged, rejected or failed (endpoint)."""

    status: str
    rounds: int = 0
    changes: list[str] = field(default_factory=list)
    reason: str = ""
    renamed: dict[str, str] = field(default_factory=dict)
    warnings: int = 0  # the accepted spec's compiler warnings


class EndpointFailure(Exception):
    """The endpoint did not answer (after the client's retries)."""


def make_client(cfg: RefineConfig) -> Any:
    from openai import OpenAI  # the `sim` extra; imported here so the importer works without it

    return OpenAI(base_url=cfg.base_url.rstrip("/"), api_key=cfg.api_key, timeout=cfg.timeout_s,
                  max_retries=cfg.max_retries)


def ask(client: Any, cfg: RefineConfig, messages: list[dict]) -> str:
    from ascc.sim.backends.endpoint import describe_error

    request: dict[str, Any] = {"model": cfg.model, "messages": messages}
    if cfg.temperature is not None:
        request["temperature"] = cfg.temperature
    try:
        completion = client.chat.completions.create(**request)
    except Exception as exc:  # noqa: BLE001 - every client failure keeps the draft, with the reason
        raise EndpointFailure(describe_error(exc)) from None
    choices = getattr(completion, "choices", None)
    if not choices:
        raise EndpointFailure("the endpoint returned no choices")
    return choices[0].message.content or ""


# --- the spec file: comments kept, patch applied ---------------------------------------------------------------

def read_spec(text: str) -> tuple[dict, dict[str, str]]:
    """The spec's data and the one-line origin comment above each tool (`  # from f.json: GET /x`)."""
    comments: dict[str, str] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines[1:], 1):
        m = re.match(r"^  ([A-Za-z_][A-Za-z0-9_]*):\s*$", line)
        if m and lines[i - 1].startswith("  # "):
            comments[m.group(1)] = lines[i - 1][4:]
    return yaml.safe_load(text), comments


def parse_patch(answer: str) -> dict:
    """The JSON object in a model's answer (bare, or in a ```json fence, or with prose around it)."""
    s = answer.strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", s, re.DOTALL)
    if fence:
        s = fence.group(1).strip()
    if not s.startswith("{"):
        a, b = s.find("{"), s.rfind("}")
        s = s[a:b + 1] if 0 <= a < b else s
    try:
        patch = json.loads(s)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the answer is not a JSON object: {exc.msg} at line {exc.lineno} column {exc.colno}") \
            from None
    if not isinstance(patch, dict):
        raise ValueError(f"the answer is a JSON {type(patch).__name__}, not an object")
    return patch


def _text(value: object, where: str, limit: int, problems: list[dict]) -> str | None:
    if not isinstance(value, str):
        problems.append({"code": "patch", "path": where, "message": f"must be a string, not {type(value).__name__}"})
        return None
    value = _CONTROL.sub(" ", value).strip()
    if not value:
        problems.append({"code": "patch", "path": where, "message": "is empty"})
        return None
    if len(value) > limit:
        problems.append({"code": "patch", "path": where, "message": f"is {len(value)} characters; at most {limit}"})
        return None
    return value


def _unknown(obj: dict, allowed: set[str], where: str, problems: list[dict], what: str = "key") -> None:
    for k in obj:
        if k not in allowed:
            problems.append({"code": "patch", "path": f"{where}{k}",
                             "message": f"unknown {what} `{k}`; allowed: {', '.join(sorted(allowed)) or 'none'}"})


def _obj(value: object, where: str, problems: list[dict]) -> dict:
    if isinstance(value, dict):
        return value
    problems.append({"code": "patch", "path": where, "message": f"must be an object, not {type(value).__name__}"})
    return {}


def apply_patch(spec: dict, patch: dict) -> tuple[dict, list[str], dict[str, str], list[dict]]:
    """(the patched spec, the changes in words, tool renames old -> new, the patch's problems).

    The draft is not modified; with problems the caller rejects the whole patch."""
    import copy

    new = copy.deepcopy(spec)
    changes: list[str] = []
    renamed: dict[str, str] = {}
    problems: list[dict] = []
    _unknown(patch, {"description", "policy", "entities", "tools"}, "", problems)
    for key in ("description", "policy"):
        if key in patch and (v := _text(patch[key], key, MAX_TEXT[key], problems)) is not None \
                and v != str(spec.get(key, "")).strip():
            new[key] = v + "\n" if key == "policy" else v
            changes.append(f"{key} rewritten")
    entities = new.get("entities") or {}
    for ent, edit in _obj(patch.get("entities", {}), "entities", problems).items():
        if ent not in entities:
            _unknown({ent: 0}, set(entities), "entities.", problems, "entity")
            continue
        edit = _obj(edit, f"entities.{ent}", problems)
        _unknown(edit, {"description", "fields"}, f"entities.{ent}.", problems)
        if "description" in edit and (v := _text(edit["description"], f"entities.{ent}.description",
                                                  MAX_TEXT["description"], problems)):
            entities[ent]["description"] = v
            changes.append(f"entity {ent}: description")
        fields = entities[ent].get("fields") or {}
        described = []
        for f, d in _obj(edit.get("fields", {}), f"entities.{ent}.fields", problems).items():
            if f not in fields:
                _unknown({f: 0}, set(fields), f"entities.{ent}.fields.", problems, "field")
            elif (v := _text(d, f"entities.{ent}.fields.{f}", MAX_TEXT["description"], problems)) is not None:
                fields[f] = _described(fields[f], v)
                described.append(f)
        if described:
            changes.append(f"entity {ent}: descriptions of {', '.join(described)}")
    tools = new.get("tools") or {}
    for tool, edit in _obj(patch.get("tools", {}), "tools", problems).items():
        if tool not in tools:
            _unknown({tool: 0}, set(tools), "tools.", problems, "tool")
            continue
        where = f"tools.{tool}"
        edit = _obj(edit, where, problems)
        _unknown(edit, {"name", "description", "params", "requires"}, where + ".", problems)
        body = tools[tool]
        what = []
        if "description" in edit and (v := _text(edit["description"], where + ".description",
                                                  MAX_TEXT["description"], problems)) and v != body.get("description"):
            body["description"] = v
            what.append("description")
        params = body.get("params") or {}
        described = []
        for p, d in _obj(edit.get("params", {}), where + ".params", problems).items():
            if p not in params:
                _unknown({p: 0}, set(params), where + ".params.", problems, "parameter")
            elif (v := _text(d, f"{where}.params.{p}", MAX_TEXT["description"], problems)) is not None:
                params[p] = _described(params[p], v)
                described.append(p)
        if described:
            what.append(f"descriptions of {', '.join(described)}")
        reqs = edit.get("requires", [])
        if not isinstance(reqs, list) or len(reqs) > MAX_REQUIRES:
            problems.append({"code": "patch", "path": where + ".requires",
                             "message": f"must be a list of at most {MAX_REQUIRES} strings"})
        else:
            added = [v for i, r in enumerate(reqs) if (v := _text(r, f"{where}.requires[{i}]", MAX_EXPR,
                                                                    problems)) is not None]
            if added:
                body["requires"] = [*(body.get("requires") or []), *added]
                what.append(f"{len(added)} precondition{'s' if len(added) > 1 else ''} added: " + "; ".join(added))
        if "name" in edit and edit["name"] != tool:
            name = edit["name"]
            if not isinstance(name, str) or not NAME.match(name) or keyword.iskeyword(name):
                problems.append({"code": "patch", "path": where + ".name", "message":
                                 f"`{name}` is not a lower snake_case name (a-z, 0-9, _; at most 60; no keyword)"})
            else:
                renamed[tool] = name
        if what:
            changes.append(f"tool {tool}: " + ", ".join(what))
    if renamed:
        final = [renamed.get(t, t) for t in tools]
        clash = sorted({n for n in final if final.count(n) > 1})
        if clash:
            problems.append({"code": "patch", "path": "tools", "message": f"two tools would be named "
                                                                          f"{', '.join(clash)}"})
        else:
            new["tools"] = {renamed.get(t, t): body for t, body in tools.items()}
            changes += [f"tool {old} renamed to {n}" for old, n in renamed.items()]
    return new, changes, renamed, problems


def _described(decl: object, text: str) -> dict:
    """A field or parameter declaration with a description (`str` shorthand becomes `{type: str}`)."""
    out = dict(decl) if isinstance(decl, dict) else {"type": decl}
    out["description"] = text
    return out


# --- the loop ---------------------------------------------------------------------------------------------------

def _prompt_spec(spec: dict, comments: dict[str, str]) -> str:
    from ascc.importers.openapi.run import dump_yaml

    shown = {k: v for k, v in spec.items() if k != "seed"}  # seed rows are bulk the model cannot change
    return dump_yaml(shown, comments)


def _diagnostics(res: Any, text: str) -> list[dict]:
    lines = text.splitlines()
    out = []
    for d in res.diagnostics:
        if d.severity != "error":
            continue
        j = d.to_json()
        if d.span:
            j["span"]["file"] = "spec.env.yaml"
            for lb in j["labels"]:
                if lb["span"]:
                    lb["span"]["file"] = "spec.env.yaml"
            if 0 < d.span.line <= len(lines):
                j["source_line"] = lines[d.span.line - 1]
        out.append(j)
    return out[:20]


def refine_domain(spec_path: Path, client: Any, cfg: RefineConfig, build_dir: Path | None = None) -> Refinement:
    """Refine one compiled draft in place; the draft stays unless a patched spec compiles with no errors."""
    from ascc.compiler.build import compile_file
    from ascc.importers.openapi.run import _write_atomic, dump_yaml

    spec, comments = read_spec(spec_path.read_text(encoding="utf-8"))
    messages = [{"role": "system", "content": SYSTEM},
                {"role": "user", "content": "The drafted spec (seed data left out):\n\n"
                                            + _prompt_spec(spec, comments)}]
    last = ""
    for round_ in range(1, cfg.rounds + 2):
        try:
            answer = ask(client, cfg, messages)
        except EndpointFailure as exc:
            return Refinement("failed", round_ - 1, reason=f"the model endpoint failed: {exc}; the draft is kept")
        messages.append({"role": "assistant", "content": answer})
        try:
            patch = parse_patch(answer)
        except ValueError as exc:
            last = str(exc)
            messages.append({"role": "user", "content": f"{last}. {PATCH_FORMAT}"})
            continue
        new, changes, renamed, problems = apply_patch(spec, patch)
        if problems:
            last = f"the patch was refused: {problems[0]['path']}: {problems[0]['message']}" + (
                f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
            messages.append({"role": "user", "content": "The patch was refused; nothing of it was applied. "
                             "Problems (JSON):\n" + json.dumps(problems, indent=1, ensure_ascii=False)
                             + "\nAnswer with the whole corrected patch."})
            continue
        if not changes:
            return Refinement("unchanged", round_, reason="the model proposed no change")
        new_comments = {renamed.get(t, t): c for t, c in comments.items()}
        text = dump_yaml(new, new_comments)
        with tempfile.TemporaryDirectory(prefix="ascc-refine-") as tmp:
            cand = Path(tmp) / spec_path.name
            cand.write_text(text, encoding="utf-8")
            res = compile_file(cand, None, force=True)
        diags = _diagnostics(res, text)
        if diags:
            first = diags[0]
            last = f"the patched spec does not compile: {first['code']} {first['message']}" + (
                f" (and {len(diags) - 1} more)" if len(diags) > 1 else "")
            messages.append({"role": "user", "content": "The patched spec does not compile; the draft is "
                             "unchanged. The compiler's diagnostics (JSON; `source_line` is the spec line):\n"
                             + json.dumps(diags, indent=1, ensure_ascii=False)
                             + "\nAnswer with the whole corrected patch (against the original draft)."})
            continue
        _write_atomic(spec_path, text)
        if build_dir is not None:
            compile_file(spec_path, build_dir.resolve(), force=True)
        return Refinement("accepted", round_, changes, renamed=renamed,
                          warnings=sum(d.severity == "warning" for d in res.diagnostics))
    return Refinement("rejected", cfg.rounds + 1, reason=f"no compiling patch after {cfg.rounds + 1} answers; "
                                                          f"the draft is kept; last: {last}")


def refine_report(report: Any, cfg: RefineConfig, build_dir: Path | None = None, client: Any = None) -> None:
    """Refine every domain of an import report that compiled; the report's records say what happened."""
    client = client or make_client(cfg)
    failures = 0
    for rec in report.domains:
        if not rec.compiled:
            continue
        if failures >= MAX_ENDPOINT_FAILURES:
            rec.refinement = {"status": "failed", "rounds": 0, "changes": [],
                              "reason": f"not sent: the endpoint failed {failures} times in a row"}
            continue
        try:
            r = refine_domain(Path(rec.spec), client, cfg, build_dir)
        except Exception as exc:  # noqa: BLE001 - a refinement bug keeps the draft of this domain, not the run
            r = Refinement("failed", reason=f"internal refinement error: {type(exc).__name__}: {exc}")
        failures = failures + 1 if r.status == "failed" else 0
        rec.refinement = {"status": r.status, "rounds": r.rounds, "changes": r.changes, "reason": r.reason}
        if r.status == "accepted":
            rec.warnings = r.warnings
        if r.renamed:
            for o in report.operations:
                if o.domain == rec.name and o.tool in r.renamed:
                    o.tool = r.renamed[o.tool]
