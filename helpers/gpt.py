"""The full Transformer, the lecture's gpt.py: GPTConfig, sample_next and GPT, and sampling
with a KV cache (forward_with_cache, generate_with_cache). Taught in notebooks 08 and 09.

Assembled from the pieces of notebooks 05-07: token and position embeddings, n_layer `Block`s
(notebook 07) with the fused `CausalSelfAttention` (helpers/attention.py), a final LayerNorm and a
linear head.
"""

from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F

from helpers.attention import CausalSelfAttention, attend_with_cache
from helpers.blocks import Block


@dataclass
class GPTConfig:
    """The shape of a GPT. The defaults are the lecture's full model (about 10.8M parameters).

    Impossible values are refused here, before any weights are made. Taught in notebook 08.
    """

    vocab_size: int = 65
    context_length: int = 256  # the lecture's block_size
    n_embd: int = 384
    n_head: int = 6
    n_layer: int = 6
    dropout: float = 0.2

    def __post_init__(self):
        for name in ("vocab_size", "context_length", "n_embd", "n_head", "n_layer"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}.")
        if self.n_embd % self.n_head != 0:
            fits = [h for h in range(1, self.n_embd + 1) if self.n_embd % h == 0]
            nearest = min(fits, key=lambda h: abs(h - self.n_head))
            raise ValueError(
                f"n_embd={self.n_embd} is not divisible by n_head={self.n_head}: each head gets "
                f"n_embd // n_head channels. Pick e.g. n_head={nearest}."
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout is a probability in [0, 1), got {self.dropout!r}.")


def sample_next(logits, temperature=1.0, top_k=None):
    """Pick the next id for each row of `logits` (B, vocab_size); returns (B, 1).

    temperature below 1 sharpens the distribution, above 1 flattens it, and 0 means greedy (the
    most likely id, no division by zero). top_k keeps only the k likeliest ids; a k larger than
    the vocabulary keeps them all. Taught in notebook 08.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be 0 (greedy) or positive, got {temperature}.")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be at least 1 (or None for no limit), got {top_k}.")
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    logits = logits / temperature
    if top_k is not None:
        kth_best = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]
        logits = logits.masked_fill(logits < kth_best, float("-inf"))
    probs = F.softmax(logits, dim=-1)
    if probs.device.type == "mps":  # an Apple GPU may draw ids of probability 0: use the CPU
        return torch.multinomial(probs.cpu(), num_samples=1).to(probs.device)
    return torch.multinomial(probs, num_samples=1)


class GPT(nn.Module):
    """The lecture's full model: embeddings, n_layer Blocks with fused attention, LayerNorm, head.

    Taught in notebook 08.
    """

    def __init__(self, config):
        super().__init__()
        self.config = config
        c = config
        self.token_embedding_table = nn.Embedding(c.vocab_size, c.n_embd)
        self.position_embedding_table = nn.Embedding(c.context_length, c.n_embd)
        # notebook 07's Block, with the fused attention in place of the per-head loop
        self.blocks = nn.Sequential(
            *[
                Block(
                    c.n_embd,
                    c.n_head,
                    c.context_length,
                    c.dropout,
                    attention=CausalSelfAttention(c.n_embd, c.n_head, c.context_length, c.dropout),
                )
                for _ in range(c.n_layer)
            ]
        )
        self.ln_f = nn.LayerNorm(c.n_embd)  # final layer norm
        self.lm_head = nn.Linear(c.n_embd, c.vocab_size)
        self.apply(self._init_weights)

    def _init_weights(self, module):
        # small random weights and zero biases (as in the lecture and GPT-2): a calm start
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        if T > self.config.context_length:
            raise ValueError(
                f"The input has {T} positions, but the model has learned only "
                f"{self.config.context_length}. Crop it to the last "
                f"{self.config.context_length} tokens (generate does this for you)."
            )
        tok_emb = self.token_embedding_table(idx)  # (B, T, n_embd)
        pos_emb = self.position_embedding_table(torch.arange(T, device=idx.device))  # (T, n_embd)
        x = self.blocks(tok_emb + pos_emb)
        logits = self.lm_head(self.ln_f(x))  # (B, T, vocab_size)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
        """Extend each row of `idx` (B, T) by `max_new_tokens` ids, sampled one at a time.

        Notebook 03's loop, with sample_next's temperature and top-k. An empty prompt starts
        from id 0 (the newline); the model sees at most the last context_length ids; dropout is
        off while sampling.
        """
        if idx.shape[1] == 0:
            idx = torch.zeros((idx.shape[0], 1), dtype=torch.long, device=idx.device)
        was_training = self.training
        self.eval()
        try:
            for _ in range(max_new_tokens):
                logits, _ = self(idx[:, -self.config.context_length :])
                idx_next = sample_next(logits[:, -1, :], temperature, top_k)
                idx = torch.cat((idx, idx_next), dim=1)
        finally:
            self.train(was_training)
        return idx


def forward_with_cache(model, idx, cache):
    """GPT.forward for new ids after the positions in `cache` (one (keys, values) per layer, or
    []); returns (logits, the extended cache). Taught in notebook 09."""
    past = cache[0][0].shape[2] if cache else 0
    T = idx.shape[1]
    if past + T > model.config.context_length:
        raise ValueError(f"{past} cached + {T} new positions pass the context: start a new cache")
    positions = torch.arange(past, past + T, device=idx.device)
    x = model.token_embedding_table(idx) + model.position_embedding_table(positions)
    extended = []
    for i, block in enumerate(model.blocks):
        attended, kv = attend_with_cache(block.sa, block.ln1(x), cache[i] if cache else None)
        x = x + attended
        x = x + block.ffwd(block.ln2(x))
        extended.append(kv)
    return model.lm_head(model.ln_f(x)), extended


@torch.no_grad()
def generate_with_cache(model, idx, max_new_tokens, temperature=1.0, top_k=None, refill=None):
    """GPT.generate with a KV cache; a full cache is filled again from the last `refill` ids
    (default context_length: exactly GPT.generate's ids). Taught in notebook 09."""
    T = model.config.context_length
    refill = T if refill is None else refill
    if not 1 <= refill <= T:
        raise ValueError(f"refill must lie in 1..context_length={T}, got {refill}.")
    if idx.shape[1] == 0:
        idx = torch.zeros((idx.shape[0], 1), dtype=torch.long, device=idx.device)
    was_training = model.training
    model.eval()
    try:
        logits, cache = forward_with_cache(model, idx[:, -T:], [])  # the prompt fills the cache
        for i in range(max_new_tokens):
            idx_next = sample_next(logits[:, -1, :], temperature, top_k)
            idx = torch.cat((idx, idx_next), dim=1)
            if i == max_new_tokens - 1:
                break
            if cache[0][0].shape[2] < T:
                logits, cache = forward_with_cache(model, idx_next, cache)  # only the new id
            else:  # full: start again from the last `refill` ids
                logits, cache = forward_with_cache(model, idx[:, -refill:], [])
    finally:
        model.train(was_training)
    return idx
