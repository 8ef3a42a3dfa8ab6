"""What the tests of several notebooks' checks share: a stub for an unattempted exercise,
the test that a check reported a crash, and heads that forget part of the mask."""

from torch import nn
from torch.nn import functional as F

from helpers import Head, MultiHeadAttention


def not_attempted(*args, **kwargs):
    raise NotImplementedError


def crashed(out, error):
    """The check said which error the learner's code raised and did not say all is well."""
    return f"your code raised {error}" in out and "all checks passed" not in out


class UnmaskedHead(Head):
    def forward(self, x):
        wei = self.query(x) @ self.key(x).transpose(-2, -1) * self.key.out_features**-0.5
        return F.softmax(wei, -1) @ self.value(x)


class UnslicedMaskHead(Head):  # the mask is tril, not tril[:T, :T]: only T = context_length works
    def forward(self, x):
        wei = self.query(x) @ self.key(x).transpose(-2, -1) * self.key.out_features**-0.5
        return F.softmax(wei.masked_fill(self.tril == 0, float("-inf")), -1) @ self.value(x)


class MultiHeadOfUnslicedHeads(MultiHeadAttention):
    def __init__(self, n_embd, num_heads, head_size, context_length):
        super().__init__(n_embd, num_heads, head_size, context_length)
        self.heads = nn.ModuleList(
            UnslicedMaskHead(n_embd, head_size, context_length) for _ in range(num_heads)
        )
