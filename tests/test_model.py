"""The full GPT of notebook 08: config checks, fused attention, causality, sampling, KV cache."""

import dataclasses

import pytest
import torch

from helpers.attention import MultiHeadAttention
from helpers.model import GPT, CausalSelfAttention, GPTConfig, copy_heads, sample_next
from helpers.trainer import preset

TINY = GPTConfig(vocab_size=11, context_length=8, n_embd=16, n_head=2, n_layer=2, dropout=0.0)


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def tiny_model(seed=0, **changes):
    torch.manual_seed(seed)
    return GPT(dataclasses.replace(TINY, **changes)).eval()


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
def test_config_refuses_impossible_values_with_a_clear_error(changes, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(TINY, **changes)


def test_config_suggests_a_head_count_that_divides_the_width():
    with pytest.raises(ValueError, match="Pick e.g. n_head=5"):
        GPTConfig(n_embd=100, n_head=6)


def test_gpu_preset_is_the_lectures_model_with_its_parameter_count():
    config, train = preset("gpu", vocab_size=65)
    assert (config.n_layer, config.n_head, config.n_embd, config.context_length) == (6, 6, 384, 256)
    assert config.dropout == 0.2 and train.batch_size == 64 and train.learning_rate == 3e-4
    assert train.max_iters == 5000
    model = GPT(config)
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == 10_788_929  # the lecture's gpt.py prints 10.788929 M parameters


def test_unknown_preset_is_a_clear_error():
    with pytest.raises(ValueError, match="choose one of"):
        preset("tpu", vocab_size=65)


# --- fused attention --------------------------------------------------------------------------


@pytest.mark.parametrize("T", [1, 5, 16])
def test_fused_attention_equals_multi_head_attention_with_copied_weights(T):
    torch.manual_seed(0)
    mha = MultiHeadAttention(n_embd=32, num_heads=4, head_size=8, context_length=16)
    fused = copy_heads(mha, CausalSelfAttention(32, 4, context_length=16))
    x = torch.randn(3, T, 32)
    torch.testing.assert_close(fused(x), mha(x), atol=1e-5, rtol=1e-4)
    # gradients flow the same way too
    fused(x).square().sum().backward()
    mha(x).square().sum().backward()
    torch.testing.assert_close(fused.proj.weight.grad, mha.proj.weight.grad, atol=1e-4, rtol=1e-4)


def test_fused_attention_differs_from_multi_head_attention_without_copying():
    torch.manual_seed(0)
    mha = MultiHeadAttention(32, 4, 8, 16)
    fused = CausalSelfAttention(32, 4, 16)
    x = torch.randn(2, 6, 32)
    assert not torch.allclose(fused(x), mha(x), atol=1e-3)  # the equality above is not a fluke


def test_copy_heads_refuses_mismatched_shapes():
    mha = MultiHeadAttention(32, 4, 8, 16)
    with pytest.raises(ValueError, match="Shapes differ"):
        copy_heads(mha, CausalSelfAttention(32, 2, 16))


def test_model_is_causal_the_future_does_not_change_the_past():
    model = tiny_model()
    idx = torch.randint(0, 11, (2, 8))
    changed = idx.clone()
    changed[:, 5:] = (changed[:, 5:] + 1) % 11
    logits, _ = model(idx)
    logits2, _ = model(changed)
    torch.testing.assert_close(logits[:, :5], logits2[:, :5])
    assert not torch.allclose(logits[:, 5:], logits2[:, 5:])


def test_model_refuses_input_longer_than_the_context():
    with pytest.raises(ValueError, match="learned only 8 positions"):
        tiny_model()(torch.zeros((1, 9), dtype=torch.long))


def test_initial_loss_is_close_to_uniform_guessing():
    model = tiny_model()
    idx = torch.randint(0, 11, (4, 8))
    _, loss = model(idx, idx)
    assert abs(loss.item() - torch.log(torch.tensor(11.0)).item()) < 0.1


# --- sampling ---------------------------------------------------------------------------------


def test_temperature_zero_is_greedy_decoding():
    model = tiny_model()
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


def test_empty_prompt_starts_from_token_zero():
    model = tiny_model()
    out = model.generate(torch.zeros((2, 0), dtype=torch.long), 5)
    assert out.shape == (2, 6) and out[:, 0].tolist() == [0, 0]


def test_prompt_longer_than_the_context_is_cropped():
    model = tiny_model()
    long_prompt = torch.randint(0, 11, (1, 30))
    torch.manual_seed(3)
    out = model.generate(long_prompt, 4)
    torch.manual_seed(3)
    cropped = model.generate(long_prompt[:, -8:], 4)
    assert out.shape == (1, 34)
    assert torch.equal(out[:, 30:], cropped[:, 8:])


def test_generate_switches_off_dropout_and_restores_training_mode():
    model = tiny_model(dropout=0.5).train()
    torch.manual_seed(0)
    a = model.generate(torch.tensor([[1]]), 10, temperature=0)
    assert model.training
    b = model.eval().generate(torch.tensor([[1]]), 10, temperature=0)
    assert torch.equal(a, b)


# --- KV cache ---------------------------------------------------------------------------------


def test_kv_cache_gives_the_same_logits_as_the_full_forward_pass():
    model = tiny_model()
    idx = torch.randint(0, 11, (2, 8))
    full, _ = model(idx)
    model.set_kv_cache(True)
    try:
        first, _ = model(idx[:, :3])  # prefill
        steps = [model(idx[:, t : t + 1])[0] for t in range(3, 8)]  # one token at a time
        assert model.cached_length() == 8
    finally:
        model.set_kv_cache(False)
    torch.testing.assert_close(torch.cat([first, *steps], dim=1), full, atol=1e-5, rtol=1e-4)


def test_kv_cache_can_extend_by_several_tokens_at_once():
    model = tiny_model()
    idx = torch.randint(0, 11, (1, 8))
    full, _ = model(idx)
    model.set_kv_cache(True)
    try:
        a, _ = model(idx[:, :2])
        b, _ = model(idx[:, 2:7])  # five new tokens attend to the cache and causally to each other
    finally:
        model.set_kv_cache(False)
    torch.testing.assert_close(torch.cat([a, b], dim=1), full[:, :7], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("prompt_len, new", [(1, 5), (3, 30), (8, 20), (13, 25)])
@pytest.mark.parametrize("top_k", [None, 3])
def test_kv_cache_samples_the_same_tokens_as_the_naive_loop_even_past_the_context(
    prompt_len, new, top_k
):
    model = tiny_model()
    prompt = torch.randint(
        0, 11, (2, prompt_len), generator=torch.Generator().manual_seed(prompt_len)
    )
    torch.manual_seed(7)
    naive = model.generate(prompt, new, temperature=0.9, top_k=top_k)
    torch.manual_seed(7)
    cached = model.generate(prompt, new, temperature=0.9, top_k=top_k, use_kv_cache=True)
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
def test_kv_cache_refills_correctly_past_the_context(refill):
    model = tiny_model()
    prompt = torch.randint(0, 11, (2, 5), generator=torch.Generator().manual_seed(1))
    torch.manual_seed(11)
    reference = naive_with_refill(model, prompt, 40, refill)
    torch.manual_seed(11)
    cached = model.generate(prompt, 40, use_kv_cache=True, refill=refill)
    assert torch.equal(cached, reference)


def test_kv_cache_is_switched_off_after_sampling():
    model = tiny_model()
    model.generate(torch.tensor([[1, 2]]), 20, use_kv_cache=True)
    assert all(block.sa.cache is None for block in model.blocks)
    with pytest.raises(ValueError, match="refill"):
        model.generate(torch.tensor([[1]]), 3, use_kv_cache=True, refill=9)
