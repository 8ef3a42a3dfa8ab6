"""The bigram model and `generate` (helpers/bigram.py, notebook 03)."""

import math

import pytest
import torch

from helpers import BigramLanguageModel, Head, generate


def test_initial_loss_is_close_to_uniform():
    torch.manual_seed(0)
    model = BigramLanguageModel(65)
    x = torch.randint(65, (8, 16))
    _, loss = model(x, torch.randint(65, (8, 16)))
    assert abs(loss.item() - math.log(65)) < 0.05


def test_the_lectures_n01_start_costs_about_half_a_nat_more_than_guessing():
    # notebook 03: with N(0, 1) logits the loss averages about ln 65 + 1/2, since E[e^z] = e^(1/2)
    torch.manual_seed(0)
    model = BigramLanguageModel(65)
    torch.nn.init.normal_(model.token_embedding_table.weight, std=1.0)
    x = torch.randint(65, (1, 20_000))
    _, loss = model(x, torch.randint(65, (1, 20_000)))
    assert abs(loss.item() - (math.log(65) + 0.5)) < 0.15


def test_forward_without_targets_returns_logits_only():
    model = BigramLanguageModel(10)
    logits, loss = model(torch.zeros((2, 3), dtype=torch.long))
    assert logits.shape == (2, 3, 10) and loss is None


class OneHead(torch.nn.Module):
    """A model that refuses inputs longer than its context, to test generate's cropping."""

    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(5, 8)
        self.head = Head(8, 5, context_length=4)

    def forward(self, idx, targets=None):
        return self.head(self.emb(idx)), None


def test_generate_crops_to_the_context():
    torch.manual_seed(0)
    model = OneHead()
    out = generate(
        model, torch.zeros((2, 1), dtype=torch.long), max_new_tokens=10, context_length=4
    )
    assert out.shape == (2, 11)
    with pytest.raises(ValueError, match="context_length=4"):
        generate(model, torch.zeros((1, 1), dtype=torch.long), max_new_tokens=10)
