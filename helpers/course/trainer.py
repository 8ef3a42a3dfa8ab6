"""The long run: notebook 09's `fit`, called unchanged, with what a long run needs around it.

Notebooks 09, 10, 12 and 13, `python -m helpers train` and torchrun all train through train_gpt.
Read it top to bottom: the optimizer; the checks before resuming (course/checkpoint.py); the
checkpoint file taken for this run (its lock); the GPU's speed-ups (course/device.py: mixed
precision, torch.compile, TF32); then `fit`. What a long run adds to the taught loop (a
wall-clock budget, the live plot and progress bar, evaluations of the train loss, the best model
saved, divergence caught, patience) lives in one object, `Run`, whose methods are the hooks `fit`
calls: `progress` before each step, `train_step` for each batch and `on_eval` after each
evaluation. `fit` sees none of that machinery: it trains a RunModel (the model, seen through the
run's compiled, autocast, data-parallel forward pass) with the run's optimizer (wrapped by
LossScaling for float16). The presets and TrainConfig live in course/presets.py.
"""

import dataclasses
import json
import math
import time
from functools import partial
from pathlib import Path

import torch

from helpers.course import distributed
from helpers.course.checkpoint import (
    check_resume,
    load_checkpoint,
    new_run_id,
    owned,
    save_checkpoint,
)
from helpers.course.device import compiled, fused_adamw_ok, precision, synchronize, tf32
from helpers.course.files import atomic_write
from helpers.course.notebook import shown_path, tqdm
from helpers.course.plotting import LiveLossPlot, in_notebook
from helpers.modern import configure_muon, lr_wsd
from helpers.training import configure_optimizer, evaluate, fit, lr_at

SCHEDULES = {"cosine": lr_at, "wsd": lr_wsd}  # TrainConfig.schedule: notebook 09's, notebook 12's


