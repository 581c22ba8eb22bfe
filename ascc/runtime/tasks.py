"""Task files: one JSON object per line (JSONL), each a task an agent is given in one domain.

    {"id": "cancel-1", "domain": "shop", "kind": "write",
     "initial_state": {"setup": [{"tool": "...", "arguments": {...}}], "today": "2025-03-01",
                       "now": "2025-03-01T10:00:00", "id_seed": 0},
     "gold_calls": [{"tool": "cancel_pending_order", "arguments": {"order_id": "#W0000001", "reason": "..."}}],
     "gold_digest": "<64 hex digits>",
     "gold_state": {"order": [{...row...}]},
     "user": {"instructions": "..."}}

Required: `id` (unique in the file), `domain`, `gold_calls`, `kind` (`write`, `read` or `refusal`). A gold call
made by the user rather than the agent (dual control: the user's phone in telecom, an `actor: user` tool) says
so with `"actor": "user"` (τ²'s `requestor: user`); without it a gold call is the agent's.
Optional: `initial_state` (all of its fields optional too), `gold_digest` (the state digest after the gold
calls), `gold_state` (expected rows of some or all tables after the gold calls), `user` (a free-form scenario
for a user simulator; ascc does not read it). Other top-level keys are an error, so a typo does not pass
silently; add what a tool needs under `user`. Blank lines and lines starting with `//` are skipped.
The format is documented in docs/runtime.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ascc.inputs import InputProblem, load_json, read_text

MAX_TASK_FILE_BYTES = 1 << 30  # a whole task file; each line is one JSON document, bounded by ascc.inputs
KINDS = ("write", "read", "refusal")
ACTORS = ("agent", "user")  # who makes a gold call
_KEYS = {"id", "domain", "initial_state", "gold_calls", "gold_digest", "gold_state", "user", "kind"}
_STATE_KEYS = {"setup", "today", "now", "id_seed"}


@dataclass
class ToolCall:
    tool: str
    arguments: dict
    actor: str = "agent"  # or "user": a step the user does on their side (an `actor: user` tool)

    def to_json(self) -> dict:
        out = {"tool": self.tool, "arguments": self.arguments}
        if self.actor != "agent":
            out["actor"] = self.actor
        return out


@dataclass
class InitialState:
    setup: list[ToolCall] = field(default_factory=list)
    today: str | None = None
    now: str | None = None
    id_seed: int = 0

    def reset_kwargs(self) -> dict:
        """Keyword arguments for `Environment.reset`."""
        return {"setup": [(c.tool, c.arguments) for c in self.setup], "today": self.today, "now": self.now,
                "id_seed": self.id_seed}


@dataclass
class Task:
    id: str
    domain: str
    kind: str
    gold_calls: list[ToolCall]
    initial_state: InitialState = field(default_factory=InitialState)
    gold_digest: str | None = None
    gold_state: dict[str, list[dict]] | None = None
    user: dict = field(default_factory=dict)
    line: int = 0

    def gold_calls_of(self, actor: str) -> list[ToolCall]:
        """The gold calls one side makes (`agent` or `user`), in order."""
        return [c for c in self.gold_calls if c.actor == actor]

    def to_json(self) -> dict:
        out = {"id": self.id, "domain": self.domain, "kind": self.kind,
               "initial_state": {"setup": [c.to_json() for c in self.initial_state.setup],
                                 "today": self.initial_state.today, "now": self.initial_state.now,
                                 "id_seed": self.initial_state.id_seed},
               "gold_calls": [c.to_json() for c in self.gold_calls], "user": self.user}
        if self.gold_digest is not None:
            out["gold_digest"] = self.gold_digest
        if self.gold_state is not None:
            out["gold_state"] = self.gold_state
        return out


class TaskFileError(ValueError):
    """A bad task file; `problems` holds one `path:line: message` text per bad line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Bad(Exception):
    pass


def load_tasks(path: str | Path) -> list[Task]:
    """Read and check a JSONL task file; every bad line is reported at once in one `TaskFileError`."""
    path = Path(path)
    try:
        text = read_text(path, MAX_TASK_FILE_BYTES)
    except OSError as exc:
        raise TaskFileError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    except InputProblem as exc:
        raise TaskFileError([f"{path}:{exc.line}:{exc.col}: cannot read: {exc.message}"]) from None
    return parse_tasks(text, str(path))


