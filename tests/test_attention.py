"""Unit tests of self-attention and the Transformer block (helpers/attention.py, helpers/blocks.py).

Taught in notebooks 05 (Head), 06 (MultiHeadAttention) and 07 (FeedForward, Block). Small
configurations, exact expectations where the maths gives them.
"""

import pytest
import torch

from helpers import (
    Block,
    CausalSelfAttention,
    FeedForward,
    Head,
    MultiHeadAttention,
    attention_weights,
    copy_heads,
)

N_EMBD, N_HEAD, CONTEXT = 32, 4, 8
HEAD_SIZE = N_EMBD // N_HEAD


def make(kind):
    """A freshly seeded module of each kind, in eval mode (dropout off)."""
    torch.manual_seed(1337)
    module = {
        "Head": lambda: Head(N_EMBD, HEAD_SIZE, CONTEXT),
        "MultiHeadAttention": lambda: MultiHeadAttention(N_EMBD, N_HEAD, HEAD_SIZE, CONTEXT),
        "Block": lambda: Block(N_EMBD, N_HEAD, CONTEXT),
    }[kind]()
    return module.eval()


KINDS = ["Head", "MultiHeadAttention", "Block"]


# ---- bad input: clear errors -------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_sequence_longer_than_the_context_is_a_clear_error(kind):
    module = make(kind)
    too_long = torch.randn(2, CONTEXT + 3, N_EMBD)
    with pytest.raises(ValueError) as info:
        module(too_long)
    message = str(info.value)
    assert f"{CONTEXT + 3} positions" in message
    assert f"context_length={CONTEXT}" in message
    assert f"last {CONTEXT} tokens" in message


@pytest.mark.parametrize(
    "build",
    [
        lambda: Head(N_EMBD, 0, CONTEXT),
        lambda: Head(N_EMBD, HEAD_SIZE, -1),
        lambda: MultiHeadAttention(N_EMBD, 0, HEAD_SIZE, CONTEXT),
        lambda: Block(N_EMBD, 0, CONTEXT),
        lambda: Block(0, N_HEAD, CONTEXT),
    ],
    ids=["head_size=0", "context=-1", "num_heads=0", "n_head=0", "n_embd=0"],
)
def test_non_positive_sizes_are_a_clear_error(build):
    with pytest.raises(ValueError, match="must be positive"):
        build()


# ---- shapes and sizes --------------------------------------------------------------------


@pytest.mark.parametrize("T", [1, 5, CONTEXT])
@pytest.mark.parametrize(
    "kind,channels", [("Head", HEAD_SIZE), ("MultiHeadAttention", N_EMBD), ("Block", N_EMBD)]
)
def test_output_shapes(kind, channels, T):
    out = make(kind)(torch.randn(3, T, N_EMBD))
    assert out.shape == (3, T, channels)


def test_parameter_counts():
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    # key, query, value: three bias-free (32 x 8) matrices; the tril mask is a buffer, not a parameter
    assert count(make("Head")) == 3 * N_EMBD * HEAD_SIZE == 768
    # four heads of 8 have exactly as many key/query/value weights as one head of 32, plus a projection
    assert (
        count(make("MultiHeadAttention")) == 3 * N_EMBD * N_EMBD + N_EMBD * N_EMBD + N_EMBD == 4128
    )
    # feed-forward: 32 -> 128 -> 32 with biases
    assert count(FeedForward(N_EMBD)) == (N_EMBD * 128 + 128) + (128 * N_EMBD + N_EMBD) == 8352
    # attention + feed-forward + two LayerNorms (a weight and a bias each)
    assert count(make("Block")) == 4128 + 8352 + 2 * 2 * N_EMBD == 12608


# ---- causality: the future never leaks into the past ---------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("changed_from", [1, 4, CONTEXT - 1])
def test_changing_a_future_position_leaves_earlier_outputs_unchanged(kind, changed_from):
    module = make(kind)
    torch.manual_seed(0)
    x = torch.randn(2, CONTEXT, N_EMBD)
    x_changed = x.clone()
    x_changed[:, changed_from:] = torch.randn(2, CONTEXT - changed_from, N_EMBD)
    out, out_changed = module(x), module(x_changed)
    # the masked weights are exactly 0, so the earlier outputs are bit-for-bit the same
    assert torch.equal(out[:, :changed_from], out_changed[:, :changed_from])
    # and the test is not vacuous: the changed positions do see their new input
    assert not torch.allclose(out[:, changed_from:], out_changed[:, changed_from:])


