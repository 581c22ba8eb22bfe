"""Batched generation for the `hf:` agent: turns of concurrent conversations generated as one left-padded batch
give the same greedy outputs as one at a time, and concurrent callers really share batches."""

from __future__ import annotations

import asyncio
import os

import pytest

pytest.importorskip("transformers")

from ascc.sim.backends.hf_agent import BatchedGenerator, Generation, _Request, load_for_generation  # noqa: E402

GREEDY = Generation(max_new_tokens=12, threads=1, device="cpu")


@pytest.fixture(scope="module")
def loaded():
    # ASCC_TEST_TOKENIZER: a saved SmolLM2 tokenizer where the GGUF package is not installed (the GPU smoke script)
    return load_for_generation(f"tiny:{os.environ.get('ASCC_TEST_TOKENIZER') or 'smollm2'}", GREEDY)


def _prompts(tokenizer) -> list[list[int]]:
    questions = ["Switch on lamp L2.", "Which lamps are on?", "Hi", "Please turn off every lamp in the kitchen now."]
    return [tokenizer.apply_chat_template([{"role": "user", "content": q}], add_generation_prompt=True,
                                          return_dict=True)["input_ids"] for q in questions]


def test_batched_greedy_generation_equals_one_at_a_time(loaded):
    model, tokenizer = loaded
    generator = BatchedGenerator(model, tokenizer)
    prompts = _prompts(tokenizer)
    assert len({len(p) for p in prompts}) == len(prompts)  # different lengths: the batch is really padded
    alone = [generator.run([_Request(p, GREEDY)])[0] for p in prompts]
    together = generator.run([_Request(p, GREEDY) for p in prompts])
    assert together == alone
    assert generator.batch_sizes == [1, 1, 1, 1, 4]
    assert all(0 < len(tokens) <= GREEDY.max_new_tokens for tokens in alone)


def test_concurrent_callers_share_batches_and_get_their_own_tokens(loaded):
    model, tokenizer = loaded
    generator = BatchedGenerator(model, tokenizer)
    prompts = _prompts(tokenizer) * 2
    alone = [generator.run([_Request(p, GREEDY)])[0] for p in prompts]
    generator.batch_sizes.clear()

    async def all_at_once():
        return await asyncio.gather(*(asyncio.to_thread(generator.generate, p, GREEDY) for p in prompts))

    assert asyncio.run(all_at_once()) == alone
    assert sum(generator.batch_sizes) == len(prompts) and max(generator.batch_sizes) > 1
