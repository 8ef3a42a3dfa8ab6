"""Self-attention: one head (notebook 05), several side by side (notebook 06), and all heads at
once with PyTorch's fused attention (notebook 08), and attention with a KV cache (notebook 09)."""

import torch
import torch.nn as nn
from torch.nn import functional as F

from helpers.course.guards import require_positive


class Head(nn.Module):
    """One head of causal self-attention, the lecture's `Head` with clear errors for sizes that
    cannot work and dropout on the attention weights (off by default; notebook 07).

    Taught in notebook 05.
    """

    def __init__(self, n_embd, head_size, context_length, dropout=0.0):
        super().__init__()
        require_positive(n_embd=n_embd, head_size=head_size, context_length=context_length)
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
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
        k = self.key(x)  # (B, T, head_size)
        q = self.query(x)  # (B, T, head_size)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5  # (B, T, T)
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = F.softmax(wei, dim=-1)
        wei = self.dropout(wei)
        v = self.value(x)  # (B, T, head_size)
        return wei @ v  # (B, T, head_size)


class MultiHeadAttention(nn.Module):
    """Several heads side by side, their outputs concatenated and projected back to n_embd.

    Taught in notebook 06.
    """

    def __init__(self, n_embd, num_heads, head_size, context_length, dropout=0.0):
        super().__init__()
        require_positive(num_heads=num_heads, head_size=head_size)  # a clear error, not a crash
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


class CausalSelfAttention(nn.Module):
    """All heads of notebook 06's MultiHeadAttention at once, with fused attention.

    One linear layer makes the queries, keys and values of every head; the heads become a batch
    dimension, and F.scaled_dot_product_attention does scale, causal mask, softmax, dropout and
    the weighted sum in one call. Taught in notebook 08.
    """

    def __init__(self, n_embd, n_head, context_length, dropout=0.0):
        super().__init__()
        if n_embd % n_head != 0:
            raise ValueError(f"n_embd={n_embd} is not divisible by n_head={n_head}.")
        self.n_head = n_head
        self.context_length = context_length
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=False)  # q, k, v of all heads, stacked
        self.proj = nn.Linear(n_embd, n_embd)
        self.attn_dropout = dropout  # a probability: SDPA drops attention weights itself
        self.resid_dropout = nn.Dropout(dropout)

    def heads(self, x):
        """The queries, keys and values of every head for x (B, T, C): each (B, n_head, T, hs)."""
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        # (B, T, C) -> (B, n_head, T, head_size): each head becomes one more batch entry
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        if x.device.type == "mps":  # an Apple GPU's attention is wrong on transposed inputs
            q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
        return q, k, v

    def forward(self, x):
        B, T, C = x.shape
        if T > self.context_length:
            raise ValueError(
                f"{T} positions, but this attention was built for context_length="
                f"{self.context_length}. Crop the input to the last {self.context_length} tokens."
            )
        q, k, v = self.heads(x)
        dropout_p = self.attn_dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
        # (B, n_head, T, head_size) -> (B, T, C): the heads side by side again, as torch.cat did
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.proj(y))


@torch.no_grad()
def copy_heads(mha, attn):
    """Copy the weights of notebook 06's MultiHeadAttention `mha` into CausalSelfAttention `attn`.

    Head h's query rows become rows h*head_size.. of the q third of c_attn (keys and values
    likewise), so both modules compute the same function. Returns `attn`. Taught in notebook 08.
    """
    heads = list(mha.heads)
    if len(heads) != attn.n_head or mha.proj.weight.shape != attn.proj.weight.shape:
        raise ValueError(
            f"Shapes differ: {len(heads)} heads into {attn.n_head}, projection "
            f"{tuple(mha.proj.weight.shape)} into {tuple(attn.proj.weight.shape)}."
        )
    q = torch.cat([h.query.weight for h in heads])  # (n_embd, n_embd): heads stacked by rows
    k = torch.cat([h.key.weight for h in heads])
    v = torch.cat([h.value.weight for h in heads])
    attn.c_attn.weight.copy_(torch.cat([q, k, v]))
    attn.proj.load_state_dict(mha.proj.state_dict())
    return attn


def attend_with_cache(attn, x, kv=None):
    """`attn` for new positions x (B, T, C) after the cached keys and values kv (or None);
    returns (output, extended kv). Taught in notebook 09."""
    B, T, C = x.shape
    q, k, v = attn.heads(x)
    if kv is not None:  # the keys and values of the earlier positions did not change: reuse them
        k, v = torch.cat((kv[0], k), dim=2), torch.cat((kv[1], v), dim=2)
    past = k.shape[2] - T
    mask = torch.ones(T, past + T, dtype=torch.bool, device=x.device).tril(past)
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    y = y.transpose(1, 2).contiguous().view(B, T, C)
    return attn.proj(y), (k, v)
