"""The training presets: how to train (TrainConfig), the four named recipes, and what each costs
on a small text.

No PyTorch here: the command line reads its choices (--preset, --schedule, --dtype,
--optimizer) from this file before anything heavy is imported. `preset()` builds the model's
config (GPTConfig or ModernConfig) when asked.
"""

import dataclasses
import math
from dataclasses import dataclass, field

DTYPES = ("auto", "float32", "bfloat16", "float16")
OPTIMIZERS = ("adamw", "muon")
SCHEDULES = ("cosine", "wsd")  # notebook 09's lr_at, notebook 12's lr_wsd


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
        for name, allowed in (
            ("optimizer", OPTIMIZERS),
            ("schedule", SCHEDULES),
            ("dtype", DTYPES),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}."
                )
        if not (math.isfinite(self.embedding_lr_scale) and self.embedding_lr_scale > 0):
            raise ValueError(
                f"embedding_lr_scale must be a number above 0, got {self.embedding_lr_scale}."
            )


@dataclass
class Preset:
    """A named recipe: which model (notebook 08's GPT or notebook 11's modern one), its sizes,
    how to train it, and what to say when the text is small for it."""

    model: str  # "gpt" (GPTConfig) or "modern" (ModernConfig)
    sizes: dict  # the model config's fields; vocab_size comes from the text
    train: TrainConfig
    summary: str  # one line for --help
    small_text: tuple = field(default=(0, ""))  # (fewer training characters than this, the note)


PRESETS = {
    # What learned best in 3 minutes on a 2-core CPU, where a smaller model that sees more text
    # beats a bigger one (the sizes tried: docs/GPU.md); the budget stops it after 3 minutes on
    # any machine, and the learning-rate decay follows the clock.
    "cpu": Preset(
        "gpt",
        dict(context_length=64, n_embd=96, n_head=4, n_layer=3, dropout=0.0),
        TrainConfig(
            batch_size=64, learning_rate=3e-3, min_lr=3e-4, time_budget=180.0, eval_interval=500
        ),
        "notebook 09's 3-minute model for a laptop CPU",
        (
            200_000,
            "is little even for the cpu preset (on a 45,000-character training split it was at "
            "its best after 500 steps, then overfit: bench/OWN_TEXT_RESULTS.md). The checkpoint "
            "keeps the best point; fewer steps (max_iters) lose nothing.",
        ),
    ),
    # The lecture's full model and run.
    "gpu": Preset(
        "gpt",
        dict(context_length=256, n_embd=384, n_head=6, n_layer=6, dropout=0.2),
        TrainConfig(batch_size=64, learning_rate=3e-4, min_lr=3e-5, eval_interval=250, patience=6),
        "the lecture's full model (10.8 M parameters)",
        (
            1_000_000,
            "is little for the gpu preset's 10.8 M parameters (it overfits even "
            "tinyshakespeare's 1.0 M after about 3,500 steps on a GPU): expect the validation "
            "loss to turn up early. The checkpoint keeps the best point, and patience stops the "
            "run; the cpu preset may do as well.",
        ),
    ),
    # The end of a re-tuning ladder for 3 minutes on a 2-core CPU (LayerNorm kept: PyTorch's CPU
    # RMSNorm is slower per step): bench/MODERN_RESULTS.md and bench/MODERN_TUNING.md.
    "cpu-modern": Preset(
        "modern",
        dict(context_length=128, n_embd=96, n_head=4, n_layer=3, rmsnorm=False),
        TrainConfig(
            batch_size=32,
            learning_rate=6e-3,
            min_lr=6e-5,
            schedule="wsd",
            embedding_lr_scale=5.0,
            warmup_iters=30,
            time_budget=180.0,
            eval_interval=500,
            optimizer="muon",
        ),
        "notebook 12's modern GPT, 3 minutes on a laptop CPU",
    ),
    "gpu-modern": Preset(
        "modern",
        dict(context_length=256, n_embd=384, n_head=6, n_layer=6, dropout=0.2),
        TrainConfig(
            batch_size=64,
            learning_rate=1e-3,
            min_lr=1e-4,
            eval_interval=250,
            patience=6,
            optimizer="muon",
        ),
        "notebook 12's modern GPT at the lecture's size",
    ),
}


def preset(name, vocab_size):
    """Copies of a preset's (model config, TrainConfig), for a vocabulary of `vocab_size`: a
    GPTConfig (notebook 08) or a ModernConfig (notebook 11)."""
    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name!r}; choose one of {sorted(PRESETS)}.")
    chosen = PRESETS[name]
    if chosen.model == "modern":
        from helpers.modern import ModernConfig as kind
    else:
        from helpers.gpt import GPTConfig as kind
    return kind(vocab_size=vocab_size, **chosen.sizes), dataclasses.replace(chosen.train)


def size_notice(train_characters, preset_name):
    """What to expect from a preset on a training split of this size ("" when it is ample)."""
    enough, note = PRESETS[preset_name].small_text
    if train_characters >= enough or not note:
        return ""
    return f"note: {train_characters:,} training characters {note}"
