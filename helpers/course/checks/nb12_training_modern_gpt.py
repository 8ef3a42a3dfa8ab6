"""Checks notebook 12's exercises (notebooks/12_training_modern_gpt.ipynb), in its order:
orthogonalize_svd, sliding_cache_floats."""

import torch

from .core import _call, _checker, _same


@_checker(
    "orthogonalize_svd",
    hint="U, S, Vh = torch.linalg.svd(G, full_matrices=False); return U @ Vh",
)
def check_orthogonalize_svd(orthogonalize_svd):
    """Exercise 1 of notebook 12: orthogonalize_svd(G) -> U V^T from G's singular value
    decomposition, what Muon's Newton-Schulz iteration approximates."""
    torch.manual_seed(0)
    problems = []
    for shape in [(4, 6), (6, 4), (5, 5)]:
        G = torch.randn(shape)
        probe = f"G of shape {shape}"
        got = _call(probe, orthogonalize_svd, G.clone())
        U, S, Vh = torch.linalg.svd(G, full_matrices=False)
        expected = U @ Vh
        if isinstance(got, torch.Tensor) and _same(got, expected):
            continue
        if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
            why = (
                " (full_matrices=False keeps U and Vh to G's shape)"
                if isinstance(got, torch.Tensor)
                else ""
            )
            problems.append((f"a matrix of shape {shape}", f"{getattr(got, 'shape', got)}{why}"))
            continue
        if _same(got, G):
            why = "G itself: the singular values are still there, U S V^T"
        elif torch.allclose(got, -expected, atol=1e-5):
            why = "-U V^T: the sign is flipped"
        else:
            singular = torch.linalg.svdvals(got)
            why = f"singular values from {singular.min():.3f} to {singular.max():.3f}, not all 1"
        problems.append((f"U V^T, all singular values 1, for {probe}", why))
    return problems


def _sliding_cache_floats(config, n_tokens, batch_size):
    positions = min(n_tokens, config.context_length - 1)  # the new position makes the window
    return config.n_layer * 2 * batch_size * positions * config.n_embd  # keys and values


@_checker(
    "sliding_cache_floats",
    hint="every layer keeps keys and values, each batch_size x n_head x positions x head_size "
    "(n_head x head_size = n_embd), for min(n_tokens, context_length - 1) positions",
)
def check_sliding_cache_floats(sliding_cache_floats):
    """Exercise 2 of notebook 12: sliding_cache_floats(config, n_tokens, batch_size=1) -> how many
    numbers forward_sliding's cache holds after n_tokens ids."""
    from helpers.modern import ModernConfig

    problems = []
    small = ModernConfig(vocab_size=65, context_length=16, n_embd=24, n_head=4, n_layer=3)
    wide = ModernConfig(vocab_size=65, context_length=128, n_embd=96, n_head=4, n_layer=2)
    for config, n_tokens, batch_size in [
        (small, 5, 1),
        (small, 15, 2),
        (small, 40, 3),
        (wide, 1000, 1),
        (wide, 100, 4),
    ]:
        probe = (
            f"context_length={config.context_length}, n_embd={config.n_embd}, "
            f"n_head={config.n_head}, n_layer={config.n_layer}, n_tokens={n_tokens}, "
            f"batch_size={batch_size}"
        )
        got = _call(probe, sliding_cache_floats, config, n_tokens, batch_size=batch_size)
        expected = _sliding_cache_floats(config, n_tokens, batch_size)
        if got == expected:
            continue
        c, window = config, config.context_length
        per_position = c.n_layer * 2 * batch_size * c.n_embd
        known = {
            expected // 2: "half of it: the cache keeps the keys and the values",
            c.n_layer * 2 * batch_size * n_tokens * c.n_embd: "every position kept: the cache "
            "slides, keeping at most context_length - 1 past positions",
            per_position * min(n_tokens, window): "context_length positions: the cache keeps "
            "context_length - 1, the new position completes the window",
            expected // c.n_layer: "one layer's cache: every layer keeps its own",
            expected // batch_size: "batch_size left out: each row of the batch has its own cache",
            expected // c.n_head: "one head's share: n_head heads of head_size numbers are n_embd",
        }
        known.pop(expected, None)
        why = known.get(got) if isinstance(got, int) and not isinstance(got, bool) else None
        problems.append((f"{expected} for {probe}", f"{got!r}" + (f" ({why})" if why else "")))
    return problems
