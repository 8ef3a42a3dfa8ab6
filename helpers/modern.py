"""The modern GPT: what today's open models changed in the lecture's GPT, one piece at a time.

RMSNorm, rotary position embeddings (RoPE, with optional QK-norm), a SwiGLU feed-forward, no
biases, tied embeddings, and the Muon optimizer; ModernGPT assembles them behind one switch per
change (ModernConfig), so that every change can be measured alone (notebook 11). Muon, the WSD
schedule and a KV cache that slides past the context (generate_sliding) train and run it
(notebook 12).
"""

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F

from helpers.attention import CausalSelfAttention
from helpers.blocks import FeedForward
from helpers.gpt import GPT, GPTConfig, sample_next
from helpers.training import lr_at


class RMSNorm(nn.Module):
    """LayerNorm without the mean: divide by the root mean square, then scale. Taught in notebook 11."""

    def __init__(self, n_embd, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(n_embd))

    def forward(self, x):
        rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)
        return x / rms * self.weight


def rope_tables(head_size, length, start=0, base=10000.0):
    """cos and sin of the angles m * base**(-2i/head_size), (length, head_size // 2), for the
    positions m = start .. start+length-1; in float64, exact far into a text. Taught in notebook 11.
    """
    if head_size % 2:
        raise ValueError(
            f"RoPE rotates pairs of channels, so head_size must be even; got {head_size}. "
            "Pick n_head so that n_embd // n_head is even."
        )
    pairs = torch.arange(head_size // 2, dtype=torch.float64)
    frequencies = base ** (-2 * pairs / head_size)  # (head_size/2,)
    positions = torch.arange(start, start + length, dtype=torch.float64)
    angles = positions[:, None] * frequencies[None, :]  # (length, head_size/2)
    return angles.cos().float(), angles.sin().float()


def apply_rope(x, cos, sin):
    """Rotate each pair (channel i, channel i + head_size/2) of x (..., T, head_size) by its
    position's angle. Taught in notebook 11."""
    T = x.shape[-2]
    if cos.shape[0] < T:
        raise ValueError(
            f"The rotation tables cover {cos.shape[0]} positions, the input has {T}: make "
            f"them with rope_tables(head_size, {T})."
        )
    cos, sin = cos[:T].to(x.dtype), sin[:T].to(x.dtype)
    x1, x2 = x.chunk(2, dim=-1)  # the two channels of every pair
    return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)


class ModernAttention(CausalSelfAttention):
    """Notebook 08's causal attention with RoPE on queries and keys (rope=True) and optional
    QK-norm. Past context_length positions, a sliding window: each position attends to the last
    context_length. Taught in notebook 11.
    """

    def __init__(self, n_embd, n_head, context_length, dropout=0.0, rope=True, qk_norm=False):
        super().__init__(n_embd, n_head, context_length, dropout)
        head_size = n_embd // n_head
        self.rope = rope
        if rope:
            cos, sin = rope_tables(head_size, context_length)  # not learned: buffers, not saved
            self.register_buffer("cos", cos, persistent=False)
            self.register_buffer("sin", sin, persistent=False)
        self.q_norm = RMSNorm(head_size) if qk_norm else None
        self.k_norm = RMSNorm(head_size) if qk_norm else None

    def heads(self, x, start=0):
        """Queries, keys, values (B, n_head, T, hs) for x (B, T, C) at positions start.."""
        q, k, v = super().heads(x)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        if self.rope:
            T = x.shape[1]
            if start + T > self.cos.shape[0]:  # past the table: make it twice as long, once
                cos, sin = rope_tables(q.shape[-1], 2 * (start + T))
                self.cos, self.sin = cos.to(x.device), sin.to(x.device)
            cos, sin = self.cos[start : start + T], self.sin[start : start + T]
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        return q, k, v

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.heads(x)
        dropout_p = self.attn_dropout if self.training else 0.0
        if T <= self.context_length:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
        else:  # each position sees itself and the context_length - 1 positions before it
            i = torch.arange(T, device=x.device)
            behind = i[:, None] - i[None, :]
            window = (behind >= 0) & (behind < self.context_length)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=window, dropout_p=dropout_p)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.proj(y))


