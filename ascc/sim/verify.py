"""AgentScaler's three filters, and two on the conversation, on a finished episode; each reported and switchable.

1. `validity`: the conversation is well formed — the user spoke first and stopped it (no turn limit, no backend
   failure), every assistant message says or calls something, every tool call has an id, a known tool name and
   arguments that parse as a JSON object, every call is answered by its `tool` message, and there is no
   degenerate repetition (one word n-gram filling a message, the same message or the same call over and over).
2. `state`: the final state digest equals the task's gold digest; on a mismatch the detail holds the state
   diff (the agent's final state against the gold calls' final state).
3. `calls`: the agent's successful calls match the gold calls, arguments normalised by the tool's parameter
   types (defaults filled, `"3"` vs `3` for a decimal, …): the writes in the same order, and the same set of
   reads. Failed calls are not compared: an episode that recovered from its errors is kept. A call that failed
   after its effects (`fails_after_effects:`, error `failed_with_changes`) changed the state, so it counts as a
   write made. This is the filter
   that judges read-only tasks, whose state never changes. In dual-control tasks the agent's calls are compared
   with the agent's gold calls and the user's own calls with the gold calls marked `"actor": "user"`.

Two more filters judge the conversation against the task and the policy (τ-bench's `outputs` and its
"explicit confirmation" rule), so that an agent which never tells the user anything, or writes without asking,
is not kept even when the user gave up and the state is right:

4. `facts`: every fact of the task (`user.facts`: values the agent's answers must contain; τ²'s
   `communicate_info` on imported tasks) appears in one assistant message, compared as τ² does — lower case,
   commas dropped — and with runs of white space made one. A refusal task's fact is the tool's error: it also
   passes when an assistant message says the request cannot be done in other words (`cannot`, `unable`, …); a
   policy-decided task's fact is the rule's message, which passes the same way (for a `transfer` rule: when an
   assistant message says it hands the user over).
5. `confirm`: before each call of a tool that requires confirmation (`confirm` in the spec, or
   `confirm_writes`), the last user message must be a yes to an assistant message that asked for consent
   ("to confirm:", "shall I", "go ahead", "do you want me to", …; asking for data is not asking for consent) —
   failed attempts count too: asking is the
   policy, whatever the tool answers.

An episode is kept when every filter that is switched on passes; a switched-off filter reports `passed: null`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

from ascc.lang.compiled import DomainInfo
from ascc.runtime.args import parse_arguments
from ascc.runtime.diff import diff_states
from ascc.runtime.env import Environment, to_jsonable
from ascc.runtime.errors import ToolError
from ascc.sim.oracle import yes_or_no
from ascc.sim.rollout import Episode, tool_arguments

FILTERS = ("validity", "state", "calls", "facts", "confirm")
NGRAM = 4
MAX_REPEATED_SHARE = 0.5  # at most this share of a message's word n-grams may be repeats of earlier ones …
MIN_NGRAMS = 24  # … in a message at least this long
MAX_SAME = 3  # the same assistant message or call at most this many times in a row


@dataclass
class Verdict:
    passed: bool | None
    detail: object = None

    def to_json(self) -> dict:
        return {"passed": self.passed, "detail": self.detail}


def verify(episode: Episode, env: Environment, enabled=FILTERS) -> dict[str, Verdict]:
    """Judge an episode whose environment `env` still holds its final state."""
    out = {}
    for name in FILTERS:
        if name not in enabled:
            out[name] = Verdict(None, "switched off")
        else:
            out[name] = _JUDGES[name](episode, env)
    return out


def kept(verdicts: dict[str, Verdict]) -> bool:
    return all(v.passed is not False for v in verdicts.values())


def first_failure(verdicts: dict[str, Verdict]) -> str | None:
    return next((n for n in FILTERS if verdicts[n].passed is False), None)


# ---- 1 validity
def validity(ep: Episode, env: Environment) -> Verdict:
    problems = _end_problems(ep) + _turn_problems(ep, {t["function"]["name"] for t in env.domain.schemas})
    problems += _repetition(ep)
    return Verdict(not problems, problems[:5] or "ok")


def _end_problems(ep: Episode) -> list[str]:
    if ep.end == "user_stop":
        return []
    return [f"the conversation did not end with the user stopping: {ep.end}" + (f" ({ep.error})" if ep.error else "")]


def _turn_problems(ep: Episode, tool_names: set[str]) -> list[str]:
    problems, open_ids = [], {}
    msgs = ep.messages
    if len(msgs) < 2 or msgs[0].get("role") != "system" or msgs[1].get("role") != "user":
        problems.append("the conversation must start with the system message and the user")
    for i, m in enumerate(msgs):
        role = m.get("role")
        if role == "assistant":
            calls, content = m.get("tool_calls") or [], m.get("content")
            if not calls and not (isinstance(content, str) and content.strip()):
                problems.append(f"message {i}: an empty assistant message")
            if content is not None and not isinstance(content, str):
                problems.append(f"message {i}: assistant content is not text")
            for tc in calls if isinstance(calls, list) else [None]:
                problems += _call_problems(i, tc, tool_names, open_ids)
        elif role == "tool":
            if open_ids.pop(m.get("tool_call_id"), None) is None:
                problems.append(f"message {i}: a tool result for no open call")
        elif role == "user":
            if not isinstance(m.get("content"), str) or not m["content"].strip():
                problems.append(f"message {i}: an empty user message")
        elif role != "system" or i:
            problems.append(f"message {i}: unexpected role {role!r}")
    problems += [f"call {cid} got no result" for cid in open_ids]
    return problems


def _call_problems(i: int, tc, tool_names: set[str], open_ids: dict) -> list[str]:
    fn = tc.get("function") if isinstance(tc, dict) else None
    if not isinstance(fn, dict) or not isinstance(tc.get("id"), str) or not tc["id"]:
        return [f"message {i}: a malformed tool call"]
    open_ids[tc["id"]] = i
    out = []
    if fn.get("name") not in tool_names:
        out.append(f"message {i}: call to unknown tool {str(fn.get('name'))[:80]!r}")
    if tool_arguments(fn.get("arguments")) is None:
        out.append(f"message {i}: arguments of {str(fn.get('name'))[:80]} are not a JSON object")
    return out


def _repetition(ep: Episode) -> list[str]:
    problems = []
    texts = [(i, m["content"]) for i, m in enumerate(ep.messages)
             if m.get("role") == "assistant" and isinstance(m.get("content"), str)]
    for i, t in texts:
        words = t.lower().split()
        grams = Counter(tuple(words[j:j + NGRAM]) for j in range(len(words) - NGRAM + 1))
        total = sum(grams.values())
        if total >= MIN_NGRAMS and 1 - len(grams) / total > MAX_REPEATED_SHARE:
            gram, n = grams.most_common(1)[0]
            problems.append(f"message {i}: degenerate repetition of {' '.join(gram)!r} ({n} times)")
    problems += _runs([t for _, t in texts], "the same assistant message")
    problems += _runs([f"{c.tool} {c.arguments}" for c in ep.calls], "the same tool call")
    return problems


def _runs(items: list[str], what: str) -> list[str]:
    run = 1
    for a, b in zip(items, items[1:]):
        run = run + 1 if a == b else 1
        if run > MAX_SAME:
            return [f"{what} {run} times in a row"]
    return []


# ---- 2 state
def state(ep: Episode, env: Environment) -> Verdict:
    gold = ep.task.gold_digest
    if gold is None:
        return Verdict(None, "the task has no gold digest")
    digest = env.digest()
    if digest == gold:
        return Verdict(True, "digest matches")
    final = env.state()
    env.reset(**ep.task.initial_state.reset_kwargs())
    for c in ep.task.gold_calls:
        env.call(c.tool, c.arguments)
    diff = diff_states(env.domain.info, final, env.state())
    return Verdict(False, {"digest": digest, "gold_digest": gold, "diff_to_gold": diff.to_json()})


# ---- 3 exact match
def calls(ep: Episode, env: Environment) -> Verdict:
    """The agent's calls against the agent's gold calls; the user's (dual control) against the user's."""
    problems = _side_problems(env.domain.info, ep.calls, ep.task.gold_calls_of("agent"))
    user = _side_problems(env.domain.info, ep.user_calls, ep.task.gold_calls_of("user"))
    problems += [{"user": p} for p in user]
    n = sum(c.ok for c in ep.calls) + sum(c.ok for c in ep.user_calls)
    return Verdict(not problems, problems or f"{n} successful calls match the gold calls")


def _side_problems(meta: DomainInfo, made, gold_calls) -> list[dict]:
    # calls that failed after their effects (`fails_after_effects:`) wrote too: they count as made
    done = [(c.tool, _normal(meta, c.tool, c.arguments)) for c in made if c.ok or c.wrote]
    gold = [(c.tool, _normal(meta, c.tool, c.arguments)) for c in gold_calls]
    writes = [c for c in done if _is_write(meta, c[0])]
    gold_writes = [c for c in gold if _is_write(meta, c[0])]
    reads = {c for c in done if not _is_write(meta, c[0])}
    gold_reads = {c for c in gold if not _is_write(meta, c[0])}
    problems = []
    if writes != gold_writes:
        problems.append({"writes": [_show(c) for c in writes], "gold_writes": [_show(c) for c in gold_writes]})
    if reads != gold_reads:
        problems.append({"missing_reads": sorted(_show(c) for c in gold_reads - reads),
                         "extra_reads": sorted(_show(c) for c in reads - gold_reads)})
    return problems


def normal_writes(meta: DomainInfo, calls) -> list[tuple[str, str]]:
    """The write calls among `calls` as (tool, arguments normalised by the tool's types), in order: what the
    `calls` filter compares (the GRPO reward's partial credit counts them too)."""
    return [(c.tool, _normal(meta, c.tool, c.arguments)) for c in calls if _is_write(meta, c.tool)]


def _is_write(meta: DomainInfo, tool: str) -> bool:
    t = meta.tools.get(tool)
    return t is not None and t.kind == "write"


def _normal(meta: DomainInfo, tool: str, arguments) -> str:
    """Arguments as the tool would receive them, as canonical JSON text (so calls compare and hash)."""
    try:
        kwargs = parse_arguments(meta.tools[tool], arguments, meta.structs)
        value = to_jsonable(kwargs)
    except (ToolError, KeyError):
        value = tool_arguments(arguments)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _show(call: tuple[str, str]) -> str:
    return f"{call[0]}({call[1]})"


# ---- 4 facts told
_REFUSED = re.compile(r"\b(cannot|can ?not|can't|unable|not able|not possible|isn't possible|not allowed|"
                      r"not eligible|won't be able)\b")


_TRANSFERRED = re.compile(r"\b(transfer(ring|red)?|hand(ing)? (you )?over|human agent)\b")


def facts(ep: Episode, env: Environment) -> Verdict:
    wanted = [f for f in (ep.task.user or {}).get("facts") or [] if isinstance(f, str) and f.strip()]
    if not wanted:
        return Verdict(True, "the task has no facts to tell")
    said = [_plain(m["content"]) for m in ep.messages
            if m.get("role") == "assistant" and isinstance(m.get("content"), str)]
    refusal = ((ep.task.user or {}).get("refusal") or {}).get("error")
    policy = (ep.task.user or {}).get("policy") or {}
    said_no = any(_REFUSED.search(s) for s in said)
    handed = any(_TRANSFERRED.search(s) for s in said)
    missing = [f for f in wanted if not any(_plain(f) in s for s in said)
               and not (f == refusal and said_no)
               and not (f == policy.get("message") and (handed if policy.get("outcome") == "transfer" else said_no))]
    if missing:
        return Verdict(False, {"missing_facts": missing[:10]})
    return Verdict(True, f"{len(wanted)} facts told")


def _plain(text: str) -> str:
    return " ".join(text.lower().replace(",", "").split())


# ---- 5 confirmation before confirmed tools
# asking for consent, not for data ("I need to confirm who you are. What is your email?" is not consent)
_ASKS_CONSENT = re.compile(r"\b(to confirm[,:]|(please|can you|could you) confirm (that|this|the)\b|proceed|go ahead|"
                           r"shall i|should i|(do|would) you (want|like) me to|ok(ay)? (to|if)|"
                           r"is (that|this) (right|correct|ok(ay)?)|may i)", re.I)


def confirm(ep: Episode, env: Environment) -> Verdict:
    from ascc.sim.hints import hints

    tools = env.domain.info.tools
    consent = hints(env.domain.info)  # the spec's `simulation.consent` phrases ask for consent too
    problems, user_at = [], None
    for i, m in enumerate(ep.messages):
        if m.get("role") == "user":
            user_at = i
        elif m.get("role") == "assistant":
            for tc in m.get("tool_calls") or []:
                fn = tc.get("function") if isinstance(tc, dict) else None
                name = fn.get("name") if isinstance(fn, dict) else None
                if (isinstance(name, str) and name in tools and tools[name].confirm
                        and not _confirmed(ep.messages, user_at, consent)):
                    problems.append(f"message {i}: {name} called without the user's explicit yes")
    return Verdict(not problems, problems[:5] or "every confirmed call followed a yes")


def _confirmed(msgs: list[dict], user_at: int | None, consent=None) -> bool:
    """The user's message at `user_at` says yes (and not no) to the assistant text just before it, a question."""
    if user_at is None or user_at < 1:
        return False
    answer = str(msgs[user_at].get("content") or "")
    asked = msgs[user_at - 1]
    question = asked.get("content") if asked.get("role") == "assistant" else None
    if not isinstance(question, str) or not (_ASKS_CONSENT.search(question)
                                             or consent is not None and consent.asks_consent(question)):
        return False  # "Sure, my zip is 12345" answers a question for data, not for consent
    return yes_or_no(answer) is True


_JUDGES = {"validity": validity, "state": state, "calls": calls, "facts": facts, "confirm": confirm}
assert tuple(_JUDGES) == FILTERS


def intended_refusals(task, calls) -> int:
    """How many of the agent's failed calls are the refusal a `refusal` task is about: its forbidden write,
    refused by a precondition (the task's `user.refusal.call` names the tool). Not failures of the agent."""
    want = ((task.user or {}).get("refusal") or {}).get("call") or {}
    return sum(not c.ok and c.error_code == "precondition" and c.tool == want.get("tool") for c in calls)
