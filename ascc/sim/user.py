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
"""

from __future__ import annotations

import random
import re

from ascc.runtime.tasks import Task
from ascc.sim.protocols import STOP, UserTurn
from ascc.sim.scenario import label, show

_CONFIRM = re.compile(r"\b(confirm|go ahead|proceed|shall i|should i|is that right|is that correct)\b", re.I)
_ASKING = re.compile(r"\b(what is|what's|could you (?:please )?(?:also )?(?:give|tell|provide)|can you (?:give|tell|provide)"
                     r"|confirm (?:your|the)\b)", re.I)
_ANYTHING_ELSE = re.compile(r"\banything else (?:I|we) can\b", re.I)
YES = ("Yes, please go ahead.", "Yes, that's right. Please do.", "Yes please.")
NO = ("No, please don't do that. I've changed my mind.", "No, actually, please leave it as it is.")
ANSWER = ("{x}.", "Sure, {x}.", "Of course: {x}.")


class ScriptedUser:
    name = "scripted"

    def __init__(self, scenario: dict, patience: int = 2):
        self.scenario = scenario
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

    @classmethod
    def for_task(cls, task: Task) -> ScriptedUser:
        return cls(task.user)

    async def reply(self, messages: list[dict]) -> UserTurn:
        agent = [m["content"] for m in messages if m.get("role") == "assistant" and isinstance(m.get("content"), str)]
        if not agent and not any(m.get("role") == "user" for m in messages):
            request = self.scenario.get("request") or self.scenario.get("instructions") or "I need some help."
            return UserTurn(request if request.startswith(("Hi", "Hello", "Good")) else f"Hi! {request}")
        last = agent[-1] if agent else ""
        said = "\n".join(agent)
        question = last.rstrip().endswith("?")
        if all(f in said for f in self.facts) and (not question or _ANYTHING_ELSE.search(last)):
            return UserTurn(STOP, stop=True)
        if _CONFIRM.search(last) and not _ASKING.search(last):
            return UserTurn(self.confirm(last))
        asked = [] if _ANYTHING_ELSE.search(last) else self.asked(last)
        answers = [self.answer(lab) for lab in asked]
        if answers:
            text = " ".join(a[:1].upper() + a[1:] for a in [self.rng.choice(ANSWER).format(x=_join(answers))])
            return UserTurn(text)
        self.nudges += 1
        if self.nudges > self.patience:
            return UserTurn(STOP, stop=True)
        return UserTurn("Could you please help me with my request?")

    def asked(self, question: str) -> list[str]:
        """The labels (known or unknown) the agent asks for: named in the question, their value not in it."""
        low = question.lower()
        out = []
        labels = [*self.known, *(self.unknown if question.rstrip().endswith("?") else ())]
        for lab in labels:
            if lab in self.known and show(self.known[lab]) in question:
                continue  # restated, not asked for
            if re.search(r"(?<![a-z])" + re.escape(lab.lower()) + r"(?![a-z])", low):
                out.append(lab)
        return out

    def answer(self, lab: str) -> str:
        if lab not in self.known:
            return f"I'm afraid I don't know the {lab}"
        value = show(self.known[lab])
        return f"{'my' if (lab, value) in self.own else 'the'} {lab} is {value}"

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


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
