"""Measuring the loss and training: notebook 03's estimate_loss and train, used by every later
model, and notebook 08's evaluate (the whole split, in order) and lr_at (warmup + cosine)."""

import math

import torch
from tqdm.auto import tqdm

from helpers.batching import get_batch
from helpers.course.plotting import LiveLossPlot


@torch.no_grad()
def estimate_loss(model, splits, batch_size, context_length, eval_iters, device="cpu"):
    """Average the loss over `eval_iters` random batches of each split, e.g. {"train": ..., "val": ...}.

    One batch is a noisy measurement; the mean of many is a steady one. Taught in notebook 03.
    """
    model.eval()  # switch off dropout while measuring
    out = {}
    for name, data in splits.items():
        losses = torch.zeros(eval_iters)
        for k in range(eval_iters):
            X, Y = get_batch(data, batch_size, context_length, device)
            _, loss = model(X, Y)
            losses[k] = loss.item()
        out[name] = losses.mean().item()
    model.train()
    return out


def train(
    model,
    train_data,
    val_data,
    *,
    max_iters,
    batch_size,
    context_length,
    learning_rate,
    eval_interval,
    eval_iters,
    device="cpu",
    title="training",
):
    """Train `model` with AdamW on random batches; return the loss history.

    Every `eval_interval` steps (and at the end) the train and val losses are estimated, drawn
    on a live plot and stored in the history {"step": [...], "train": [...], "val": [...]}.
    Taught in notebook 03.
    """
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    splits = {"train": train_data, "val": val_data}
    history = {"step": [], "train": [], "val": []}
    view = LiveLossPlot(title)
    progress = tqdm(total=max_iters, desc=title)
    for step in range(max_iters + 1):
        # every once in a while, measure the loss on both splits
        if step % eval_interval == 0 or step == max_iters:
            losses = estimate_loss(model, splits, batch_size, context_length, eval_iters, device)
            history["step"].append(step)
            history["train"].append(losses["train"])
            history["val"].append(losses["val"])
            progress.set_postfix(train=f"{losses['train']:.4f}", val=f"{losses['val']:.4f}")
            view.update(history)
        if step == max_iters:
            break
        xb, yb = get_batch(train_data, batch_size, context_length, device)
        _, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        progress.update()
    progress.close()
    return history


@torch.no_grad()
def evaluate(model, data, context_length, batch_size=64, device="cpu", max_windows=None):
    """Mean loss over `data` cut into non-overlapping windows of context_length characters.

    Every character (but the last partial window) is predicted exactly once, in a fixed order:
    a steadier figure than random batches, for less work. `max_windows` takes that many windows
    spread evenly over the data instead. Taught in notebook 08.
    """
    n = (len(data) - 1) // context_length  # each window needs the character after it as a target
    if n < 1:
        raise ValueError(f"{len(data)} tokens are too few for one window of {context_length}.")
    starts = torch.arange(n) * context_length
    if max_windows is not None and max_windows < n:
        starts = starts[torch.linspace(0, n - 1, max_windows).long()]
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(starts), batch_size):
        rows = starts[i : i + batch_size, None] + torch.arange(context_length)  # (b, T) indices
        _, loss = model(data[rows].to(device), data[rows + 1].to(device))
        total += loss.item() * rows.numel()
        count += rows.numel()
    model.train(was_training)
    return total / count


def lr_at(step, cfg, progress=None):
    """The learning rate for `step`: a linear warmup, then a cosine decay to cfg.min_lr.

    Warmup: large updates to random weights are unstable, so the rate climbs over warmup_iters
    steps. Decay: smaller steps at the end settle into a lower loss. `progress` (0 to 1) says how
    far along the run is, step / max_iters unless given; a run with a time budget passes the
    larger of that and the share of its time used, so the decay ends when the time does.
    Taught in notebook 08.
    """
    if step < cfg.warmup_iters:
        return cfg.learning_rate * (step + 1) / cfg.warmup_iters
    progress = step / cfg.max_iters if progress is None else progress
    progress = min(max(progress, 0.0), 1.0)
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))  # from 1 down to 0
    return cfg.min_lr + cosine * (cfg.learning_rate - cfg.min_lr)
