"""The checks of notebook 13's exercises (helpers/course/checks/nb13_many_gpus.py): each passes a
right answer and fails a plausible wrong one with a useful message."""

from checks_support import crashed

from helpers.course import checks as C


def shares_right(global_batch, world_size):
    base, extra = divmod(global_batch, world_size)
    return [base + (r < extra) for r in range(world_size)]


def test_batch_shares(capsys):
    assert C.check_batch_shares(shares_right)
    # plausible mistake: floor division drops the rows left over
    assert not C.check_batch_shares(lambda b, w: [b // w] * w)
    out = capsys.readouterr().out
    assert "expected: [5, 4] for global_batch=9, world_size=2" in out
    assert "[4, 4] (8 rows in all: 1 of the batch lost)" in out
    # plausible mistake: the last rank takes everything left over
    assert not C.check_batch_shares(lambda b, w: [b // w] * (w - 1) + [b - (w - 1) * (b // w)])
    assert "[2, 2, 2, 4] (as even as possible" in capsys.readouterr().out
    assert not C.check_batch_shares(lambda b, w: sorted(shares_right(b, w)))
    assert "(the first ranks take the extra rows)" in capsys.readouterr().out


def test_batch_shares_crash_on_a_single_rank(capsys):
    def by_pairs(b, w):  # fine until world_size=1
        return shares_right(b, w) if w > 1 else [b][1]

    assert not C.check_batch_shares(by_pairs)
    out = capsys.readouterr().out
    assert crashed(out, "IndexError") and "world_size=1" in out


def accumulate_right(model, x, y, micro_batches):
    for xs, ys in zip(x.tensor_split(micro_batches), y.tensor_split(micro_batches), strict=True):
        (model(xs, ys)[1] * len(xs) / len(x)).backward()


def test_accumulated_grads(capsys):
    assert C.check_accumulated_grads(accumulate_right)

    def summed(model, x, y, k):  # plausible mistake: each micro-batch's mean, unweighted
        for xs, ys in zip(x.tensor_split(k), y.tensor_split(k), strict=True):
            model(xs, ys)[1].backward()

    assert not C.check_accumulated_grads(summed)
    out = capsys.readouterr().out
    assert "2.00 times too large: each micro-batch's mean loss needs a weight" in out

    def divided(model, x, y, k):  # right for equal micro-batches only
        for xs, ys in zip(x.tensor_split(k), y.tensor_split(k), strict=True):
            (model(xs, ys)[1] / k).backward()

    assert not C.check_accumulated_grads(divided)
    out = capsys.readouterr().out
    assert "micro_batches=4" in out and "micro_batches=2" not in out
    assert "unequal size, 2, 2, 1, 1 rows" in out
    assert not C.check_accumulated_grads(lambda model, x, y, k: None)  # no backward at all
    assert "some .grad is None" in capsys.readouterr().out


def test_accumulated_grads_crash_on_a_later_probe(capsys):
    def equal_parts(model, x, y, k):  # right while k divides the rows, a crash at 6 rows in 4
        rows = len(x) // k
        assert rows * k == len(x), f"{len(x)} rows do not split into {k} equal parts"
        for i in range(0, len(x), rows):
            (model(x[i : i + rows], y[i : i + rows])[1] / k).backward()

    assert not C.check_accumulated_grads(equal_parts)
    out = capsys.readouterr().out
    assert crashed(out, "AssertionError") and "micro_batches=4" in out
