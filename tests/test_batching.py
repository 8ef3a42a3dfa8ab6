import pytest
import torch

from helpers import get_batch, train_val_split


def test_split_is_ninety_ten_and_in_order():
    data = torch.arange(100)
    train, val = train_val_split(data)
    assert len(train) == 90 and len(val) == 10
    assert torch.equal(torch.cat([train, val]), data)


def test_split_fraction_must_be_a_fraction():
    with pytest.raises(ValueError, match="between 0 and 1"):
        train_val_split(torch.arange(10), train_fraction=1.0)


def test_batch_shapes_and_shift():
    data = torch.arange(1000)
    g = torch.Generator().manual_seed(0)
    x, y = get_batch(data, batch_size=4, context_length=8, generator=g)
    assert x.shape == y.shape == (4, 8)
    assert torch.equal(y, x + 1)  # on arange, the next id is always one more


def test_batch_matches_the_lecture_with_its_seed():
    data = torch.arange(1_003_854)
    torch.manual_seed(1337)
    x, _ = get_batch(data, batch_size=4, context_length=8)
    # torch.randint(len(data) - 8, (4,)) after manual_seed(1337): the lecture's first batch starts
    torch.manual_seed(1337)
    starts = torch.randint(len(data) - 8, (4,))
    assert torch.equal(x[:, 0], starts)


def test_last_possible_window_is_reachable_and_never_overruns():
    data = torch.arange(10)
    g = torch.Generator().manual_seed(0)
    x, y = get_batch(data, batch_size=500, context_length=9, generator=g)
    assert torch.equal(x[0], torch.arange(9)) and torch.equal(y[0], torch.arange(1, 10))


@pytest.mark.parametrize("batch_size,context_length", [(0, 8), (-1, 8), (4, 0), (4, -3)])
def test_non_positive_sizes_are_refused(batch_size, context_length):
    with pytest.raises(ValueError, match="must be positive"):
        get_batch(torch.arange(100), batch_size, context_length)


def test_context_longer_than_the_split_is_refused():
    with pytest.raises(
        ValueError, match=r"context_length=8 needs at least 9 tokens, but this split has only 5"
    ):
        get_batch(torch.arange(5), 4, 8)
