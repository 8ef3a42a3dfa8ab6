"""The full GPT (notebooks 08, 09): config, fused attention, causality, sampling, KV cache."""

import dataclasses

import pytest
import torch

from helpers import (
    GPTConfig,
    attend_with_cache,
    forward_with_cache,
    generate_with_cache,
    sample_next,
)

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


# --- GPTConfig ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"n_embd": 100, "n_head": 6}, "not divisible by n_head=6"),
        ({"n_layer": 0}, "n_layer must be a positive"),
        ({"context_length": -3}, "context_length must be a positive"),
        ({"vocab_size": 0}, "vocab_size must be a positive"),
        ({"n_embd": 64.0}, "n_embd must be a positive whole number"),
        ({"dropout": 1.0}, r"dropout is a probability in \[0, 1\)"),
        ({"dropout": -0.1}, r"dropout is a probability in \[0, 1\)"),
    ],
)
def test_config_refuses_impossible_values_with_a_clear_error(changes, message, tiny_gpt):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(tiny_gpt().config, **changes)


def test_config_suggests_a_head_count_that_divides_the_width():
    with pytest.raises(ValueError, match="Pick e.g. n_head=5"):
        GPTConfig(n_embd=100, n_head=6)


# --- fused attention --------------------------------------------------------------------------


def test_model_is_causal_the_future_does_not_change_the_past(tiny_gpt):
    model = tiny_gpt()
    idx = torch.randint(0, 11, (2, 8))
    changed = idx.clone()
    changed[:, 5:] = (changed[:, 5:] + 1) % 11
    logits, _ = model(idx)
    logits2, _ = model(changed)
    torch.testing.assert_close(logits[:, :5], logits2[:, :5])
    assert not torch.allclose(logits[:, 5:], logits2[:, 5:])


def test_model_refuses_input_longer_than_the_context(tiny_gpt):
    with pytest.raises(ValueError, match="learned only 8"):
        tiny_gpt()(torch.zeros((1, 9), dtype=torch.long))


def test_initial_loss_is_close_to_uniform_guessing(tiny_gpt):
    model = tiny_gpt()
    idx = torch.randint(0, 11, (4, 8))
    _, loss = model(idx, idx)
    assert abs(loss.item() - torch.log(torch.tensor(11.0)).item()) < 0.1


# --- sampling ---------------------------------------------------------------------------------


def test_temperature_zero_is_greedy_decoding(tiny_gpt):
    model = tiny_gpt()
    prompt = torch.tensor([[1, 2, 3]])
    torch.manual_seed(1)
    a = model.generate(prompt, 12, temperature=0)
    torch.manual_seed(2)
    b = model.generate(prompt, 12, temperature=0)
    assert torch.equal(a, b)  # no randomness left
    idx = prompt
    for _ in range(12):  # greedy by hand: always the argmax of the last position
        logits, _ = model(idx[:, -8:])
        idx = torch.cat((idx, logits[:, -1].argmax(-1, keepdim=True)), dim=1)
    assert torch.equal(a, idx)


def test_sample_next_top_k_larger_than_vocabulary_is_clamped():
    logits = torch.randn(4, 11)
    torch.manual_seed(0)
    clamped = sample_next(logits, top_k=1000)
    torch.manual_seed(0)
    unlimited = sample_next(logits, top_k=None)
    assert torch.equal(clamped, unlimited)


def test_sample_next_top_k_keeps_only_the_k_likeliest():
    logits = torch.arange(11.0).repeat(500, 1)  # id 10 likeliest, then 9, then 8
    torch.manual_seed(0)
    picks = sample_next(logits, temperature=5.0, top_k=3)
    assert set(picks.flatten().tolist()) == {8, 9, 10}
    assert torch.equal(sample_next(logits, top_k=1), torch.full((500, 1), 10))


def test_sample_next_refuses_bad_settings():
    with pytest.raises(ValueError, match="temperature"):
        sample_next(torch.zeros(1, 3), temperature=-1)
    with pytest.raises(ValueError, match="top_k"):
        sample_next(torch.zeros(1, 3), top_k=0)


def test_empty_prompt_starts_from_token_zero(tiny_gpt):
    model = tiny_gpt()
    out = model.generate(torch.zeros((2, 0), dtype=torch.long), 5)
    assert out.shape == (2, 6) and out[:, 0].tolist() == [0, 0]


def test_prompt_longer_than_the_context_is_cropped(tiny_gpt):
    model = tiny_gpt()
    long_prompt = torch.randint(0, 11, (1, 30))
    torch.manual_seed(3)
    out = model.generate(long_prompt, 4)
    torch.manual_seed(3)
    cropped = model.generate(long_prompt[:, -8:], 4)
    assert out.shape == (1, 34)
    assert torch.equal(out[:, 30:], cropped[:, 8:])


