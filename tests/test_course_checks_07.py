"""The checks of notebook 07's exercises (helpers/course/checks/nb07_blocks.py): each passes a right
answer and fails a plausible wrong one with a useful message."""

from checks_support import MultiHeadOfUnslicedHeads, UnmaskedHead, crashed
from torch import nn

from helpers import Block
from helpers.course import checks as C


class PostLayerNormBlock(Block):
    def forward(self, x):
        x = self.ln1(x + self.sa(x))
        return self.ln2(x + self.ffwd(x))


class NoResidualBlock(Block):
    def forward(self, x):
        return self.ffwd(self.ln2(self.sa(self.ln1(x))))


def test_block(capsys):
    assert C.check_block(Block)
    assert not C.check_block(NoResidualBlock)
    out = capsys.readouterr().out
    assert "expected: x = x + self.sa(self.ln1(x)); x = x + self.ffwd(self.ln2(x))" in out
    assert "no residual connections" in out
    assert not C.check_block(PostLayerNormBlock)
    out = capsys.readouterr().out
    assert "expected: LayerNorm before each sub-layer (pre-LN)" in out and "post-LN" in out


class BlockOfUnslicedHeads(Block):
    def __init__(self, n_embd, n_head, context_length):
        super().__init__(n_embd, n_head, context_length)
        self.sa = MultiHeadOfUnslicedHeads(n_embd, n_head, n_embd // n_head, context_length)


def test_block_crash_on_an_input_shorter_than_context_length(capsys):
    assert not C.check_block(BlockOfUnslicedHeads)
    assert crashed(capsys.readouterr().out, "RuntimeError")


class PostLNBlock(Block):
    def forward(self, x):
        x = self.ln1(x + self.sa(x))
        return self.ln2(x + self.ffwd(x))


def test_post_ln_block(capsys):
    assert C.check_post_ln_block(PostLNBlock)
    # plausible mistake: Block itself, LayerNorm still before each sub-layer
    assert not C.check_post_ln_block(Block)
    out = capsys.readouterr().out
    assert "expected: LayerNorm after each residual sum (post-LN)" in out
    assert "that is Block itself" in out

    class NoResidual(Block):
        def forward(self, x):
            return self.ln2(self.ffwd(self.ln1(self.sa(x))))

    assert not C.check_post_ln_block(NoResidual)
    out = capsys.readouterr().out
    assert "expected: x + sa(x) inside ln1" in out and "no residual connections" in out

    class Unmasked(PostLNBlock):  # heads that forget the mask
        def __init__(self, n_embd, n_head, context_length):
            super().__init__(n_embd, n_head, context_length)
            head_size = n_embd // n_head
            self.sa.heads = nn.ModuleList(
                UnmaskedHead(n_embd, head_size, context_length) for _ in range(n_head)
            )

    assert not C.check_post_ln_block(Unmasked)
    assert "expected: earlier positions unaffected" in capsys.readouterr().out


def test_post_ln_block_crash_on_an_input_shorter_than_context_length(capsys):
    class PostLNOfUnslicedHeads(BlockOfUnslicedHeads):
        forward = PostLNBlock.forward

    assert not C.check_post_ln_block(PostLNOfUnslicedHeads)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "(2, 5, 16)" in out
