"""GRPO in the compiled environments: the TRL environment class, the phase config, and a run on CPU.

The environment tests need only the runtime. The run builds a tiny random Llama with SmolLM2's real tokenizer and
runs TRL's GRPOTrainer for two steps over two domains with rewards from the environments.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from ascc.eval.run import synth_tasks
from ascc.runtime.domain import compile_and_load
from ascc.runtime.tasks import parse_task, write_tasks
from ascc.trainer.config import ConfigError, parse_config
from ascc.trainer.rl_env import environment_class, exact_tool_schemas, solo_prompt

HERE = Path(__file__).parent
LAMP = HERE / "specs" / "lamp.env.yaml"
SHOP = HERE.parents[1] / "specs" / "shop.env.yaml"


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("build")


@pytest.fixture(scope="module")
def lamp(build):
    return compile_and_load(LAMP, build)


@pytest.fixture(scope="module")
def shop(build):
    return compile_and_load(SHOP, build)


def _tasks(domain, n: int, seed: int = 0):
    return synth_tasks({domain.name: domain}, n, seed)


def _write_task(domain):
    return next(t for t in _tasks(domain, 12) if t.kind == "write")


# ---- the environment object
def test_methods_are_the_agent_tools_with_schemas_transformers_can_read(shop):
    from transformers.utils import get_json_schema

    env_cls = environment_class(shop)
    names = {s["function"]["name"] for s in shop.schemas}
    methods = {n for n in vars(env_cls) if callable(vars(env_cls)[n]) and not n.startswith("_")}
    assert methods == names | {"reset", "get_reward"}
    for schema in shop.schemas:
        fn = schema["function"]
        rebuilt = get_json_schema(getattr(env_cls(), fn["name"]))["function"]
        assert rebuilt["name"] == fn["name"]
        assert set(rebuilt["parameters"]["properties"]) == set(fn["parameters"]["properties"])
        assert set(rebuilt["parameters"].get("required", [])) == set(fn["parameters"].get("required", []))


def test_gold_calls_earn_the_reward_and_change_the_state(shop):
    task = _write_task(shop)
    env = environment_class(shop)()
    env.reset(task=json.dumps(task.to_json()), environment="shop", prompt=[])
    before = env._env.digest()
    assert env.get_reward() == 0.0
    for call in task.gold_calls:
        json.loads(getattr(env, call.tool)(**call.arguments))
    assert env._env.digest() != before and env._env.digest() == task.gold_digest
    assert env.get_reward() == 1.0


def test_bad_calls_are_observations_and_change_nothing(shop):
    task = _write_task(shop)
    env = environment_class(shop)()
    env.reset(task=task.to_json())
    write = next(c for c in task.gold_calls if shop.info.tools[c.tool].kind == "write")
    before = env._env.digest()
    for args in ({}, {**write.arguments, "bogus": 1}, {k: [1, 2] for k in write.arguments},
                 {k: "x" * 100_000 for k in write.arguments}, {k: "'; DROP TABLE \"order\"; --" for k in write.arguments}):
        out = json.loads(getattr(env, write.tool)(**args))
        assert "error" in out and out["error"]["code"]
    assert env._env.digest() == before and env.get_reward() == 0.0


def test_partial_reward_counts_gold_writes_in_order(shop):
    task = next(t for t in _tasks(shop, 40) if t.kind == "write"
                and sum(shop.info.tools[c.tool].kind == "write" for c in t.gold_calls) >= 1)
    env = environment_class(shop, reward="partial")()
    env.reset(task=task.to_json())
    assert env.get_reward() == 0.0
    for call in task.gold_calls:
        getattr(env, call.tool)(**call.arguments)
    assert env.get_reward() == 1.0


def test_tool_named_like_a_trl_hook_is_refused(lamp):
    import dataclasses

    schemas = [{"type": "function", "function": {**lamp.schemas[0]["function"], "name": "reset"}}]
    with pytest.raises(ValueError, match="`reset` cannot be a TRL environment method"):
        environment_class(dataclasses.replace(lamp, schemas=schemas))


def test_solo_prompt_carries_request_known_values_and_consent(shop):
    task = _write_task(shop)
    text = solo_prompt(task)
    assert task.user["request"] in text and "consent" in text
    for value in task.user["known"].values():
        assert str(value) in text


def test_prompt_renders_the_compiled_schema_exactly(shop, tokenizer):
    env = environment_class(shop)()
    methods = [getattr(env, s["function"]["name"]) for s in shop.schemas]
    exact = exact_tool_schemas(tokenizer)
    text = exact.apply_chat_template([{"role": "user", "content": "hi"}], tools=methods, tokenize=False)
    for schema in shop.schemas:
        assert json.dumps(schema, ensure_ascii=False) in text or _tojson(schema) in text


def _tojson(obj) -> str:
    return json.dumps(obj, separators=(", ", ": "))


# ---- config
def test_grpo_phase_config_and_its_errors(tmp_path):
    good = parse_config("model: m\noutput_dir: o\nphases:\n  - name: rl\n    method: grpo\n    tasks: t.jsonl\n"
                        "    specs: [specs]\n    num_generations: 2\n    reward: partial\n    max_steps: 3\n")
    phase = good.phases[0]
    assert (phase.method, phase.tasks, phase.reward, phase.max_steps, phase.learning_rate) == \
        ("grpo", ("t.jsonl",), "partial", 3, 1e-6)
    for text, message in [
        ("    method: ppo\n", "phases[0].method: expected `sft` or `grpo`"),
        ("    method: grpo\n    traces: x.jsonl\n    tasks: t.jsonl\n", "a GRPO phase learns from `tasks:`"),
        ("    traces: x.jsonl\n    num_generations: 2\n", "only a `method: grpo` phase takes this"),
        ("    method: grpo\n    tasks: t.jsonl\n    reward: shaped\n", "expected `binary` or `partial`"),
        ("    method: grpo\n", "phases[0].tasks: missing required field"),
    ]:
        with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
            parse_config("model: m\noutput_dir: o\nphases:\n  - name: rl\n" + text)


def test_grpo_setup_errors_name_the_fix(tmp_path, lamp, shop):
    from ascc.trainer.grpo import GrpoSetupError, check_tasks

    config = parse_config("model: m\noutput_dir: o\nphases:\n  - name: rl\n    method: grpo\n    tasks: t.jsonl\n")
    phase = config.phases[0]
    task = _write_task(shop)
    with pytest.raises(GrpoSetupError, match="domain `shop`, which is not among the phase's specs \\(lamp\\)"):
        check_tasks(phase, [task], {"lamp": lamp})
    data = task.to_json()
    data.pop("gold_digest", None)
    bare = parse_task({**data, "gold_calls": []})
    with pytest.raises(GrpoSetupError, match="neither `gold_digest` nor `gold_calls`"):
        check_tasks(phase, [bare], {"shop": shop})


def test_template_without_tool_calls_is_refused(tokenizer_dir):
    from transformers import AutoTokenizer

    from ascc.trainer.grpo import GrpoSetupError, check_template, install_response_template

    plain = AutoTokenizer.from_pretrained(tokenizer_dir)
    plain.chat_template = "{% for m in messages %}{{ m.content }}{% endfor %}"
    install_response_template(plain)  # a template TRL does not know: nothing installed, no exception
    with pytest.raises(GrpoSetupError, match="no tool-call parser TRL knows"):
        check_template(plain)


# ---- a run
def _switch_on_task(domain, lamp_id: str):
    """A task whose gold is one write: switch on a lamp that is off."""
    from ascc.runtime.env import Environment
    from ascc.runtime.tasks import Task, ToolCall

    with Environment(domain) as env:
        before = env.digest()
        assert env.call("switch_on", {"lamp_id": lamp_id}).ok
        gold = env.digest()
    assert gold != before
    return Task(f"on-{lamp_id}", domain.name, "write", [ToolCall("switch_on", {"lamp_id": lamp_id})],
                gold_digest=gold, user={"request": f"Please switch on lamp {lamp_id}."})


def test_grpo_phase_runs_on_cpu_with_rewards_from_the_environments(tmp_path, tokenizer, tokenizer_dir, lamp,
                                                                   build):
    """Two steps, two domains, a tiny random model steered by generation settings into the gold call.

    A random model never writes a tool call, so the test steers generation with `sequence_bias` (a generation
    setting the phase passes to TRL): each next token of one tool call gets a bias that grows with the matched
    prefix. TRL parses the call, the environment runs it, and the reward comes from the final state.
    """
    from ascc.trainer.config import load_config
    from ascc.trainer.train import train

    other = tmp_path / "specs"
    other.mkdir()
    (other / "lamp2.env.yaml").write_text(LAMP.read_text().replace("domain: lamp", "domain: lamp2"))
    lamp2 = compile_and_load(other / "lamp2.env.yaml", build)
    write_tasks([_switch_on_task(lamp, "L2")], tmp_path / "lamp.jsonl")
    write_tasks([_switch_on_task(lamp2, "L2")], tmp_path / "lamp2.jsonl")
    call = '<tool_call>\n{"name": "switch_on", "arguments": {"lamp_id": "L2"}}\n</tool_call><|im_end|>'
    ids = tokenizer.encode(call, add_special_tokens=False)
    bias = [[ids[:k + 1], 100.0 * (k + 1)] for k in range(len(ids))]
    (tmp_path / "train.yaml").write_text(
        f"model: tiny:{tokenizer_dir}\noutput_dir: out\nbatch_size: 2\nmax_steps: 2\nphases:\n"
        f"  - name: rl\n    method: grpo\n    tasks: [lamp.jsonl, lamp2.jsonl]\n"
        f"    specs: [{LAMP}, specs]\n    num_generations: 2\n    max_completion_length: 48\n"
        f"    max_tool_calls: 1\n    generation_kwargs: {{sequence_bias: {json.dumps(bias)}}}\n")
    said = []
    outcomes = train(load_config(tmp_path / "train.yaml"), log=said.append)
    phase = outcomes[0]
    assert phase.status == "done" and phase.global_step == 2
    assert phase.data["domains"] == {"lamp": 1, "lamp2": 1}
    # every rollout called the tool, the runtime ran it, and the final state is the gold one
    assert phase.data["reward_per_step"] == [1.0, 1.0]
    # ... so both generations of each task were rewarded alike: no advantage, and the run says so
    assert phase.data["steps_without_signal"] == 2
    assert any(line.startswith("warning: phase rl: no learning signal in any of its 2 steps") for line in said)
    assert phase.last_loss is not None and math.isfinite(phase.last_loss)
    history = json.loads((tmp_path / "out" / "phases" / "rl" / "checkpoint-2" / "trainer_state.json").read_text())
    logged = {k: v for entry in history["log_history"] for k, v in entry.items()}
    assert logged["tools/call_frequency"] == 1.0 and logged["tools/failure_frequency"] == 0.0
    assert {"rewards/LampEnvironment/mean", "rewards/Lamp2Environment/mean"} <= set(logged)
    card = (tmp_path / "out" / "README.md").read_text()
    assert "(GRPO)" in card and "mean reward per step: 1, 1" in card
    assert "steps without a learning signal (all of a task's generations rewarded alike): 2 of 2" in card


def test_steps_without_signal_counts_the_steps_whose_groups_were_all_alike():
    """TRL logs `frac_reward_zero_std` per step (the share of groups whose rewards were all equal): a step counts
    when it is 1. Entries without a step or reward (the run's summary) do not count."""
    from ascc.trainer.grpo import steps_without_signal

    history = [{"step": 1, "reward": 0.0, "reward_std": 0.0, "frac_reward_zero_std": 1.0},
               {"step": 2, "reward": 0.5, "reward_std": 0.5, "frac_reward_zero_std": 0.5},
               {"step": 3, "reward": 1.0, "reward_std": 0.0, "frac_reward_zero_std": 1.0},
               {"step": 3, "train_runtime": 9.0}]
    assert steps_without_signal(history) == 2
    assert steps_without_signal(history[1:2]) == 0


def test_vllm_generation_on_cpu_is_refused_with_the_fix():
    from ascc.trainer.grpo import GrpoSetupError, run_grpo_phase
    from ascc.trainer.train import Hardware, PhaseOutcome

    config = parse_config("model: m\noutput_dir: o\nphases:\n  - name: rl\n    method: grpo\n    tasks: t.jsonl\n"
                          "    use_vllm: true\n")
    cpu = Hardware("cpu", False, None, False, False)
    with pytest.raises(GrpoSetupError, match="use_vllm needs a GPU and the vllm package"):
        run_grpo_phase(config, config.phases[0], "m", Path("unused"), cpu, print, PhaseOutcome)


def test_partial_reward_is_the_share_of_gold_writes_made_in_order(shop):
    def writes(t):
        return [c for c in t.gold_calls if shop.info.tools[c.tool].kind == "write"]
    task = next((t for t in _tasks(shop, 80) if t.kind == "write" and len(writes(t)) >= 2), None)
    if task is None:
        pytest.skip("no synthesized shop task with two writes")
    env = environment_class(shop, reward="partial")()
    env.reset(task=task.to_json())
    first_write = task.gold_calls.index(writes(task)[0])
    for call in task.gold_calls[:first_write + 1]:  # the lookups, then only the first write
        getattr(env, call.tool)(**call.arguments)
    assert env.get_reward() == round(0.9 * 1 / len(writes(task)), 4)
