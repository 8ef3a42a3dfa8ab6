"""Checks notebook 09's exercises (notebooks/09_training_well.ipynb), in its order:
lr schedule, bits per character."""

import math

import torch

from .core import _as_float, _call, _checker


def _schedule(step, cfg):
    """notebook 09's lr_at without a time budget (progress = step / max_iters)."""
    if step < cfg.warmup_iters:
        return cfg.learning_rate * (step + 1) / cfg.warmup_iters
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(step / cfg.max_iters, 1.0)))
    return cfg.min_lr + cosine * (cfg.learning_rate - cfg.min_lr)


@_checker(
    "lr schedule",
    hint="warmup: learning_rate * (step + 1) / warmup_iters; then "
    "min_lr + 0.5 * (learning_rate - min_lr) * (1 + cos(pi * step / max_iters))",
)
def check_lr_schedule(my_lr_at):
    """Exercise 1 of notebook 09: my_lr_at(step, cfg) -> the learning rate at `step`."""
    from types import SimpleNamespace

    configs = [
        SimpleNamespace(learning_rate=3e-3, min_lr=3e-4, warmup_iters=100, max_iters=5000),
        SimpleNamespace(learning_rate=1e-3, min_lr=1e-4, warmup_iters=10, max_iters=200),
        SimpleNamespace(learning_rate=6e-4, min_lr=6e-5, warmup_iters=0, max_iters=1000),
    ]
    problems = []
    for cfg in configs:
        steps = sorted({0, max(cfg.warmup_iters - 1, 0), cfg.warmup_iters, cfg.max_iters // 2,
                        3 * cfg.max_iters // 4, cfg.max_iters - 1, cfg.max_iters})  # fmt: skip
        for step in steps:
            want = _schedule(step, cfg)
            got = _call(f"step {step} of {cfg}", my_lr_at, step, cfg)
            if not isinstance(got, (int, float)) or not math.isclose(got, want, rel_tol=1e-6):
                what = "the warmup" if step < cfg.warmup_iters else "the cosine decay"
                if step == cfg.max_iters:
                    what = "the end of the decay: min_lr, not 0"
                problems.append((f"{want:.4g} at step {step} ({what}; {cfg})", got))
                break  # one mistake per schedule is enough to show
    return problems


def _tiny_model_and_text():
    from helpers.gpt import GPT, GPTConfig

    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=11, context_length=8, n_embd=16, n_head=2, n_layer=1))
    data = torch.randint(11, (500,), generator=torch.Generator().manual_seed(1))
    return model.eval(), data


@_checker(
    "bits per character",
    hint="the mean loss over every window of data, as evaluate(model, data, context_length) "
    "gives it, divided by math.log(2)",
)
def check_bits_per_character(bits_per_character):
    """Exercise 2 of notebook 09: bits_per_character(model, data, context_length) -> a float."""
    from helpers.training import evaluate

    model, data = _tiny_model_and_text()
    nats = evaluate(model, data, 8)
    want = nats / math.log(2)
    got = _call("a tiny GPT on 500 ids", bits_per_character, model, data, 8)
    got = _as_float(got)
    if not isinstance(got, float) or not math.isclose(got, want, rel_tol=1e-4):
        if isinstance(got, float) and math.isclose(got, nats, rel_tol=1e-4):
            return [(f"{want:.4f} bits: the loss in nats is {nats:.4f}; divide by ln 2", got)]
        return [(f"{want:.4f} bits (every character of data once, in base 2)", got)]
    return []
