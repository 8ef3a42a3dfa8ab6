"""Checks notebook 13's exercises (notebooks/13_many_gpus.ipynb), in its order:
batch_shares, accumulated_grads."""

import torch

from .core import _call, _checker


@_checker(
    "batch_shares",
    hint="divmod(global_batch, world_size) gives the rows every rank takes and how many are left "
    "over; give the first `left over` ranks one row more",
)
def check_batch_shares(batch_shares):
    """Exercise 1 of notebook 13: batch_shares(global_batch, world_size) -> the rows each rank
    takes, as even as possible, the first ranks one more where it does not divide."""
    problems = []
    for global_batch, world_size in [(64, 2), (9, 2), (10, 4), (3, 3), (7, 1), (64, 3)]:
        base, extra = divmod(global_batch, world_size)
        expected = [base + (r < extra) for r in range(world_size)]
        probe = f"global_batch={global_batch}, world_size={world_size}"
        got = _call(probe, batch_shares, global_batch, world_size)
        if got == expected:
            continue
        got = list(got) if isinstance(got, (list, tuple)) else got
        why = ""
        if isinstance(got, list) and all(isinstance(n, int) for n in got):
            if len(got) != world_size:
                why = f" ({len(got)} shares for {world_size} ranks)"
            elif sum(got) != global_batch:
                why = f" ({sum(got)} rows in all: {global_batch - sum(got)} of the batch lost)"
            elif max(got) - min(got) > 1:
                why = " (as even as possible: shares differ by one row at most)"
            else:
                why = " (the first ranks take the extra rows)"
        problems.append((f"{expected} for {probe}", f"{got}{why}"))
    return problems


def _grads(model):
    return [p.grad.clone() if p.grad is not None else None for p in model.parameters()]


@_checker(
    "accumulated_grads",
    hint="split x and y with x.tensor_split(micro_batches); for each part, backward() on its "
    "loss * (its rows / all rows): the gradients add up in .grad",
)
def check_accumulated_grads(accumulated_grads):
    """Exercise 2 of notebook 13: accumulated_grads(model, x, y, micro_batches) leaves in every
    parameter's .grad the gradient of the mean loss over all rows of x, computed in
    `micro_batches` forward and backward passes (gradient accumulation)."""
    from helpers.gpt import GPT, GPTConfig

    torch.manual_seed(0)
    config = GPTConfig(vocab_size=11, context_length=8, n_embd=16, n_head=2, n_layer=1, dropout=0)
    model = GPT(config)
    x, y = torch.randint(11, (6, 8)), torch.randint(11, (6, 8))
    model.zero_grad(set_to_none=True)
    model(x, y)[1].backward()
    expected = _grads(model)
    problems = []
    for micro_batches in (1, 2, 3, 4):  # 6 rows in 4 micro-batches: 2, 2, 1, 1
        model.zero_grad(set_to_none=True)
        probe = f"6 rows in micro_batches={micro_batches}"
        _call(probe, accumulated_grads, model, x, y, micro_batches)
        got = _grads(model)
        if any(g is None for g in got):
            problems.append((f"every parameter's .grad set, for {probe}", "some .grad is None"))
            break
        if all(
            torch.allclose(g, e, atol=1e-6, rtol=1e-4) for g, e in zip(got, expected, strict=True)
        ):
            continue
        ratio = (got[0].norm() / expected[0].norm()).item()
        if abs(ratio - micro_batches) < 1e-3 * micro_batches and micro_batches > 1:
            why = f" ({ratio:.2f} times too large: each micro-batch's mean loss needs a weight)"
        elif micro_batches == 4:
            why = " (micro-batches of unequal size, 2, 2, 1, 1 rows: weight each by its rows / 6)"
        else:
            why = f" (its norm is {ratio:.3f} times the full batch's)"
        problems.append((f"the full batch's gradient, for {probe}", f"another gradient{why}"))
    return problems
