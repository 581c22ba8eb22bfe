"""Dual control (τ²-bench's telecom): the user acts on their own phone through the domain's `actor: user` tools.

The τ² telecom fixture is imported as `ascc import tau2` does; its user-side gold actions become gold calls
marked `"actor": "user"`. The oracle asks the user to do them, the scripted user (or an LLM user, here behind the
fake endpoint) calls the tool, the call runs in the same environment, and only the user's words reach the agent.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAI

from ascc.eval.run import EvalSettings, evaluate
from ascc.importers.tau2 import import_tau2
from ascc.runtime.actors import call_as
from ascc.runtime.domain import compile_and_load
from ascc.runtime.env import Environment
from ascc.runtime.replay import replay_task
from ascc.runtime.tasks import Task, ToolCall, load_tasks, parse_tasks
from ascc.sim.backends.endpoint import EndpointConfig
from ascc.sim.backends.llm_user import LLMUser, flip_roles
from ascc.sim.oracle import OracleAgent
from ascc.sim.protocols import AgentTurn
from ascc.sim.rollout import full_trajectory, rollout
from ascc.sim.user import ScriptedUser
from ascc.sim.verify import FILTERS, kept, verify

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tau2" / "telecom"
ROAMING = "[mobile_data_issue]user_abroad_roaming_enabled_off[PERSONA:None]"
OVERDUE = "[service_issue]overdue_bill_suspension[PERSONA:None]"


@pytest.fixture(scope="module")
def telecom(tmp_path_factory):
    out = tmp_path_factory.mktemp("tau2_telecom")
    import_tau2(FIXTURE, out, "telecom")
    domain = compile_and_load(out / "telecom.env.yaml", out / "build")
    tasks = {t.id: t for t in load_tasks(out / "telecom" / "tasks.jsonl")}
    return domain, tasks, out


def run(task: Task, domain, user=None, agent=None):
    env = Environment(domain)
    user = user or ScriptedUser.for_task(task, domain)
    ep = asyncio.run(rollout(task, env, agent or OracleAgent(task, domain), user, domain.schemas))
    return ep, env


def test_imported_user_actions_are_marked_as_the_users(telecom):
    _, tasks, _ = telecom
    assert [(c.tool, c.actor) for c in tasks[OVERDUE].gold_calls] == [
        ("send_payment_request", "agent"), ("make_payment", "user"), ("resume_line", "agent"),
        ("reboot_device", "user")]
    assert tasks[ROAMING].gold_calls_of("user") == [ToolCall("toggle_roaming", {}, "user")]
    line = json.dumps(tasks[ROAMING].to_json())
    assert '"actor": "user"' in line and parse_tasks(line)[0].gold_calls == tasks[ROAMING].gold_calls


def test_replay_runs_the_users_gold_calls_too(telecom):
    domain, tasks, _ = telecom
    with Environment(domain) as env:
        out = replay_task(env, tasks[OVERDUE])
    assert out.match is True
    assert [(c.tool, c.to_json().get("actor", "agent")) for c in out.calls] == [
        ("send_payment_request", "agent"), ("make_payment", "user"), ("resume_line", "agent"), ("reboot_device", "user")]


@pytest.mark.parametrize("task_id", [ROAMING, OVERDUE])
def test_oracle_and_scripted_user_pass_a_task_that_needs_the_users_hands(telecom, task_id):
    domain, tasks, _ = telecom
    task = tasks[task_id]
    ep, env = run(task, domain)
    verdicts = verify(ep, env, FILTERS)
    assert kept(verdicts), {k: v.to_json() for k, v in verdicts.items()}
    assert env.digest() == task.gold_digest
    # the user made its gold calls, in order; the agent made only its own
    assert [(c.tool, c.ok) for c in ep.user_calls] == [(c.tool, True) for c in task.gold_calls_of("user")]
    assert [c.tool for c in ep.calls] == [c.tool for c in task.gold_calls_of("agent")]
    # the agent's view is plain OpenAI chat: no user tool calls, no results of the user's calls
    user_tools = {s["function"]["name"] for s in domain.user_schemas}
    for m in ep.messages:
        assert m["role"] in ("system", "user", "assistant", "tool")
        assert not (m["role"] == "user" and m.get("tool_calls"))
        assert m.get("name") not in user_tools
    # the user's side, kept apart, puts back into τ²'s trajectory before the user's report of it
    full = full_trajectory(ep.messages, ep.user_side)
    assert len(full) == len(ep.messages) + len(ep.user_side)
    at = next(i for i, m in enumerate(full) if m["role"] == "user" and m.get("tool_calls"))
    assert full[at + 1]["role"] == "tool" and full[at + 2]["role"] == "user" and full[at + 2]["content"]


def test_the_user_reports_the_result_in_words(telecom):
    domain, tasks, _ = telecom
    ep, _ = run(tasks[ROAMING], domain)
    asked = next(m["content"] for m in ep.messages if m["role"] == "assistant" and m.get("content"))
    assert "toggle data roaming on your phone" in asked
    reply = ep.messages[ep.messages.index(next(m for m in ep.messages if m.get("content") == asked)) + 1]
    assert reply["role"] == "user" and "Data Roaming is now ON." in reply["content"]


def test_without_the_users_step_the_task_fails_on_state_and_calls(telecom):
    domain, tasks, _ = telecom
    task = tasks[ROAMING]
    lazy = ScriptedUser(task.user, steps=[], domain=domain)  # a user that never touches the phone
    ep, env = run(task, domain, user=lazy)
    verdicts = verify(ep, env, FILTERS)
    assert ep.user_calls == [] and verdicts["state"].passed is False
    assert verdicts["calls"].passed is False
    assert verdicts["calls"].detail == [{"user": {"writes": [], "gold_writes": ["toggle_roaming({})"]}}]


class CallsUserTool(OracleAgent):
    """Calls the user's tool itself instead of asking the user: what the agent must not be able to do."""

    async def respond(self, messages, tools):
        if not any(m["role"] == "tool" for m in messages):
            self.n_calls += 1
            return AgentTurn({"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_x", "type": "function", "function": {"name": "toggle_roaming", "arguments": "{}"}}]})
        return await super().respond(messages, tools)


