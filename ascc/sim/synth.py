"""Task synthesis: directed walks on a domain's tool graph, executed against the live state (AgentScaler).

A task is an errand (`ERRANDS`: its kind, share and number of goals): the persona is identified, its profile read,
then each goal is a walk that starts at a random tool and follows `graph.json` edges until a length limit or a tool
without successors; before each write the walk reads the rows it acts on (`_lookups`), as a careful agent does,
and after the last write the user may ask to see the changed row (`_follow_up`). What names alone suggest (the
persona entity, what identifies it, hand-off tools) a spec may state in `simulation:` (`hints.py`). Each step's arguments are bound from what is already there: values found in earlier results (the
edges' `entity.field->param` say which), rows of the entities already referenced, existing keys for `ref`
parameters, the spec's `examples:` (what a user would say: a reason, a note), enum values, and values of columns
with the parameter's name, else a sensible range (for free text, a value made up from the name: `freetext.py`).
Every step is executed, so the gold calls, the gold digest and the facts come from the runtime itself. Tools the
spec marks `requested_by: staff` are no user's errand: writes are never walked, reads only as a middle step.

A task is one user's errand. Where the domain has a persona entity (one with a name, email or phone that other
entities reference: customers, guests, members) the walk picks a persona row first; when the domain also has
identifying lookups (read tools whose parameters are the persona's own fields and that return its key, such as
`find_user_id_by_email`) the walk starts with one of them, bound from the persona's row. References to the
persona's entity bind to the persona, references to the entities it owns (orders, reservations, loans) bind to
its own rows, and other values come preferably from its rows or from earlier results. A refusal then is a
policy precondition of the persona's own object (a delivered order that cannot be cancelled).

Two uses of a parameter come from the compiler (`domain.json`'s `param_uses`, read from the tool's lets and
preconditions, `ascc/compiler/uses.py`). A string that must be an existing key of a map field (`$member in
h.members`, `a.devices[$device_name]`; for a parameter with no such use, a map field named like it: `member` ~
`members`, `device_name` ~ `devices`, where the spec gives no examples and no value under its name is at hand) is
bound after the other parameters, to a key of that field in the rows of the call (and the rows they reference: a
device's home), else the persona's own rows, the walk's, any row (preferably one an earlier result showed); when the
call's own row has no key at all (an account without devices) the walk ends there, as for a persona without rows.
A reference to the persona that a precondition compares with another field of the persona's entity
(`e.manager_id == $manager_id`, where `e` is the request's employee) is a role: the persona acts as that field of
others, so the tool's references to owned rows bind to the rows of the people it is that field of (a manager
approves a report's request, not their own: binding their own made every such task an "only the manager can
decide" refusal). The persona is then picked among those with such rows about as often as walks start with a role
tool. This is general: it needs only the equality the policy states, not the domain's names.

Three kinds of task come out: `write` (at least one successful write), `read` (reads only) and `refusal` (reads,
then a write whose precondition fails: gold is the reads, the state does not change; the refused call and its
error are kept under `user.refusal`). Where the domain's tools have policy rules that decide (`rules:` with
`refuse` or `transfer`), a share of the tasks are refusals that the rule decides, not the tool (`policy_tasks.py`).
A task is a function of (domain, seed, index): the random generator is
seeded with all three and the environment is reset before each attempt.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field

from ascc.lang.compiled import DomainInfo
from ascc.runtime.domain import CompiledDomain
from ascc.runtime.env import Environment, ToolResult, to_jsonable
from ascc.runtime.errors import KEPT_ERROR
from ascc.runtime.tasks import InitialState, Task, ToolCall
from ascc.sim import freetext
from ascc.sim.hints import Hints, hints
from ascc.sim.scenario import build_scenario


@dataclass(frozen=True)
class Errand:
    """A kind of errand the sampler makes: the task kind it yields, its share of the tasks, and how many goals
    (segments of the walk after identification) it has. A new kind (a policy-decided task) is one more entry."""

    kind: str
    share: float
    goals: tuple[tuple[int, float], ...]  # (goals, weight)

    def draw_goals(self, rng: random.Random) -> int:
        return rng.choices([g for g, _ in self.goals], [w for _, w in self.goals])[0]


ERRANDS = (Errand("write", 0.65, ((1, 0.05), (2, 0.1), (3, 0.3), (4, 0.55))),
           Errand("read", 0.2, ((1, 0.3), (2, 0.4), (3, 0.3))),
           Errand("refusal", 0.15, ((1, 0.3), (2, 0.5), (3, 0.2))))
ERRAND_OF = {e.kind: e for e in ERRANDS}
READ_KINDS = ("read", "generic")
DECLINE_SHARE = 0.1  # of write walks with a step before their last write: the user says no to that write
FOLLOW_UP_SHARE = 0.6  # of write walks ending with a write: the user then asks to see the row as it is now


class _Unbindable(Exception):
    """A parameter the persona has no row for (a guest without reservations): the walk ends before it."""


@dataclass
class Source:
    """Where a candidate value comes from: a tool result the agent saw (`step`), or the database (`step` None)."""

    value: object
    step: int | None
    path: str  # the field name it was found under


@dataclass
class Step:
    tool: str
    arguments: dict
    derived: dict[str, int]  # argument -> the earlier step whose result holds its value
    ok: bool
    content: str
    error: str | None = None
    used: bool = False  # a later step took an argument from this step's result
    identify: bool = False  # the identifying lookup the task starts with
    lookup: bool = False  # a read of the row a later write acts on (what a careful agent checks first)
    follow: bool = False  # a read of the row the write before it acted on, which the user asks for to check it
    before: str | None = None  # for a write: the state digest before it


@dataclass
class Walk:
    steps: list[Step]
    refused: Step | None
    writes: frozenset  # the domain's write tools
    refs: list[tuple[str, object]] = field(default_factory=list)  # (entity, key) touched, for the persona
    persona: tuple[str, object] | None = None  # (entity, key) of the user the task is about
    declined: Step | None = None  # a write the user says no to at the confirmation (executed at synthesis only)
    gold_digest: str | None = None  # set when the final state is not the environment's (a declined write)
    index: int = 0

    @property
    def kind(self) -> str:
        if self.refused is not None:
            return "refusal"
        return "write" if any(s.tool in self.writes for s in self.steps) else "read"


class TaskSampler:
    """Samples tasks for one domain; `sample(index)` is deterministic for (domain, seed, index)."""

    def __init__(self, domain: CompiledDomain, seed: int = 0, max_len: int = 4, attempts: int = 24,
                 env: Environment | None = None):
        self.domain, self.seed, self.max_len, self.attempts = domain, seed, max_len, attempts
        self.env = env or Environment(domain)
        self.hints = hints(domain.info)  # the spec's `simulation:`, else the defaults
        # hand-offs end a conversation and skipped tools are no errand
        self.tools = {n: t for n, t in domain.info.tools.items() if t.actor == "agent"
                      and not self.hints.no_errand(n) and (t.kind == "read" or not _staff(t))}
        # staff reads (a report across all customers) are never a goal: only a step whose result a later one uses
        self.staff = frozenset(n for n, t in self.tools.items() if _staff(t))
        self.writes = frozenset(n for n, t in self.tools.items() if t.kind == "write")
        self.succ, self.via = _graph(domain, self.tools)
        initial = _initial_values(domain)
        self.columns = _column_values(initial)
        self.texts = _text_values(initial)
        # a plain parameter named like an entity's key is a reference in all but name (`customer_id: str`)
        self.key_of = {e.key: n for n, e in domain.info.entities.items()}
        self._initial_keys: dict[str, list] = {}
        self._initial_rows: dict[str, dict] = {}
        self.dirty = False  # the walk has changed the state
        self._changed: set[str] = set()
        self._live: dict = {}
        self.persona_entity, self.owner = _persona_entity(domain.info, self.hints)
        self.identify: list[str] | None = None  # found on the first walk (it needs the initial state)
        self._owned: dict[object, dict[str, list]] = {}  # persona key -> entity -> own keys, initial state
        self.persona: object = None  # the current walk's persona key
        self.map_params = _map_params(domain.info, self.tools)  # (tool, param) -> map fields it is a key of
        # (tool) -> (param, field): a reference to the persona compared with another field of the persona entity
        # (`e.manager_id == $manager_id`): the persona acts in that role, on the rows of those it is that field of
        self.roles = _roles(domain.info, self.tools, self.persona_entity)
        self._leads: list | None = None  # persona keys with rows in some role (managers with reports' requests)
        self.policy_tools: list[str] | None = None  # writes with rules that decide and that walks can meet
        self.rule_tools: frozenset | None = None  # writes with rules that decide (policy_tasks.py)
        self._readers: dict[str, tuple[str, str] | None] = {}  # entity -> (read tool, key param) looking one up
        self._initial_sets: dict[str, set] = {}  # entity -> its keys at the start of every task
        self._lookup_tools: dict[tuple[str, str], list] = {}  # (write, param) -> reads that may show its row
        self._args_now: dict = {}
        self._wrote = True  # a write changed the state since the environment's last reset (True: reset it)
        self._reads: dict[tuple[str, str], ToolResult] = {}
        self._row_sources: dict[tuple, list[Source]] = {}
        self._json_rows: dict[int, dict] = {}  # (entity, key) -> a row's leaves, initial state  # reads made in the initial state, by tool and arguments

    # ---- public
    def sample(self, index: int) -> Task | None:
        """The task at `index`, or None when no walk of any kind could be executed."""
        from ascc.sim import policy_tasks

        if policy_tasks.wants_policy(self, index) and (task := policy_tasks.sample_policy(self, index)) is not None:
            return task
        pick = random.Random(f"{self.domain.name}:{self.seed}:{index}:kind").random()
        errand, acc = ERRANDS[0], 0.0
        for e in ERRANDS:
            acc += e.share
            if pick < acc:
                errand = e
                break
        want = errand.kind
        fallback = last = None
        for attempt in range(self.attempts):
            walk = last = self._walk(self._rng(index, attempt), want, index, errand)
            if walk is None or (not walk.steps and walk.refused is None):
                continue
            if walk.kind == want or (want == "write" and walk.declined is not None):
                return self._task(walk, index)
            fallback = fallback or (attempt, walk)
        if fallback is None:
            return None
        attempt, walk = fallback
        if walk is not last:  # later attempts moved the state on: walk it again, for its own final state
            walk = self._walk(self._rng(index, attempt), want, index, errand)
        return self._task(walk, index)

    def _rng(self, index: int, attempt: int) -> random.Random:
        return random.Random(f"{self.domain.name}:{self.seed}:{index}:{attempt}")

    def tasks(self, n: int, start: int = 0) -> list[Task]:
        """`n` distinct tasks from indices `start`, `start+1`, …: duplicates (same kind and calls) are skipped."""
        out, seen, index = [], set(), start
        while len(out) < n and index < start + 20 * n + 20:
            t = self.sample(index)
            index += 1
            if t is not None and signature(t) not in seen:
                seen.add(signature(t))
                out.append(t)
        return out

    def close(self) -> None:
        self.env.close()

    # ---- the environment
    def begin(self, index: int) -> None:
        """The initial state for walk `index`. A walk that wrote nothing leaves it as it was, so the environment
        is then only given the walk's id seed and keeps the rows it has read (a reset would drop them)."""
        env = self.env
        if self._wrote or env.log and any(rec.wrote for rec in env.log):
            env.reset(id_seed=index)
        else:
            env.log.clear()
            env.id_counter, env.id_seed = 0, index
        self._wrote = False
        self.dirty = False
        self._changed = set()  # entities the walk's writes changed: read live (`_live` caches between writes)
        self._live = {}

    def call(self, tool: str, args: dict) -> ToolResult:
        """`env.call`, but a read in the initial state is made once per sampler: its result is the same in every
        walk (only written rows' ids depend on the walk's id seed), and reads are most of synthesis's time."""
        if self._wrote or (tool in self.tools and self.tools[tool].kind == "write"):
            r = self.env.call(tool, args)
            self._wrote = self._wrote or r.wrote
            return r
        key = (tool, json.dumps(args, sort_keys=True, default=str))
        r = self._reads.get(key)
        if r is None:
            r = self._reads[key] = self.env.call(tool, args)
            self._wrote = r.wrote
        return r

    # ---- walking
    def _walk(self, rng: random.Random, want: str, index: int, errand: Errand | None = None) -> Walk | None:
        """One errand: the persona and its identification, then `goals` segments (each a short walk on the tool
        graph from a fresh start), with the lookups of each write's targets made just before it."""
        self.begin(index)
        allowed = [n for n in self.tools if want != "read" or self.tools[n].kind in READ_KINDS]
        if not allowed:
            return None
        goals = (errand or ERRAND_OF[want]).draw_goals(rng)
        steps: list[Step] = []
        walk = Walk(steps, None, self.writes, index=index)
        pool: list[Source] = []
        self.persona = None
        if self.persona_entity is not None:
            if not self._start_persona(rng, walk, pool):
                return None
            looked = {st.tool for st in walk.steps}
            allowed = [n for n in allowed if n not in (self.identify or ()) and n not in looked] or allowed
        starts = sorted(n for n in allowed if n not in self.staff)
        if not starts:
            return None
        write_starts = [n for n in starts if n in self.writes]
        read_starts = [n for n in starts if n not in self.writes]
        self._last = None  # the state digest, once known
        for goal in range(goals):
            if walk.refused is not None:
                break
            # a write errand's later goals start at a write (several writes on the persona's records); a few
            # tries, since a write the persona has no row for cannot start. A refusal errand asks its questions
            # first and ends with the write that is refused (a write that succeeded before it would undo it).
            tries = 3 if want == "write" and write_starts and goal else 1
            nodes = write_starts if tries > 1 else starts
            if want == "refusal" and write_starts and read_starts:
                nodes = write_starts if goal == goals - 1 else read_starts
            for _ in range(tries):
                node = rng.choice(nodes)
                taken = self._segment(rng, node, want, walk, pool)
                if taken is None:
                    return None
                if taken:
                    break
        while steps and steps[-1].tool in self.staff and not steps[-1].used:
            steps.pop()  # a staff read nothing used: the user would not ask for it
        if any(st.tool in self.staff and not st.used for st in steps):
            return None
        if all(st.identify or st.lookup for st in steps) and walk.refused is None:
            return None  # identified, then nothing to do
        if (want == "write" and len(steps) >= 2 and steps[-1].tool in self.writes and steps[-1].before
                and not any(st.tool == steps[-1].tool for st in steps[:-1]) and rng.random() < DECLINE_SHARE):
            walk.declined = steps.pop()
            walk.gold_digest = walk.declined.before  # its lookups stay: the agent checks before it asks
        elif want == "write" and steps and steps[-1].tool in self.writes and rng.random() < FOLLOW_UP_SHARE:
            self._follow_up(steps, pool)
        return walk

    def _segment(self, rng: random.Random, node: str | None, want: str, walk: Walk, pool: list[Source]) -> int | None:
        """One goal: a walk on the tool graph from `node`, each write after the lookups of its targets. The steps
        taken (0: it could not start), or None when the errand cannot be of its kind any more."""
        from ascc.sim import policy_tasks

        env, steps = self.env, walk.steps
        length, taken = rng.randint(1, self.max_len), 0
        while node is not None and taken < length:
            is_write = node in self.writes
            tries = 1 if want == "refusal" and is_write else 3
            looks: list[Step] = []
            r = None
            for _ in range(tries):
                if is_write:
                    self._last = self._last or env.digest()
                before = self._last if is_write else None
                try:
                    args, derived = self._bind(rng, node, pool, walk)
                except _Unbindable:
                    return taken
                if self._created(node, args):
                    return taken  # a row a write of this walk made: the user could not cite it in the opening
                if not is_write and any(st.tool == node and st.arguments == args for st in steps):
                    return taken  # the same read again: a user asks once (and a repeated call is degenerate)
                if is_write and (r := policy_tasks.forbidden(self, node, args)) is not None:
                    continue  # a write the policy forbids is no gold step (policy_tasks makes those tasks)
                r = self.call(node, args)
                if r.error_code == KEPT_ERROR:
                    return None  # failed, yet changed the state (`fails_after_effects`): no gold step holds that
                if r.ok and is_write:
                    self._last = env.digest()
                    if self._last == before:
                        r.ok, r.error_code = False, "no_change"  # a write that changes nothing: a weak task
                # the lookups go before the write in the gold calls; made once its outcome is known, so a failed
                # try costs none (reads change nothing, and the rows they show exist before and after the write)
                looks = self._lookups(node, args, steps, pool) if is_write and (r.ok or want == "refusal") else []
                if r.ok and is_write:  # only the entities it writes changed: the others' rows are still cached
                    self.dirty = True
                    self._changed |= set(self.tools[node].writes) or set(self.domain.info.entities)
                    self._live.clear()
                if r.ok:
                    break
            step = Step(node, args, derived, r.ok, r.content, before=before)
            if not r.ok:
                if want == "refusal" and is_write and r.error_code == "precondition":
                    step.error = json.loads(r.content)["error"]["message"]
                    self._take(looks, steps, pool)
                    walk.refused = step
                    _mark_used(steps, derived)
                return taken
            if want == "refusal" and is_write:
                return None  # a refusal task changes nothing before its refused write
            self._take(looks, steps, pool)
            _mark_used(steps, derived)
            steps.append(step)
            _collect(json.loads(r.content), len(steps) - 1, "", pool)
            taken += 1
            node = self._next(rng, node, want, walk)
        return taken

    # ---- the lookups a careful agent makes before a write
    def _lookups(self, tool: str, args: dict, steps: list[Step], pool: list[Source]) -> list[Step]:
        """Reads of the rows a write acts on that no earlier step named: `get_order_details(order_id)` before
        `cancel_pending_order(order_id)`; each kept when its result shows the key."""
        out: list[Step] = []
        self._args_now = args
        named = {_text_of(v) for st in steps for v in st.arguments.values() if not isinstance(v, (dict, list))}
        for entity, param, value in self._targets(tool, args):
            if _text_of(value) in named or entity == self.persona_entity and any(st.identify for st in steps):
                continue
            row = None
            for reader in self._readers_of(tool, entity, param):
                if any(a.startswith(".") for a in reader[1].values()):
                    row = row or to_jsonable(self._row(entity, value) or {})
                    if any(a.startswith(".") and a[1:] not in row for a in reader[1].values()):
                        continue
                look_args = {q: row[a[1:]] if a.startswith(".") else args[a] for q, a in reader[1].items()}
                r = self.call(reader[0], look_args)
                if not r.ok or _text_of(value) not in {_text_of(v) for v in _leaves(json.loads(r.content))}:
                    continue
                derived = {}
                for q, v in look_args.items():
                    seen = [s for s in pool if s.step is not None and s.value == v]
                    if seen:
                        derived[q] = seen[-1].step
                out.append(Step(reader[0], look_args, derived, True, r.content, used=True, lookup=True))
                named |= {_text_of(v) for v in look_args.values() if not isinstance(v, (dict, list))}
                break
        return out

    def _follow_up(self, steps: list[Step], pool: list[Source]) -> None:
        """After the walk's last write, the read of the row it acted on that the user asks for to check the change
        (`get_order_details(order_id)` after `cancel_pending_order(order_id)`; the profile after a booking made for
        the persona): a reader bound from the write's own arguments whose result shows the row's key."""
        last = steps[-1]
        self._args_now = last.arguments
        for entity, param, value in self._targets(last.tool, last.arguments):
            for reader, binds in self._readers_of(last.tool, entity, param):
                if not binds or any(a.startswith(".") for a in binds.values()):
                    continue  # a list of everything, or a read needing a fact of the row: not a check of it
                look_args = {q: last.arguments[a] for q, a in binds.items()}
                r = self.call(reader, look_args)
                if not r.ok or _text_of(value) not in {_text_of(v) for v in _leaves(json.loads(r.content))}:
                    continue
                derived = {}
                for q, v in look_args.items():
                    seen = [s for s in pool if s.step is not None and s.value == v]
                    if seen:
                        derived[q] = seen[-1].step
                _mark_used(steps, derived)
                steps.append(Step(reader, look_args, derived, True, r.content, follow=True))
                _collect(json.loads(r.content), len(steps) - 1, "", pool)
                return

    def _take(self, looks: list[Step], steps: list[Step], pool: list[Source]) -> None:
        for st in looks:
            _mark_used(steps, st.derived)
            steps.append(st)
            _collect(json.loads(st.content), len(steps) - 1, "", pool)

    def _targets(self, tool: str, args: dict) -> list[tuple[str, str, object]]:
        """(entity, param, key) per argument naming a row the write acts on: a reference to an entity it writes;
        else (a write that creates a row) the persona it is for; else every reference."""
        meta = self.tools[tool]
        refs = [(self._ref(p), p.name, args[p.name]) for p in meta.params
                if p.name in args and self._ref(p) and not isinstance(args[p.name], (dict, list))]
        return ([r for r in refs if r[0] in meta.writes] or [r for r in refs if r[0] == self.persona_entity]
                or refs)

    def _reader(self, entity: str) -> tuple[str, str] | None:
        """The read tool that looks one row of `entity` up by its key (its only required parameter), if any."""
        if entity not in self._readers:
            found = []
            for n, t in sorted(self.tools.items()):
                required = [p for p in t.params if p.required]
                if t.kind == "read" and len(required) == 1 and self._ref(required[0]) == entity:
                    found.append((n in self.staff, not n.startswith("get_"), n, required[0].name))
            self._readers[entity] = min(found)[2:] if found else None
        return self._readers[entity]

    def _readers_of(self, tool: str, entity: str, param: str) -> list[tuple[str, dict[str, str]]]:
        """Read tools that can show the row a write's argument `param` names, bound from the write's own
        arguments: `(read tool, {its param: the write's param})`. The entity's own reader first, then reads taking
        the same row, then reads of what owns it (`list_appointments(pet_id)`, `my_bookings(member_id)`);
        each is tried in order and kept only when its result holds the key."""
        cache = (tool, param)
        if cache not in self._lookup_tools:
            own = self._reader(entity)
            found = [(0, own[0], {own[1]: param})] if own else []
            wparams = {p.name: p for p in self.tools[tool].params}
            for n, t in sorted(self.tools.items()):
                if t.kind != "read" or n == (own or ("",))[0] or n in (self.identify or ()):
                    continue
                required = [p for p in t.params if p.required]
                fields = self.domain.info.entities[entity].fields
                # a parameter the write does not have may come from the row itself (`verify_account(account_no, zip)`)
                if any(p.name not in wparams and p.name not in fields for p in required):
                    continue
                binds = {p.name: p.name if p.name in wparams else "." + p.name for p in required}
                rank = 1 if param in binds else 2 if binds else 3  # a list of them all (`list_software()`) last
                found.append((rank + 2 * (n in self.staff), n, binds))
            self._lookup_tools[cache] = [(n, b) for _, n, b in sorted(found, key=lambda x: (x[0], x[1]))][:4]
        return [(n, b) for n, b in self._lookup_tools[cache]
                if all(v in self._args_now or v.startswith(".") for v in b.values())]

    def _created(self, tool: str, args: dict) -> bool:
        """Whether an argument names a row that was not there at the start (a write of this walk made it)."""
        if not self.dirty:
            return False
        for p in self.tools[tool].params:
            ref = self._ref(p)
            v = args.get(p.name)
            if ref and v is not None and not isinstance(v, (dict, list)) and v not in self._initial_set(ref):
                return True
        return False

    def _initial_set(self, entity: str) -> set:
        if entity not in self._initial_sets:
            key = self.domain.info.entities[entity].key
            table = self.domain.arrow_state().get(entity)
            self._initial_sets[entity] = ({to_jsonable(v) for v in table.column(key).to_pylist()}
                                          if table is not None and key in table.column_names else set())
        return self._initial_sets[entity]

    # ---- the persona
    def _start_persona(self, rng: random.Random, walk: Walk, pool: list[Source], profile: bool = True) -> bool:
        """Pick the walk's persona (mostly one with rows of its own) and start with an identifying lookup; then,
        for an errand that writes, the persona's profile (`get_user_details`: what a careful agent reads before
        acting for a user). In a domain without identifying lookups the profile, read by the key the user gives,
        is the identification."""
        entity = self.persona_entity
        keys = self._keys(entity)
        if not keys:
            return False
        if self.identify is None:
            self._owned = self._owned_rows()
            self.identify = self._identifying(keys[:3])
        rich = [k for k in keys if self._owned.get(k)]
        if self.roles and self._leads is None:
            self._leads = [k for k in keys if any(self._team_keys(o, f, k) for o in self.owner
                                                   for f in sorted({f for _, f in self.roles.values()}))]
        starts = [n for n in self.tools if n not in self.staff]
        share = sum(n in self.roles for n in starts) / max(len(starts), 1)
        if self._leads and rng.random() < share:  # a manager, about as often as a walk starts with a manager's tool
            key = rng.choice(self._leads)
        else:
            key = rng.choice(rich if rich and rng.random() < 0.9 else keys)
        self.persona = key
        walk.persona = (entity, key)
        row = self._row(entity, key)
        if row is None:
            return False
        self._add_row(entity, key, pool)
        for owned, ks in self._owned.get(key, {}).items():
            for k in ks[:20]:
                self._add_row(owned, k, pool)
        if self.identify:
            tool = rng.choice(self.identify)
            args = self._identity_args(tool, row)
            r = self.call(tool, args)
            if not r.ok or key not in _leaves(json.loads(r.content)):
                return False
            walk.steps.append(Step(tool, args, {}, True, r.content, used=True, identify=True))
            _collect(json.loads(r.content), 0, "", pool)
        reader = self._reader(entity)
        if reader is not None and (profile or not self.identify):
            r = self.call(reader[0], {reader[1]: key})
            if not r.ok:
                return False
            derived = {reader[1]: 0} if walk.steps else {}
            walk.steps.append(Step(reader[0], {reader[1]: key}, derived, True, r.content, used=True,
                                   identify=not walk.steps, lookup=bool(walk.steps)))
            _collect(json.loads(r.content), len(walk.steps) - 1, "", pool)
        return True

    def _identity_args(self, tool: str, row: dict) -> dict:
        found: list[Source] = []
        _collect(to_jsonable(row), None, "", found)
        values = {}
        for s in found:
            values.setdefault(s.path, s.value)
        return {p.name: values[p.name] for p in self.tools[tool].params if p.name in values}

    def _identifying(self, sample_keys: list) -> list[str]:
        """Read tools whose parameters are all fields of the persona's row and that return the persona's key."""
        entity = self.persona_entity
        names: set[str] = set()
        for k in sample_keys:
            row = self._row(entity, k)
            found: list[Source] = []
            _collect(to_jsonable(row), None, "", found)
            names |= {s.path for s in found}
        out = []
        for n, t in sorted(self.tools.items()):
            params = t.params
            if t.kind != "read" or n in self.staff or not params or any(p.required and p.name not in names for p in params):
                continue
            if all(self._ref(p) for p in params if p.required):
                continue  # a lookup by key alone is a `get`, not an identification (by key and zip it is one)
            ok = 0
            for k in sample_keys:
                args = self._identity_args(n, self._row(entity, k))
                r = self.call(n, args)
                ok += r.ok and k in _leaves(json.loads(r.content))
            if ok == len(sample_keys):
                out.append(n)
        return out

    def _owned_rows(self) -> dict[object, dict[str, list]]:
        out: dict[object, dict[str, list]] = {}
        for entity, fld in self.owner.items():
            for owner, key in self.env.field_values(entity, fld):
                out.setdefault(to_jsonable(owner), {}).setdefault(entity, []).append(to_jsonable(key))
        return out

    def _own_keys(self, entity: str) -> list:
        if entity not in self._changed:
            return self._owned.get(self.persona, {}).get(entity, [])
        if ("own", entity) in self._live:
            return self._live[("own", entity)]
        keys = self.env.keys(entity, self.owner[entity], [self.persona])
        out = self._live[("own", entity)] = [to_jsonable(k) for k in keys]
        return out

    def _team_keys(self, entity: str, role: str, persona) -> list:
        """Keys of `entity` rows owned by persona-entity rows whose `role` field is `persona` (reports' requests)."""
        team = self.env.keys(self.persona_entity, role, [persona])
        return [to_jsonable(k) for k in self.env.keys(entity, self.owner[entity], team)]

    def _next(self, rng: random.Random, node: str, want: str, walk: Walk) -> str | None:
        options = [t for t in self.succ.get(node, ()) if want != "read" or self.tools[t].kind in READ_KINDS]
        if not options:
            return None
        if want != "read" and not any(s.tool in self.writes for s in walk.steps) and rng.random() < 0.6:
            writes = [t for t in options if t in self.writes]
            options = writes or options
        return rng.choice(options)

    # ---- binding
    def _bind(self, rng: random.Random, tool: str, pool: list[Source], walk: Walk) -> tuple[dict, dict]:
        args: dict = {}
        derived: dict[str, int] = {}
        local = list(pool)  # plus rows of the entities bound so far in this call
        rows: list[tuple[str, dict]] = []  # (entity, row) bound so far in this call
        params = self.tools[tool].params
        # a key of a map field (a household member, a device's name) is bound once the rows it belongs to are
        for p in sorted(params, key=lambda p: (tool, p.name) in self.map_params):
            if not p.required and rng.random() < 0.5:
                continue
            if self._keyed(tool, p, local):
                value, step = self._map_key(rng, tool, p, walk, rows, local)
            else:
                value, step = self._value(rng, tool, p, local)
            args[p.name] = value
            if step is not None:
                derived[p.name] = step
            ref = self._ref(p)
            if ref:
                walk.refs.append((ref, value))
                row = self._row(ref, value)
                if row is not None:
                    rows.append((ref, row))
                    self._add_row(ref, value, local)
        order = [p.name for p in params]
        return {n: args[n] for n in order if n in args}, derived

    def _names(self, tool: str, p: dict) -> set[str]:
        """The field names a value for `p` is found under: its own, its plural, the graph edges'."""
        return {p.name, p.name + "s"} | set(self.via.get((tool, p.name), ()))

    def _keyed(self, tool: str, p: dict, pool: list[Source]) -> bool:
        """Bind `p` as a map key: always where a precondition says it is one; where only its name says so, unless
        the spec gives examples or a value under its name is at hand (a date of the persona's flights)."""
        found = self.map_params.get((tool, p.name))
        if found is None:
            return False
        if found[1]:
            return True
        names = self._names(tool, p)
        return not p.examples and not any(s.path in names and _fits(s.value, p.type) for s in pool)

    def _map_key(self, rng: random.Random, tool: str, p: dict, walk: Walk, rows: list[tuple[str, dict]],
                 pool: list[Source]):
        """An existing key of the map fields the parameter is a key of, in the rows that matter most: those of this
        call (and the rows they reference: a device's home), then the persona's own, then those the walk touched,
        then any. A made-up value where no such row has a key."""
        fields = self.map_params[(tool, p.name)][0]
        entities = {e for e, _ in fields}

        def persona_rows() -> list:
            if self.persona is None:
                return []
            out = [(self.persona_entity, self._row(self.persona_entity, self.persona))]
            for owned, ks in self._owned.get(self.persona, {}).items():
                out += [(owned, self._row(owned, k)) for k in ks[:20]]
            return out

        tiers = (lambda: rows, persona_rows, lambda: [(e, self._row(e, k)) for e, k in walk.refs[-20:]],
                 lambda: [(e, self._row(e, k)) for e in sorted(entities) for k in self._keys(e)[:200]])
        for i, tier in enumerate(tiers):
            found = [(e, self._jsonable(e, row)) for e, row in self._hop(tier()) if e in entities]
            keys = sorted({str(k) for e, row in found for ent, f in fields if ent == e for k in (row.get(f) or {})})
            if keys:
                names, valid = self._names(tool, p), set(keys)
                seen = [s for s in pool if s.step is not None and s.path in names and s.value in valid]
                if seen and rng.random() < 0.85:  # a key the agent has seen in a result
                    s = rng.choice(seen)
                    return s.value, s.step
                return rng.choice(keys), None
            if i == 0 and found and self.persona is not None:
                raise _Unbindable(p.name)  # the user's own row has no such key (an account without devices)
        return self._fresh(rng, p.name, p.type, tool=tool), None

    def _hop(self, rows: list[tuple[str, dict | None]]) -> list[tuple[str, dict]]:
        """The rows and those their references name (a device's home)."""
        out = [(e, r) for e, r in rows if r is not None]
        fields = self.domain.info.entities
        for e, r in list(out):
            for name, f in fields[e].fields.items():
                if f.ref and r.get(name) is not None:
                    target = self._row(f.ref, to_jsonable(r[name]))
                    if target is not None:
                        out.append((f.ref, target))
        return out

    def _value(self, rng: random.Random, tool: str, p: dict, pool: list[Source]) -> tuple[object, int | None]:
        t = p.type
        ref = self._ref(p)
        names = self._names(tool, p)
        if ref:
            names.add(self.domain.info.entities[ref].key)
        if self.persona is not None and ref == self.persona_entity:
            seen = [s for s in pool if s.step is not None and s.value == self.persona]
            return (self.persona, seen[-1].step) if seen else (self.persona, None)
        if self.persona is not None and ref in self.owner:
            role = self.roles.get(tool)
            own = self._team_keys(ref, role[1], self.persona) if role else self._own_keys(ref)
            if not own:
                raise _Unbindable(ref)
            own_set = set(own)
            found = [s for s in pool if s.path in names and s.value in own_set]
            from_results = [s for s in found if s.step is not None]
            if from_results and rng.random() < 0.85:
                s = rng.choice(from_results)
                return s.value, s.step
            return rng.choice(own), None
        if p.examples and not ref:
            return rng.choice(p.examples), None  # the spec's own words for what a user would say
        found = [s for s in pool if s.path in names and _fits(s.value, t)]
        if ref:
            keys = set(self._keys(ref))
            found = [s for s in found if s.value in keys]
        if found:
            from_results = [s for s in found if s.step is not None]
            # prefer what the agent has seen: that is what makes the walk's steps depend on each other
            s = rng.choice(from_results if from_results and rng.random() < 0.85 else found)
            return s.value, s.step
        if ref:
            keys = self._keys(ref)
            if keys:
                return rng.choice(keys), None
        similar = [s for s in pool if s.step is None and _fits(s.value, t) and t.kind in ("int", "decimal", "float")]
        if similar and rng.random() < 0.5:
            return rng.choice(similar).value, None
        return self._fresh(rng, p.name, t, tool=tool), None

    def _fresh(self, rng: random.Random, name: str, t: dict, depth: int = 0, tool: str | None = None):
        kind = t.kind
        if kind == "union":  # `int | str`: a value of one member
            return self._fresh(rng, name, t.members[0], depth, tool)
        if kind == "str":
            return self._text(rng, name, tool)
        column = [v for v in self.columns.get(name, ()) if _fits(v, t)]
        if column and kind not in ("bool", "enum"):
            return rng.choice(column)
        if kind == "enum":
            return rng.choice(t.values)
        if kind == "bool":
            return rng.random() < 0.5
        if kind == "int":
            return rng.randint(1, 5)
        if kind in ("decimal", "float"):
            return round(rng.uniform(1, 100), min(t.scale or 2, 2))
        if kind == "date":
            return (self.env.clock_today + dt.timedelta(days=rng.randint(-30, 30))).isoformat()
        if kind == "datetime":
            return (self.env.clock_now + dt.timedelta(hours=rng.randint(-72, 72))).isoformat()
        if kind == "list" and depth < 3:
            return [self._fresh(rng, name, t.elem, depth + 1, tool)]
        if kind == "struct" and depth < 3:
            fields = self.domain.info.structs[t.name]
            return {n: self._fresh(rng, n, f.type, depth + 1, tool) for n, f in fields.items()}
        return {} if kind == "map" else None

    def _text(self, rng: random.Random, name: str, tool: str | None) -> str:
        """A free string: a value of a field with the name in the entities the tool touches, one made up from the
        name (a person's name, a street, a reason), the field's values elsewhere, a word of the tool's data."""
        meta = self.tools.get(tool)
        writes, reads = (meta.writes, meta.reads) if meta else ((), ())
        near = [*writes, *reads]
        for entities in (writes, reads):  # what it writes says most: a pet's name
            values = [v for e in entities for v in self.texts.fields.get(e, {}).get(name, ())]
            if values:
                return rng.choice(values)
        made = freetext.guess(name, rng, self.env.clock_today)
        if made is not None:
            return made
        values = sorted({v for fields in self.texts.fields.values() for v in fields.get(name, ())})
        if values:
            return rng.choice(values)
        words = sorted({w for e in near for w in self.texts.words.get(e, ())}) or self.columns.get("", [])
        return rng.choice(words) if words else "help"

    def _ref(self, p: dict) -> str | None:
        if p.ref:
            return p.ref
        return self.key_of.get(p.name) if p.type.kind in ("str", "int") else None

    def _keys(self, entity: str) -> list:
        fresh = entity not in self._changed
        if fresh and entity in self._initial_keys:
            return self._initial_keys[entity]
        if not fresh and ("keys", entity) in self._live:
            return self._live[("keys", entity)]
        keys = [to_jsonable(k) for k in self.env.keys(entity)]
        if fresh:
            self._initial_keys[entity] = keys
        else:
            self._live[("keys", entity)] = keys
        return keys

    def _row(self, entity: str, key) -> dict | None:
        if entity not in self._changed:
            rows = self._initial_rows.get(entity)
            if rows is None:
                k = self.domain.info.entities[entity].key
                rows = self._initial_rows[entity] = {to_jsonable(r[k]): r for r in self.env.rows(entity)}
            return rows.get(key)
        cached = self._live.get(("row", entity, _text_of(key)), False)
        if cached is not False:
            return cached
        out = self._live[("row", entity, _text_of(key))] = self.env.row(entity, key)
        return out

    def _jsonable(self, entity: str, row: dict) -> dict:
        """`to_jsonable(row)`, once per row of the initial state (those rows are kept, so their ids stay theirs)."""
        if entity in self._changed:
            return to_jsonable(row)
        out = self._json_rows.get(id(row))
        if out is None:
            out = self._json_rows[id(row)] = to_jsonable(row)
        return out

    def _add_row(self, entity: str, key, out: list[Source]) -> None:
        """`_collect` of a row into `out` (nothing for a missing row); a row of the initial state is collected once."""
        fresh = entity not in self._changed
        ck = (entity, type(key).__name__, _text_of(key))
        found = self._row_sources.get(ck) if fresh else None
        if found is None:
            found = []
            row = self._row(entity, key)
            if row is not None:
                _collect(to_jsonable(row), None, "", found)
            if fresh:
                self._row_sources[ck] = found
        out.extend(found[:max(0, 2001 - len(out))])  # what `_collect` would add: it stops past 2000 sources

    # ---- the task
    def _task(self, walk: Walk, index: int) -> Task:
        env = self.env
        steps = walk.steps
        task = Task(id=f"{self.domain.name}-{self.seed}-{index:05d}", domain=self.domain.name, kind=walk.kind,
                    gold_calls=[ToolCall(s.tool, s.arguments) for s in steps],
                    initial_state=InitialState(today=env.clock_today.isoformat(), now=env.clock_now.isoformat(),
                                               id_seed=index))
        task.gold_digest = walk.gold_digest or env.digest()
        task.user = build_scenario(self.domain, env, walk, self.seed, self._row)
        return task


