"""Checks notebook 05's exercises (notebooks/05_one_head.ipynb), in its order:
Head, window_attention_weights."""

import torch

from .core import _build_and_call, _call, _causality_problem, _checker, _same


def _attend(head, x, scale):
    """What a head with `head`'s layers computes when its scores are scaled by `scale`."""
    T = x.shape[1]
    wei = head.query(x) @ head.key(x).transpose(-2, -1) * scale
    wei = wei.masked_fill(torch.ones(T, T).tril() == 0, float("-inf"))
    return torch.softmax(wei, -1) @ head.value(x)


@_checker(
    "Head",
    hint="wei = q @ k.transpose(-2, -1) * head_size ** -0.5, masked_fill with "
    "self.tril[:T, :T], softmax, @ v",
)
def check_head(MyHead):
    """Exercise of notebook 05: a Head written from memory, same attribute names as the lecture."""
    from helpers import Head

    n_embd, head_size, context_length = 16, 8, 8
    mine, x, problems = _build_and_call(
        MyHead, (n_embd, head_size, context_length), head_size, "(B, T, head_size)"
    )
    if problems:
        return problems
    reference = Head(n_embd, head_size, context_length)
    parts = ("key", "query", "value")
    try:
        for part in parts:
            getattr(mine, part).weight.data.copy_(getattr(reference, part).weight.data)
    except (AttributeError, RuntimeError) as error:
        return [("linear layers named key, query and value (bias=False)", str(error))]
    with_bias = [part for part in parts if getattr(getattr(mine, part), "bias", None) is not None]
    if with_bias:  # nn.Linear adds a bias unless told otherwise; the lecture's layers have none
        problems.append(
            (
                "key, query and value without bias (bias=False)",
                f"a bias in {', '.join(with_bias)} (nn.Linear's default is bias=True)",
            )
        )
    causal = _causality_problem(mine, x)
    if causal:
        problems.append(causal)
    if problems:
        return problems
    with torch.no_grad():
        got = _call("an input of shape (2, 8, 16)", mine, x)
        # the usual slips, recomputed with the same weights, to name them when they match
        unscaled = _attend(reference, x, 1.0)
        by_n_embd = _attend(reference, x, n_embd**-0.5)
        expected = reference(x)
    if _same(got, expected):
        return []
    if _same(got, unscaled):
        return [("scores scaled by head_size ** -0.5", "unscaled scores")]
    if _same(got, by_n_embd):
        return [
            (
                "scores scaled by head_size ** -0.5",
                "scores scaled by C ** -0.5 (n_embd, as shown in the video; the lecture's "
                "code fixed this to head_size ** -0.5)",
            )
        ]
    return [("the same output as helpers.Head with the same weights", "a different output")]


def _window_weights(head, x, window, scale=None):
    """The weights of `head` when position t reads only positions t - window + 1 .. t."""
    T = x.shape[1]
    q, k = head.query(x), head.key(x)
    scale = k.shape[-1] ** -0.5 if scale is None else scale
    t = torch.arange(T)
    allowed = (t[None, :] <= t[:, None]) & (t[None, :] > t[:, None] - window)
    wei = (q @ k.transpose(-2, -1) * scale).masked_fill(~allowed, float("-inf"))
    return torch.softmax(wei, dim=-1)


@_checker(
    "window_attention_weights",
    hint="allowed = (s <= t) & (s > t - window) with t = torch.arange(T)[:, None] and "
    "s = torch.arange(T)[None, :]; masked_fill(~allowed, -inf) before the softmax",
)
def check_window_attention_weights(window_attention_weights):
    """Exercise 2 of notebook 05: window_attention_weights(head, x, window) -> (B, T, T) weights
    in which position t reads only itself and the window - 1 positions before it."""
    from helpers import Head

    torch.manual_seed(0)
    head = Head(16, 8, 8)
    g = torch.Generator().manual_seed(1)
    # T=5: shorter than the head's context_length; window 8 >= T: the plain causal weights
    for shape, window in [((2, 8, 16), 3), ((1, 5, 16), 2), ((2, 6, 16), 8)]:
        x = torch.randn(shape, generator=g)
        probe = f"Head(16, 8, 8), x of shape {shape}, window={window}"
        with torch.no_grad():
            got = _call(probe, window_attention_weights, head, x.clone(), window)
            expected = _window_weights(head, x, window)
            wider = _window_weights(head, x, window + 1)
            unscaled = _window_weights(head, x, window, scale=1.0)
        B, T, _ = shape
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != (B, T, T):
            return [(f"weights of shape {(B, T, T)} for {probe}", getattr(got, "shape", got))]
        got = got.detach()
        if _same(got, expected):
            continue
        if not torch.allclose(got.sum(-1), torch.ones(B, T), atol=1e-4):
            return [
                (
                    "each row of weights sums to 1 (mask with -inf before the softmax)",
                    f"row sums {[round(v, 3) for v in got[0].sum(-1).tolist()]}",
                )
            ]
        if window < T and _same(got, _window_weights(head, x, T)):
            return [(f"position t reads only its last {window} positions", "the whole past")]
        if _same(got, wider):
            return [(f"{window} positions per row (itself and {window - 1} before)", window + 1)]
        if _same(got, unscaled):
            return [("scores scaled by head_size ** -0.5, as in Head", "unscaled scores")]
        return [
            (
                f"row {T - 1} = {[round(v, 3) for v in expected[0, -1].tolist()]} for {probe}",
                [round(v, 3) for v in got[0, -1].tolist()],
            )
        ]
    return []
