"""The long-run trainer of the full GPT: presets, TrainConfig and train_gpt.

Notebook 08 and `python -m helpers train` use it. The loop is notebook 03's, with notebook 08's
`evaluate` (the whole validation split) and `lr_at` (warmup + cosine), plus what a longer run
needs: an optional wall-clock budget, the best checkpoint kept (early stopping), resuming, and on
a CUDA GPU bf16 autocast, TF32 matmuls, fused AdamW, pinned-memory transfers and (optionally)
torch.compile.
"""

import copy
import dataclasses
import math
import time
from contextlib import nullcontext
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from helpers.course.checkpoint import check_can_write, new_run_id, save_checkpoint
from helpers.course.plotting import LiveLossPlot, in_notebook
from helpers.gpt import GPTConfig
from helpers.training import evaluate, lr_at


@dataclass
class TrainConfig:
    """How to train: batch, learning-rate schedule, how long, how often to evaluate, speed-ups."""

    batch_size: int = 64
    learning_rate: float = 3e-4  # the peak, reached after the warmup
    min_lr: float = 3e-5  # where the cosine decay ends
    warmup_iters: int = 100
    max_iters: int = 5000
    time_budget: float | None = None  # seconds of training (evaluations not counted), or None
    eval_interval: int = 250
    eval_train_windows: int = 512  # train loss on this many evenly spread windows (the plot only)
    weight_decay: float = 0.1  # on weight matrices and embeddings, not on biases or LayerNorms
    beta2: float = 0.99  # AdamW's second-moment decay; 0.99 suits small batches of tokens
    grad_clip: float | None = 1.0  # clip the gradient norm: one bad batch cannot throw the run
    patience: int | None = None  # stop after this many evaluations without a better val loss
    compile: bool | None = None  # torch.compile; None: only on a CUDA GPU
    dtype: str = "auto"  # "auto": bfloat16 autocast on a CUDA GPU that has it, else float32
    seed: int = 1337
    log_interval: int = 100  # outside Jupyter: one progress line every this many steps

    def __post_init__(self):
        for name in (
            "batch_size",
            "max_iters",
            "eval_interval",
            "log_interval",
            "eval_train_windows",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}.")
        if self.warmup_iters < 0 or not 0 < self.min_lr <= self.learning_rate:
            raise ValueError("Need warmup_iters >= 0 and 0 < min_lr <= learning_rate.")
        if self.dtype not in ("auto", "float32", "bfloat16"):
            raise ValueError(f"dtype must be 'auto', 'float32' or 'bfloat16', got {self.dtype!r}.")


# The two presets. "gpu" is the lecture's full model and run. "cpu" is what learned best in about
# 3 minutes on the course's 2-core CPU: there a smaller model that sees more text beats a bigger
# one that sees less (4 x 128 wide reached val 1.61, 3 x 96 wide 1.565 in the same CPU time), and a
# batch of 64 keeps two threads busier than 32. Its time budget stops it after 3 minutes on any
# machine, and the learning-rate decay follows the clock (see lr_at).
PRESETS = {
    "cpu": (
        GPTConfig(context_length=64, n_embd=96, n_head=4, n_layer=3, dropout=0.0),
        TrainConfig(
            batch_size=64,
            learning_rate=3e-3,
            min_lr=3e-4,
            max_iters=5000,
            time_budget=180.0,
            eval_interval=500,
        ),
    ),
    "gpu": (
        GPTConfig(context_length=256, n_embd=384, n_head=6, n_layer=6, dropout=0.2),
        TrainConfig(
            batch_size=64,
            learning_rate=3e-4,
            min_lr=3e-5,
            max_iters=5000,
            eval_interval=250,
            patience=6,
        ),
    ),
}


def preset(name, vocab_size):
    """Copies of a preset's (GPTConfig, TrainConfig), for a vocabulary of `vocab_size`."""
    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name!r}; choose one of {sorted(PRESETS)}.")
    model_config, train_config = PRESETS[name]
    model_config = dataclasses.replace(model_config, vocab_size=vocab_size)
    return model_config, dataclasses.replace(train_config)


def autocast_dtype(requested, device):
    """torch.bfloat16 where bf16 autocast should be used, else None (plain float32).

    "auto" picks bf16 only on a CUDA GPU that supports it, never on a CPU (slow there on most
    chips).
    """
    if requested == "float32":
        return None
    if requested == "bfloat16":
        if device.type == "cuda" and not torch.cuda.is_bf16_supported():
            raise ValueError("This GPU does not support bfloat16; use dtype='float32'.")
        return torch.bfloat16
    cuda = device.type == "cuda" and torch.cuda.is_available()
    return torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else None


def make_optimizer(model, cfg, device):
    """AdamW with weight decay on matrices and embeddings only, fused into one kernel where it can.

    Fused AdamW updates every parameter in one pass: on a CUDA GPU, and on a CPU with PyTorch
    2.4 or newer (about 4x faster there than the loop over parameters).
    """
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},  # biases, LayerNorms
    ]
    settings = {"lr": cfg.learning_rate, "betas": (0.9, cfg.beta2)}
    if device.type in ("cuda", "cpu"):
        try:
            return torch.optim.AdamW(groups, fused=True, **settings)
        except (RuntimeError, ValueError):  # an older PyTorch without fused AdamW for this device
            pass
    return torch.optim.AdamW(groups, **settings)


