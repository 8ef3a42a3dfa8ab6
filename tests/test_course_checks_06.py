"""The checks of notebook 06's exercises (helpers/course/checks/nb06_many_heads.py): each passes a
right answer and fails a plausible wrong one with a useful message."""

import torch
from checks_support import MultiHeadOfUnslicedHeads, crashed

from helpers import Block, MultiHeadAttention
from helpers.course import checks as C


class NoProjection(MultiHeadAttention):
    def forward(self, x):
        return torch.cat([h(x) for h in self.heads], dim=-1)


def test_multi_head(capsys):
    assert C.check_multi_head(MultiHeadAttention)
    assert not C.check_multi_head(NoProjection)  # forgot the projection: same shape, other output
    out = capsys.readouterr().out
    assert "expected: the same output as helpers.MultiHeadAttention with the same weights" in out
    assert "a different output" in out

    class HeadsAveraged(MultiHeadAttention):  # averages heads instead of concatenating them
        def forward(self, x):
            return self.proj(torch.stack([h(x) for h in self.heads]).mean(0).repeat(1, 1, 4))

    assert not C.check_multi_head(HeadsAveraged)
    assert "a different output" in capsys.readouterr().out


def test_multi_head_crash_on_an_input_shorter_than_context_length(capsys):
    assert not C.check_multi_head(MultiHeadOfUnslicedHeads)
    assert crashed(capsys.readouterr().out, "RuntimeError")


def mha_count_right(n_embd, num_heads, head_size):
    return num_heads * 3 * n_embd * head_size + num_heads * head_size * n_embd + n_embd


def test_mha_param_count(capsys):
    assert C.check_mha_param_count(mha_count_right)
    # plausible mistake: proj's bias forgotten
    assert not C.check_mha_param_count(lambda c, h, s: mha_count_right(c, h, s) - c)
    out = capsys.readouterr().out
    assert "expected: 4,128 for n_embd=32, num_heads=4, head_size=8" in out
    assert "the n_embd biases of proj are missing" in out
    # plausible mistake: proj taken as n_embd x n_embd (right only when the heads fill n_embd)
    assert not C.check_mha_param_count(lambda c, h, s: 3 * h * s * c + c * c + c)
    out = capsys.readouterr().out
    assert "expected: 784 for n_embd=16, num_heads=3, head_size=4" in out
    assert "proj maps num_heads * head_size channels" in out
    assert "n_embd=32, num_heads=4" not in out  # the probes it gets right are not listed


def test_mha_param_count_crash_when_the_heads_do_not_fill_n_embd(capsys):
    def by_building_a_block(n_embd, num_heads, head_size):  # Block needs n_embd % n_head == 0
        return sum(p.numel() for p in Block(n_embd, num_heads, 8).sa.parameters())

    assert by_building_a_block(32, 4, 8) == mha_count_right(32, 4, 8)  # the first probes pass
    assert not C.check_mha_param_count(by_building_a_block)
    out = capsys.readouterr().out
    assert crashed(out, "ValueError") and "n_embd=16, num_heads=3, head_size=4" in out
