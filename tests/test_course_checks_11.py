"""The checks of notebook 11's exercises (helpers/course/checks/nb11_modern_gpt.py): each passes a
right answer and fails a plausible wrong one with a useful message."""

import torch
from checks_support import crashed

from helpers.course import checks as C


def swiglu_width_right(n_embd, multiple_of):
    hidden = int(8 * n_embd / 3)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


def test_swiglu_width(capsys):
    assert C.check_swiglu_width(swiglu_width_right)
    assert swiglu_width_right(4096, 256) == 11008  # LLaMA 7B's published width
    # plausible mistake: rounded down to the multiple
    assert not C.check_swiglu_width(lambda n, m: m * (int(8 * n / 3) // m))
    out = capsys.readouterr().out
    assert "expected: 11008 for n_embd=4096, multiple_of=256" in out and "rounded down" in out
    # plausible mistake: the ReLU MLP's width
    assert not C.check_swiglu_width(lambda n, m: 4 * n)
    assert "4 n_embd is the ReLU MLP's width" in capsys.readouterr().out
    # plausible mistake: the multiple forgotten (right for multiple_of=1 only)
    assert not C.check_swiglu_width(lambda n, m: int(8 * n / 3))
    out = capsys.readouterr().out
    assert "not rounded to a multiple" in out and "multiple_of=1" not in out


def test_swiglu_width_crash_on_a_multiple_of_one(capsys):
    def by_log(n_embd, multiple_of):  # fine for powers of two, log(1) = 0 divides by zero
        import math

        step = 2 ** round(math.log2(multiple_of) / math.log2(multiple_of))
        return swiglu_width_right(n_embd, multiple_of) * step // step

    assert not C.check_swiglu_width(by_log)
    assert crashed(capsys.readouterr().out, "ZeroDivisionError")


def rope_interleaved_right(x, cos, sin):
    T = x.shape[-2]
    even, odd = x[..., 0::2], x[..., 1::2]
    c, s = cos[:T], sin[:T]
    return torch.stack((even * c - odd * s, even * s + odd * c), dim=-1).flatten(-2)


def test_rope_interleaved(capsys):
    from helpers import apply_rope

    assert C.check_rope_interleaved(rope_interleaved_right)
    # plausible mistake: the half-split layout of apply_rope
    assert not C.check_rope_interleaved(apply_rope)
    assert "that is apply_rope's layout" in capsys.readouterr().out
    # plausible mistake: turned the wrong way
    assert not C.check_rope_interleaved(lambda x, c, s: rope_interleaved_right(x, c, -s))
    assert "the sines have the wrong sign" in capsys.readouterr().out

    def not_put_back(x, cos, sin):
        T = x.shape[-2]
        even, odd = x[..., 0::2], x[..., 1::2]
        c, s = cos[:T], sin[:T]
        return torch.cat((even * c - odd * s, even * s + odd * c), dim=-1)

    assert not C.check_rope_interleaved(not_put_back)
    assert "not put back" in capsys.readouterr().out


def test_rope_interleaved_crash_when_the_tables_are_longer_than_x(capsys):
    def unsliced(x, cos, sin):  # right when x has as many positions as the tables
        even, odd = x[..., 0::2], x[..., 1::2]
        return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)

    assert not C.check_rope_interleaved(unsliced)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "(1, 1, 5, 8)" in out