def swiglu_hidden(n_embd):
    """8/3 n_embd, rounded: the ReLU MLP's parameter count with three matrices. Taught in notebook 11."""
    return round(8 * n_embd / 3)


class SwiGLU(nn.Module):
    """LLaMA's feed-forward, down(silu(gate(x)) * up(x)), 8/3 n_embd wide. Taught in notebook 11."""

    def __init__(self, n_embd, dropout=0.0, bias=True):
        super().__init__()
        hidden = swiglu_hidden(n_embd)
        self.gate = nn.Linear(n_embd, hidden, bias=bias)
        self.up = nn.Linear(n_embd, hidden, bias=bias)
        self.down = nn.Linear(hidden, n_embd, bias=bias)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.down(F.silu(self.gate(x)) * self.up(x)))


def drop_biases(module):
    """Remove every bias of the Linear and LayerNorm layers in `module`. Taught in notebook 11."""
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.LayerNorm)) and layer.bias is not None:
            layer.bias = None  # the forward passes bias=None: no offset
    return module


@dataclass
class ModernConfig(GPTConfig):
    """GPTConfig with one switch per modern change; all off is the lecture's GPT, the defaults
    the modern one (without dropout, as LLaMA). Taught in notebook 11."""

    dropout: float = 0.0
    rope: bool = True  # rotary position embeddings instead of a learned position table
    rmsnorm: bool = True  # RMSNorm instead of LayerNorm
    swiglu: bool = True  # SwiGLU feed-forward instead of ReLU (same parameter count)
    bias: bool = False  # biases in the linear layers and LayerNorms
    tied: bool = True  # the output layer reuses the token embedding's weights
    qk_norm: bool = False  # RMSNorm on each head's queries and keys

    def __post_init__(self):
        super().__post_init__()
        for name in ("rope", "rmsnorm", "swiglu", "bias", "tied", "qk_norm"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} is a switch: True or False, got {getattr(self, name)!r}.")
        head_size = self.n_embd // self.n_head
        if self.rope and head_size % 2:
            raise ValueError(
                f"RoPE rotates pairs of channels, so each head needs an even number of them: "
                f"n_embd // n_head = {self.n_embd} // {self.n_head} = {head_size} is odd. "
                "Pick n_head so that n_embd // n_head is even."
            )


class ModernBlock(nn.Module):
    """Notebook 07's pre-norm block with the modern parts its config asks for. Taught in notebook 11."""

    def __init__(self, config):
        super().__init__()
        c = config
        Norm = RMSNorm if c.rmsnorm else nn.LayerNorm
        self.sa = ModernAttention(
            c.n_embd, c.n_head, c.context_length, c.dropout, rope=c.rope, qk_norm=c.qk_norm
        )
        self.ffwd = SwiGLU(c.n_embd, c.dropout) if c.swiglu else FeedForward(c.n_embd, c.dropout)
        self.ln1, self.ln2 = Norm(c.n_embd), Norm(c.n_embd)

    def forward(self, x):
        x = x + self.sa(self.ln1(x))
        x = x + self.ffwd(self.ln2(x))
        return x