def test_the_agent_calling_a_user_tool_gets_an_error_and_changes_nothing(telecom):
    domain, tasks, _ = telecom
    task = tasks[ROAMING]
    assert "toggle_roaming" not in {s["function"]["name"] for s in domain.schemas}
    ep, env = run(task, domain, agent=CallsUserTool(task, domain), user=ScriptedUser(task.user, steps=[],
                                                                                    domain=domain))
    result = next(m for m in ep.messages if m["role"] == "tool")
    error = json.loads(result["content"])["error"]
    assert error["code"] == "unknown_tool" and "the user's tool" in error["message"]
    assert ep.calls[0].ok is False and ep.calls[0].error_code == "unknown_tool"
    verdicts = verify(ep, env, FILTERS)
    assert verdicts["validity"].passed is False and verdicts["state"].passed is False


def test_each_side_is_refused_the_others_tools(telecom):
    domain, _, _ = telecom
    with Environment(domain) as env:
        before = env.digest()
        r = call_as(env, "user", "resume_line", {"customer_id": "C1001", "line_id": "L1002"})
        assert not r.ok and r.error_code == "unknown_tool" and "agent's tool" in r.value["error"]["message"]
        r = call_as(env, "agent", "set_user_location", {"abroad": True})  # task setup only
        assert not r.ok and r.value == {"error": {"code": "unknown_tool", "message": "unknown tool `set_user_location`"}}
        assert env.digest() == before
        assert call_as(env, "user", "toggle_roaming", {}).ok and env.digest() != before


