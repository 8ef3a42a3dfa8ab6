"""The checks of notebook 04's exercises (helpers/course/checks/nb04_attention_trick.py): each
passes a right answer and fails a plausible wrong one with a useful message."""

import torch
from checks_support import crashed

from helpers.course import checks as C


def test_causal_average(capsys):
    def right(x):
        T = x.shape[1]
        wei = torch.tril(torch.ones(T, T))
        return (wei / wei.sum(1, keepdim=True)) @ x

    assert C.check_causal_average(right)
    assert not C.check_causal_average(lambda x: x.mean(1, keepdim=True).expand_as(x))
    out = capsys.readouterr().out
    assert "expected: each position averages only itself and the past" in out
    assert "the future leaks in" in out


def test_causal_average_crash_with_another_T(capsys):
    T = 6  # a notebook-wide T, used instead of x.shape[1]

    def global_T(x):
        wei = torch.tril(torch.ones(T, T))
        return (wei / wei.sum(1, keepdim=True)) @ x

    assert not C.check_causal_average(global_T)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "x of shape (1, 3, 2)" in out


def window_right(x, w):
    T = x.shape[1]
    ones = torch.ones(T, T)
    band = torch.tril(ones) * torch.triu(ones, diagonal=-(w - 1))
    return (band / band.sum(1, keepdim=True)) @ x


def test_window_average(capsys):
    assert C.check_window_average(window_right)
    # plausible mistake: triu's diagonal=-w, one position too many
    assert not C.check_window_average(lambda x, w: window_right(x, w + 1))
    out = capsys.readouterr().out
    assert "expected: each position averages 3 positions (itself and 2 before)" in out
    # plausible mistake: the window forgotten, the whole past averaged
    assert not C.check_window_average(lambda x, w: window_right(x, x.shape[1]))
    assert "expected: each position averages its last 3 positions" in capsys.readouterr().out


def test_window_average_crash_with_another_T(capsys):
    T = 8  # the notebook's T, used instead of x.shape[1]

    def global_T(x, w):
        ones = torch.ones(T, T)
        band = torch.tril(ones) * torch.triu(ones, diagonal=-(w - 1))
        return (band / band.sum(1, keepdim=True)) @ x

    assert global_T(torch.randn(2, 8, 3), 3).shape == (2, 8, 3)  # the first probe passes
    assert not C.check_window_average(global_T)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "x of shape (1, 5, 2), w=1" in out