class ModernGPT(GPT):
    """Notebook 08's GPT, with its names, and the changes its ModernConfig switches on.
    Taught in notebook 11."""

    def __init__(self, config):
        nn.Module.__init__(self)  # GPT's parts are built here, switch by switch
        self.config = c = config
        self.token_embedding_table = nn.Embedding(c.vocab_size, c.n_embd)
        if not c.rope:
            self.position_embedding_table = nn.Embedding(c.context_length, c.n_embd)
        self.blocks = nn.Sequential(*[ModernBlock(c) for _ in range(c.n_layer)])
        self.ln_f = RMSNorm(c.n_embd) if c.rmsnorm else nn.LayerNorm(c.n_embd)
        self.lm_head = nn.Linear(c.n_embd, c.vocab_size)
        self.apply(self._init_weights)
        if not c.bias:
            drop_biases(self)
        if c.tied:  # one matrix both reads characters in and scores them out
            self.lm_head.weight = self.token_embedding_table.weight

    def forward(self, idx, targets=None):
        B, T = idx.shape
        if T > self.config.context_length and not self.config.rope:
            raise ValueError(
                f"The input has {T} positions, but the model has learned only "
                f"{self.config.context_length}. Crop it to the last "
                f"{self.config.context_length} tokens (generate does this for you)."
            )
        x = self.token_embedding_table(idx)  # (B, T, n_embd)
        if not self.config.rope:
            x = x + self.position_embedding_table(torch.arange(T, device=idx.device))
        logits = self.lm_head(self.ln_f(self.blocks(x)))
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
        """GPT.generate; with RoPE it feeds the n_layer * (context_length - 1) + 1 ids the last
        position depends on through the sliding window."""
        c = self.config
        reach = c.n_layer * (c.context_length - 1) + 1 if c.rope else c.context_length
        if idx.shape[1] == 0:
            idx = torch.zeros((idx.shape[0], 1), dtype=torch.long, device=idx.device)
        was_training = self.training
        self.eval()
        try:
            for _ in range(max_new_tokens):
                logits, _ = self(idx[:, -reach:])
                idx = torch.cat((idx, sample_next(logits[:, -1, :], temperature, top_k)), dim=1)
        finally:
            self.train(was_training)
        return idx


def orthogonalize(G, steps=5):
    """About U V^T for G = U S V^T: `steps` Newton-Schulz steps, each mapping every singular
    value s to a*s + b*s^3 + c*s^5 (Keller Jordan's coefficients). Taught in notebook 12."""
    if G.ndim != 2:
        raise ValueError(f"orthogonalize takes a matrix, got a tensor of shape {tuple(G.shape)}.")
    a, b, c = 3.4445, -4.7750, 2.0315
    X = G.float()
    wide = X.shape[0] <= X.shape[1]
    X = X if wide else X.T  # iterate on the smaller Gram matrix X @ X.T
    X = X / (X.norm() + 1e-7)
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return (X if wide else X.T).to(G.dtype)


class Muon(torch.optim.Optimizer):
    """Muon (MomentUm Orthogonalized by Newton-schulz) for the groups with muon=True, AdamW for
    the others; a group's lr_scale multiplies the rate the schedule sets. Taught in notebook 12.
    """

    def __init__(self, params, lr, weight_decay=0.1, momentum=0.95, betas=(0.9, 0.99), eps=1e-8):
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, betas=betas, eps=eps)
        super().__init__(params, defaults | {"muon": True})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, decay = group["lr"] * group.get("lr_scale", 1.0), group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                p.mul_(1 - lr * decay)  # decoupled weight decay, as in AdamW
                if group["muon"]:
                    momentum = state.setdefault("momentum", torch.zeros_like(p))
                    momentum.lerp_(p.grad, 1 - group["momentum"])
                    nesterov = p.grad.lerp(momentum, group["momentum"])  # look one step ahead
                    scale = 0.2 * math.sqrt(max(p.shape))
                    p.add_(orthogonalize(nesterov), alpha=-lr * scale)
                else:  # AdamW: divide by the gradient's running RMS, channel by channel
                    beta1, beta2 = group["betas"]
                    state["step"] = state.get("step", 0) + 1
                    m = state.setdefault("exp_avg", torch.zeros_like(p))
                    v = state.setdefault("exp_avg_sq", torch.zeros_like(p))
                    m.lerp_(p.grad, 1 - beta1)
                    v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                    m_hat = m / (1 - beta1 ** state["step"])
                    v_hat = v / (1 - beta2 ** state["step"])
                    p.addcdiv_(m_hat, v_hat.sqrt() + group["eps"], value=-lr)


