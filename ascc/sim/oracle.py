"""The oracle agent: plays a task's gold plan through templates, no model.

It asks the user for the arguments the plan says come from the user (unless the user already said them),
confirms each write before calling it, calls the gold tools in order (one per assistant message), and ends
with a report of the results the user asked for. On a refusal task it confirms and attempts the forbidden
write, then tells the user the tool's error. Its traces pass every filter by construction; the broken
variants in `broken.py` show that each filter catches what it should.
"""

from __future__ import annotations

import json

from ascc.runtime.domain import CompiledDomain
from ascc.runtime.tasks import Task, ToolCall
from ascc.sim.protocols import AgentTurn
from ascc.sim.scenario import show


def text(content: str) -> AgentTurn:
    return AgentTurn({"role": "assistant", "content": content})


class OracleAgent:
    """One episode's oracle: create one per task (it keeps its place in the plan)."""

    name = "oracle"

    def __init__(self, task: Task, domain: CompiledDomain):
        self.task, self.domain = task, domain
        plan = task.user.get("plan") or [{} for _ in task.gold_calls]
        self.calls: list[tuple[ToolCall, dict]] = [(c, p.get("ask", {})) for c, p in zip(task.gold_calls, plan)]
        refusal = task.user.get("refusal")
        if refusal:
            c = refusal["call"]
            self.calls.append((ToolCall(c["tool"], c["arguments"]), refusal.get("ask", {})))
        self.i = 0
        self.asked: set[int] = set()
        self.confirmed: set[int] = set()
        self.reported = False
        self.n_calls = 0

    async def respond(self, messages: list[dict], tools: list[dict]) -> AgentTurn:
        said = " ".join(m["content"] for m in messages if m.get("role") == "user" and isinstance(m.get("content"), str))
        while self.i < len(self.calls):
            call, ask = self.calls[self.i]
            if self.i not in self.asked:
                self.asked.add(self.i)
                missing = [lab for p, lab in ask.items() if p in call.arguments and show(call.arguments[p]) not in said]
                if missing:
                    return text(self.ask_for(missing))
            if self.is_write(call.tool) and self.i not in self.confirmed:
                self.confirmed.add(self.i)
                return text(f"Just to confirm: I will {self.describe(call)}. Shall I go ahead?")
            self.i += 1
            return self.call(call)
        if not self.reported:
            self.reported = True
            return text(self.report(messages))
        return text("Thank you. Is there anything else I can help you with?")

    # ---- pieces the broken variants override
    def call(self, call: ToolCall) -> AgentTurn:
        return self.tool_call(call.tool, json.dumps(call.arguments, ensure_ascii=False))

    def tool_call(self, tool: str, arguments: str) -> AgentTurn:
        self.n_calls += 1
        return AgentTurn({"role": "assistant", "content": None, "tool_calls": [
            {"id": f"call_{self.n_calls}", "type": "function", "function": {"name": tool, "arguments": arguments}}]})

    def ask_for(self, labels: list[str]) -> str:
        return f"I can help with that. Could you please give me the {_join(labels)}?"

    def is_write(self, tool: str) -> bool:
        meta = self.domain.meta["tools"].get(tool)
        return bool(meta and meta["kind"] == "write")

    def describe(self, call: ToolCall) -> str:
        meta = self.domain.meta["tools"][call.tool]
        if meta.get("intent"):
            out = meta["intent"]
            for k, v in call.arguments.items():
                out = out.replace("{" + k + "}", show(v))
            return out.replace("{{", "{").replace("}}", "}")
        args = ", ".join(f"{k.replace('_', ' ')} {show(v)}" for k, v in call.arguments.items())
        return f"call {call.tool} ({args})" if args else f"call {call.tool}"

    def report(self, messages: list[dict]) -> str:
        """The results of this episode's calls, the refused one's error first."""
        results = [m for m in messages if m.get("role") == "tool"]
        lines, refused = [], None
        for m in results:
            try:
                value = json.loads(m.get("content") or "null")
            except json.JSONDecodeError:
                value = None
            if isinstance(value, dict) and set(value) == {"error"} and isinstance(value["error"], dict):
                refused = value["error"].get("message")
                continue
            line = f"- {m.get('name')}: {m.get('content')}"
            if not any(m.get("content") == earlier.split(": ", 1)[1] for earlier in lines):
                lines.append(line)  # the same record twice (found by phone, then by id) is said once
        head = (f"I'm sorry, but I can't do that: {refused}." if refused
                else "All done." if any(self.is_write(c.tool) for c, _ in self.calls) else "Here is what I found.")
        return "\n".join([head, *lines]) if lines else head


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
