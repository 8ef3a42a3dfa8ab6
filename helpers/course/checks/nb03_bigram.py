"""Checks notebook 03's exercises (notebooks/03_bigram.ipynb), in its order:
bigram_loss, bigram_nll, sample_bigram, trigram_probs."""

import math

import torch

from .core import _as_float, _call, _checker, _LearnerError, _same


def _bigram_loss_mistakes(logits, targets):
    """(what went wrong, the loss it gives) for the usual wrong ways to write the bigram's loss."""
    F = torch.nn.functional
    B, T, C = logits.shape
    flat, flat_targets = logits.reshape(B * T, C), targets.reshape(B * T)
    mistakes = [
        (
            "softmax probabilities given to F.cross_entropy: it applies the softmax itself, so "
            "give it the raw logits",
            F.cross_entropy(F.softmax(flat, dim=-1), flat_targets),
        ),
        (
            "-log p averaged over all C characters of the vocabulary: take -log p of each "
            "target only, then the mean over the B*T predictions",
            -F.log_softmax(flat, dim=-1).mean(),
        ),
        (
            "the sum over the B*T predictions: the loss is their mean",
            F.cross_entropy(flat, flat_targets, reduction="sum"),
        ),
        (
            "F.nll_loss on logits: it wants log-probabilities (F.log_softmax first); "
            "F.cross_entropy does both",
            F.nll_loss(flat, flat_targets),
        ),
        ("log p without the minus sign", -F.cross_entropy(flat, flat_targets)),
    ]
    if T == C:  # only then does the unreshaped call run (with T != C it raises)
        mistakes.append(
            (
                "logits (B, T, C) not reshaped: F.cross_entropy read dimension 1, time, as the "
                "classes; reshape logits to (B*T, C) and targets to (B*T)",
                F.cross_entropy(logits, targets),
            )
        )
    return mistakes


@_checker(
    "bigram_loss",
    hint="B, T, C = logits.shape; F.cross_entropy(logits.view(B * T, C), targets.view(B * T))",
)
def check_bigram_loss(bigram_loss):
    """Notebook 03, before the model: bigram_loss(logits, targets) -> the mean cross-entropy of
    logits (B, T, C) against targets (B, T), a 0-d tensor that backward() can use."""
    g = torch.Generator().manual_seed(0)
    # (B, T, C): T differs from C first (an unreshaped call raises), then T equals C (it runs)
    for B, T, C in [(2, 3, 5), (2, 4, 4)]:
        probe = f"logits of shape ({B}, {T}, {C}), targets ({B}, {T})"
        logits = torch.randn(B, T, C, generator=g).mul(2).requires_grad_()
        targets = torch.randint(C, (B, T), generator=g)
        try:
            got = bigram_loss(logits, targets.clone())
        except NotImplementedError:
            raise
        except (RuntimeError, ValueError) as error:
            if not any(word in str(error) for word in ("size", "shape", "target", "dimension")):
                raise _LearnerError(probe, error) from error
            return [
                (
                    f"logits reshaped to (B*T, C) = ({B * T}, {C}) and targets to (B*T) = "
                    f"({B * T},) before F.cross_entropy ({probe})",
                    f"an error about the shapes: {error}",
                )
            ]
        except Exception as error:
            raise _LearnerError(probe, error) from error
        with torch.no_grad():
            expected = torch.nn.functional.cross_entropy(
                logits.view(B * T, C), targets.view(B * T)
            ).item()
            mistakes = _bigram_loss_mistakes(logits.detach(), targets)
        if not isinstance(got, torch.Tensor):
            return [
                (
                    f"a tensor holding one number, {expected:.4f}, that loss.backward() can use "
                    f"({probe})",
                    f"{f'{got:.4f}' if isinstance(got, float) else repr(got)} "
                    f"({type(got).__name__}: keep the tensor, do not call .item())",
                )
            ]
        if got.numel() != 1:
            return [
                (
                    f"one number, the mean over all B*T = {B * T} predictions ({probe})",
                    f"a tensor of shape {tuple(got.shape)}: the mean over the wrong axes",
                )
            ]
        value = got.detach().float().item()
        if math.isclose(value, expected, rel_tol=1e-4, abs_tol=1e-5):
            if not got.requires_grad:
                return [
                    (
                        "a loss that keeps its gradient (computed from logits with torch ops)",
                        "a tensor without a gradient: loss.backward() could not train the model",
                    )
                ]
            continue
        for mistake, wrong in mistakes:
            if math.isclose(value, wrong.item(), rel_tol=1e-4, abs_tol=1e-5):
                return [(f"{expected:.4f} ({probe})", f"{value:.4f}: {mistake}")]
        return [(f"{expected:.4f}, the mean of -log softmax(logits)[target] ({probe})", value)]
    return []