def signature(task: Task) -> str:
    """What makes two tasks the same task: kind, gold calls and the refused, declined or forbidden call."""
    extra = [(task.user.get(k) or {}).get("call") for k in ("refusal", "decline", "policy")]
    return json.dumps([task.kind, [c.to_json() for c in task.gold_calls], *extra], sort_keys=True, default=str)


def _text_of(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _mark_used(steps: list[Step], derived: dict[str, int]) -> None:
    for i in derived.values():
        steps[i].used = True


def _collect(value, step: int | None, path: str, out: list[Source], depth: int = 0) -> None:
    """Every scalar leaf of a result or row, under the name of the field that holds it."""
    if depth > 6 or len(out) > 2000:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _collect(v, step, str(k), out, depth + 1)
    elif isinstance(value, list):
        for v in value[:50]:
            _collect(v, step, path, out, depth + 1)
    elif value is not None:
        out.append(Source(value, step, path or "_result"))


def _leaves(value) -> list:
    out: list[Source] = []
    _collect(value, None, "", out)
    return [s.value for s in out]


def _persona_entity(info: DomainInfo, hints: Hints | None = None) -> tuple[str | None, dict[str, str]]:
    """The entity users are (the spec's `simulation.persona`, else guessed: named, referenced by others: customer,
    guest, member) and, per entity it owns, the field that references it."""
    hints = hints or Hints()
    entities = info.entities
    incoming: dict[str, int] = {}
    for e in entities.values():
        for f in e.fields.values():
            if f.ref:
                incoming[f.ref] = incoming.get(f.ref, 0) + 1
    people = [n for n, e in entities.items() if incoming.get(n)
              and any(w in f for f in e.fields for w in hints.identify_by)]
    if hints.persona is not None:
        people = [hints.persona]
    if not people:
        return None, {}
    # someone who can be reached (an email or a phone: an owner, a member) before something merely named (a vet,
    # a room, a parking lot), then the most referenced
    reachable = {n for n in people if any(w in f for f in entities[n].fields for w in ("email", "phone"))}
    person = max(people, key=lambda n: (n in reachable, incoming.get(n, 0), n))
    owner = {}
    for n, e in entities.items():
        for fname, f in e.fields.items():
            if f.ref == person and n != person:
                owner.setdefault(n, fname)
    return person, owner


def _map_params(info: DomainInfo, tools: dict) -> dict[tuple[str, str], tuple[list[tuple[str, str]], bool]]:
    """(tool, param) -> the (entity, map field) pairs a string parameter is an existing key of, and whether the
    tool says so: what the compiler found in its lets and preconditions (`param_uses.keys_of`: `$p in row.f`,
    `row.f[$p]`), else, for a parameter with no such use, map fields named like it (`member` ~ `members`,
    `device_name` ~ `devices`)."""
    maps = sorted((e, f) for e, ent in info.entities.items() for f, fd in ent.fields.items()
                  if fd.type.kind == "map")
    out: dict[tuple[str, str], tuple[list[tuple[str, str]], bool]] = {}
    for n, t in tools.items():
        uses = t.param_uses
        for p in t.params:
            if p.type.kind != "str" or p.ref:
                continue
            use = uses.get(p.name)
            if use is not None:
                found = [tuple(x.split(".", 1)) for x in use.keys_of]
            else:
                base = p.name.removesuffix("_name").removesuffix("_key")
                found = [(e, f) for e, f in maps if f in (base + "s", base + "es")]
            if found:
                out[(n, p.name)] = (found, use is not None)
    return out


def _roles(info: DomainInfo, tools: dict, persona: str | None) -> dict[str, tuple[str, str]]:
    """tool -> (param, field): a reference to the persona entity that the tool's preconditions compare with
    another field of that entity (`param_uses.equals`: `e.manager_id == $manager_id`)."""
    if persona is None:
        return {}
    key = info.entities[persona].key
    out = {}
    for n, t in tools.items():
        for p in t.params:
            if p.ref != persona:
                continue
            for x in t.uses(p.name).equals:
                e, _, f = x.partition(".")
                if e == persona and f != key:
                    out.setdefault(n, (p.name, f))
    return out


def _fits(v, t: dict) -> bool:
    kind = t.kind
    if kind in ("str", "date", "datetime"):
        return isinstance(v, str)
    if kind == "enum":
        return v in t.values
    if kind == "bool":
        return isinstance(v, bool)
    if kind == "int":
        return isinstance(v, int) and not isinstance(v, bool)
    if kind in ("decimal", "float"):
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return False


def _graph(domain: CompiledDomain, tools: dict) -> tuple[dict, dict]:
    """Successors per tool and, per (tool, param), the field names earlier results feed it from."""
    graph = json.loads((domain.path / "graph.json").read_text(encoding="utf-8"))
    succ: dict[str, list[str]] = {}
    via: dict[tuple[str, str], set[str]] = {}
    for e in graph["edges"]:
        if e["source"] not in tools or e["target"] not in tools:
            continue
        succ.setdefault(e["source"], []).append(e["target"])
        for v in e.get("via", ()):
            left, _, param = v.partition("->")
            via.setdefault((e["target"], param), set()).add(left.rpartition(".")[2])
    for k in succ:
        succ[k] = sorted(set(succ[k]))
    return succ, via


def _initial_values(domain: CompiledDomain) -> dict[str, dict[str, list]]:
    """entity -> column -> its first 500 values in the initial state, as JSON values."""
    return {entity: {name: to_jsonable(table.column(name).slice(0, 500).to_pylist()) for name in table.column_names}
            for entity, table in domain.arrow_state().items()}


def _column_values(initial: dict[str, dict[str, list]]) -> dict[str, list]:
    """Distinct scalar values per column name over the initial state; `""` holds words of text columns."""
    out: dict[str, set] = {}
    for table in initial.values():
        for name, column in table.items():
            for v in column:
                if isinstance(v, (str, int, float, bool)):
                    out.setdefault(name, set()).add(v)
                    if isinstance(v, str) and " " in v:
                        out.setdefault("", set()).update(w for w in v.split() if len(w) > 3 and w.isalpha())
    return {k: sorted(v, key=lambda x: (str(type(x)), x)) for k, v in out.items()}


@dataclass
class TextValues:
    """The initial state's strings per entity: `fields[entity][name]`, the values of fields called `name` (columns
    and fields of nested records), and `words[entity]`, the words of its text (titles, descriptions)."""

    fields: dict[str, dict[str, list[str]]]
    words: dict[str, list[str]]


def _text_values(initial: dict[str, dict[str, list]]) -> TextValues:
    fields: dict[str, dict[str, set]] = {}
    words: dict[str, set] = {}
    for entity, table in initial.items():
        found: list[Source] = []
        for name, values in table.items():
            column: list[Source] = []
            for v in values:
                _collect(v, None, name, column)
            found += column
        for s in found:
            if isinstance(s.value, str) and s.value:
                fields.setdefault(entity, {}).setdefault(s.path, set()).add(s.value)
                if " " in s.value or s.value[:1].isupper():  # titles, descriptions, names: not codes or states
                    words.setdefault(entity, set()).update(w for w in s.value.split() if len(w) > 3 and w.isalpha())
    return TextValues({e: {n: sorted(v) for n, v in fs.items()} for e, fs in fields.items()},
                      {e: sorted(w) for e, w in words.items()})


def _staff(tool: dict) -> bool:
    return tool.requested_by == "staff"
