"""Self-attention: one head (taught in notebook 05) and several in parallel (notebook 06)."""

import torch
import torch.nn as nn
from torch.nn import functional as F


class Head(nn.Module):
    """One head of causal self-attention: each position looks at itself and the past.

    Taught in notebook 05.
    """

    def __init__(self, n_embd, head_size, context_length, dropout=0.0):
        super().__init__()
        if min(n_embd, head_size, context_length) <= 0:
            raise ValueError(
                f"n_embd, head_size and context_length must be positive, got {n_embd}, "
                f"{head_size} and {context_length}."
            )
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        # tril is not a parameter: a buffer moves with the model to the GPU but is never trained
        self.register_buffer("tril", torch.tril(torch.ones(context_length, context_length)))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        if T > self.tril.shape[0]:
            raise ValueError(
                f"The input has {T} positions but this head was built for context_length="
                f"{self.tril.shape[0]}. Crop it to the last {self.tril.shape[0]} tokens "
                "(generate does this for you)."
            )
        k = self.key(x)  # (B, T, head_size): what each position offers
        q = self.query(x)  # (B, T, head_size): what each position looks for
        # affinities, scaled by 1/sqrt(head_size) so softmax stays soft at initialisation
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5  # (B, T, T)
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))  # no peeking at the future
        wei = F.softmax(wei, dim=-1)
        wei = self.dropout(wei)
        v = self.value(x)  # (B, T, head_size): what each position passes on
        return wei @ v  # (B, T, head_size)


class MultiHeadAttention(nn.Module):
    """Several heads side by side, their outputs concatenated and projected back to n_embd.

    Taught in notebook 06.
    """

    def __init__(self, n_embd, num_heads, head_size, context_length, dropout=0.0):
        super().__init__()
        if num_heads <= 0 or head_size <= 0:
            raise ValueError(
                f"num_heads and head_size must be positive, got {num_heads} and {head_size}."
            )
        self.heads = nn.ModuleList(
            [Head(n_embd, head_size, context_length, dropout) for _ in range(num_heads)]
        )
        self.proj = nn.Linear(head_size * num_heads, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        out = torch.cat([h(x) for h in self.heads], dim=-1)  # (B, T, num_heads * head_size)
        return self.dropout(self.proj(out))


@torch.no_grad()
def attention_weights(head, x):
    """The (B, T, T) weights that `head` uses on input x: row t shows how much position t reads
    from each position. The same steps as Head.forward, stopped before the values (no dropout).

    Taught in notebook 05.
    """
    T = x.shape[1]
    q, k = head.query(x), head.key(x)
    wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
    wei = wei.masked_fill(head.tril[:T, :T] == 0, float("-inf"))
    return F.softmax(wei, dim=-1)
