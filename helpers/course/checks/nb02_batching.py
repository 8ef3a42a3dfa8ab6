"""Checks notebook 02's exercises (notebooks/02_batching.ipynb), in its order:
get_batch, examples_per_batch, iterate_batches."""

import torch

from .core import _call, _checker, _LearnerError


def _sample_batch(get_batch, data, batch_size, context_length):
    """(x, y, None), or (None, None, problem) when a window ran past the end of `data`: its
    chunks come out shorter, and torch.stack refuses chunks of different lengths."""
    probe = f"data of length {len(data)}, batch_size={batch_size}, context_length={context_length}"
    try:
        got = _call(probe, get_batch, data, batch_size, context_length)
    except _LearnerError as raised:
        if "stack expects each tensor to be equal size" not in str(raised.error):
            raise
        return (
            None,
            None,
            (
                "every window inside data: starts from 0 to len(data) - context_length - 1, "
                "i.e. torch.randint(len(data) - context_length, ...)",
                f"a window ran past the end of data ({probe}): torch.stack got a shorter chunk",
            ),
        )
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return None, None, ("two tensors, x and y", got)
    return got[0], got[1], None


def _batch_problem(x, y, data, batch_size, context_length):
    """None if x and y are a right batch of windows of `data` = torch.arange(first, ...)."""
    shape = (batch_size, context_length)
    for name, t in (("x", x), ("y", y)):
        if not isinstance(t, torch.Tensor):
            return (
                f"{name} as one tensor of shape {shape}: torch.stack the chunks",
                f"a {type(t).__name__}",
            )
        if tuple(t.shape) != shape:
            how = "another shape"
            if t.dim() == 1:
                how = "torch.cat joins the chunks into one long row"
            elif tuple(t.shape) == shape[::-1]:
                how = "one column per chunk: stack along dim=0"
            return (
                f"{name} of shape (batch_size, context_length) = {shape}, one row per chunk "
                f"(torch.stack)",
                f"{tuple(t.shape)} ({how})",
            )
    first = int(data[0])
    if int(x.min()) < first or int(x.max()) > int(data[-1]):
        return (
            f"windows of the `data` argument (ids {first}..{int(data[-1])} in this probe)",
            "other ids: did you use train_data instead of data?",
        )
    if not torch.equal(x[:, 1:], x[:, :-1] + 1):
        return ("each row one window, data[i : i + context_length]", x[0].tolist())
    if torch.equal(y, x):
        return ("y = data[i + 1 : i + context_length + 1], x shifted by one", "y equal to x")
    if torch.equal(y, x - 1):
        return ("y shifted one step later than x (the next ids)", "y one step earlier")
    if not torch.equal(y, x + 1):
        return ("y = data[i + 1 : i + context_length + 1], x shifted by one", y[0].tolist())
    return None


@_checker(
    "get_batch",
    hint="ix = torch.randint(len(data) - context_length, (batch_size,)), then torch.stack the "
    "windows data[i : i + context_length] (x) and the same one step later (y)",
)
def check_get_batch(get_batch):
    """Your turn of notebook 02: get_batch(data, batch_size, context_length) -> x, y of shape
    (batch_size, context_length), y the next ids, windows drawn anywhere inside data."""
    with torch.random.fork_rng(devices=[]):  # the notebook's own random numbers stay as they were
        torch.manual_seed(0)
        # 100 ids from 1000 (ids from anywhere else come from another tensor), B != T
        data = torch.arange(1000, 1100)
        x, y, problem = _sample_batch(get_batch, data, 3, 5)
        if problem or (problem := _batch_problem(x, y, data, 3, 5)):
            return [problem]
        if torch.equal(x, x[:1].expand_as(x)):
            return [("a new random start for every row", f"the same row {len(x)} times")]
        # 10 ids and windows of 8: only starts 0 and 1 fit, and 200 draws must find both
        data = torch.arange(1000, 1010)
        x, y, problem = _sample_batch(get_batch, data, 200, 8)
        if problem or (problem := _batch_problem(x, y, data, 200, 8)):
            return [problem]
        starts = set((x[:, 0] - 1000).tolist())
        if starts != {0, 1}:  # torch.randint(high, ...) draws 0 .. high - 1
            return [
                (
                    "starts 0 and 1 both drawn: the last window starts at "
                    "len(data) - context_length - 1, so torch.randint(len(data) - context_length, ...)",
                    f"only starts {sorted(starts)} in 200 rows",
                )
            ]
    return []


@_checker("examples_per_batch", hint="every row holds one example per position")
def check_examples_per_batch(examples_per_batch):
    """Exercise 1 of notebook 02: how many (context -> target) examples one batch holds."""
    problems = []
    for b, t in [(32, 8), (4, 8), (1, 256)]:
        got = _call(f"batch_size={b}, context_length={t}", examples_per_batch, b, t)
        if got != b * t:
            problems.append((f"{b * t} for batch_size={b}, context_length={t}", got))
    return problems


def _batches_problems(batches, context_length, at_least, length):
    if not batches:
        return [("a list of (x, y) batches (use yield inside a loop)", "nothing")]
    problems = []
    xs = torch.cat([x.reshape(-1) for x, _ in batches])
    ys = torch.cat([y.reshape(-1) for _, y in batches])
    if any(x.shape[-1] != context_length for x, _ in batches):
        problems.append(
            (f"chunks of context_length={context_length}", [tuple(x.shape) for x, _ in batches])
        )
    if not torch.equal(ys, xs + 1):
        problems.append(("y equal to x shifted by one", "a different y"))
    if not torch.equal(xs, torch.arange(len(xs))):
        problems.append(("the chunks in order, without overlap: 0, 1, 2, ...", xs[:12].tolist()))
    if len(xs) < at_least:
        problems.append(
            (f"at least {at_least} of the {length - 1} possible inputs covered", len(xs))
        )
    return problems


@_checker(
    "iterate_batches",
    hint="step the start index by context_length; stop when start + context_length + 1 > len(data)",
)
def check_iterate_batches(iterate_batches):
    """Exercise 2 of notebook 02: walk through data in order, in non-overlapping chunks."""

    def all_batches(data, batch_size, context_length):  # a generator runs only when consumed
        return list(iterate_batches(data, batch_size, context_length))

    # (len(data), batch_size, context_length, inputs covered at least); the second probe ends
    # with a smaller batch: 7 chunks of 4 make batches of 4 and 3
    for length, batch_size, context_length, at_least in [(50, 2, 4, 44), (30, 4, 4, 24)]:
        probe = f"data of length {length}, batch_size={batch_size}, context_length={context_length}"
        batches = _call(probe, all_batches, torch.arange(length), batch_size, context_length)
        problems = _batches_problems(batches, context_length, at_least, length)
        if problems:
            return problems
    return []