@pytest.mark.parametrize("kind", KINDS)
def test_a_shorter_sequence_gives_the_same_outputs_as_its_prefix(kind):
    module = make(kind)
    torch.manual_seed(0)
    x = torch.randn(2, CONTEXT, N_EMBD)
    torch.testing.assert_close(module(x[:, :5]), module(x)[:, :5])


def test_attention_weights_are_a_causal_average():
    head = make("Head")
    torch.manual_seed(0)
    wei = attention_weights(head, torch.randn(2, CONTEXT, N_EMBD))
    assert wei.shape == (2, CONTEXT, CONTEXT)
    future = torch.triu(torch.ones(CONTEXT, CONTEXT, dtype=torch.bool), diagonal=1)
    assert torch.all(wei[:, future] == 0), "no position may read from the future"
    torch.testing.assert_close(wei.sum(-1), torch.ones(2, CONTEXT))
    assert torch.all(wei[:, 0, 0] == 1), "the first position can only read itself"


def test_attention_weights_are_the_ones_head_uses():
    head = make("Head")
    torch.manual_seed(0)
    x = torch.randn(2, CONTEXT, N_EMBD)
    torch.testing.assert_close(attention_weights(head, x) @ head.value(x), head(x))


def lecture_head_class():
    """The first `Head` of notebook 05, the lecture's size (the course's version follows it)."""
    import nbformat
    import torch.nn as nn
    from torch.nn import functional as F

    from helpers.course.settings import NOTEBOOKS

    nb = nbformat.read(NOTEBOOKS / "05_one_head.ipynb", as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code" and "class Head(" in c.source]
    assert len(cells) == 2, "notebook 05 shows Head twice: the lecture's, then the course's"
    namespace = {"torch": torch, "nn": nn, "F": F}
    exec(cells[0], namespace)
    return namespace["Head"]


def test_notebook_05s_lecture_head_computes_what_the_course_head_computes():
    # notebook 05 trains with the lecture's Head and says the course's version, which later
    # notebooks import, computes the same numbers from the same seed
    LectureHead = lecture_head_class()
    assert "dropout" not in LectureHead.__init__.__code__.co_varnames
    torch.manual_seed(1337)
    lecture = LectureHead(N_EMBD, HEAD_SIZE, CONTEXT)
    course = make("Head")  # seeded with 1337 too
    x = torch.randn(2, CONTEXT, N_EMBD)
    torch.testing.assert_close(lecture(x), course(x), rtol=0, atol=0)
    torch.testing.assert_close(attention_weights(lecture, x) @ lecture.value(x), lecture(x))


def test_dropout_acts_on_the_weights_in_training_only():
    torch.manual_seed(0)
    head = Head(N_EMBD, HEAD_SIZE, CONTEXT, dropout=0.5)
    x = torch.randn(2, CONTEXT, N_EMBD)
    assert not torch.allclose(head.train()(x), head.eval()(x))
    torch.testing.assert_close(head.eval()(x), attention_weights(head, x) @ head.value(x))


# ---- scaling by 1/sqrt(head_size) ----------------------------------------------------------


def unit_variance_head(head_size, context_length):
    """A Head whose queries and keys are two independent halves of its input, unchanged."""
    head = Head(2 * head_size, head_size, context_length).eval()
    eye, zero = torch.eye(head_size), torch.zeros(head_size, head_size)
    with torch.no_grad():
        head.query.weight.copy_(torch.cat([eye, zero], dim=1))  # q = first half of x
        head.key.weight.copy_(torch.cat([zero, eye], dim=1))  # k = second half of x
    return head


@pytest.mark.parametrize("head_size", [4, 16, 64, 256])
def test_scaling_keeps_the_score_variance_near_one(head_size):
    # with unit-variance q and k, q.k sums head_size products of variance 1: its variance is
    # head_size. Dividing by sqrt(head_size) brings it back to 1, whatever the head size.
    T = 128
    head = unit_variance_head(head_size, T)
    g = torch.Generator().manual_seed(1337)
    x = torch.randn(512, T, 2 * head_size, generator=g)
    # the last position reads all T positions: log(softmax(scores)) = scores - a constant per
    # row, so the spread of its log-weights is the spread of its scores
    wei = attention_weights(head, x)
    # these are the weights Head itself uses (so this measures Head's scaling, not a copy of it)
    torch.testing.assert_close(wei @ head.value(x), head(x))
    log_wei = wei[:, -1, :].log()
    score_variance = log_wei.var(dim=-1).mean().item()
    assert 0.85 < score_variance < 1.15, (
        f"head_size={head_size}: score variance {score_variance:.3f}, expected about 1 "
        f"(without the scaling it would be about {head_size})"
    )


# ---- fused attention: all heads at once (notebook 08) ---------------------------------------


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
