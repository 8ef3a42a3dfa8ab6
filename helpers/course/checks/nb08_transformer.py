"""Checks notebook 08's exercises (notebooks/08_transformer.ipynb), in its order:
sample_next, gpt_param_count, top_p_filter."""

import torch

from .core import _call, _checker, _LearnerError


@_checker(
    "sample_next",
    hint="if temperature == 0: argmax; else logits / temperature, "
    "torch.topk(..., min(top_k, V)), softmax, multinomial",
)
def check_sample_next(my_sample_next):
    """Exercise of notebook 08: my_sample_next(logits, temperature, top_k) -> ids of shape (B, 1)."""
    logits = torch.tensor([[1.0, 3.0, 2.0, 0.5], [0.0, 0.0, 5.0, 1.0]])
    problems = []
    try:
        got = _call("temperature 0", my_sample_next, logits, 0.0, None)
    except _LearnerError as raised:  # typically dividing by 0: shown as the answer, still a fail
        got = f"{type(raised.error).__name__}: {raised.error}"
    if not isinstance(got, torch.Tensor) or got.shape != (2, 1) or got.flatten().tolist() != [1, 2]:
        problems.append(
            ("temperature 0: the likeliest ids [[1], [2]] (greedy, no division by zero)", got)
        )
    torch.manual_seed(0)
    draws = [_call("temperature 1, top_k=2", my_sample_next, logits, 1.0, 2) for _ in range(200)]
    drawn = set(torch.cat(draws, dim=1)[0].tolist())
    if not drawn <= {1, 2}:
        problems.append(("top_k=2 keeps only ids {1, 2} in row 0", sorted(drawn)))
    if len(drawn) < 2:
        problems.append(("both of the top 2 ids drawn sometimes at temperature 1", sorted(drawn)))
    # the temperature must change the odds: logits [2, 0] give id 0 with probability 0.62 at
    # temperature 4 and 0.9997 at 0.25, but 0.88 to a sampler that ignores the temperature
    pair = torch.tensor([[2.0, 0.0]]).repeat(1000, 1)
    for temperature, low, high in ((4.0, 0.5, 0.75), (0.25, 0.97, 1.0)):
        torch.manual_seed(0)
        ids = _call(f"temperature {temperature}", my_sample_next, pair, temperature, None)
        share = (ids == 0).float().mean().item()
        if not low <= share <= high:
            problems.append(
                (
                    f"temperature {temperature}: id 0 of logits [2, 0] drawn "
                    f"{'less' if temperature > 1 else 'more'} often than at temperature 1 "
                    f"(share {low:.2f} to {high:.2f}): divide the logits by the temperature",
                    f"share {share:.2f}",
                )
            )
    big = _call("top_k=100, larger than the vocabulary of 4", my_sample_next, logits, 1.0, 100)
    if not isinstance(big, torch.Tensor) or big.shape != (2, 1):
        problems.append(
            (
                "top_k larger than the vocabulary: clamp it, ids of shape (2, 1)",
                getattr(big, "shape", big),
            )
        )
    return problems


def _gpt_params(config, tied):
    from helpers import GPT

    torch.manual_seed(0)
    model = GPT(config)
    if tied:
        model.lm_head.weight = model.token_embedding_table.weight
    return sum(p.numel() for p in model.parameters())  # a shared tensor counts once


@_checker(
    "gpt_param_count",
    hint="embeddings (vocab_size + context_length) * n_embd; per block 12 * n_embd**2 + "
    "10 * n_embd; ln_f 2 * n_embd; lm_head n_embd * vocab_size + vocab_size; tied: the "
    "lm_head's weight is the embedding's, its bias stays",
)
def check_gpt_param_count(gpt_param_count):
    """Exercise 2 of notebook 08: gpt_param_count(config, tied) -> the number of parameters of
    GPT(config), with the output head's weight tied to the token embedding when tied=True."""
    from helpers import GPTConfig

    problems = []
    for shape in [(65, 64, 64, 4, 2), (11, 8, 16, 2, 3), (100, 32, 48, 3, 1)]:
        config = GPTConfig(*shape, dropout=0.0)
        V, L, C, _, _ = shape
        for tied in (False, True):
            probe = f"{config}, tied={tied}"
            got = _call(probe, gpt_param_count, config, tied)
            expected = _gpt_params(config, tied)
            if got == expected:
                continue
            known = {
                V * C: "vocab_size * n_embd too few: is the lm_head's weight missing?",
                -V * C: "the shared weight counted twice: tied, lm_head's weight IS the "
                "token embedding's",
                V: "lm_head's bias missing (tying shares the weight only)",
                V * C + V: "lm_head missing",
                L * C: "the position embedding missing",
                2 * C: "ln_f missing",
            }
            why = known.get(expected - got) if isinstance(got, int) else None
            problems.append((f"{expected:,} for {probe}", f"{got}" + (f" ({why})" if why else "")))
        if problems:
            return problems
    return problems


def _top_p(logits, p):
    """The reference: logits outside the nucleus (the fewest likeliest ids whose probabilities
    add up to at least p) set to -inf, in the original order."""
    probs, order = torch.softmax(logits, dim=-1).sort(dim=-1, descending=True)
    before = probs.cumsum(dim=-1) - probs  # probability of the ids ranked above each one
    drop = (before >= p).scatter(-1, order, before >= p)
    return logits.masked_fill(drop, float("-inf"))


@_checker(
    "top_p_filter",
    hint="sort the probabilities (descending), cumsum; an id stays while the ids ranked above it "
    "add up to less than p (so the likeliest always stays); set the others' logits to -inf in "
    "the original order (scatter, or index with the sort order)",
)
def check_top_p(top_p_filter):
    """Exercise 3 of notebook 08: top_p_filter(logits, p) -> logits of shape (B, V) with every id
    outside the nucleus set to -inf."""
    probs = torch.tensor([[0.15, 0.5, 0.05, 0.3], [0.1, 0.2, 0.3, 0.4]])
    logits = probs.log()
    problems = []
    for p, what in [
        (0.6, "row 0: 0.5 is short of 0.6, 0.5 + 0.3 reaches it: ids 1 and 3 stay, in place"),
        (0.45, "row 0: 0.5 alone reaches 0.45: only id 1"),
        (0.01, "the likeliest id always stays"),
        (1.0, "p = 1 keeps every id"),
    ]:
        got = _call(f"p={p}", top_p_filter, logits.clone(), p)
        expected = _top_p(logits, p)
        if not isinstance(got, torch.Tensor) or got.shape != logits.shape:
            problems.append(
                (f"logits of shape {tuple(logits.shape)} for p={p}", getattr(got, "shape", got))
            )
        elif not torch.equal(torch.isinf(got), torch.isinf(expected)):
            kept = [torch.nonzero(~torch.isinf(row)).flatten().tolist() for row in got]
            want = [torch.nonzero(~torch.isinf(row)).flatten().tolist() for row in expected]
            problems.append((f"p={p}: ids kept per row {want} ({what})", f"ids kept {kept}"))
        elif not torch.allclose(got[~torch.isinf(got)], logits[~torch.isinf(expected)]):
            problems.append((f"p={p}: the kept logits unchanged", "the kept logits were changed"))
    return problems
