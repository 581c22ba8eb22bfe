"""The scripted user: plays a task's scenario from templates, no model.

It opens with the scenario's `request` (the goal in the first person, without the details), answers a question
with the `known` values whose labels the agent asked for (its own identity facts as `my email is …`), says it
does not know the `unknown` ones, answers a confirmation (a question to go ahead that asks for nothing: no "what is", "could you give me")
with an explicit yes — or no, for the write the
scenario's `decline` names —, and stops (`###STOP###`) once every fact of the scenario has appeared in the
agent's words and the agent's last message is not a question (an offer of further help does not count). A
confirmation is a question that asks to go ahead and restates the values it mentions; a question that names a
label without its value is asking for it. When the agent neither asks nor delivers the user nudges, and gives up
(stops) after `patience` nudges, so a stuck agent cannot run the conversation forever.

Dual control: the task's gold calls marked `"actor": "user"` are steps the user does on their own side (the
phone in telecom). When the agent asks the user to do one of those still to do — a request ("could you",
"please") that contains the step's intent as the agent would say it, or every word of its intent or of the
tool's name (a few synonyms allowed: restart/reboot, phone/device) — the user calls the tool with the gold
arguments, then reports the result in words. It does nothing that its task does not plan, and it does not stop
while a planned step is still to do.
"""

from __future__ import annotations

import json
import random
import re

from ascc.runtime.tasks import Task, ToolCall
from ascc.sim import render
from ascc.sim.hints import Hints, hints
from ascc.sim.protocols import STOP, UserTurn
from ascc.sim.scenario import describe_call, label, say, show

_CONFIRM = re.compile(r"\b(confirm|go ahead|proceed|shall i|should i|is that right|is that correct)\b", re.I)
_ASKING = re.compile(r"\b(what is|what's|could you (?:please )?(?:also )?(?:give|tell|provide)|can you (?:give|tell|provide)"
                     r"|confirm (?:your|the)\b)", re.I)
_ANYTHING_ELSE = re.compile(r"\banything else (?:I|we) can\b", re.I)
YES = ("Yes, please go ahead.", "Yes, that's right. Please do.", "Yes please.", "Sure, go ahead.",
       "Yep, that's correct, go ahead with it.", "Okay, please do that.", "Yes, that's what I want.",
       "Correct. Please go ahead.", "Yeah, sounds good, go ahead.")
NO = ("No, please don't do that. I've changed my mind.", "No, actually, please leave it as it is.",
      "Hmm, no. On second thought I'd rather not.")
ANSWER = ("{x}.", "Sure, {x}.", "Of course: {x}.", "Yes, {x}.", "Okay, {x}.", "{x}, thanks.")
PIECES = 0.3  # the share of multi-part questions answered one part at a time
DID = ("OK, I did that. {x}", "Done. {x}", "Alright, done. {x}")
FAILED = ("I tried, but it didn't work: {x}",)
_REQUEST = re.compile(r"\b(?:could|can|would) you\b|\bplease\b", re.I)
# words that say nothing about which step is meant, and words that mean the same step
_FILLER = {"the", "your", "you", "and", "for", "with", "from", "that", "this", "whether", "which", "its", "into",
           "on", "or", "off", "of", "to", "in", "at", "a", "an", "is", "are", "it", "out", "back", "turn", "toggle",
           "set", "check", "make", "run", "can", "get", "put", "take", "use", "app", "top"}
_SAME = {"restart": "reboot", "phone": "device", "handset": "device", "re-seat": "reseat", "wifi": "wi-fi"}