class TrainingDiverged(RuntimeError):
    """The loss stopped being a number: the run is stopped, its last good checkpoint untouched."""


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
    tokens_per_char=1.0,
):
    """Train `model` (a GPT or ModernGPT) with notebook 09's `fit`; return the history.

    Every cfg.eval_interval steps (and at the end) the val loss is measured over the whole
    split and the train loss over cfg.eval_train_windows windows; the live plot is updated, and
    a better val loss saves `checkpoint` (if given): the checkpoint always holds the best model
    seen. Training stops at cfg.max_iters, after cfg.time_budget seconds of training, or after
    cfg.patience evaluations without improvement; the progress bar ends complete and says which.
    `resume` (a loaded checkpoint) continues from its step, optimizer state and run id, after
    check_resume. The model ends with the best weights seen. `device` is a string ("cuda",
    "cpu") or a torch.device. The history also holds the loss and learning rate of every step
    ("step_loss", "step_lr"), and the seconds torch.compile took ("compile_seconds", not counted
    as training time); with a checkpoint, the whole history is also written beside it (see
    history_path). `text` (Corpus.about(): name, size, fingerprint) is stored in the
    checkpoint, so it says what it was trained on.

    `ranks` (helpers/course/distributed.py) trains this process's share of each batch, as one
    rank of a run started by torchrun; only the rank given a `checkpoint` saves.

    `tokens_per_char` is the validation text's tokens per character (1 for characters, fewer for
    subword tokens, notebook 14): the val loss per token times it, over ln 2, is the val loss in
    bits per character, which compares runs with different tokenizers. The checkpoint stores it
    ("bits_per_char"), and so does the history ("best_bits_per_char").
    """
    device = torch.device(device)  # the one conversion: everything below takes a torch.device
    ranks = ranks or distributed.SINGLE
    if resume is not None:  # the same vocabulary, shape and optimizer, or a clear error now
        check_resume(
            resume, model.config, vocab, cfg.optimizer, text, checkpoint or "the checkpoint"
        )
    run_id = resume["run_id"] if resume is not None else new_run_id()
    # the file is this run's until it ends; taken first, so a second run is refused at once
    with owned(checkpoint, run_id, overwrite):
        model.to(device)
        optimizer = make_optimizer(model, cfg, device)
        if resume is not None:
            model.load_state_dict(resume["model"])
            optimizer.load_state_dict(resume["optimizer"])
        amp, scaler, amp_dtype = precision(cfg.dtype, device)
        rows = distributed.my_rows(cfg.batch_size, ranks)  # this rank's rows (None: all of them)
        local_batch = cfg.batch_size if rows is None else rows.stop - rows.start
        forward, compile_seconds = compiled(model, device, cfg.compile, local_batch, amp)
        forward = distributed.data_parallel(forward, cfg.batch_size, ranks, device)
        scaling = LossScaling(model, optimizer, scaler.get_scale()) if scaler.is_enabled() else None
        save = checkpoint and partial(
            save_checkpoint,
            checkpoint,
            model=model,
            config=model.config,
            vocab=vocab,
            run_id=run_id,
            optimizer=optimizer,
            overwrite=overwrite,
            train_config=dataclasses.asdict(cfg),
            text=text,
        )
        run = Run(
            model,
            optimizer,
            cfg,
            train_data=train_data,
            device=device,
            amp=amp,
            ranks=ranks,
            title=title,
            path=checkpoint,
            save=save,
            tokens_per_char=tokens_per_char,
        )
        run.start(resume, forward, scaling)
        run.history.update(
            compile_seconds=round(compile_seconds, 2),
            world_size=ranks.world_size,
            backend=ranks.backend,
            run_id=run_id,
            dtype=str(amp_dtype or torch.float32).replace("torch.", ""),
        )
        torch.manual_seed(cfg.seed + run.step)  # fit's batches; a resumed run draws new ones
        try:
            with tf32(device):
                result = fit(
                    RunModel(model, run.train_step, amp, rows),
                    scaling or optimizer,
                    train_data,
                    val_data,
                    cfg,
                    device=device,
                    step=run.step,
                    best_val=run.best_val,
                    schedule=SCHEDULES[cfg.schedule],
                    progress=run.progress,
                    on_eval=run.on_eval,
                )
        except KeyboardInterrupt:  # Ctrl-C, or the notebook's stop button: a clean stop
            result = run.interrupted()
        finally:
            if scaling:
                scaling.remove()
        history = run.finish(result)
        if checkpoint is not None:  # the checkpoint's history ends at its best step; this does not
            with atomic_write(history_path(checkpoint), "w") as f:
                json.dump(history, f)
    return history


def make_optimizer(model, cfg, device):
    """AdamW (notebook 09, fused where it exists), or Muon for the weight matrices (notebook 12)."""
    betas = (0.9, cfg.beta2)
    if cfg.optimizer == "muon":
        return configure_muon(
            model, cfg.learning_rate, cfg.weight_decay, betas, cfg.embedding_lr_scale
        )
    fused = fused_adamw_ok(device)
    return configure_optimizer(model, cfg.learning_rate, cfg.weight_decay, betas, fused=fused)


