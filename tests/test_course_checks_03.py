"""The checks of notebook 03's exercises (helpers/course/checks/nb03_bigram.py): each passes a right
answer and fails a plausible wrong one with a useful message."""

import pytest
import torch
from checks_support import crashed, not_attempted
from torch.nn import functional as F

from helpers.course import checks as C


def bigram_loss_right(logits, targets):  # the lecture's lines
    B, T, C = logits.shape
    return torch.nn.functional.cross_entropy(logits.view(B * T, C), targets.view(B * T))


def test_bigram_loss_passes_the_lecture_and_other_right_answers(capsys):
    F = torch.nn.functional
    assert C.check_bigram_loss(bigram_loss_right)
    assert C.check_bigram_loss(
        lambda logits, targets: F.cross_entropy(logits.transpose(1, 2), targets)
    )
    by_hand = lambda z, y: -F.log_softmax(z, -1).gather(-1, y[..., None]).mean()  # noqa: E731
    assert C.check_bigram_loss(by_hand)
    assert "✓ bigram_loss" in capsys.readouterr().out


def test_bigram_loss_is_reported_when_not_attempted(capsys):
    verdict = C.check_bigram_loss(not_attempted)
    assert verdict.status == "not attempted"
    assert "bigram_loss: not attempted yet" in capsys.readouterr().out
    # an error that is not about shapes is shown as the learner's own, with the probe
    assert not C.check_bigram_loss(lambda logits, targets: logits.no_such_method())
    out = capsys.readouterr().out
    assert "your code raised AttributeError" in out and "logits of shape (2, 3, 5)" in out


@pytest.mark.parametrize(
    "wrong, named",
    [
        # not reshaping: with T != C cross_entropy raises about the shapes ...
        (
            lambda z, y: torch.nn.functional.cross_entropy(z, y),
            "logits reshaped to (B*T, C) = (6, 5)",
        ),
        (  # ... the targets forgotten
            lambda z, y: torch.nn.functional.cross_entropy(z.view(-1, z.shape[-1]), y),
            "and targets to (B*T) = (6,)",
        ),
        (
            lambda z, y: bigram_loss_right(torch.softmax(z, -1), y),
            "softmax probabilities given to F.cross_entropy",
        ),
        (  # the mean over the vocabulary instead of picking each target
            lambda z, y: -torch.log_softmax(z, -1).mean(),
            "-log p averaged over all C characters",
        ),
        (  # the mean over the batch only: one loss per time step
            lambda z, y: torch.nn.functional.cross_entropy(
                z.transpose(1, 2), y, reduction="none"
            ).mean(0),
            "a tensor of shape (3,): the mean over the wrong axes",
        ),
        (
            lambda z, y: torch.nn.functional.nll_loss(z.view(-1, z.shape[-1]), y.view(-1)),
            "F.nll_loss on logits",
        ),
        (lambda z, y: bigram_loss_right(z, y) * z.shape[0] * z.shape[1], "the sum over the B*T"),
        (lambda z, y: bigram_loss_right(z, y).item(), "do not call .item()"),
        (lambda z, y: -bigram_loss_right(z, y), "without the minus sign"),
    ],
)
def test_bigram_loss_names_the_mistake(capsys, wrong, named):
    verdict = C.check_bigram_loss(wrong)
    out = capsys.readouterr().out
    assert verdict.status == "failed" and named in out, out
    assert "hint: B, T, C = logits.shape" in out


def test_bigram_loss_names_a_missing_reshape_even_when_time_equals_channels(capsys):
    def unreshaped_when_it_runs(z, y):  # the learner "fixed" the error only for the first probe
        if z.shape[1] != z.shape[2]:
            return bigram_loss_right(z, y)
        return torch.nn.functional.cross_entropy(z, y)

    assert not C.check_bigram_loss(unreshaped_when_it_runs)
    out = capsys.readouterr().out
    assert "F.cross_entropy read dimension 1, time, as the classes" in out
    assert "logits of shape (2, 4, 4)" in out


def test_bigram_loss_without_a_gradient_is_rejected(capsys):
    assert not C.check_bigram_loss(lambda z, y: bigram_loss_right(z.detach(), y))
    assert "loss.backward() could not train" in capsys.readouterr().out


