"""The oracle agent: plays a task's gold plan through templates, no model.

It asks the user for the arguments the plan says come from the user (unless the user already said them) —
identity facts first where the plan starts with an identifying lookup —, confirms each write and calls it only
after the user's explicit yes (on a no it leaves the write out and says so), calls the gold tools in order (one
per assistant message), and ends with a report in sentences: for each result the user asked for, its fields
as `ascc.sim.render` phrases them (so every scenario fact appears verbatim), then an offer of further help. On a
refusal task it confirms and attempts the forbidden write, then tells the user the tool's error. Before every
call of a tool with policy rules (`rules:` in the spec, which the tool does not enforce) it evaluates them in
the live state (`Environment.rules_met`, bound by the rollout through `bind_environment`): where a `refuse` rule
is met it does not call and tells the user the rule's message; where a `transfer` rule is met it hands the user
over (the rule's hand-off tool with the message as its summary, else in words) and does not call; an `ask` rule
makes it ask the user for that argument first. A gold call the
user makes (`"actor": "user"`, dual control) it does not call: it asks the user to do it, in the words of the
tool's intent ("Could you please restart your phone? …"), and goes on once the user has answered. The phrasing
varies a little per task (a random generator seeded with the task id). Its traces pass every filter by
construction; the broken variants in `broken.py` show that each filter catches what it should.
"""

from __future__ import annotations

import json
import random
import re

from ascc.lang.compiled import RuleInfo
from ascc.runtime.domain import CompiledDomain
from ascc.runtime.tasks import Task, ToolCall
from ascc.sim import render
from ascc.sim.hints import hints
from ascc.sim.protocols import AgentTurn
from ascc.sim.scenario import describe_call, label, say, show, told
from ascc.sim.user import own_facts

MAX_ASKS = 2  # the arguments of one call asked for at most this many times (the user may give them in pieces)
MAX_CONFIRMS = 2  # the same confirmation asked at most this many times; then the write is left out
_NO = re.compile(r"^\W*(no|nope|nah)\b(?!,? (problem|worries))|\b(don't|do not|changed my mind|never mind|rather not)\b", re.I)
_YES = re.compile(r"\b(yes|yeah|yep|sure|please do|go ahead|correct|confirmed?|ok|okay|that's right)\b", re.I)

ASK = ("I can help with that. Could you please give me {x}?", "Sure, I can help. What is {x}?",
       "I'd be glad to help. Could you tell me {x}?")
ASK_ID = ("I can help with that. First I need to verify your identity: could you please give me {x}?",
          "Happy to help. First, I need to confirm who you are. What is {x}?")
ASK_MORE = ("Thanks. Could you also give me {x}?", "Got it. What is {x}?", "Thank you. Could you tell me {x}?")
CONFIRM = ("Just to confirm: I will {x}. Shall I go ahead?", "Before I proceed: I'm about to {x}. Do you want me to go ahead?",
           "To confirm, you'd like me to {x}. Shall I proceed?")
USER_STEP = ("Could you please {x}? Let me know what it shows.", "Next, could you please {x} and tell me what happens?",
             "Please {x}, then tell me what you see.")
DONE = ("All set: I was able to {x}.", "Done! I was able to {x}.", "That's taken care of: I was able to {x}.",
        "I went ahead and did it: {x}, as you asked.", "Your request to {x} has gone through.",
        "I've also been able to {x}.", "Next, I managed to {x}.")
FOUND = ("Here is what I found{y}: {x}.", "I looked that up{y}: {x}.", "Here are the details{y}: {x}.")
UPDATED = (" Here are the details now: {x}.", " The record now shows: {x}.")
SAYS = (" The system says: {x}.",)
REFUSE = ("I'm sorry, but I can't {x}: {e}", "Unfortunately I'm not able to {x}: {e}")
TRANSFER = ("I'm not able to {x} myself: {e} I'm transferring you to a human agent, who will take it from here.",
            "This is something a human agent has to handle: {e} I'm handing you over to one now.")
DECLINED = ("Understood, I have not gone ahead with it: I did not {x}.", "No problem, I left that as it was and did not {x}.")
CLOSE = ("Is there anything else I can help you with?", "Anything else I can help with today?",
         "Let me know if there is anything else I can do for you.")
NOTHING = "I'm sorry, I could not find anything to report."
THANKS = "Thank you for doing that on your side; that should take care of it."


def text(content: str) -> AgentTurn:
    return AgentTurn({"role": "assistant", "content": content})