def test_oracle_eval_on_imported_telecom_passes_every_task(telecom, tmp_path):
    """Before dual control the oracle failed the two tasks whose gold needs the user (pass^1 0.5); now 1.0."""
    domain, tasks, _ = telecom
    results = evaluate(list(tasks.values()), {"telecom": domain}, EvalSettings(agent="oracle"), tmp_path / "ev")
    assert [r.passed for r in results] == [True] * len(tasks)
    row = json.loads((tmp_path / "ev" / "trials.jsonl").read_text().splitlines()[0])
    assert row["user_tool_calls"][0]["before"] > 0 and row["user_tool_calls"][0]["role"] == "user"


# ---- the LLM user, τ² style: the user tools are its tools
def phone_user(body: dict) -> dict:
    """A fake user model: toggles roaming when asked, reports what the phone said, stops when offered more."""
    last = body["messages"][-1]
    if last["role"] == "tool":
        return {"content": f"I did it, my phone says: {json.loads(last['content'])['message']}"}
    if "roaming" in str(last.get("content")) and body.get("tools"):
        return {"content": None, "tool_calls": [
            {"id": "u1", "type": "function", "function": {"name": "toggle_roaming", "arguments": "{}"}}]}
    if "anything else" in str(last.get("content")).lower():
        return {"content": "No, thanks. ###STOP###"}
    return {"content": "My mobile data does not work abroad."}


def test_llm_user_gets_the_user_tools_and_acts(telecom):
    domain, tasks, _ = telecom
    task = tasks[ROAMING]
    with FakeOpenAI() as server:
        server.add("phone", phone_user)
        user = LLMUser("phone", task.user, EndpointConfig(server.url, "k", max_retries=0),
                       tools=domain.user_schemas)
        ep, env = run(task, domain, user=user)
        assert kept(verify(ep, env, ("validity", "state", "calls"))), ep.messages
        with_tools = [b for b in server.requests if b.get("tools")]
        assert with_tools and {t["function"]["name"] for t in with_tools[0]["tools"]} == {
            s["function"]["name"] for s in domain.user_schemas}
        # after its call, the user's model sees its own call (as its assistant turn) and the result
        seen = server.requests[-2]["messages"]
        assert any(m["role"] == "assistant" and m.get("tool_calls") for m in seen)
        assert any(m["role"] == "tool" and m["tool_call_id"] == "u1" for m in seen)
    assert [c.tool for c in ep.user_calls] == ["toggle_roaming"]


def test_flip_roles_shows_the_users_own_calls_but_not_the_agents():
    own = {"id": "u1", "type": "function", "function": {"name": "toggle_roaming", "arguments": "{}"}}
    agent = {"id": "c1", "type": "function", "function": {"name": "get_customer_by_phone", "arguments": "{}"}}
    messages = [{"role": "system", "content": "policy"},
                {"role": "user", "content": "No data."},
                {"role": "assistant", "content": None, "tool_calls": [agent]},
                {"role": "tool", "tool_call_id": "c1", "name": "get_customer_by_phone", "content": "{}"},
                {"role": "assistant", "content": "Please turn on data roaming."},
                {"role": "user", "content": None, "tool_calls": [own]},
                {"role": "tool", "tool_call_id": "u1", "name": "toggle_roaming", "content": '"ON"'}]
    assert flip_roles(messages) == [
        {"role": "user", "content": "Hi! How can I help you today?"},
        {"role": "assistant", "content": "No data."},
        {"role": "user", "content": "Please turn on data roaming."},
        {"role": "assistant", "content": None, "tool_calls": [own]},
        {"role": "tool", "tool_call_id": "u1", "name": "toggle_roaming", "content": '"ON"'}]


def test_gold_call_actor_must_be_agent_or_user():
    line = {"id": "t", "domain": "telecom", "kind": "write",
            "gold_calls": [{"tool": "toggle_roaming", "arguments": {}, "actor": "phone"}]}
    with pytest.raises(ValueError, match="actor` must be one of agent, user"):
        parse_tasks(json.dumps(line))
    line["gold_calls"][0]["actor"] = "user"
    [task] = parse_tasks(json.dumps(line))
    assert task.gold_calls_of("user") == [ToolCall("toggle_roaming", {}, "user")] and task.gold_calls_of("agent") == []
