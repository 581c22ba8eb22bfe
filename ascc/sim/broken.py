"""Deliberately broken oracles (`--agent broken:<how>`): each shows one verification filter doing its job.

| name | what it does wrong | the filter that must reject it |
| --- | --- | --- |
| `broken:garbage` | sends its first tool call with arguments that are not JSON | `validity` |
| `broken:repeat` | ends with a message that repeats one phrase over and over | `validity` (n-gram) |
| `broken:skip-write` | says it did the writes but never calls them | `state` |
| `broken:wrong-args` | calls the reads with a wrong argument (writes stay right) | `calls` (the state still matches) |
| `broken:silent` | makes every call right but never tells the user what it found (the user gives up) | `facts` |
| `broken:no-confirm` | calls the writes without asking the user first | `confirm` (in a `confirm_writes` domain) |
| `broken:ignore-policy` | never checks the policy's rules: makes the write a rule forbids (after the user's yes) | `state` (and `calls`) |
| `broken:recover` | first calls a tool with a misspelt argument, reads the error, then calls it right | none: kept |
"""

from __future__ import annotations

import json

from ascc.runtime.tasks import ToolCall
from ascc.sim.oracle import OracleAgent
from ascc.sim.protocols import AgentTurn


class GarbageAgent(OracleAgent):
    def call(self, call: ToolCall) -> AgentTurn:
        if self.n_calls == 0:
            return self.tool_call(call.tool, '{"' + next(iter(call.arguments), "x") + '": ')
        return super().call(call)


class RepeatAgent(OracleAgent):
    def report(self, messages: list[dict]) -> str:
        return super().report(messages) + " " + "I am happy to help you today. " * 40


class SkipWriteAgent(OracleAgent):
    async def respond(self, messages: list[dict], tools: list[dict]) -> AgentTurn:
        while self.i < len(self.calls) and self.is_write(self.calls[self.i][0].tool):
            self.i += 1
        return await super().respond(messages, tools)


class WrongArgsAgent(OracleAgent):
    def call(self, call: ToolCall) -> AgentTurn:
        if self.is_write(call.tool) or not call.arguments:
            return super().call(call)
        args = dict(call.arguments)
        name = sorted(args)[0]
        args[name] = _other(args[name])
        return self.tool_call(call.tool, json.dumps(args, ensure_ascii=False))


class RecoverAgent(OracleAgent):
    def __init__(self, task, domain):
        super().__init__(task, domain)
        self.slipped = False

    def call(self, call: ToolCall) -> AgentTurn:
        if not self.slipped and call.arguments:
            self.slipped = True
            self.i -= 1  # the same gold call again on the next turn
            name = next(iter(call.arguments))
            args = {f"{name}_x" if k == name else k: v for k, v in call.arguments.items()}
            return self.tool_call(call.tool, json.dumps(args, ensure_ascii=False))
        return super().call(call)


class SilentAgent(OracleAgent):
    def report(self, messages: list[dict]) -> str:
        return "I have taken care of everything. Is there anything else I can help you with?"


class NoConfirmAgent(OracleAgent):
    def is_write(self, tool: str) -> bool:
        return False  # so it never stops to ask before a write


class IgnorePolicyAgent(OracleAgent):
    def rules(self, call: ToolCall) -> list:
        return []  # as if the policy said nothing the tools do not check


def _other(v):
    if isinstance(v, bool):
        return not v
    if isinstance(v, (int, float)):
        return v + 7
    if isinstance(v, str):
        return v + "-0"
    return None


BROKEN = {"garbage": GarbageAgent, "repeat": RepeatAgent, "skip-write": SkipWriteAgent,
          "wrong-args": WrongArgsAgent, "silent": SilentAgent, "no-confirm": NoConfirmAgent, "recover": RecoverAgent,
          "ignore-policy": IgnorePolicyAgent}