def test_bigram_nll(capsys):
    assert C.check_bigram_nll(lambda p, d: -torch.log(p[d[:-1], d[1:]]).mean())
    # plausible mistake: forgetting the minus sign
    assert not C.check_bigram_nll(lambda p, d: torch.log(p[d[:-1], d[1:]]).mean())
    out = capsys.readouterr().out
    assert "hint: pairs are" in out
    g = torch.Generator().manual_seed(0)  # the check's random table, to name the expected figure
    probs = torch.rand(5, 5, generator=g)
    probs, data = probs / probs.sum(1, keepdim=True), torch.randint(5, (200,), generator=g)
    assert f"expected: {-torch.log(probs[data[:-1], data[1:]]).mean().item():.4f}" in out


def test_bigram_nll_crash_when_the_data_lacks_a_character(capsys):
    def one_hot(probs, data):  # F.one_hot guesses the number of classes from the data
        rows = F.one_hot(data[:-1]).float() @ probs
        return -torch.log(rows[torch.arange(len(data) - 1), data[1:]]).mean()

    assert not C.check_bigram_nll(one_hot)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "data without id 4" in out


def test_sample_bigram(capsys):
    def right(probs, start, n, generator):
        ids = [start]
        for _ in range(n):
            ids.append(torch.multinomial(probs[ids[-1]], 1, generator=generator).item())
        return ids

    assert C.check_sample_bigram(right)

    def ignores_generator(probs, start, n, generator):
        ids = [start]
        for _ in range(n):
            ids.append(torch.multinomial(probs[ids[-1]], 1).item())
        return ids

    assert not C.check_sample_bigram(ignores_generator)
    out = capsys.readouterr().out
    assert (
        "expected: the same ids for the same generator seed" in out and "use the generator" in out
    )
    # plausible mistake: leaving out the start id
    assert not C.check_sample_bigram(lambda probs, start, n, g: right(probs, start, n, g)[1:])
    assert "expected: [2, 3, 0, 1, 2, 3, 0] (the start, then 6 draws)" in capsys.readouterr().out


def test_sample_bigram_crash_on_float32_probabilities_in_numpy(capsys):
    import numpy as np

    def with_numpy(probs, start, n, generator):
        rng = np.random.default_rng(generator.initial_seed())
        ids = [start]
        for _ in range(n):  # float32 thirds sum to 1.00000003: numpy refuses them
            ids.append(int(rng.choice(len(probs), p=probs[ids[-1]].tolist())))
        return ids

    g = torch.Generator().manual_seed(0)
    cycle = torch.roll(torch.eye(4), 1, dims=1)
    assert with_numpy(cycle, 2, 6, g) == [2, 3, 0, 1, 2, 3, 0]  # the first probe passes
    assert not C.check_sample_bigram(with_numpy)
    out = capsys.readouterr().out
    assert crashed(out, "ValueError: Probabilities do not sum to 1") and "uniform" in out


def trigram_right(data, vocab_size, k):
    V = vocab_size
    triples = (data[:-2] * V + data[1:-1]) * V + data[2:]
    counts = torch.bincount(triples, minlength=V**3).view(V, V, V).float() + k
    return counts / counts.sum(-1, keepdim=True)


def test_trigram_probs(capsys):
    assert C.check_trigram_probs(trigram_right)
    # plausible mistake: add-one smoothing whatever k says
    assert not C.check_trigram_probs(lambda data, V, k: trigram_right(data, V, 1.0))
    out = capsys.readouterr().out
    assert "expected: counts + k with k=0.5" in out and "counts + 1: use the argument k" in out

    def over_all(data, V, k):  # normalised over the whole table, not over each [a, b] row
        counts = trigram_right(data, V, k) * 0 + torch.bincount(
            (data[:-2] * V + data[1:-1]) * V + data[2:], minlength=V**3
        ).view(V, V, V)
        return (counts + k) / (counts + k).sum()

    assert not C.check_trigram_probs(over_all)
    assert "expected: every row probs[a, b] sums to 1 over the next character c" in (
        capsys.readouterr().out
    )

    def swapped(data, V, k):  # counts (b, a, c): the two context characters swapped
        return trigram_right(data, V, k).transpose(0, 1)

    assert not C.check_trigram_probs(swapped)
    assert "(the counts of the triples" in capsys.readouterr().out


def test_trigram_probs_crash_when_the_data_lacks_a_character(capsys):
    def no_minlength(data, V, k):  # bincount's length is the largest triple id + 1
        counts = torch.bincount((data[:-2] * V + data[1:-1]) * V + data[2:]).view(V, V, V) + k
        return counts / counts.sum(-1, keepdim=True)

    data = torch.cat([torch.randint(5, (300,)), torch.tensor([4, 4, 4])])
    assert no_minlength(data, 5, 1.0).shape == (5, 5, 5)  # the first probes pass
    assert not C.check_trigram_probs(no_minlength)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "never use id 4" in out
