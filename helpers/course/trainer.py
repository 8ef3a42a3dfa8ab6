"""The long-run trainer of the full GPT: presets, TrainConfig and train_gpt.

Notebooks 09 to 13 and `python -m helpers train` use it (ModernGPT and Muon too). The loop itself
is notebook 09's taught `fit` (helpers/training.py), called unchanged; this module runs it with
what a long run needs around it: a wall-clock budget, the live plot and progress bar, checkpoints
of the best model, resuming, and on a GPU mixed precision (bf16, or fp16 with loss scaling where
bf16 is not native), TF32 matrix multiplies for the duration of the run, fused AdamW and
torch.compile. `fit` sees none of that machinery: it trains a RunModel (the model, seen through
the run's compiled, autocast, data-parallel forward pass) with the run's optimizer (wrapped by
LossScaling for float16).
"""

import contextlib
import dataclasses
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from helpers.course import distributed
from helpers.course.checkpoint import (
    check_can_write,
    checkpoint_lock,
    load_checkpoint,
    new_run_id,
    save_checkpoint,
)
from helpers.course.files import atomic_write
from helpers.course.notebook import shown_path, tqdm
from helpers.course.plotting import LiveLossPlot, in_notebook
from helpers.gpt import GPTConfig
from helpers.modern import ModernConfig, configure_muon, lr_wsd
from helpers.training import configure_optimizer, evaluate, fit, lr_at

DTYPES = ("auto", "float32", "bfloat16", "float16")
OPTIMIZERS = ("adamw", "muon")
SCHEDULES = {"cosine": lr_at, "wsd": lr_wsd}  # notebook 09's, notebook 12's


class TrainingDiverged(RuntimeError):
    """The loss stopped being a number: the run is stopped, its last good checkpoint untouched."""


@dataclass
class TrainConfig:
    """How to train: batch, learning-rate schedule, how long, how often to evaluate, speed-ups."""

    batch_size: int = 64
    learning_rate: float = 3e-4  # the peak, reached after the warmup
    min_lr: float = 3e-5  # where the decay ends
    schedule: str = "cosine"  # lr_at (notebook 09), or "wsd": lr_wsd (notebook 12)
    warmup_iters: int = 100
    max_iters: int = 5000
    time_budget: float | None = None  # seconds of training (evaluations not counted), or None
    eval_interval: int = 250
    eval_train_windows: int = 512  # train loss on this many evenly spread windows (the plot only)
    weight_decay: float = 0.1  # on weight matrices and embeddings, not on biases or LayerNorms
    beta2: float = 0.99  # AdamW's second-moment decay; 0.99 suits small batches of tokens
    grad_clip: float = 1.0  # clip the gradient norm: one bad batch cannot throw the run
    patience: int | None = None  # stop after this many evaluations without a better val loss
    compile: bool | None = None  # torch.compile; None: only on a CUDA GPU
    dtype: str = "auto"  # "auto": on a CUDA GPU bf16 where native, else fp16; elsewhere float32
    seed: int = 1337
    optimizer: str = "adamw"  # or "muon" for the weight matrices (notebook 12)
    embedding_lr_scale: float = 1.0  # Muon only: the embeddings learn at this times learning_rate
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
        for name in ("learning_rate", "min_lr", "weight_decay", "beta2", "grad_clip"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number, got {getattr(self, name)}.")
        if self.warmup_iters < 0 or not 0 < self.min_lr <= self.learning_rate:
            raise ValueError("Need warmup_iters >= 0 and 0 < min_lr <= learning_rate.")
        if self.grad_clip <= 0:
            raise ValueError(f"grad_clip must be positive, got {self.grad_clip}.")
        if self.time_budget is not None and not (
            math.isfinite(self.time_budget) and self.time_budget > 0
        ):
            raise ValueError(
                f"time_budget is a number of seconds above 0 (or None for no limit; 0 on the "
                f"command line), got {self.time_budget}."
            )
        if self.patience is not None and self.patience < 1:
            raise ValueError(f"patience must be at least 1 evaluation, got {self.patience}.")
        if not 0 <= self.seed < 2**63:
            raise ValueError(f"seed must lie in 0 .. 2**63 - 1, got {self.seed}.")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}."
            )
        if not (math.isfinite(self.embedding_lr_scale) and self.embedding_lr_scale > 0):
            raise ValueError(
                f"embedding_lr_scale must be a number above 0, got {self.embedding_lr_scale}."
            )
        if self.schedule not in SCHEDULES:
            raise ValueError(
                f"schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}."
            )
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}.")


