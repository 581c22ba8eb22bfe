"""The scripted user: plays a task's scenario from templates, no model.

It opens with the scenario's `request`, answers a question with the `known` values whose labels the agent
named, says yes to a confirmation, and stops (`###STOP###`) once every fact of the scenario has appeared in the
agent's words and the agent's last message is not a question. When the agent neither asks nor delivers it
nudges, and gives up (stops) after `patience` nudges, so a stuck agent cannot run the conversation forever.
"""

from __future__ import annotations

import re

from ascc.runtime.tasks import Task
from ascc.sim.protocols import STOP, UserTurn
from ascc.sim.scenario import show

_CONFIRM = re.compile(r"\b(confirm|go ahead|proceed|shall i|should i)\b", re.I)


class ScriptedUser:
    name = "scripted"

    def __init__(self, scenario: dict, patience: int = 2):
        self.scenario = scenario
        self.known = scenario.get("known") or {}
        self.facts = [f for f in scenario.get("facts") or [] if isinstance(f, str)]
        self.patience = patience
        self.nudges = 0

    @classmethod
    def for_task(cls, task: Task) -> ScriptedUser:
        return cls(task.user)

    async def reply(self, messages: list[dict]) -> UserTurn:
        agent = [m["content"] for m in messages if m.get("role") == "assistant" and isinstance(m.get("content"), str)]
        if not agent and not any(m.get("role") == "user" for m in messages):
            request = self.scenario.get("request") or self.scenario.get("instructions") or "I need some help."
            return UserTurn(f"Hi! {request}")
        last = agent[-1] if agent else ""
        said = "\n".join(agent)
        if all(f in said for f in self.facts) and not last.rstrip().endswith("?"):
            return UserTurn(STOP, stop=True)
        answers = self.answers(last)
        if answers:
            return UserTurn(" ".join(answers))
        if _CONFIRM.search(last):
            return UserTurn("Yes, please go ahead.")
        self.nudges += 1
        if self.nudges > self.patience:
            return UserTurn(STOP, stop=True)
        return UserTurn("Could you please help me with my request?")

    def answers(self, question: str) -> list[str]:
        low = question.lower()
        return [f"The {label} is {show(value)}." for label, value in self.known.items()
                if re.search(r"(?<![a-z])" + re.escape(label.lower()) + r"(?![a-z])", low)]
