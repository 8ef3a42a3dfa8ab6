"""Each exercise checker passes a right answer and fails a plausible wrong one with a useful message."""

from collections import Counter

import torch

from helpers import CharTokenizer
from helpers import checks as C


def not_attempted(*args, **kwargs):
    raise NotImplementedError


def test_unattempted_exercise_is_reported_not_raised(capsys):
    assert C.check_most_common(not_attempted) is False
    assert "not attempted yet" in capsys.readouterr().out


def test_a_crash_in_the_learners_code_is_shown(capsys):
    assert C.check_most_common(lambda text, n: 1 / 0) is False
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_most_common(capsys):
    assert C.check_most_common(lambda text, n: Counter(text).most_common(n))
    # plausible mistake: the least common instead of the most common
    assert not C.check_most_common(lambda text, n: Counter(text).most_common()[::-1][:n])
    out = capsys.readouterr().out
    assert "expected: [('a', 5), ('b', 2), ('r', 2)]" in out and "hint:" in out


def test_encode_lossy(capsys):
    tok = CharTokenizer.from_text("Hi world! plain text")
    right = lambda t, s, r=" ": t.encode("".join(c if c in t.stoi else r for c in s))  # noqa: E731
    assert C.check_encode_lossy(right, tok)
    # plausible mistake: dropping unknown characters instead of replacing them
    dropping = lambda t, s, r=" ": t.encode("".join(c for c in s if c in t.stoi))  # noqa: E731
    assert not C.check_encode_lossy(dropping, tok)
    assert "Hi w rld!" in capsys.readouterr().out


def test_examples_per_batch(capsys):
    assert C.check_examples_per_batch(lambda b, t: b * t)
    assert not C.check_examples_per_batch(lambda b, t: b)  # one example per row: the classic slip
    assert "expected: 256 for batch_size=32, context_length=8" in capsys.readouterr().out


def iterate_right(data, batch_size, context_length):
    starts = list(range(0, len(data) - context_length, context_length))
    for i in range(0, len(starts), batch_size):
        chunk = starts[i : i + batch_size]
        yield (torch.stack([data[s : s + context_length] for s in chunk]),
               torch.stack([data[s + 1 : s + context_length + 1] for s in chunk]))


def test_iterate_batches(capsys):
    assert C.check_iterate_batches(iterate_right)

    def overlapping(data, batch_size, context_length):  # step 1 instead of context_length
        for s in range(0, len(data) - context_length, batch_size):
            yield data[s : s + context_length][None], data[s + 1 : s + context_length + 1][None]

    assert not C.check_iterate_batches(overlapping)
    assert "without overlap" in capsys.readouterr().out


def test_bigram_nll(capsys):
    assert C.check_bigram_nll(lambda p, d: -torch.log(p[d[:-1], d[1:]]).mean())
    # plausible mistake: forgetting the minus sign
    assert not C.check_bigram_nll(lambda p, d: torch.log(p[d[:-1], d[1:]]).mean())
    assert "hint: pairs are" in capsys.readouterr().out


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
    assert "use the generator" in capsys.readouterr().out
    assert not C.check_sample_bigram(lambda probs, start, n, g: right(probs, start, n, g)[1:])