# "gpu" is the lecture's full model and run. "cpu" learned best in 3 minutes on a 2-core CPU, where
# a smaller model that sees more text beats a bigger one (the sizes tried: docs/GPU.md); its time
# budget stops it after 3 minutes on any machine, and the learning-rate decay follows the clock.
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
    # Notebooks 11 and 12's modern GPT. "cpu-modern" is the end of a re-tuning ladder for 3 minutes
    # on a 2-core CPU (LayerNorm kept: PyTorch's CPU RMSNorm is slower per step); each step, and
    # what did worse: bench/MODERN_RESULTS.md and bench/MODERN_TUNING.md.
    "cpu-modern": (
        ModernConfig(context_length=128, n_embd=96, n_head=4, n_layer=3, rmsnorm=False),
        TrainConfig(
            batch_size=32,
            learning_rate=6e-3,
            min_lr=6e-5,
            schedule="wsd",
            embedding_lr_scale=5.0,
            warmup_iters=30,
            max_iters=5000,
            time_budget=180.0,
            eval_interval=500,
            optimizer="muon",
        ),
    ),
    "gpu-modern": (
        ModernConfig(context_length=256, n_embd=384, n_head=6, n_layer=6, dropout=0.2),
        TrainConfig(
            batch_size=64,
            learning_rate=1e-3,
            min_lr=1e-4,
            max_iters=5000,
            eval_interval=250,
            patience=6,
            optimizer="muon",
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


def native_bf16(device):
    """True on a CUDA GPU whose tensor cores compute in bfloat16 (compute capability 8.0 and up:
    A100, H100, RTX 30xx/40xx, L4). Older GPUs (T4, V100, RTX 20xx) only emulate it, slowly, even
    though torch.cuda.is_bf16_supported() may say yes."""
    return device.type == "cuda" and torch.cuda.get_device_capability(device) >= (8, 0)


def autocast_dtype(requested, device):
    """The dtype for autocast (torch.bfloat16 or torch.float16), or None for plain float32.

    "auto": on a CUDA GPU, bfloat16 where it is native, else float16 (with loss scaling, see
    precision); on a CPU or an Apple GPU float32 (low precision is slower on most CPUs, and
    has known problems on MPS). bfloat16 asked for on a GPU that only emulates it: float16,
    with a notice.
    """
    if requested == "float32" or (requested == "auto" and device.type != "cuda"):
        return None
    if requested == "bfloat16" and device.type == "cuda" and not native_bf16(device):
        major, minor = torch.cuda.get_device_capability(device)
        print(
            f"{torch.cuda.get_device_name(device)} (compute capability {major}.{minor}) has no "
            "native bfloat16 (it would be emulated, slowly): using float16 with loss scaling."
        )
        return torch.float16
    if requested == "auto":
        return torch.bfloat16 if native_bf16(device) else torch.float16
    return {"bfloat16": torch.bfloat16, "float16": torch.float16}[requested]


def precision(requested, device):
    """(autocast context, GradScaler) for `requested` on `device`; the scaler is on only for
    float16, whose small range would round small gradients to zero without it."""
    dtype = autocast_dtype(requested, device)
    amp = torch.autocast(device.type, dtype=dtype) if dtype else contextlib.nullcontext()
    return amp, torch.amp.GradScaler(device.type, enabled=dtype == torch.float16), dtype


@contextlib.contextmanager
def tf32(device):
    """TF32 matrix multiplies (float32 on tensor cores, ~3 digits) while training on a CUDA GPU,
    and the setting as it was afterwards: a later cell comparing outputs is not affected."""
    if device.type != "cuda":
        yield
        return
    before = torch.get_float32_matmul_precision(), torch.backends.cudnn.allow_tf32
    torch.set_float32_matmul_precision("high")
    torch.backends.cudnn.allow_tf32 = True
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(before[0])
        torch.backends.cudnn.allow_tf32 = before[1]


def synchronize(device):
    """Wait for the GPU to finish queued work, so a timer read next measures it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def fused_adamw_ok(device):
    """Fused AdamW exists on CUDA, and on a CPU from PyTorch 2.4 (about 4x faster there)."""
    if device.type not in ("cuda", "cpu"):
        return False
    try:
        torch.optim.AdamW([torch.zeros(1, device=device, requires_grad=True)], fused=True)
        return True
    except (RuntimeError, ValueError):
        return False


def get_train_batch(data, batch_size, context_length, device, generator=None, rows=None):
    """notebook 02's get_batch, in one indexing step, with pinned-memory copies to a CUDA GPU.

    `rows` (a slice) keeps only those rows of the batch drawn: a rank's share of the global batch.
    """
    ix = torch.randint(len(data) - context_length, (batch_size,), generator=generator)
    if rows is not None:
        ix = ix[rows]
    xy = data[ix[:, None] + torch.arange(context_length + 1)]  # (B, T+1): inputs and next chars
    x, y = xy[:, :-1].contiguous(), xy[:, 1:].contiguous()
    if device.type == "cuda":  # page-locked memory lets the copy overlap with GPU work
        x, y = x.pin_memory(), y.pin_memory()
    return x.to(device, non_blocking=True), y.to(device, non_blocking=True)


def compiled(model, device, wanted, batch_size, amp):
    """torch.compile(model) if wanted (None: on CUDA only), compiled now on a batch of the
    training's shape, so that the wait is not counted as training time and a machine that cannot
    compile (no C compiler, no Triton) falls back to eager with a notice. `amp` is the training's
    autocast context: the graph is compiled for the precision it will run in.
    Returns (forward, seconds the compilation took)."""
    if not (wanted if wanted is not None else device.type == "cuda"):
        return model, 0.0
    print(
        "torch.compile: compiling the model, usually under a minute (once per run) ...", flush=True
    )
    start = time.perf_counter()
    forward = torch.compile(model)
    try:
        shape = (batch_size, model.config.context_length)
        x = torch.zeros(shape, dtype=torch.long, device=device)
        with amp:  # two tensors, as in training (the same one twice would compile another graph)
            _, loss = forward(x, torch.zeros_like(x))
        loss.backward()  # compiles the forward and backward graphs now
        model.zero_grad(set_to_none=True)
    except Exception as error:  # compile needs a C compiler (and Triton on a GPU)
        print(
            f"torch.compile failed ({type(error).__name__}: {str(error)[:200]}); training without it."
        )
        model.zero_grad(set_to_none=True)
        return model, 0.0
    synchronize(device)
    return forward, time.perf_counter() - start


class RunModel(torch.nn.Module):
    """What `fit` trains in train_gpt: the model, seen through the run's machinery.

    In training mode a call runs `step(x, y)` (the compiled, data-parallel forward pass that
    also counts the step) on this rank's `rows` of the batch, under `amp` (autocast); in eval
    mode (fit's evaluate) the plain model under `amp`. Its parameters, state_dict and config are
    the model's own, so fit clips, keeps and restores the real weights.
    """

    def __init__(self, model, step, amp, rows=None):
        super().__init__()
        self.model = model
        self.config = model.config
        self.step, self.amp, self.rows = step, amp, rows

    def forward(self, x, targets=None):
        with self.amp:
            if not self.training:
                return self.model(x, targets)
            if self.rows is not None:  # this rank's share of the global batch
                x, targets = x[self.rows], targets[self.rows]
            return self.step(x, targets)

    def __getattr__(self, name):  # anything else is the model's own: lm_head, blocks, ...
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["model"], name)

    def state_dict(self, *args, **kwargs):
        return self.model.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, *args, **kwargs):
        return self.model.load_state_dict(state_dict, *args, **kwargs)


class LossScaling:
    """float16's loss scaling around fit's unchanged step (what torch.amp.GradScaler does).

    float16 rounds gradients below about 6e-8 to zero, so the loss is multiplied by `scale`
    before backward (`scaled`) and each parameter's gradient divided back before it reaches
    .grad (a hook): clipping and the optimizer see the true gradients. A step whose gradients
    overflowed (inf or nan) is skipped and the scale halved; after `growth_interval` good steps
    it doubles. Use it as fit's optimizer; `remove()` takes the hooks off the model.
    """

    def __init__(self, model, optimizer, scale=2.0**16, growth_interval=2000):
        self.optimizer, self.scale, self.growth_interval, self.good = (
            optimizer, scale, growth_interval, 0,
        )  # fmt: skip
        self.param_groups = optimizer.param_groups
        self.hooks = [p.register_hook(self.unscale) for p in model.parameters() if p.requires_grad]

    def unscale(self, grad):
        return grad / self.scale

    def scaled(self, loss):
        return loss * self.scale

    def zero_grad(self, set_to_none=True):
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def step(self):
        grads = [p.grad for g in self.param_groups for p in g["params"] if p.grad is not None]
        if grads and bool(torch.stack([g.isfinite().all() for g in grads]).all()):
            self.optimizer.step()
            self.good += 1
            if self.good % self.growth_interval == 0:
                self.scale *= 2.0
        else:  # an overflow: skip this step, and scale less from now on
            self.scale /= 2.0
            self.good = 0

    def remove(self):
        for hook in self.hooks:
            hook.remove()


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
    text=None,
    ranks=None,
):
    """Train `model` (a GPT) with notebook 09's `fit`; return the history.

    Every cfg.eval_interval steps (and at the end) the val loss is measured over the whole
    split and the train loss over cfg.eval_train_windows windows; the live plot is updated, and
    a better val loss saves `checkpoint` (if given): the checkpoint always holds the best model
    seen. Training stops at cfg.max_iters, after cfg.time_budget seconds of training, or after
    cfg.patience evaluations without improvement; the progress bar ends complete and says which.
    `resume` (a loaded checkpoint) continues from its step, optimizer state and run id. The model
    ends with the best weights seen. `device` is a string ("cuda", "cpu") or a torch.device.
    The history also holds the loss and learning rate of every step ("step_loss", "step_lr"),
    and the seconds torch.compile took ("compile_seconds", not counted as training time); with
    a checkpoint, the whole history is also written beside it (see history_path). `text`
    (Corpus.about(): name, size, fingerprint) is stored in the checkpoint, so it says what it
    was trained on.

    `ranks` (helpers/course/distributed.py) trains this process's share of each batch, as one
    rank of a run started by torchrun; only the rank given a `checkpoint` saves.
    """
    owner = checkpoint_lock(checkpoint) if checkpoint is not None else contextlib.nullcontext()
    with owner:  # one run per checkpoint file, from before the first step to the end
        return _train(
            model, train_data, val_data, cfg, vocab, device, checkpoint, overwrite, resume, title,
            text, ranks or distributed.SINGLE,
        )  # fmt: skip


def _train(
    model,
    train_data,
    val_data,
    cfg,
    vocab,
    device,
    checkpoint,
    overwrite,
    resume,
    title,
    text,
    ranks,
):
    device = torch.device(device)  # the one conversion: everything below takes a torch.device
    model.to(device)
    context_length = model.config.context_length
    amp, scaler, amp_dtype = precision(cfg.dtype, device)
    betas = (0.9, cfg.beta2)
    if cfg.optimizer == "muon":
        optimizer = configure_muon(
            model, cfg.learning_rate, cfg.weight_decay, betas, cfg.embedding_lr_scale
        )
    else:
        optimizer = configure_optimizer(
            model, cfg.learning_rate, cfg.weight_decay, betas, fused=fused_adamw_ok(device)
        )
    history = {"step": [], "train": [], "val": [], "seconds": [], "lr": []}
    history.update(step_loss=[], step_lr=[])
    step, best_val, seconds, run_id = 0, math.inf, 0.0, new_run_id()
    if resume is not None:
        model.load_state_dict(resume["model"])
        optimizer.load_state_dict(resume["optimizer"])
        step, best_val = resume["step"], resume["best_val"]
        seconds, run_id = resume.get("train_seconds", 0.0), resume["run_id"]
        history.update(resume.get("history") or {})
    if checkpoint is not None:
        check_can_write(checkpoint, run_id, overwrite)  # refuse now, not after an hour of training
    rows = distributed.my_rows(cfg.batch_size, ranks)  # this rank's rows (None: all of them)
    local_batch = cfg.batch_size if rows is None else rows.stop - rows.start
    forward, compile_seconds = compiled(model, device, cfg.compile, local_batch, amp)
    forward = distributed.data_parallel(forward, cfg.batch_size, ranks, device)
    history["compile_seconds"] = round(compile_seconds, 2)
    history.update(world_size=ranks.world_size, backend=ranks.backend)
    torch.manual_seed(cfg.seed + step)  # fit's batches; a resumed run draws new ones
    view = LiveLossPlot(title)
    bar = tqdm(total=cfg.max_iters, initial=step, desc=title) if in_notebook() else None
    # what the hooks below share: steps, training seconds (evaluations and compiling excluded)
    run = {"step": step, "seconds": seconds, "clock": time.perf_counter(), "stale": 0, "losses": []}
    run["logged"] = seconds
    if resume is not None and checkpoint is not None:  # the file this run resumed is a good one
        run["saved"] = (step, best_val)

    def progress():  # fit asks before every step: the training clock runs here
        now = time.perf_counter()
        run["seconds"] += now - run["clock"]
        run["clock"] = now
        if cfg.time_budget and ranks.distributed:  # every rank follows rank 0's clock
            run["seconds"] = distributed.from_main(run["seconds"], ranks)
        by_time = run["seconds"] / cfg.time_budget if cfg.time_budget else 0.0
        return max(run["step"] / cfg.max_iters, by_time)

    def record_steps():
        """Per-step losses, read from the GPU only now and then (.item() waits for it)."""
        if run["losses"]:
            history["step_loss"] += torch.stack(run["losses"]).float().tolist()
            run["losses"] = []

    def diverged(what, value, at_step):
        saved = run.get("saved")
        kept = (
            f"The last good checkpoint, {shown_path(checkpoint)} (step {saved[0]}, val {saved[1]:.4f}), is "
            "untouched."
            if saved
            else "Nothing was saved from this run."
        )
        return TrainingDiverged(
            f"the {what} became {value} at step {at_step}: the run diverged and was stopped (the "
            f"learning rate, now {optimizer.param_groups[0]['lr']:.3g}, may be too high). {kept}"
        )

    def on_eval(at_step, val, improved):
        synchronize(device)
        record_steps()
        run["step"] = at_step
        if not math.isfinite(val):
            raise diverged("validation loss", val, at_step)
        if improved:
            run["best"] = (at_step, val)
        if history["step"] and history["step"][-1] == at_step:  # a resumed run's last evaluation
            return None
        with amp:  # the train loss is only for the plot: a sample of windows
            windows = cfg.eval_train_windows
            train = evaluate(model, train_data, context_length, device=device, max_windows=windows)
        lr = optimizer.param_groups[0]["lr"]
        for key, value in zip(
            ("step", "train", "val", "seconds", "lr"),
            (at_step, train, val, round(run["seconds"], 2), lr),
            strict=True,
        ):
            history[key].append(value)
        view.update(history)
        if bar is not None:
            bar.set_postfix(val=f"{val:.3f}", lr=f"{lr:.1e}")
        run["stale"] = 0 if improved else run["stale"] + 1
        if improved and checkpoint is not None:
            save_checkpoint(
                checkpoint,
                model=model,
                config=model.config,
                vocab=vocab,
                run_id=run_id,
                step=at_step,
                best_val=val,
                optimizer=optimizer,
                overwrite=overwrite,
                train_seconds=run["seconds"],
                history=history,
                train_config=dataclasses.asdict(cfg),
                text=text,
            )
            run["saved"] = (at_step, val)
        run["clock"] = time.perf_counter()  # evaluations are not training time
        stop = "patience" if cfg.patience is not None and run["stale"] >= cfg.patience else None
        return distributed.from_main(stop, ranks)  # every rank stops where rank 0 does

    def counted_forward(x, y):  # the forward pass, counting steps, keeping each loss and lr
        logits, loss = forward(x, y)
        run["losses"].append(distributed.mean_loss(loss.detach(), ranks))  # the global batch's
        history["step_lr"].append(optimizer.param_groups[0]["lr"])
        run["step"] += 1
        if bar is not None:
            bar.update()
        if run["step"] % cfg.log_interval == 0:
            synchronize(device)
            checked = len(history["step_loss"])
            record_steps()
            for i, value in enumerate(history["step_loss"][checked:], start=checked):
                if not math.isfinite(value):
                    raise diverged("training loss", value, i + 1)
            shown = f"{history['step_loss'][-1]:.3f}"
            if bar is None:
                ms = (run["seconds"] - run["logged"]) / cfg.log_interval * 1000
                print(
                    f"{title}: step {run['step']}/{cfg.max_iters} | loss {shown} | "
                    f"lr {history['step_lr'][-1]:.2e} | {ms:.0f} ms/step | "
                    f"{run['seconds']:.0f} s",
                    flush=True,
                )
            else:
                bar.set_postfix(loss=shown, val=f"{history['val'][-1]:.3f}")
            run["logged"] = run["seconds"]
        return logits, loss

    # fit trains the model through the run's forward pass, and float16 scales its loss
    scaling = LossScaling(model, optimizer, scaler.get_scale()) if scaler.is_enabled() else None

    def training_step(x, y):
        logits, loss = counted_forward(x, y)
        return logits, scaling.scaled(loss) if scaling else loss

    try:
        with tf32(device):
            result = fit(
                RunModel(model, training_step, amp, rows),
                scaling or optimizer,
                train_data,
                val_data,
                cfg,
                device=device,
                step=step,
                best_val=best_val,
                schedule=SCHEDULES[cfg.schedule],
                progress=progress,
                on_eval=on_eval,
            )
    except KeyboardInterrupt:  # Ctrl-C, or the notebook's stop button: a clean stop
        best_step, best_val = run.get("best", (step, best_val))
        if run.get("saved"):  # the weights of the best step, as saved
            model.load_state_dict(load_checkpoint(checkpoint, map_location=device)["model"])
        result = {"step": run["step"], "best_val": best_val, "best_step": best_step}
        result["stopped"] = "interrupted"
    finally:
        if scaling:
            scaling.remove()
    record_steps()
    reason = {
        "max_iters": f"reached max_iters={cfg.max_iters}",
        "budget": f"stopped by the {cfg.time_budget:g}-second budget at step {result['step']}"
        if cfg.time_budget
        else "",
        "patience": f"stopped early at step {result['step']}: {cfg.patience} evaluations "
        "without a better val loss",
        "interrupted": f"interrupted at step {result['step']}"
        + (
            f"; the best model (step {run['saved'][0]}, val {run['saved'][1]:.4f}) is in "
            f"{shown_path(checkpoint)}"
            if run.get("saved")
            else "; nothing was saved"
        ),
    }[result["stopped"]]
    if bar is not None:
        bar.total = result["step"]  # the run ended as planned: a full bar, whatever stopped it
        if hasattr(bar, "container"):  # the notebook's widget keeps its own maximum
            bar.container.children[1].max = result["step"]
        bar.set_description(f"{title}: {reason}")
        bar.refresh()
        bar.close()
    else:
        print(f"{title}: {reason}", flush=True)
    history.update(
        best_val=result["best_val"],
        best_step=result["best_step"],
        train_seconds=run["seconds"],
        run_id=run_id,
        stopped=reason,
        dtype=str(amp_dtype or torch.float32).replace("torch.", ""),
    )
    if checkpoint is not None:  # the checkpoint's history ends at its best step; this one does not
        with atomic_write(history_path(checkpoint), "w") as f:
            json.dump(history, f)
    return history


def history_path(checkpoint):
    """Where train_gpt writes the whole history of the run that wrote `checkpoint` (JSON)."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + ".history.json")
