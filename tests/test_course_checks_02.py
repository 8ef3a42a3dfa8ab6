"""The checks of notebook 02's exercises (helpers/course/checks/nb02_batching.py): each passes a
right answer and fails a plausible wrong one with a useful message."""

import torch
from checks_support import crashed, not_attempted

from helpers.course import checks as C


def get_batch_like(start_high=lambda n, t: n - t, shift=1, stack=torch.stack):
    """The lecture's get_batch, with one of its pieces swapped for a usual mistake."""

    def get_batch(data, batch_size, context_length):
        ix = torch.randint(start_high(len(data), context_length), (batch_size,))
        x = stack([data[i : i + context_length] for i in ix])
        y = stack([data[i + shift : i + context_length + shift] for i in ix])
        return x, y

    return get_batch


def test_get_batch(capsys):
    assert C.check_get_batch(get_batch_like())
    # targets not shifted
    assert not C.check_get_batch(get_batch_like(shift=0))
    out = capsys.readouterr().out
    assert "x shifted by one" in out and "y equal to x" in out
    # starts drawn up to len(data) - context_length: the last window runs one past the end
    assert not C.check_get_batch(get_batch_like(start_high=lambda n, t: n - t + 1))
    assert "a window ran past the end of data" in capsys.readouterr().out
    # starts that never reach the last window
    assert not C.check_get_batch(get_batch_like(start_high=lambda n, t: n - t - 1))
    assert "the last window starts at len(data) - context_length - 1" in capsys.readouterr().out
    # chunks joined with cat, or stacked as columns: not (B, T)
    assert not C.check_get_batch(get_batch_like(stack=torch.cat))
    assert "(15,) (torch.cat joins the chunks" in capsys.readouterr().out
    assert not C.check_get_batch(get_batch_like(stack=lambda rows: torch.stack(rows, dim=1)))
    assert "(5, 3) (one column per chunk" in capsys.readouterr().out
    verdict = C.check_get_batch(not_attempted)
    assert not verdict and verdict.status == "not attempted"


def test_get_batch_names_a_global_split_and_one_start_for_every_row(capsys):
    train_data = torch.arange(65).repeat(20)

    def global_split(data, batch_size, context_length):
        return get_batch_like()(train_data, batch_size, context_length)

    assert not C.check_get_batch(global_split)
    assert "did you use train_data instead of data?" in capsys.readouterr().out

    def one_start(data, batch_size, context_length):
        i = int(torch.randint(len(data) - context_length, ()))
        x = torch.stack([data[i : i + context_length]] * batch_size)
        return x, torch.stack([data[i + 1 : i + context_length + 1]] * batch_size)

    assert not C.check_get_batch(one_start)
    assert "a new random start for every row" in capsys.readouterr().out


def test_get_batch_check_leaves_the_notebooks_random_numbers_alone():
    torch.manual_seed(1337)
    C.check_get_batch(get_batch_like())
    after = torch.rand(1)
    torch.manual_seed(1337)
    assert torch.equal(after, torch.rand(1))


def test_examples_per_batch(capsys):
    assert C.check_examples_per_batch(lambda b, t: b * t)
    assert not C.check_examples_per_batch(lambda b, t: b)  # one example per row: the classic slip
    assert "expected: 256 for batch_size=32, context_length=8" in capsys.readouterr().out


def test_examples_per_batch_crash_for_a_batch_of_one(capsys):
    def squeezing(batch_size, context_length):  # squeeze() drops the batch dimension of size 1
        B, T = torch.zeros(batch_size, context_length).squeeze().shape
        return B * T

    assert squeezing(32, 8) == 256  # the first probe passes
    assert not C.check_examples_per_batch(squeezing)
    out = capsys.readouterr().out
    assert crashed(out, "ValueError") and "batch_size=1, context_length=256" in out


def iterate_right(data, batch_size, context_length):
    starts = list(range(0, len(data) - context_length, context_length))
    for i in range(0, len(starts), batch_size):
        chunk = starts[i : i + batch_size]
        yield (
            torch.stack([data[s : s + context_length] for s in chunk]),
            torch.stack([data[s + 1 : s + context_length + 1] for s in chunk]),
        )


def test_iterate_batches(capsys):
    assert C.check_iterate_batches(iterate_right)

    def overlapping(data, batch_size, context_length):  # step 1 instead of context_length
        for s in range(0, len(data) - context_length, batch_size):
            yield data[s : s + context_length][None], data[s + 1 : s + context_length + 1][None]

    assert not C.check_iterate_batches(overlapping)
    assert "without overlap" in capsys.readouterr().out


def test_iterate_batches_crash_on_a_smaller_last_batch(capsys):
    def reshaping(data, batch_size, context_length):  # assumes every batch is full
        step = batch_size * context_length
        for i in range(0, len(data) - context_length - 1, step):
            x = data[i : i + step].view(batch_size, context_length)
            yield x, data[i + 1 : i + step + 1].view(batch_size, context_length)

    assert len(list(reshaping(torch.arange(50), 2, 4))) == 6  # the first probe passes
    assert not C.check_iterate_batches(reshaping)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "data of length 30" in out


def test_iterate_batches_accepts_a_smaller_last_batch():
    assert [len(x) for x, _ in iterate_right(torch.arange(30), 4, 4)] == [4, 3]
    assert C.check_iterate_batches(iterate_right)