def test_generate_switches_off_dropout_and_restores_training_mode(tiny_gpt):
    model = tiny_gpt(dropout=0.5).train()
    torch.manual_seed(0)
    a = model.generate(torch.tensor([[1]]), 10, temperature=0)
    assert model.training
    b = model.eval().generate(torch.tensor([[1]]), 10, temperature=0)
    assert torch.equal(a, b)


# --- KV cache ---------------------------------------------------------------------------------


def test_kv_cache_gives_the_same_logits_as_the_full_forward_pass(tiny_gpt):
    model = tiny_gpt()
    idx = torch.randint(0, 11, (2, 8))
    full, _ = model(idx)
    first, cache = forward_with_cache(model, idx[:, :3], [])  # the prompt
    steps = []
    for t in range(3, 8):  # then one token at a time
        logits, cache = forward_with_cache(model, idx[:, t : t + 1], cache)
        steps.append(logits)
    assert len(cache) == 2 and cache[0][0].shape == (2, 2, 8, 8)  # (B, n_head, T, head_size)
    torch.testing.assert_close(torch.cat([first, *steps], dim=1), full, atol=1e-5, rtol=1e-4)


def test_kv_cache_can_extend_by_several_tokens_at_once(tiny_gpt):
    model = tiny_gpt()
    idx = torch.randint(0, 11, (1, 8))
    full, _ = model(idx)
    a, cache = forward_with_cache(model, idx[:, :2], [])
    b, cache = forward_with_cache(model, idx[:, 2:7], cache)  # five new tokens at once
    torch.testing.assert_close(torch.cat([a, b], dim=1), full[:, :7], atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError, match="start a new cache"):
        forward_with_cache(model, idx[:, :2], cache)  # 7 + 2 positions > the 8 learned


def test_attention_with_an_empty_cache_is_the_plain_attention(tiny_gpt):
    attn = tiny_gpt().blocks[0].sa
    x = torch.randn(2, 5, 16)
    out, (k, v) = attend_with_cache(attn, x)
    torch.testing.assert_close(out, attn(x), atol=1e-5, rtol=1e-4)
    assert k.shape == v.shape == (2, 2, 5, 8)


@pytest.mark.parametrize("prompt_len, new", [(1, 5), (3, 30), (8, 20), (13, 25)])
@pytest.mark.parametrize("top_k", [None, 3])
def test_kv_cache_samples_the_same_tokens_as_the_naive_loop_even_past_the_context(
    prompt_len, new, top_k, tiny_gpt
):
    model = tiny_gpt()
    prompt = torch.randint(
        0, 11, (2, prompt_len), generator=torch.Generator().manual_seed(prompt_len)
    )
    torch.manual_seed(7)
    naive = model.generate(prompt, new, temperature=0.9, top_k=top_k)
    torch.manual_seed(7)
    cached = generate_with_cache(model, prompt, new, temperature=0.9, top_k=top_k)
    assert cached.shape == (2, prompt_len + new)
    assert torch.equal(cached, naive)


def naive_with_refill(model, idx, new, refill, T=8):
    """A naive loop that conditions on exactly the windows a KV cache with `refill` uses."""
    start = max(0, idx.shape[1] - T)
    for _ in range(new):
        if idx.shape[1] - start > T:  # the cache would be full: keep the last `refill` tokens
            start = idx.shape[1] - refill
        logits, _ = model(idx[:, start:])
        idx = torch.cat((idx, sample_next(logits[:, -1], 1.0)), dim=1)
    return idx


@pytest.mark.parametrize("refill", [1, 4, 7])
def test_kv_cache_refills_correctly_past_the_context(refill, tiny_gpt):
    model = tiny_gpt()
    prompt = torch.randint(0, 11, (2, 5), generator=torch.Generator().manual_seed(1))
    torch.manual_seed(11)
    reference = naive_with_refill(model, prompt, 40, refill)
    torch.manual_seed(11)
    cached = generate_with_cache(model, prompt, 40, refill=refill)
    assert torch.equal(cached, reference)


def test_kv_cache_sampling_refuses_a_bad_refill_and_restores_training_mode(tiny_gpt):
    model = tiny_gpt().train()
    with pytest.raises(ValueError, match="refill must lie in 1..context_length=8"):
        generate_with_cache(model, torch.tensor([[1]]), 3, refill=9)
    out = generate_with_cache(model, torch.zeros((1, 0), dtype=torch.long), 4)
    assert out.shape == (1, 5) and out[0, 0] == 0 and model.training
