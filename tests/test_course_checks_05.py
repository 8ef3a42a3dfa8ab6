"""The checks of notebook 05's exercises (helpers/course/checks/nb05_one_head.py): each passes a
right answer and fails a plausible wrong one with a useful message."""

import torch
from checks_support import UnmaskedHead, UnslicedMaskHead, crashed
from torch import nn
from torch.nn import functional as F

from helpers import Head
from helpers.course import checks as C


class UnscaledHead(Head):
    def forward(self, x):
        T = x.shape[1]
        wei = self.query(x) @ self.key(x).transpose(-2, -1)
        return F.softmax(wei.masked_fill(self.tril[:T, :T] == 0, float("-inf")), -1) @ self.value(x)


def test_head(capsys):
    assert C.check_head(Head)
    assert not C.check_head(UnscaledHead)
    out = capsys.readouterr().out
    assert "expected: scores scaled by head_size ** -0.5" in out and "unscaled scores" in out
    assert not C.check_head(UnmaskedHead)
    out = capsys.readouterr().out
    assert "expected: earlier positions unaffected by a change to the last one" in out
    assert "the future leaks in" in out


def test_head_crash_on_an_input_shorter_than_context_length(capsys):
    assert UnslicedMaskHead(16, 8, 8)(torch.randn(2, 8, 16)).shape == (2, 8, 8)  # T=8 works
    assert not C.check_head(UnslicedMaskHead)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "(2, 5, 16)" in out and "tril[:T, :T]" in out


class BiasedHead(Head):  # nn.Linear's default bias=True
    def __init__(self, n_embd, head_size, context_length):
        super().__init__(n_embd, head_size, context_length)
        self.key = nn.Linear(n_embd, head_size)
        self.query = nn.Linear(n_embd, head_size)
        self.value = nn.Linear(n_embd, head_size)


class NEmbdScaledHead(Head):  # the video's C ** -0.5, with C = n_embd
    def forward(self, x):
        B, T, C = x.shape
        wei = self.query(x) @ self.key(x).transpose(-2, -1) * C**-0.5
        return F.softmax(wei.masked_fill(self.tril[:T, :T] == 0, float("-inf")), -1) @ self.value(x)


def test_head_names_the_n_embd_scale_and_the_bias(capsys):
    assert not C.check_head(NEmbdScaledHead)
    out = capsys.readouterr().out
    assert "expected: scores scaled by head_size ** -0.5" in out
    assert "scores scaled by C ** -0.5 (n_embd, as shown in the video" in out
    assert not C.check_head(BiasedHead)
    out = capsys.readouterr().out
    assert "key, query and value without bias (bias=False)" in out
    assert "a bias in key, query, value" in out


def window_weights_right(head, x, window):
    T = x.shape[1]
    q, k = head.query(x), head.key(x)
    wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
    t = torch.arange(T)
    allowed = (t[None, :] <= t[:, None]) & (t[None, :] > t[:, None] - window)
    return F.softmax(wei.masked_fill(~allowed, float("-inf")), dim=-1)


def test_window_attention_weights(capsys):
    from helpers import attention_weights

    assert C.check_window_attention_weights(window_weights_right)
    # plausible mistake: the plain causal weights of notebook 05
    assert not C.check_window_attention_weights(lambda head, x, w: attention_weights(head, x))
    out = capsys.readouterr().out
    assert "expected: position t reads only its last 3 positions" in out and "whole past" in out
    # plausible mistake: the band one position too wide
    assert not C.check_window_attention_weights(lambda h, x, w: window_weights_right(h, x, w + 1))
    assert "expected: 3 positions per row (itself and 2 before)" in capsys.readouterr().out

    def masked_after_softmax(head, x, window):  # zeros after the softmax: rows no longer sum to 1
        w = attention_weights(head, x)
        T = x.shape[1]
        return w * torch.triu(torch.ones(T, T), diagonal=-(window - 1))

    assert not C.check_window_attention_weights(masked_after_softmax)
    assert "expected: each row of weights sums to 1 (mask with -inf before the softmax)" in (
        capsys.readouterr().out
    )


def test_window_attention_weights_crash_on_an_input_shorter_than_context_length(capsys):
    def unsliced(head, x, window):  # the band built at the head's context_length, not T
        n = head.tril.shape[0]
        band = head.tril * torch.triu(torch.ones(n, n), diagonal=-(window - 1))
        q, k = head.query(x), head.key(x)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
        return F.softmax(wei.masked_fill(band == 0, float("-inf")), dim=-1)

    assert not C.check_window_attention_weights(unsliced)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "x of shape (1, 5, 16), window=2" in out