def history_path(checkpoint):
    """Where train_gpt writes the whole history of the run that wrote `checkpoint` (JSON)."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + ".history.json")


class Run:
    """One long run's state (steps, the training clock, the history, the best and the saved
    model) and the hooks `fit` calls. The training clock counts training only: evaluations and
    compiling are left out, so a 3-minute budget is 3 minutes of steps on every machine."""

    def __init__(
        self,
        model,
        optimizer,
        cfg,
        *,
        train_data,
        device,
        amp,
        ranks,
        title,
        path,
        save,
        tokens_per_char=1.0,
    ):
        self.model, self.optimizer, self.cfg, self.train_data = model, optimizer, cfg, train_data
        self.device, self.amp, self.ranks, self.title = device, amp, ranks, title
        self.path, self.save = path, save  # the checkpoint, and how to write it (None: no file)
        self.tokens_per_char = tokens_per_char
        self.history = {"step": [], "train": [], "val": [], "seconds": [], "lr": []}
        self.history.update(step_loss=[], step_lr=[])
        self.step, self.best_val, self.seconds = 0, math.inf, 0.0
        self.best = self.saved = None  # (step, val loss): the best seen, the one on disk
        self.stale = 0  # evaluations since the val loss last improved
        self.losses = []  # this step's and recent losses, still on the GPU (see record_steps)
        self.view = LiveLossPlot(title)
        self.bar = None

    def start(self, resume, forward, scaling):
        """Continue a resumed run's counters and history; start the bar and the clock."""
        self.forward, self.scaling = forward, scaling
        if resume is not None:
            self.step, self.best_val = resume["step"], resume["best_val"]
            self.seconds = resume.get("train_seconds", 0.0)
            self.history.update(resume.get("history") or {})
            if self.save:  # the file this run resumed is a good one
                self.saved = (self.step, self.best_val)
        self.first_step = self.step
        if in_notebook():
            self.bar = tqdm(total=self.cfg.max_iters, initial=self.step, desc=self.title)
        self.logged, self.clock = self.seconds, time.perf_counter()

    def progress(self):
        """fit asks before every step how far the run is (0 to 1, by steps or by the clock); the
        training clock is read here, so it moves on by the time since fit last asked."""
        now = time.perf_counter()
        self.seconds += now - self.clock
        self.clock = now
        if self.cfg.time_budget and self.ranks.distributed:  # every rank follows rank 0's clock
            self.seconds = distributed.from_main(self.seconds, self.ranks)
        by_time = self.seconds / self.cfg.time_budget if self.cfg.time_budget else 0.0
        return max(self.step / self.cfg.max_iters, by_time)

    def train_step(self, x, y):
        """One batch's forward pass (RunModel calls it): the loss, counted, kept and logged."""
        logits, loss = self.forward(x, y)
        self.losses.append(distributed.mean_loss(loss.detach(), self.ranks))  # the global batch's
        self.history["step_lr"].append(self.optimizer.param_groups[0]["lr"])
        self.step += 1
        if self.bar is not None:
            self.bar.update()
        if self.step % self.cfg.log_interval == 0:
            self.log()
        return logits, self.scaling.scaled(loss) if self.scaling else loss

    def record_steps(self):
        """Per-step losses, read from the GPU only now and then (.item() waits for it)."""
        if self.losses:
            self.history["step_loss"] += torch.stack(self.losses).float().tolist()
            self.losses = []

    def log(self):
        """Every log_interval steps: check the losses are numbers, and show the latest."""
        synchronize(self.device)
        checked = len(self.history["step_loss"])
        self.record_steps()
        for i, value in enumerate(self.history["step_loss"][checked:], start=checked):
            if not math.isfinite(value):
                raise self.diverged("training loss", value, i + 1)
        shown = f"{self.history['step_loss'][-1]:.3f}"
        if self.bar is None:
            ms = (self.seconds - self.logged) / self.cfg.log_interval * 1000
            print(
                f"{self.title}: step {self.step}/{self.cfg.max_iters} | loss {shown} | "
                f"lr {self.history['step_lr'][-1]:.2e} | {ms:.0f} ms/step | "
                f"{self.seconds:.0f} s",
                flush=True,
            )
        else:
            self.bar.set_postfix(loss=shown, val=f"{self.history['val'][-1]:.3f}")
        self.logged = self.seconds

    def on_eval(self, at_step, val, improved):
        """After fit's evaluation: the train loss for the plot, the history, the checkpoint of a
        better model, and patience. Returns "patience" to stop, else None."""
        synchronize(self.device)
        self.record_steps()
        self.step = at_step
        if not math.isfinite(val):
            raise self.diverged("validation loss", val, at_step)
        if improved:
            self.best = (at_step, val)
        history = self.history
        if history["step"] and history["step"][-1] == at_step:  # a resumed run's last evaluation
            return None
        with self.amp:  # the train loss is only for the plot: a sample of windows
            train = evaluate(
                self.model,
                self.train_data,
                self.model.config.context_length,
                device=self.device,
                max_windows=self.cfg.eval_train_windows,
            )
        lr = self.optimizer.param_groups[0]["lr"]
        for key, value in zip(
            ("step", "train", "val", "seconds", "lr"),
            (at_step, train, val, round(self.seconds, 2), lr),
            strict=True,
        ):
            history[key].append(value)
        self.view.update(history)
        if self.bar is not None:
            self.bar.set_postfix(val=f"{val:.3f}", lr=f"{lr:.1e}")
        self.stale = 0 if improved else self.stale + 1
        if improved and self.save:
            self.save(
                step=at_step,
                best_val=val,
                bits_per_char=self.bits_per_char(val),
                train_seconds=self.seconds,
                history=history,
            )
            self.saved = (at_step, val)
        self.clock = time.perf_counter()  # evaluations are not training time
        patience = self.cfg.patience
        stop = "patience" if patience is not None and self.stale >= patience else None
        return distributed.from_main(stop, self.ranks)  # every rank stops where rank 0 does

    def bits_per_char(self, val):
        """A val loss per token (in nats) as bits per character: the same for every tokenizer."""
        return val * self.tokens_per_char / math.log(2)

    def diverged(self, what, value, at_step):
        kept = (
            f"The last good checkpoint, {shown_path(self.path)} (step {self.saved[0]}, val "
            f"{self.saved[1]:.4f}), is untouched."
            if self.saved
            else "Nothing was saved from this run."
        )
        return TrainingDiverged(
            f"the {what} became {value} at step {at_step}: the run diverged and was stopped (the "
            f"learning rate, now {self.optimizer.param_groups[0]['lr']:.3g}, may be too high). "
            f"{kept}"
        )

    def interrupted(self):
        """fit's result for a run stopped by Ctrl-C: the best model saved comes back."""
        best_step, best_val = self.best or (self.first_step, self.best_val)
        if self.saved:  # the weights of the best step, as saved
            saved = load_checkpoint(self.path, map_location=self.device)
            self.model.load_state_dict(saved["model"])
        return {
            "step": self.step,
            "best_val": best_val,
            "best_step": best_step,
            "stopped": "interrupted",
        }

    def finish(self, result):
        """Close the bar with the reason the run stopped; return the whole history."""
        self.record_steps()
        cfg, step = self.cfg, result["step"]
        reason = {
            "max_iters": f"reached max_iters={cfg.max_iters}",
            "budget": f"stopped by the {cfg.time_budget:g}-second budget at step {step}"
            if cfg.time_budget
            else "",
            "patience": f"stopped early at step {step}: {cfg.patience} evaluations "
            "without a better val loss",
            "interrupted": f"interrupted at step {step}"
            + (
                f"; the best model (step {self.saved[0]}, val {self.saved[1]:.4f}) is in "
                f"{shown_path(self.path)}"
                if self.saved
                else "; nothing was saved"
            ),
        }[result["stopped"]]
        if self.bar is not None:
            self.bar.total = step  # the run ended as planned: a full bar, whatever stopped it
            if hasattr(self.bar, "container"):  # the notebook's widget keeps its own maximum
                self.bar.container.children[1].max = step
            self.bar.set_description(f"{self.title}: {reason}")
            self.bar.refresh()
            self.bar.close()
        else:
            print(f"{self.title}: {reason}", flush=True)
        self.history.update(
            best_val=result["best_val"],
            best_step=result["best_step"],
            best_bits_per_char=self.bits_per_char(result["best_val"]),
            tokens_per_char=self.tokens_per_char,
            train_seconds=self.seconds,
            stopped=reason,
        )
        return self.history


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
