"""Checks notebook 04's exercises (notebooks/04_attention_trick.ipynb), in its order:
causal_average, window_average."""

import torch

from .core import _call, _checker, _same


def _causal_average_problem(x, got):
    """None if `got` is the running mean of x over time."""
    T = x.shape[1]
    expected = torch.cumsum(x, dim=1) / torch.arange(1, T + 1).view(1, T, 1)
    if not isinstance(got, torch.Tensor) or got.shape != x.shape:
        return (f"a tensor of shape {tuple(x.shape)}", getattr(got, "shape", got))
    if _same(got, expected):
        return None
    if torch.allclose(got, x.mean(1, keepdim=True).expand_as(x), atol=1e-5):
        return (
            "each position averages only itself and the past",
            "the average over all positions (the future leaks in)",
        )
    return (
        f"out[0, :, 0] = {[round(v, 3) for v in expected[0, :, 0].tolist()]}",
        [round(v, 3) for v in got[0, :, 0].tolist()],
    )


@_checker(
    "causal_average",
    hint="wei = torch.tril(torch.ones(T, T)); wei = wei / wei.sum(1, keepdim=True); wei @ x",
)
def check_causal_average(causal_average):
    """Exercise of notebook 04: out[b, t] = mean of x[b, :t+1], for x of shape (B, T, C)."""
    g = torch.Generator().manual_seed(0)
    for shape in [(2, 6, 3), (1, 3, 2)]:  # a second T: T must come from x, not from the notebook
        x = torch.randn(shape, generator=g)
        problem = _causal_average_problem(
            x, _call(f"x of shape {shape}", causal_average, x.clone())
        )
        if problem:
            return [problem]
    return []


def _window_average(x, w):
    T = x.shape[1]
    return torch.stack([x[:, max(0, t - w + 1) : t + 1].mean(1) for t in range(T)], dim=1)


@_checker(
    "window_average",
    hint="keep s <= t and s > t - w: torch.tril(ones) * torch.triu(ones, diagonal=-(w - 1)), "
    "each row divided by its sum, @ x",
)
def check_window_average(window_average):
    """Exercise 2 of notebook 04: out[b, t] = mean of x[b, t-w+1 .. t] (fewer at the start)."""
    g = torch.Generator().manual_seed(0)
    # a second T (T must come from x) and two edge cases: w=1 is x itself, w >= T the whole past
    for shape, w in [((2, 8, 3), 3), ((1, 5, 2), 1), ((2, 4, 2), 10)]:
        x = torch.randn(shape, generator=g)
        got = _call(f"x of shape {shape}, w={w}", window_average, x.clone(), w)
        expected = _window_average(x, w)
        if not isinstance(got, torch.Tensor) or got.shape != x.shape:
            return [(f"a tensor of shape {shape}", getattr(got, "shape", got))]
        if _same(got, expected):
            continue
        if w < shape[1] and _same(got, _window_average(x, shape[1])):
            return [(f"each position averages its last {w} positions", "the whole past")]
        if _same(got, _window_average(x, w + 1)):
            return [
                (f"each position averages {w} positions (itself and {w - 1} before)", f"{w + 1}")
            ]
        return [
            (
                f"out[0, :, 0] = {[round(v, 3) for v in expected[0, :, 0].tolist()]} "
                f"for x of shape {shape}, w={w}",
                [round(v, 3) for v in got[0, :, 0].tolist()],
            )
        ]
    return []
