"""Measuring the loss and training: notebook 03's estimate_loss and train, used by every later
model, and notebook 08's evaluate (the whole split, in order), lr_at (warmup + cosine),
configure_optimizer (AdamW with weight decay) and fit (the loop that trains the full model)."""

import contextlib
import copy
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


def configure_optimizer(model, learning_rate, weight_decay, betas=(0.9, 0.99), fused=False):
    """AdamW that decays only the weight matrices and embeddings, not biases or LayerNorms.

    Weight decay pulls every weight a little towards zero at each step, which keeps large
    matrices from memorising the training text. Biases and LayerNorm gains are few and set
    offsets and scales: decaying them only hurts. fused=True updates all parameters in one
    kernel (CUDA, and CPUs with PyTorch 2.4 or newer). Taught in notebook 08.
    """
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
    forward=None,
    amp=None,
    scaler=None,
    next_batch=None,
    progress=None,
    on_eval=None,
    schedule=None,
):
    """Train the full model: notebook 03's loop with what a long run needs. Taught in notebook 08.

    Each step sets the learning rate from lr_at (warmup, then cosine decay), computes the loss
    of a random batch, clips the gradient norm to cfg.grad_clip (one bad batch cannot throw the
    run) and takes an AdamW step. Every cfg.eval_interval steps, and at the end, the loss over
    the whole validation split is measured; the best weights are kept and put back at the end
    (early stopping: an overfitting run keeps its best point). Returns a dict with "step" (the
    steps taken), "best_val", "best_step" and "stopped" (why it ended).

    The defaults are the plain loop. The course's trainer adds the rest through the keywords:
    a compiled `forward`, `amp` (an autocast context) and `scaler` (a GradScaler, for float16),
    `next_batch()` for its own batches, `progress()` (0 to 1; the larger of the share of steps
    and the share of a time budget), `on_eval(step, val, improved)` (plots, checkpoints;
    it returns a reason to stop early, or None) and `schedule`, a function like lr_at (notebook
    11's lr_wsd).
    """
    context_length = model.config.context_length
    forward = forward or model
    amp = amp or contextlib.nullcontext()
    scaler = scaler or torch.amp.GradScaler(enabled=False)  # a no-op unless float16 needs it
    next_batch = next_batch or (
        lambda: get_batch(train_data, cfg.batch_size, context_length, device)
    )
    progress = progress or (lambda: step / cfg.max_iters)
    schedule = schedule or lr_at
    best_step, best_state, stopped = step, copy.deepcopy(model.state_dict()), None
    while True:
        done = progress() >= 1.0
        if step % cfg.eval_interval == 0 or done:
            with amp:
                val = evaluate(model, val_data, context_length, device=device)
            improved = val < best_val
            if improved:
                best_val, best_step, best_state = val, step, copy.deepcopy(model.state_dict())
            stopped = on_eval(step, val, improved) if on_eval else None
        if done or stopped:
            break
        lr = schedule(step, cfg, progress())
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y = next_batch()
        with amp:  # float16 or bfloat16 matrix multiplies on a GPU; nothing by default
            _, loss = forward(x, y)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()  # float16: scale the loss up so small gradients survive
        scaler.unscale_(optimizer)  # ... and back down before the clipping looks at them
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        scaler.step(optimizer)
        scaler.update()
        step += 1
    model.load_state_dict(best_state)
    stopped = stopped or ("max_iters" if step >= cfg.max_iters else "budget")
    return {"step": step, "best_val": best_val, "best_step": best_step, "stopped": stopped}
