"""Checks notebook 07's exercises (notebooks/07_blocks.ipynb), in its order:
Block, PostLNBlock."""

import torch

from .core import _build_and_call, _call, _causality_problem, _checker, _same


def _post_ln(block, x):
    x = block.ln1(x + block.sa(x))
    return block.ln2(x + block.ffwd(x))


def _block_with_blocks_weights(MyBlock):
    """The learner's block for (n_embd 16, 4 heads, context 8), holding the weights of a
    helpers.Block of that shape, and checked for causality: (mine, reference, x, problems)."""
    from helpers import Block

    mine, x, problems = _build_and_call(MyBlock, (16, 4, 8), 16, "the shape of the input")
    if problems:
        return mine, None, x, problems
    reference = Block(16, 4, 8)
    try:
        mine.load_state_dict(reference.state_dict())
    except RuntimeError as error:
        first_line = str(error).splitlines()[0]
        problems.append(("parameters named like Block's: sa, ffwd, ln1, ln2", first_line))
    causal = _causality_problem(mine, x)
    if causal:
        problems.append(causal)
    return mine, reference, x, problems


@_checker(
    "Block", hint="pre-LN: normalise the input of each sub-layer, add the sub-layer's output to x"
)
def check_block(MyBlock):
    """Exercise of notebook 07: a pre-LayerNorm Block(n_embd, n_head, context_length) with residuals."""
    mine, reference, x, problems = _block_with_blocks_weights(MyBlock)
    if problems:
        return problems
    with torch.no_grad():
        got, expected = _call("an input of shape (2, 8, 16)", mine, x), reference(x)
        post_ln = _post_ln(reference, x)
        no_residual = reference.ffwd(reference.ln2(reference.sa(reference.ln1(x))))
    if _same(got, no_residual):
        problems.append(
            (
                "x = x + self.sa(self.ln1(x)); x = x + self.ffwd(self.ln2(x))",
                "no residual connections",
            )
        )
    elif _same(got, post_ln):
        problems.append(
            (
                "LayerNorm before each sub-layer (pre-LN)",
                "LayerNorm after the residual sum (post-LN, as in the 2017 paper)",
            )
        )
    elif not _same(got, expected):
        problems.append(
            ("the same output as helpers.Block with the same weights", "a different output")
        )
    return problems


@_checker(
    "PostLNBlock",
    hint="subclass Block and write only forward: x = self.ln1(x + self.sa(x)); "
    "return self.ln2(x + self.ffwd(x))",
)
def check_post_ln_block(MyPostLNBlock):
    """Exercise 2 of notebook 07: a post-LayerNorm Block(n_embd, n_head, context_length) with the
    parameter names of Block (sa, ffwd, ln1, ln2)."""
    mine, reference, x, problems = _block_with_blocks_weights(MyPostLNBlock)
    if problems:
        return problems
    with torch.no_grad():
        got = _call("an input of shape (2, 8, 16)", mine, x)
        expected, pre_ln = _post_ln(reference, x), reference(x)
        no_residual = reference.ln2(reference.ffwd(reference.ln1(reference.sa(x))))
    if _same(got, expected):
        return []
    if _same(got, pre_ln):
        return [
            (
                "LayerNorm after each residual sum (post-LN): x = ln1(x + sa(x))",
                "LayerNorm before each sub-layer (pre-LN): that is Block itself",
            )
        ]
    if _same(got, no_residual):
        return [("x + sa(x) inside ln1, x + ffwd(x) inside ln2", "no residual connections")]
    return [
        (
            "ln2(y + ffwd(y)) with y = ln1(x + sa(x)), same weights as helpers.Block",
            "a different output",
        )
    ]
