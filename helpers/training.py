"""Measuring the loss and the training loop. Taught in notebook 03; used by every later model."""

import torch
from tqdm.auto import tqdm

from helpers.batching import get_batch
from helpers.plotting import LiveLossPlot


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