class ScriptedUser:
    name = "scripted"

    def __init__(self, scenario: dict, patience: int = 2, steps: list[ToolCall] = (), domain=None):
        self.scenario = scenario
        self.steps = list(steps)  # the user's own gold calls, in plan order
        self.domain = domain
        self.done_steps: set[int] = set()
        self.known = scenario.get("known") or {}
        self.unknown = [u for u in scenario.get("unknown") or [] if isinstance(u, str)]
        self.facts = [f for f in scenario.get("facts") or [] if isinstance(f, str)]
        self.patience = patience
        self.nudges = 0
        self.own = own_facts(scenario)
        decline = scenario.get("decline") or {}
        self.decline = decline.get("text")
        self.declined = False
        self.rng = random.Random(f"user:{scenario.get('seed')}:{scenario.get('request')}")
        self.hints = hints(domain.info) if domain is not None else Hints()

    @classmethod
    def for_task(cls, task: Task, domain=None) -> ScriptedUser:
        return cls(task.user, steps=task.gold_calls_of("user"), domain=domain)

    async def reply(self, messages: list[dict]) -> UserTurn:
        with render.money_fields(self.hints.money):  # no await inside: the setting never reaches another episode
            return self._reply(messages)

    def _reply(self, messages: list[dict]) -> UserTurn:
        agent = [m["content"] for m in messages if m.get("role") == "assistant" and isinstance(m.get("content"), str)]
        if not agent and not any(m.get("role") == "user" for m in messages):
            request = self.scenario.get("request") or self.scenario.get("instructions") or "I need some help."
            return UserTurn(request if request.startswith(("Hi", "Hello", "Good")) else f"Hi! {request}")
        result = _own_result(messages)
        if result is not None:
            return UserTurn(self.report(result))
        last = agent[-1] if agent else ""
        said = "\n".join(agent)
        question = last.rstrip().endswith("?")
        pending = [i for i in range(len(self.steps)) if i not in self.done_steps]
        if all(f in said for f in self.facts) and not pending and (not question or _ANYTHING_ELSE.search(last)):
            return UserTurn(STOP, stop=True)
        step = self.step_asked(last, pending)
        if step is not None:
            return self.do(step)
        if (_CONFIRM.search(last) or self.hints.asks_consent(last)) and not _ASKING.search(last):
            return UserTurn(self.confirm(last))
        asked = [] if _ANYTHING_ELSE.search(last) else self.asked(last)
        if len(asked) > 1 and any(a in self.known for a in asked) and self.rng.random() < PIECES:
            asked = [next(a for a in asked if a in self.known)]  # the rest when the agent asks again
        answers = [self.answer(lab) for lab in asked]
        if answers:
            text = " ".join(a[:1].upper() + a[1:] for a in [self.rng.choice(ANSWER).format(x=_join(answers))])
            return UserTurn(text)
        self.nudges += 1
        if self.nudges > self.patience:
            return UserTurn(STOP, stop=True)
        return UserTurn("Could you please help me with my request?")

    # ---- the user's own side (dual control)
    def step_asked(self, text: str, pending: list[int]) -> int | None:
        """The first pending step the agent's message asks the user to do, if any."""
        if not _REQUEST.search(text):
            return None
        words = _words(text)
        for i in pending:
            call = self.steps[i]
            tool = self.domain.info.tools.get(call.tool) if self.domain else None
            intent = tool.intent if tool else None
            said = describe_call(self.domain, call.tool, call.arguments, None).lower() if self.domain else None
            if said and said in text.lower():
                return i
            keys = [_words(call.tool.replace("_", " ")), _words(re.sub(r"\{[^}]*\}", " ", intent or ""))]
            if any(k and k <= words for k in keys):
                return i
        return None

    def do(self, i: int) -> UserTurn:
        self.done_steps.add(i)
        call = self.steps[i]
        return UserTurn("", tool_calls=[{"id": f"user_call_{len(self.done_steps)}", "type": "function", "function": {
            "name": call.tool, "arguments": json.dumps(call.arguments, ensure_ascii=False)}}])

    def report(self, content) -> str:
        """A tool's result in the user's words: its message, then what else it shows."""
        value = render.parse(content)
        if render.is_error(value):
            return self.rng.choice(FAILED).format(x=str(value["error"].get("message", "")).strip())
        if isinstance(value, dict) and isinstance(value.get("message"), str):
            rest = render.sentence(render.summarise({k: v for k, v in value.items() if k != "message"}))
            text = value["message"].strip() + (f" It shows: {rest.rstrip('.')}." if rest else "")
        else:
            text = render.sentence(render.summarise(value))
            text = f"It says: {text.rstrip('.')}." if text else "It says nothing."
        return self.rng.choice(DID).format(x=text)

    def asked(self, question: str) -> list[str]:
        """The labels (known or unknown) the agent asks for: named in the question, their value not in it."""
        low = question.lower()
        out = []
        labels = [*self.known, *(self.unknown if question.rstrip().endswith("?") else ())]
        for lab in labels:
            if lab in self.known and (show(self.known[lab]) in question or say(self.known[lab]) in question):
                continue  # restated, not asked for
            if re.search(r"(?<![a-z])" + re.escape(lab.lower()) + r"(?![a-z])", low):
                out.append(lab)
        return out

    def answer(self, lab: str) -> str:
        """The value in words (`say`): the persona's own facts as "my …", a list as "… are …", never JSON."""
        if lab not in self.known:
            return self.rng.choice(("I'm afraid I don't know the {x}", "I don't have the {x}, sorry",
                                    "I'm not sure what the {x} is")).format(x=lab)
        raw = self.known[lab]
        value = say(raw)
        whose = "my" if (lab, show(raw)) in self.own else "the"
        verb = "are" if isinstance(raw, list) and len(raw) > 1 or lab.endswith("s") and not lab.endswith("ss") else "is"
        if whose == "my" or isinstance(raw, (list, dict)):
            return f"{whose} {lab} {verb} {value}"
        return self.rng.choice(("the {l} is {v}", "it's {v} for the {l}", "the {l} would be {v}")).format(l=lab, v=value)

    def confirm(self, question: str) -> str:
        if self.decline and not self.declined and self.decline in question:
            self.declined = True
            return self.rng.choice(NO)
        return self.rng.choice(YES)


def own_facts(scenario: dict) -> set[tuple[str, str]]:
    """(label, value) pairs that are the persona's own: its identifying fields and its key."""
    row = scenario.get("persona_row") or {}
    out = {(label(k), show(v)) for k, v in row.items() if k not in ("entity", "key", "key_field")}
    if row.get("key_field"):
        out.add((label(row["key_field"]), show(row.get("key"))))
    return out


def _own_result(messages: list[dict]):
    """The content of the last result of the user's own tool call, when the conversation ends with it."""
    j = len(messages) - 1
    while j >= 0 and messages[j].get("role") == "tool":
        j -= 1
    if j < len(messages) - 1 and j >= 0 and messages[j].get("role") == "user" and messages[j].get("tool_calls"):
        return messages[-1].get("content")
    return None


def _words(text: str) -> set[str]:
    """The words that say which step is meant, synonyms made one."""
    out = set()
    for w in re.findall(r"[a-z0-9][a-z0-9'-]*", text.lower()):
        w = w.removesuffix("'s")
        w = _SAME.get(w, w)
        if w not in _FILLER and len(w) > 1:
            out.add(w)
    return out


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