class OracleAgent:
    """One episode's oracle: create one per task (it keeps its place in the plan)."""

    name = "oracle"

    def __init__(self, task: Task, domain: CompiledDomain):
        self.task, self.domain = task, domain
        self.rng = random.Random(f"oracle:{task.id}")
        scenario = task.user or {}
        plan = scenario.get("plan") or [{} for _ in task.gold_calls]
        # (call, ask, step info): the gold calls, then a declined or refused call
        self.calls: list[tuple[ToolCall, dict]] = [(c, p.get("ask", {})) for c, p in zip(task.gold_calls, plan)]
        self.info: list[dict] = [{"goal": p.get("goal", True), "identify": p.get("identify", False)}
                                 for _, p in zip(task.gold_calls, plan)]
        for key in ("decline", "refusal", "policy"):
            extra = scenario.get(key)
            if extra:
                c = extra["call"]
                self.calls.append((ToolCall(c["tool"], c["arguments"]), extra.get("ask", {})))
                self.info.append({"goal": False, "identify": False, key: True})
        self.env = None  # the episode's environment, where the rollout binds it: rules are evaluated in it
        self.policy_said: list[str] = []  # what the policy decided, said in the report
        self.transferred = False
        self.handoffs: set[str] = set()  # ids of hand-off calls
        self.own = own_facts(scenario)
        self.told = told(scenario.get("known") or {}, scenario.get("persona_row"))
        self.persona_entity = (scenario.get("persona_row") or {}).get("entity")
        self.money = hints(domain.info).money if domain is not None else frozenset()
        self.i = 0
        self.asked: dict[int, int] = {}  # call index -> times its arguments were asked for (a user may answer in pieces)
        self.requested: set[int] = set()  # user-side steps the user was asked to do
        self.confirms: dict[int, int] = {}
        self.declined: list[int] = []
        self.issued: dict[str, int] = {}  # tool call id -> index in self.calls
        self.reported = False
        self.n_calls = 0
        self.spoke = False
        self.current = 0  # the index of the call being made

    async def respond(self, messages: list[dict], tools: list[dict]) -> AgentTurn:
        with render.money_fields(self.money):  # no await inside: the setting never reaches another episode
            return self._respond(messages)

    def _respond(self, messages: list[dict]) -> AgentTurn:
        said = " ".join(m["content"] for m in messages if m.get("role") == "user" and isinstance(m.get("content"), str))
        while self.i < len(self.calls):
            call, ask = self.calls[self.i]
            if call.actor == "user":  # the user's step: ask for it once, then go on after the user's answer
                if self.i not in self.requested:
                    self.requested.add(self.i)
                    return self._say(self.rng.choice(USER_STEP).format(x=self.describe(call)))
                self.i += 1
                continue
            if self.asked.get(self.i, 0) < MAX_ASKS:
                self.asked[self.i] = self.asked.get(self.i, 0) + 1
                ask = {**ask, **{r.ask: label(r.ask) for r, _ in self.rules(call) if r.outcome == "ask"
                                 and r.ask in call.arguments and r.ask not in ask}}
                missing = [lab for p, lab in ask.items() if p in call.arguments and not _said(call.arguments[p], said)]
                if missing:
                    identify = self.info[self.i].get("identify", False)
                    mine = {lab for p, lab in ask.items() if identify or (lab, show(call.arguments.get(p))) in self.own}
                    return self._say(self.ask_for(missing, mine))
            decided = next(((r, m) for r, m in self.rules(call) if r.outcome in ("refuse", "transfer")), None)
            if decided is not None:
                self.i += 1
                turn = self.follow(call, *decided)
                if turn is not None:
                    return turn
                continue
            if self.is_write(call.tool):
                n = self.confirms.get(self.i, 0)
                answer = yes_or_no(_last_user(messages)) if n else None
                if answer is None and n < MAX_CONFIRMS:
                    self.confirms[self.i] = n + 1
                    return self._say(self.rng.choice(CONFIRM).format(x=self.describe(call)))
                if answer is not True:  # a no, or no clear yes: the write is left out
                    self.declined.append(self.i)
                    self.i += 1
                    continue
            self.current = self.i
            self.i += 1
            return self.call(call)
        if not self.reported:
            self.reported = True
            return text(self.report(messages))
        return text("Thank you. Is there anything else I can help you with?")

    def bind_environment(self, env) -> None:
        """The episode's environment, in which the oracle evaluates policy rules before calling (it only reads)."""
        self.env = env

    def rules(self, call: ToolCall) -> list[tuple[RuleInfo, str]]:
        """The policy rules of the call's tool that it meets now, with their messages; without an environment, the
        rule the task says decides its forbidden call."""
        rules = {r.name: r for r in self.domain.tool_rules(call.tool)}
        if not rules:
            return []
        if self.env is not None:
            return [(rules[n], m) for n, m in self.env.rules_met(call.tool, call.arguments) if n in rules]
        policy = (self.task.user or {}).get("policy") or {}
        if self.info[self.i].get("policy") and policy.get("rule") in rules:
            return [(rules[policy["rule"]], policy.get("message", ""))]
        return []

    def follow(self, call: ToolCall, rule: RuleInfo, message: str) -> AgentTurn | None:
        """Do what a met rule prescribes instead of the call: refuse (said in the report), or transfer."""
        what = self.describe(call)
        said = message.strip() + ("" if message.strip().endswith((".", "!", "?")) else ".")
        if rule.outcome == "refuse":
            self.policy_said.append(self.rng.choice(REFUSE).format(x=what, e=said))
            return None
        self.transferred = True
        self.policy_said.append(self.rng.choice(TRANSFER).format(x=what, e=said))
        via = rule.via
        meta = self.domain.info.tools.get(via) if via else None
        if meta is None:
            return None
        texts = [p.name for p in meta.params if p.type.kind == "str"]
        turn = self.tool_call(via, json.dumps({texts[0]: message} if texts else {}, ensure_ascii=False))
        self.handoffs.add(turn.message["tool_calls"][0]["id"])  # not a planned call: its result is not reported
        return turn

    def _say(self, content: str) -> AgentTurn:
        self.spoke = True
        return text(content)

    # ---- pieces the broken variants override
    def call(self, call: ToolCall) -> AgentTurn:
        return self.tool_call(call.tool, json.dumps(call.arguments, ensure_ascii=False))

    def tool_call(self, tool: str, arguments: str) -> AgentTurn:
        self.n_calls += 1
        call_id = f"call_{self.n_calls}"
        self.issued[call_id] = self.current
        return AgentTurn({"role": "assistant", "content": None, "tool_calls": [
            {"id": call_id, "type": "function", "function": {"name": tool, "arguments": arguments}}]})

    def ask_for(self, labels: list[str], mine: set[str] = frozenset()) -> str:
        things = render.join([("your " if lab in mine else "the ") + lab for lab in labels])
        identify = self.info[self.i].get("identify", False) if self.i < len(self.info) else False
        templates = ASK_MORE if self.spoke else ASK_ID if identify else ASK
        return self.rng.choice(templates).format(x=things)

    def is_write(self, tool: str) -> bool:
        meta = self.domain.info.tools.get(tool)
        return bool(meta and meta.kind == "write")

    def describe(self, call: ToolCall) -> str:
        return describe_call(self.domain, call.tool, call.arguments, self.persona_entity)

    def report(self, messages: list[dict]) -> str:
        """The results the user asked for, in sentences; a refusal's error first; then an offer of more help."""
        parts: list[str] = []
        said: set[tuple[str, str]] = set()
        spoken: set[str] = set()
        dones = self.rng.sample(DONE, len(DONE))  # several changes are each said a different way
        for i in self.declined:
            parts.append(self.rng.choice(DECLINED).format(x=self.describe(self.calls[i][0])))
        for m in messages:
            if m.get("role") != "tool" or m.get("tool_call_id") in self.handoffs:
                continue
            index = self.issued.get(m.get("tool_call_id"))
            value = render.parse(m.get("content"))
            info = self.info[index] if index is not None and index < len(self.info) else {"goal": True}
            call = self.calls[index][0] if index is not None and index < len(self.calls) else None
            if render.is_error(value):
                if info.get("refusal") or not (self.task.user or {}).get("plan"):
                    error = str(value["error"].get("message", "")).strip()
                    what = self.describe(call) if call else "do that"
                    parts.insert(0, self.rng.choice(REFUSE).format(x=what, e=error) + ("" if error.endswith(".") else "."))
                continue
            if not info.get("goal"):
                continue
            pairs = render.summarise(value, call.arguments if call else None)
            # what the user told us or is (its email, its own id) is not news: said back it reads as a field dump
            # a value said earlier in the report (the same record after each of several changes) is said once
            news = [pr for pr in pairs if pr[1].rstrip(":") not in self.told and pr[1] not in spoken]
            body = render.sentence(news if news or spoken else pairs)
            write = call is not None and self.is_write(call.tool)
            seen = (self.describe(call) if write else "", body)
            if seen in said or not write and not body:
                continue  # the same record twice (found by phone, then by id) is said once
            said.add(seen)
            spoken.update(pr[1] for pr in news)
            if write:
                done = dones.pop() if dones else self.rng.choice(DONE)
                done = done.format(x=self.describe(call))
                extra = UPDATED if isinstance(value, (dict, list)) else SAYS
                parts.append(done + (self.rng.choice(extra).format(x=body) if body else ""))
            else:
                parts.append(self.rng.choice(FOUND).format(x=body, y=self._for(call)))
        parts[:0] = self.policy_said
        if not parts:
            parts.append(THANKS if self.requested else NOTHING)
        if self.transferred:
            return " ".join(parts)  # handed over: nothing more to offer
        return " ".join(parts) + " " + self.rng.choice(CLOSE)

    def _for(self, call: ToolCall | None) -> str:
        if call is None:
            return ""
        ids = [(k, v) for k, v in call.arguments.items() if isinstance(v, (str, int)) and not isinstance(v, bool)
               and (k.endswith("_id") or k in ("id", "card", "isbn", "sku"))]
        return f" for {label(ids[0][0])} {show(ids[0][1])}" if ids else ""


def _said(value, said: str) -> bool:
    """Whether the user has said the value, as JSON text or in words (`say`)."""
    return show(value) in said or say(value) in said


def _last_user(messages: list[dict]) -> str:
    for m in reversed(messages):
        if m.get("role") == "user":
            return m.get("content") if isinstance(m.get("content"), str) else ""
    return ""


def yes_or_no(reply: str) -> bool | None:
    """Whether a reply to a confirmation is a yes (True), a no (False) or neither (None); the verifier's too."""
    if _NO.search(reply):
        return False
    return True if _YES.search(reply) else None
