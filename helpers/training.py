"""Measuring the loss and training: notebook 03's estimate_loss and train, used by every later
model, and notebook 09's evaluate (the whole split, in order), lr_at (warmup + cosine),
configure_optimizer (AdamW with weight decay) and fit (the loop that trains the full model)."""

import copy
import math

import torch

from helpers.batching import get_batch
from helpers.course.notebook import tqdm  # a bar that leaves its final line as text
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
    """Mean loss over `data` cut into windows of context_length: every character predicted once
    (or `max_windows` windows spread evenly over it). Taught in notebook 09."""
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
    """The rate at `step`: linear warmup, then cosine decay to cfg.min_lr as `progress` (0 to 1,
    step / max_iters unless given) goes by. Taught in notebook 09."""
    if step < cfg.warmup_iters:
        return cfg.learning_rate * (step + 1) / cfg.warmup_iters
    progress = step / cfg.max_iters if progress is None else progress
    progress = min(max(progress, 0.0), 1.0)
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))  # from 1 down to 0
    return cfg.min_lr + cosine * (cfg.learning_rate - cfg.min_lr)


def configure_optimizer(model, learning_rate, weight_decay, betas=(0.9, 0.99), fused=False):
    """AdamW that decays only the weight matrices and embeddings, not biases or LayerNorms.
    Taught in notebook 09."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, fused=fused)


def fit(
    model,
    optimizer,
    train_data,
    val_data,
    cfg,
    *,
    device="cpu",
    step=0,
    best_val=math.inf,
    schedule=lr_at,
    progress=None,
    on_eval=None,
):
    """The lecture's loop with a schedule, clipping, whole-split evaluation and the best weights
    kept; returns "step", "best_val", "best_step" and "stopped". Taught in notebook 09."""
    context_length = model.config.context_length
    progress = progress or (lambda: step / cfg.max_iters)
    best_step, best_state, stopped = step, copy.deepcopy(model.state_dict()), None
    while True:
        done = progress() >= 1.0
        if step % cfg.eval_interval == 0 or done:
            val = evaluate(model, val_data, context_length, device=device)
            improved = val < best_val
            if improved:  # keep the best weights seen
                best_val, best_step, best_state = val, step, copy.deepcopy(model.state_dict())
            stopped = on_eval(step, val, improved) if on_eval else None
        if done or stopped:
            break
        lr = schedule(step, cfg, progress())
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y = get_batch(train_data, cfg.batch_size, context_length, device)
        _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        step += 1
    model.load_state_dict(best_state)
    stopped = stopped or ("max_iters" if step >= cfg.max_iters else "budget")
    return {"step": step, "best_val": best_val, "best_step": best_step, "stopped": stopped}
