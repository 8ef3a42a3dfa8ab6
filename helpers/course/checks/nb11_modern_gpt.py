"""Checks notebook 11's exercises (notebooks/11_modern_gpt.ipynb), in its order:
swiglu_width, rope_interleaved."""

import torch

from .core import _call, _checker, _same


@_checker(
    "swiglu_width",
    hint="int(8 * n_embd / 3), then up to the next multiple: "
    "multiple_of * ((hidden + multiple_of - 1) // multiple_of)",
)
def check_swiglu_width(swiglu_width):
    """Exercise 1 of notebook 11: swiglu_width(n_embd, multiple_of) -> LLaMA's hidden width,
    int(8/3 n_embd) rounded up to a multiple of multiple_of."""
    problems = []
    # (4096, 256) and (5120, 256): LLaMA 7B's and 13B's published widths, 11008 and 13824
    for n_embd, multiple_of in [(4096, 256), (5120, 256), (96, 1), (100, 8), (384, 64), (100, 1)]:
        probe = f"n_embd={n_embd}, multiple_of={multiple_of}"
        got = _call(probe, swiglu_width, n_embd, multiple_of)
        hidden = int(8 * n_embd / 3)
        expected = multiple_of * ((hidden + multiple_of - 1) // multiple_of)
        if got == expected:
            continue
        known = {
            multiple_of * (hidden // multiple_of): "rounded down: then the MLP has fewer "
            "parameters than the ReLU one, not at least as many",
            4 * n_embd: "4 n_embd is the ReLU MLP's width; SwiGLU has three matrices, not two",
            hidden: "not rounded to a multiple of multiple_of",
            round(8 * n_embd / 3): "not rounded to a multiple of multiple_of",
        }
        why = known.get(got) if isinstance(got, int) and not isinstance(got, bool) else None
        problems.append((f"{expected} for {probe}", f"{got!r}" + (f" ({why})" if why else "")))
    return problems


def _interleaved(x, cos, sin):
    T = x.shape[-2]
    cos, sin = cos[:T], sin[:T]
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)


@_checker(
    "rope_interleaved",
    hint="even, odd = x[..., 0::2], x[..., 1::2]; rotate each (even, odd) pair by cos[:T], "
    "sin[:T]; then torch.stack((new_even, new_odd), dim=-1).flatten(-2) puts each pair back",
)
def check_rope_interleaved(rope_interleaved):
    """Exercise 2 of notebook 11: rope_interleaved(x, cos, sin) -> RoPE with the pairs (2i, 2i+1),
    the original paper's layout, for x (..., T, head_size) and rope_tables' cos, sin."""
    from helpers.modern import apply_rope, rope_tables

    torch.manual_seed(0)
    problems = []
    cos, sin = rope_tables(8, 12)
    for shape in [(2, 3, 12, 8), (1, 1, 5, 8)]:  # the second is shorter than the tables
        x = torch.randn(shape)
        probe = f"x of shape {shape}, tables for 12 positions"
        got = _call(probe, rope_interleaved, x.clone(), cos, sin)
        expected = _interleaved(x, cos, sin)
        if isinstance(got, torch.Tensor) and _same(got, expected):
            continue
        if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
            problems.append((f"a tensor of shape {shape}", getattr(got, "shape", got)))
            continue
        T = shape[-2]
        even, odd = x[..., 0::2], x[..., 1::2]
        c, s = cos[:T], sin[:T]
        if _same(got, apply_rope(x, cos, sin)):
            why = "that is apply_rope's layout, pairs (i, i + head_size/2), not (2i, 2i+1)"
        elif _same(got, _interleaved(x, cos, -sin)):
            why = "each pair turns the wrong way: the sines have the wrong sign"
        elif _same(got, torch.cat((even * c - odd * s, even * s + odd * c), dim=-1)):
            why = "the pairs are rotated right but not put back: channel 2i+1 must follow 2i"
        else:
            why = "another tensor"
        problems.append((f"pairs (2i, 2i+1) rotated, for {probe}", why))
    return problems
