"""Train the course's GPT from a terminal (e.g. a GPU box without Jupyter).

    python -m helpers.train --preset gpu              # the lecture's full model -> checkpoints/gpu.pt
    python -m helpers.train --preset cpu              # the 3-minute CPU model -> checkpoints/cpu.pt
    python -m helpers.train --preset gpu --resume     # continue from the checkpoint's step
    python -m helpers.train --preset gpu --overwrite  # replace a checkpoint from another run
    python -m helpers.sample --checkpoint checkpoints/gpu.pt --prompt "ROMEO:" --top-k 40

It prints a progress line every --log-interval steps and the train/val losses at every
evaluation; the checkpoint always holds the model with the best val loss so far (early
stopping: an overfitting run keeps its best point). Any preset value can be overridden, e.g.
`--max-iters 2000 --batch-size 32 --no-compile`. Notebook 08 explains every choice.
"""

import argparse
import dataclasses
import sys
from pathlib import Path

import torch

from helpers.batching import train_val_split
from helpers.checkpoint import (
    CHECKPOINT_DIR,
    CheckpointError,
    check_can_write,
    check_compatible,
    load_checkpoint,
)
from helpers.device import choose_threads, pick_device
from helpers.model import GPT
from helpers.tokenizer import CharTokenizer
from helpers.trainer import PRESETS, preset, train_gpt

MODEL_FLAGS = ("context_length", "n_embd", "n_head", "n_layer", "dropout")
TRAIN_FLAGS = (
    "batch_size",
    "learning_rate",
    "min_lr",
    "warmup_iters",
    "max_iters",
    "time_budget",
    "eval_interval",
    "patience",
    "compile",
    "dtype",
    "seed",
    "log_interval",
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--preset", choices=sorted(PRESETS), help="default: gpu on a CUDA GPU, else cpu")
    p.add_argument("--out", type=Path, help="checkpoint file (default: checkpoints/<preset>.pt)")
    p.add_argument("--resume", action="store_true", help="continue the run stored in --out")
    p.add_argument("--overwrite", action="store_true", help="replace a checkpoint from another run")
    p.add_argument(
        "--text", type=Path, help="train on this UTF-8 text file instead of tinyshakespeare"
    )
    p.add_argument("--device", help="cuda, mps or cpu (default: the best available)")
    p.add_argument("--threads", type=int, help="CPU threads (default: chosen by a quick probe)")
    for name in MODEL_FLAGS:
        p.add_argument("--" + name.replace("_", "-"), type=float if name == "dropout" else int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--min-lr", type=float)
    p.add_argument("--warmup-iters", type=int)
    p.add_argument("--max-iters", type=int)
    p.add_argument("--time-budget", type=float, help="seconds of training; 0 for no limit")
    p.add_argument("--eval-interval", type=int)
    p.add_argument("--patience", type=int, help="stop after this many evaluations without progress")
    p.add_argument(
        "--compile", action=argparse.BooleanOptionalAction, help="torch.compile (default: on CUDA)"
    )
    p.add_argument("--dtype", choices=["auto", "float32", "bfloat16"])
    p.add_argument("--seed", type=int)
    p.add_argument("--log-interval", type=int)
    p.add_argument("--sample-chars", type=int, default=300, help="characters to sample at the end")
    return p.parse_args(argv)


def read_text(path):
    if path is None:
        from helpers.data import load_corpus

        return load_corpus(allow_offline=False).text
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def main(argv=None):
    args = parse_args(argv)
    device = pick_device(args.device)
    if device.type == "cpu":
        choose_threads(args.threads)
    name = args.preset or ("gpu" if device.type == "cuda" else "cpu")
    out = args.out or CHECKPOINT_DIR / f"{name}.pt"

    resume = None
    try:  # checkpoint problems first: they should not wait for the corpus to load
        if args.resume:
            resume = load_checkpoint(out, map_location=device)
        else:
            check_can_write(out, run_id=None, overwrite=args.overwrite)
    except CheckpointError as e:
        sys.exit(f"error: {e}")

    text = read_text(args.text)
    tokenizer = CharTokenizer.from_text(text)
    data = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    train_data, val_data = train_val_split(data)

    model_config, train_config = preset(name, tokenizer.vocab_size)
    try:  # the dataclasses check every value: a bad one stops here, with its reason
        model_config = dataclasses.replace(
            model_config,
            **{k: getattr(args, k) for k in MODEL_FLAGS if getattr(args, k) is not None},
        )
        changes = {k: getattr(args, k) for k in TRAIN_FLAGS if getattr(args, k) is not None}
        if changes.get("time_budget") == 0:
            changes["time_budget"] = None
        train_config = dataclasses.replace(train_config, **changes)
        if resume is not None:
            check_compatible(resume, model_config, tokenizer.chars)
            print(f"resuming {out} at step {resume['step']} (best val {resume['best_val']:.4f})")
    except (ValueError, CheckpointError) as e:
        sys.exit(f"error: {e}")
    if len(val_data) <= model_config.context_length:
        sys.exit(
            f"error: the validation split ({len(val_data)} tokens) is shorter than the context."
        )

    torch.manual_seed(train_config.seed)  # the same seed, the same initial weights
    model = GPT(model_config)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"preset {name}: {model_config}")
    print(f"{train_config}")
    print(
        f"{n_params:,} parameters, {len(train_data):,} training tokens, checkpoint {out}",
        flush=True,
    )
    history = train_gpt(
        model,
        train_data,
        val_data,
        train_config,
        vocab=tokenizer.chars,
        device=device,
        checkpoint=out,
        overwrite=args.overwrite,
        resume=resume,
        title=name,
    )
    print(
        f"best val loss {history['best_val']:.4f} at step {history['best_step']} "
        f"({history['train_seconds']:.0f} s of training); saved in {out}"
    )
    if args.sample_chars > 0:
        torch.manual_seed(train_config.seed)
        start = torch.zeros((1, 1), dtype=torch.long, device=device)
        ids = model.generate(start, args.sample_chars, use_kv_cache=True)[0].tolist()
        print("-" * 40 + "\n" + tokenizer.decode(ids))


if __name__ == "__main__":
    main()
