"""Checks notebook 06's exercises (notebooks/06_many_heads.ipynb), in its order:
MultiHeadAttention, mha_param_count."""

import torch

from .core import _build_and_call, _call, _causality_problem, _checker, _same


@_checker(
    "MultiHeadAttention",
    hint="nn.ModuleList of Heads, torch.cat([h(x) for h in self.heads], dim=-1), then "
    "self.proj = nn.Linear(num_heads * head_size, n_embd)",
)
def check_multi_head(MyMultiHeadAttention):
    """Exercise of notebook 06: MultiHeadAttention(n_embd, num_heads, head_size, context_length)."""
    from helpers import MultiHeadAttention

    mine, x, problems = _build_and_call(MyMultiHeadAttention, (16, 4, 4, 8), 16, "(B, T, n_embd)")
    if problems:
        return problems
    reference = MultiHeadAttention(16, 4, 4, 8)
    try:
        mine.load_state_dict(reference.state_dict())
    except RuntimeError as error:
        problems.append(
            (
                "parameters named like the lecture's: heads.N.key/query/value, proj",
                str(error).splitlines()[0],
            )
        )
    causal = _causality_problem(mine, x)
    if causal:
        problems.append(causal)
    if problems:
        return problems
    with torch.no_grad():
        if not _same(_call("an input of shape (2, 8, 16)", mine, x), reference(x)):
            problems.append(
                (
                    "the same output as helpers.MultiHeadAttention with the same weights",
                    "a different output",
                )
            )
    return problems


@_checker(
    "mha_param_count",
    hint="each head: 3 matrices of n_embd x head_size (no bias); proj: a "
    "(num_heads * head_size) x n_embd matrix plus n_embd biases",
)
def check_mha_param_count(mha_param_count):
    """Exercise 2 of notebook 06: mha_param_count(n_embd, num_heads, head_size) -> the number of
    parameters of MultiHeadAttention(n_embd, num_heads, head_size, context_length)."""
    from helpers import MultiHeadAttention

    problems = []
    # (16, 3, 4): heads that do not fill n_embd (3 * 4 = 12 channels), which the class allows
    for n_embd, num_heads, head_size in [(32, 4, 8), (32, 1, 32), (16, 3, 4), (384, 6, 64)]:
        shape = f"n_embd={n_embd}, num_heads={num_heads}, head_size={head_size}"
        got = _call(shape, mha_param_count, n_embd, num_heads, head_size)
        module = MultiHeadAttention(n_embd, num_heads, head_size, 8)
        expected = sum(p.numel() for p in module.parameters())
        if got == expected:
            continue
        concat = num_heads * head_size
        known = {
            n_embd: "the n_embd biases of proj are missing",
            concat * n_embd + n_embd: "proj is missing",
            -3 * concat: "key, query and value have no bias (bias=False)",
            concat * n_embd - n_embd * n_embd: "proj maps num_heads * head_size channels, "
            "not n_embd, back to n_embd",
        }
        why = known.get(expected - got) if isinstance(got, int) else None
        problems.append((f"{expected:,} for {shape}", f"{got}" + (f" ({why})" if why else "")))
    return problems