def configure_muon(model, learning_rate, weight_decay, betas=(0.9, 0.99), embedding_lr_scale=1.0):
    """Muon for the blocks' weight matrices; AdamW for the embedding (at embedding_lr_scale
    times the rate), the norms and any biases; weight decay on matrices and embeddings only.
    Taught in notebook 12."""
    matrices = [p for p in model.blocks.parameters() if p.dim() == 2]
    chosen = {id(p) for p in matrices}
    rest = [p for p in model.parameters() if id(p) not in chosen]
    groups = [
        {"params": matrices, "muon": True, "weight_decay": weight_decay},
        {
            "params": [p for p in rest if p.dim() >= 2],
            "muon": False,
            "weight_decay": weight_decay,
            "lr_scale": embedding_lr_scale,
        },
        {"params": [p for p in rest if p.dim() < 2], "muon": False, "weight_decay": 0.0},
    ]
    return Muon(groups, lr=learning_rate, weight_decay=weight_decay, betas=betas)


def lr_wsd(step, cfg, progress=None, decay=0.5):
    """Warmup, stable, decay: lr_at's warmup, the peak held, then a straight line down to
    cfg.min_lr over the last `decay` share of the run. `progress` as in lr_at. Taught in notebook 12.
    """
    if step < cfg.warmup_iters:
        return lr_at(step, cfg)  # notebook 09's warmup
    progress = step / cfg.max_iters if progress is None else progress
    progress = min(max(progress, 0.0), 1.0)
    left = min((1.0 - progress) / decay, 1.0)  # 1 while stable, then down to 0 at the end
    return cfg.min_lr + left * (cfg.learning_rate - cfg.min_lr)


def forward_sliding(model, idx, cache, start):
    """ModernGPT.forward for new ids `idx` (B, T) at positions start.., given every layer's
    last keys (rotated) and values ([] at the start); returns (logits, the cache kept: at most
    context_length - 1 positions). Taught in notebook 12.
    """
    T, window = idx.shape[1], model.config.context_length
    x = model.token_embedding_table(idx)
    kept = []
    for i, block in enumerate(model.blocks):
        h = block.ln1(x)
        B, _, C = h.shape
        q, k, v = block.sa.heads(h, start)
        if cache:
            k, v = torch.cat((cache[i][0], k), dim=2), torch.cat((cache[i][1], v), dim=2)
        mask = None  # one new id sees every kept position: at most window - 1 behind it
        if T > 1:  # several new ids (a prompt): the causal window among them
            past = k.shape[2] - T
            behind = torch.arange(past, past + T)[:, None] - torch.arange(past + T)[None, :]
            mask = ((behind >= 0) & (behind < window)).to(idx.device)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        x = x + block.sa.proj(y.transpose(1, 2).contiguous().view(B, T, C))
        x = x + block.ffwd(block.ln2(x))
        kept.append((k[:, :, -(window - 1) :], v[:, :, -(window - 1) :]))  # slide: drop the oldest
    return model.lm_head(model.ln_f(x)), kept


@torch.no_grad()
def generate_sliding(model, idx, max_new_tokens, temperature=1.0, top_k=None):
    """ModernGPT.generate's ids, feeding one new id per step through a sliding KV cache, however
    long the text gets. Taught in notebook 12.
    """
    if not model.config.rope:
        raise ValueError(
            "A sliding cache needs RoPE: learned positions end at context_length. Use "
            "generate_with_cache (notebook 09) for this model."
        )
    if idx.shape[1] == 0:
        idx = torch.zeros((idx.shape[0], 1), dtype=torch.long, device=idx.device)
    was_training = model.training
    model.eval()
    try:
        logits, cache = forward_sliding(model, idx, [], 0)  # the whole prompt at once
        for i in range(max_new_tokens):
            idx_next = sample_next(logits[:, -1, :], temperature, top_k)
            idx = torch.cat((idx, idx_next), dim=1)
            if i < max_new_tokens - 1:
                logits, cache = forward_sliding(model, idx_next, cache, idx.shape[1] - 1)
    finally:
        model.train(was_training)
    return idx
