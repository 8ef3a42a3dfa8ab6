"""The simplest language model: the next character depends only on the current one.

Taught in notebook 03.
"""

import torch
import torch.nn as nn
from torch.nn import functional as F


class BigramLanguageModel(nn.Module):
    """Each token reads the logits for the next token straight out of a lookup table.

    Taught in notebook 03.
    """

    def __init__(self, vocab_size):
        super().__init__()
        # row i of the table holds the scores (logits) for the character that follows id i
        self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)
        # small random scores make every next character about equally likely at the start, so the
        # first loss is close to ln(vocab_size); nn.Embedding's default N(0, 1) would start near 4.7
        nn.init.normal_(self.token_embedding_table.weight, std=0.02)

    def forward(self, idx, targets=None):
        logits = self.token_embedding_table(idx)  # (B, T, vocab_size)
        if targets is None:
            return logits, None
        B, T, C = logits.shape
        # cross_entropy wants the class dimension second: flatten batch and time together
        loss = F.cross_entropy(logits.view(B * T, C), targets.view(B * T))
        return logits, loss


@torch.no_grad()
def generate(model, idx, max_new_tokens, context_length=None):
    """Extend each row of `idx` (B, T) by `max_new_tokens` sampled ids, one at a time.

    Models with a fixed context only see the last `context_length` ids. Taught in notebook 03.
    """
    for _ in range(max_new_tokens):
        idx_cond = idx if context_length is None else idx[:, -context_length:]
        logits, _ = model(idx_cond)
        logits = logits[:, -1, :]  # only the last time step predicts the next id: (B, C)
        probs = F.softmax(logits, dim=-1)
        idx_next = torch.multinomial(probs, num_samples=1)  # (B, 1)
        idx = torch.cat((idx, idx_next), dim=1)  # (B, T+1)
    return idx