@_checker(
    "bigram_nll",
    hint="pairs are (data[:-1], data[1:]); take -log of probs at those pairs, then the mean",
)
def check_bigram_nll(bigram_nll):
    """Exercise 1 of notebook 03: mean negative log-likelihood of data under a probability table."""
    g = torch.Generator().manual_seed(0)
    probs = torch.rand(5, 5, generator=g)
    probs = probs / probs.sum(1, keepdim=True)
    data = torch.randint(5, (200,), generator=g)
    problems = []
    got = _as_float(_call("a random 5 x 5 table", bigram_nll, probs, data))
    expected = -torch.log(probs[data[:-1], data[1:]]).mean().item()
    if not isinstance(got, float) or not math.isclose(got, expected, rel_tol=1e-4):
        problems.append((f"{expected:.4f}", got))
    # data % 4 never uses id 4, as a validation text may lack a rare character of the vocabulary
    uniform = torch.full((5, 5), 0.2)
    got = _as_float(_call("a uniform table, data without id 4", bigram_nll, uniform, data % 4))
    if not isinstance(got, float) or not math.isclose(got, math.log(5), rel_tol=1e-4):
        problems.append((f"ln(5) = {math.log(5):.4f} for a uniform table", got))
    return problems


@_checker(
    "sample_bigram",
    hint="draw each id with torch.multinomial(probs[last], 1, generator=generator)",
)
def check_sample_bigram(sample_bigram):
    """Exercise 2 of notebook 03: sample_bigram(probs, start, n, generator) -> list of n+1 ids."""
    cycle = torch.zeros(4, 4)
    for i in range(4):
        cycle[i, (i + 1) % 4] = 1.0  # 0 -> 1 -> 2 -> 3 -> 0: no randomness left
    seeded = torch.Generator().manual_seed
    got = _call("a table that cycles 0 -> 1 -> 2 -> 3", sample_bigram, cycle, 2, 6, seeded(0))
    problems = []
    if list(got or []) != [2, 3, 0, 1, 2, 3, 0]:
        problems.append(("[2, 3, 0, 1, 2, 3, 0] (the start, then 6 draws)", got))
    uniform = torch.full((3, 3), 1 / 3)
    probe = "a uniform table, twice with the same seed"
    a = _call(probe, sample_bigram, uniform, 0, 50, seeded(1))
    b = _call(probe, sample_bigram, uniform, 0, 50, seeded(1))
    if list(a) != list(b):
        problems.append(
            ("the same ids for the same generator seed", "different ids: use the generator")
        )
    return problems


def _trigram_reference(data, vocab_size, k):
    counts = torch.zeros(vocab_size, vocab_size, vocab_size)
    for a, b, c in zip(data[:-2].tolist(), data[1:-1].tolist(), data[2:].tolist(), strict=True):
        counts[a, b, c] += 1
    counts += k
    return counts / counts.sum(-1, keepdim=True)


@_checker(
    "trigram_probs",
    hint="number each triple (a * V + b) * V + c, torch.bincount(..., minlength=V ** 3), "
    ".view(V, V, V), add k, divide each [a, b] row by its sum",
)
def check_trigram_probs(trigram_probs):
    """Exercise 3 of notebook 03: trigram_probs(data, vocab_size, k) -> (V, V, V) table of
    P(next = c | a, b) with add-k smoothing."""
    g = torch.Generator().manual_seed(0)
    data = torch.cat([torch.randint(5, (300,), generator=g), torch.tensor([4, 4, 4])])
    # (what the probe is, data, k); data % 4 never uses id 4, as a validation text may lack a rare
    # character of the vocabulary: its rows must still be there, uniform
    probes = [
        ("300 random ids < 5, k=1", data, 1.0),
        ("the same ids, k=0.5", data, 0.5),
        ("ids that never use id 4 (vocab_size=5), k=1", data % 4, 1.0),
    ]
    for probe, ids, k in probes:
        got = _call(probe, trigram_probs, ids.clone(), 5, k)
        expected = _trigram_reference(ids, 5, k)
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != (5, 5, 5):
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else got
            return [(f"a tensor of shape (5, 5, 5) for {probe}", shape)]
        got = got.float()
        if _same(got, expected):
            continue
        if not torch.allclose(got.sum(-1), torch.ones(5, 5), atol=1e-4):
            return [
                (
                    "every row probs[a, b] sums to 1 over the next character c",
                    f"probs[0, 0].sum() = {got[0, 0].sum().item():.4f} ({probe})",
                )
            ]
        if k != 1.0 and _same(got, _trigram_reference(ids, 5, 1.0)):
            return [(f"counts + k with k={k}", "counts + 1: use the argument k")]
        a, b = divmod(int((got - expected).abs().sum(-1).argmax()), 5)
        rounded = [round(v, 3) for v in expected[a, b].tolist()]
        return [
            (
                f"probs[{a}, {b}] = {rounded} (the counts of the triples {a}, {b}, c plus k, "
                f"divided by their sum; {probe})",
                [round(v, 3) for v in got[a, b].tolist()],
            )
        ]
    return []