def parse_tasks(text: str, source: str = "<tasks>") -> list[Task]:
    tasks, problems, seen = [], [], {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            task = parse_task(_json_line(line), n)
        except _Bad as exc:
            problems.append(f"{source}:{n}: {exc}")
            continue
        if task.id in seen:
            problems.append(f"{source}:{n}: duplicate task id `{task.id}` (first on line {seen[task.id]})")
        seen.setdefault(task.id, n)
        tasks.append(task)
    if problems:
        raise TaskFileError(problems)
    return tasks


def _json_line(line: str) -> dict:
    try:
        obj = load_json(line)
    except json.JSONDecodeError as exc:
        raise _Bad(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    except InputProblem as exc:
        raise _Bad(f"{exc.message} at column {exc.col}") from None
    if not isinstance(obj, dict):
        raise _Bad(f"expected a JSON object, got {type(obj).__name__}")
    return obj


def parse_task(obj: dict, line: int = 0) -> Task:
    unknown = sorted(set(obj) - _KEYS)
    if unknown:
        raise _Bad(f"unknown key `{unknown[0]}`" + _did_you_mean(unknown[0], _KEYS))
    for k in ("id", "domain", "gold_calls", "kind"):
        if k not in obj:
            raise _Bad(f"missing required key `{k}`")
    task_id = _text(obj, "id")
    if obj["kind"] not in KINDS:
        raise _Bad(f"`kind` must be one of {', '.join(KINDS)}, got {json.dumps(obj['kind'])}")
    digest = obj.get("gold_digest")
    if digest is not None and not (isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)):
        raise _Bad("`gold_digest` must be 64 lowercase hex digits (an `Environment.digest()`)")
    user = obj.get("user", {})
    if not isinstance(user, dict):
        raise _Bad("`user` must be an object")
    return Task(id=task_id, domain=_text(obj, "domain"), kind=obj["kind"],
                gold_calls=_calls(obj["gold_calls"], "gold_calls", actors=True),
                initial_state=_initial_state(obj.get("initial_state", {})), gold_digest=digest,
                gold_state=_gold_state(obj.get("gold_state")), user=user, line=line)


def _text(obj: dict, key: str) -> str:
    v = obj[key]
    if not isinstance(v, str) or not v:
        raise _Bad(f"`{key}` must be a non-empty string")
    return v


def _calls(v, where: str, actors: bool = False) -> list[ToolCall]:
    """A list of calls; with `actors`, each may say who makes it (`"actor": "agent"|"user"`)."""
    if not isinstance(v, list):
        raise _Bad(f"`{where}` must be a list of {{\"tool\", \"arguments\"}} objects")
    keys = {"tool", "arguments", "actor"} if actors else {"tool", "arguments"}
    out = []
    for i, c in enumerate(v):
        if not isinstance(c, dict) or not isinstance(c.get("tool"), str) or set(c) - keys:
            raise _Bad(f"`{where}[{i}]` must be an object with `tool` (a string) and `arguments`"
                       + (" (and optionally `actor`)" if actors else ""))
        actor = c.get("actor", "agent")
        if actor not in ACTORS:
            raise _Bad(f"`{where}[{i}].actor` must be one of {', '.join(ACTORS)}, got {json.dumps(actor)}")
        args = c.get("arguments", {})
        if isinstance(args, str):  # OpenAI-style raw JSON arguments
            try:
                args = json.loads(args)
            except json.JSONDecodeError:
                raise _Bad(f"`{where}[{i}].arguments` is a string but not JSON") from None
        if not isinstance(args, dict):
            raise _Bad(f"`{where}[{i}].arguments` must be an object")
        out.append(ToolCall(c["tool"], args, actor))
    return out


def _initial_state(v) -> InitialState:
    if not isinstance(v, dict):
        raise _Bad("`initial_state` must be an object")
    unknown = sorted(set(v) - _STATE_KEYS)
    if unknown:
        raise _Bad(f"unknown key `initial_state.{unknown[0]}`" + _did_you_mean(unknown[0], _STATE_KEYS))
    for k in ("today", "now"):
        if v.get(k) is not None and not isinstance(v[k], str):
            raise _Bad(f"`initial_state.{k}` must be an ISO date text")
    seed = v.get("id_seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise _Bad("`initial_state.id_seed` must be an integer")
    return InitialState(_calls(v.get("setup", []), "initial_state.setup"), v.get("today"), v.get("now"), seed)


def _gold_state(v) -> dict | None:
    if v is None:
        return None
    if not isinstance(v, dict) or not all(isinstance(r, list) and all(isinstance(x, dict) for x in r)
                                          for r in v.values()):
        raise _Bad("`gold_state` must map table names to lists of row objects")
    return v


def _did_you_mean(name: str, options) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(options), n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def write_tasks(tasks: list[Task], path: str | Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for t in tasks:
            f.write(json.dumps(t.to_json(), ensure_ascii=False) + "\n")
