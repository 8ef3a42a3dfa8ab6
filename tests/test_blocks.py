"""Unit tests of the Transformer block (helpers/blocks.py, notebook 07).

Shapes, causality and parameter counts of Block are tested beside Head and MultiHeadAttention in
tests/test_attention.py; here is what only a Block does.
"""

import pytest
import torch

from helpers import Block, GPTConfig, MultiHeadAttention

N_EMBD, CONTEXT = 32, 8


def test_n_embd_not_divisible_by_n_head_is_a_clear_error_at_construction():
    with pytest.raises(ValueError) as info:
        Block(30, 4, CONTEXT)
    message = str(info.value)
    assert "n_embd=30 is not divisible by n_head=4" in message
    assert "n_head=3" in message  # the nearest head count that does divide 30


def test_block_uses_the_attention_module_it_is_given():
    torch.manual_seed(0)
    attention = MultiHeadAttention(N_EMBD, 2, 16, CONTEXT)
    block = Block(N_EMBD, 2, CONTEXT, attention=attention)
    assert block.sa is attention


@pytest.mark.parametrize("n_embd, n_head", [(40, 7), (30, 4), (100, 6), (32, 5), (96, 7)])
def test_block_and_gpt_config_suggest_the_same_head_count(n_embd, n_head):
    with pytest.raises(ValueError) as from_block:
        Block(n_embd, n_head, CONTEXT)
    with pytest.raises(ValueError) as from_config:
        GPTConfig(n_embd=n_embd, n_head=n_head)
    suggestion = str(from_block.value).split("Pick e.g. ")[1]
    assert suggestion == str(from_config.value).split("Pick e.g. ")[1]
    assert n_embd % int(suggestion.strip("n_head=.")) == 0


def test_the_size_checks_name_every_size_and_accept_good_ones():
    from helpers.course.guards import require_heads_divide, require_positive

    require_positive(n_embd=32)  # nothing raised
    require_heads_divide(32, 4)
    with pytest.raises(
        ValueError, match=r"^num_heads and head_size must be positive, got 0 and 8\.$"
    ):
        require_positive(num_heads=0, head_size=8)
    with pytest.raises(ValueError, match=r"^a, b and c must be positive, got 1, -2 and 3\.$"):
        require_positive(a=1, b=-2, c=3)
    with pytest.raises(ValueError, match="n_embd and n_head must be positive, got 32 and 0"):
        Block(32, 0, CONTEXT)
