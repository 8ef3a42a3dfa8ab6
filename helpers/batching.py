"""From one long tensor of ids to batches of (context, target) pairs. Taught in notebook 02."""

import torch

from helpers.course.guards import require_batch_fits, require_fraction


def train_val_split(data, train_fraction=0.9):
    """Split a 1-D tensor of ids: the first 90% to train on, the rest to validate.

    Taught in notebook 02.
    """
    require_fraction(train_fraction)  # an error unless 0 < train_fraction < 1
    n = int(train_fraction * len(data))
    return data[:n], data[n:]


def get_batch(data, batch_size, context_length, device="cpu", generator=None):
    """Sample `batch_size` random chunks of `context_length` ids and the ids that follow them.

    Returns inputs x and targets y, both of shape (batch_size, context_length): y is x shifted
    one position to the left, so y[b, t] is the character that follows x[b, :t+1].
    Taught in notebook 02.
    """
    require_batch_fits(data, batch_size, context_length)  # an error for sizes that cannot work
    ix = torch.randint(len(data) - context_length, (batch_size,), generator=generator)
    x = torch.stack([data[i : i + context_length] for i in ix])
    y = torch.stack([data[i + 1 : i + context_length + 1] for i in ix])
    return x.to(device), y.to(device)
