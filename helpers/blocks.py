"""The Transformer block: communication (attention) then computation (feed-forward).

Taught in notebook 07.
"""

import torch.nn as nn

from helpers.attention import MultiHeadAttention
from helpers.course.guards import require_heads_divide


class FeedForward(nn.Module):
    """A small MLP applied to every position on its own: the block's "thinking" step.

    Taught in notebook 07.
    """

    def __init__(self, n_embd, dropout=0.0):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd),  # the paper's inner layer is 4x wider
            nn.ReLU(),
            nn.Linear(4 * n_embd, n_embd),  # projection back into the residual stream
            nn.Dropout(dropout),
        )

    def forward(self, x):
        return self.net(x)


class Block(nn.Module):
    """Pre-LayerNorm Transformer block with residual connections around both halves.

    `attention` replaces the multi-head attention of notebook 06 with another module of the same
    shape (notebook 08 passes its fused CausalSelfAttention). Taught in notebook 07.
    """

    def __init__(self, n_embd, n_head, context_length, dropout=0.0, attention=None):
        super().__init__()
        require_heads_divide(n_embd, n_head)  # a clear error if n_head does not divide n_embd
        head_size = n_embd // n_head
        if attention is None:  # notebook 08 passes its own attention of the same shape
            attention = MultiHeadAttention(n_embd, n_head, head_size, context_length, dropout)
        self.sa = attention
        self.ffwd = FeedForward(n_embd, dropout)
        self.ln1 = nn.LayerNorm(n_embd)
        self.ln2 = nn.LayerNorm(n_embd)

    def forward(self, x):
        x = x + self.sa(self.ln1(x))  # the residual stream: each block adds to it
        x = x + self.ffwd(self.ln2(x))
        return x