def get_train_batch(data, batch_size, context_length, device, generator=None):
    """notebook 02's get_batch, in one indexing step, with pinned-memory copies to a CUDA GPU."""
    ix = torch.randint(len(data) - context_length, (batch_size,), generator=generator)
    xy = data[ix[:, None] + torch.arange(context_length + 1)]  # (B, T+1): inputs and next chars
    x, y = xy[:, :-1].contiguous(), xy[:, 1:].contiguous()
    if device.type == "cuda":  # page-locked memory lets the copy overlap with GPU work
        x, y = x.pin_memory(), y.pin_memory()
    return x.to(device, non_blocking=True), y.to(device, non_blocking=True)


def train_gpt(
    model,
    train_data,
    val_data,
    cfg,
    *,
    vocab,
    device="cpu",
    checkpoint=None,
    overwrite=False,
    resume=None,
    title="GPT",
):
    """Train `model` (a GPT) on `train_data`; evaluate on all of `val_data`; return the history.

    Every cfg.eval_interval steps (and at the end) the val loss is measured over the whole
    split and the train loss over cfg.eval_train_windows windows; the live plot is updated, and
    a better val loss saves `checkpoint` (if given): the checkpoint always holds the best model
    seen. Training stops at cfg.max_iters, after cfg.time_budget seconds of training, or after
    cfg.patience evaluations without improvement. `resume` (a loaded checkpoint) continues from
    its step, optimizer state and run id. The model ends with the best weights seen. `device`
    is a string ("cuda", "cpu") or a torch.device.
    """
    device = torch.device(device)  # the one conversion: everything below takes a torch.device
    model.to(device)
    context_length = model.config.context_length
    amp_dtype = autocast_dtype(cfg.dtype, device)
    amp = torch.autocast(device.type, dtype=amp_dtype) if amp_dtype is not None else nullcontext()
    if device.type == "cuda":  # TF32: float32 matmuls on tensor cores, ~3 digits of precision
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    optimizer = make_optimizer(model, cfg, device)
    history = {"step": [], "train": [], "val": [], "seconds": [], "lr": []}
    step, best_val, best_step, seconds, run_id = 0, math.inf, 0, 0.0, new_run_id()
    if resume is not None:
        model.load_state_dict(resume["model"])
        optimizer.load_state_dict(resume["optimizer"])
        step, best_val, best_step = resume["step"], resume["best_val"], resume["step"]
        seconds, run_id = resume.get("train_seconds", 0.0), resume["run_id"]
        history = resume.get("history") or history
    if checkpoint is not None:
        check_can_write(checkpoint, run_id, overwrite)  # refuse now, not after an hour of training
    use_compile = cfg.compile if cfg.compile is not None else device.type == "cuda"
    forward = torch.compile(model) if use_compile else model
    generator = torch.Generator().manual_seed(cfg.seed + step)  # a resumed run draws new batches
    best_state = copy.deepcopy(model.state_dict())
    view = LiveLossPlot(title)
    notebook = in_notebook()
    bar = tqdm(total=cfg.max_iters, initial=step, desc=title) if notebook else None
    stale, lr, logged = 0, lr_at(step, cfg), seconds

    def progress():
        by_time = seconds / cfg.time_budget if cfg.time_budget else 0.0
        return max(step / cfg.max_iters, by_time)

    while True:
        done = progress() >= 1.0 or (cfg.patience is not None and stale >= cfg.patience)
        fresh = not history["step"] or history["step"][-1] != step  # a resumed step is measured
        if (step % cfg.eval_interval == 0 or done) and fresh:
            with amp:
                val = evaluate(model, val_data, context_length, device=device)
                windows = cfg.eval_train_windows  # the train loss is only for the plot: a sample
                train = evaluate(
                    model, train_data, context_length, device=device, max_windows=windows
                )
            measured = {
                "step": step,
                "train": train,
                "val": val,
                "seconds": round(seconds, 2),
                "lr": lr,
            }
            for key, value in measured.items():
                history[key].append(value)
            view.update(history)
            if val < best_val:
                best_val, best_step, stale = val, step, 0
                best_state = copy.deepcopy(model.state_dict())
                if checkpoint is not None:
                    save_checkpoint(
                        checkpoint,
                        model=model,
                        config=model.config,
                        vocab=vocab,
                        run_id=run_id,
                        step=step,
                        best_val=best_val,
                        optimizer=optimizer,
                        overwrite=overwrite,
                        train_seconds=seconds,
                        history=history,
                        train_config=dataclasses.asdict(cfg),
                    )
            else:
                stale += 1
            done = done or (cfg.patience is not None and stale >= cfg.patience)
        if done:
            break
        start = time.perf_counter()
        lr = lr_at(step, cfg, progress())
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y = get_train_batch(train_data, cfg.batch_size, context_length, device, generator)
        with amp:
            _, loss = forward(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        step += 1
        if bar is not None:
            bar.update()
        seconds += time.perf_counter() - start
        if step % cfg.log_interval == 0:
            shown = f"{loss.item():.3f}"  # .item() waits for the GPU: only now and then
            if bar is not None:
                bar.set_postfix(loss=shown, val=f"{history['val'][-1]:.3f}", lr=f"{lr:.1e}")
            else:
                print(
                    f"{title}: step {step}/{cfg.max_iters} | loss {shown} | lr {lr:.2e} | "
                    f"{(seconds - logged) / cfg.log_interval * 1000:.0f} ms/step | {seconds:.0f} s",
                    flush=True,
                )
            logged = seconds
    if bar is not None:
        bar.close()
    model.load_state_dict(best_state)
    history.update(best_val=best_val, best_step=best_step, train_seconds=seconds, run_id=run_id)
    return history
