"""Saving and loading trained models safely (notebook 08, `python -m helpers train` and `sample`).

A checkpoint is one file holding plain data only (so it loads with ``weights_only=True``, which
cannot run code hidden in a file): the model's config as a dict, the vocabulary as a string, the
model and optimizer state, the step reached, the best validation loss so far and a run id.

- It is written atomically: to a temporary file in the same folder, then renamed over the old
  one, so a crash or a full disk never leaves a half-written checkpoint under the real name.
- A file written by another run is never replaced unless you say so (``overwrite=True``,
  ``--overwrite``): the run id tells the runs apart, and a resumed run keeps the id it resumed.
- Resuming with a different vocabulary or model shape is a clear error, not a silent mess.
"""

import dataclasses
import uuid
from pathlib import Path

import torch

from helpers.course.files import atomic_write
from helpers.gpt import GPT, GPTConfig

FORMAT = "gpt-from-scratch-course/1"


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used here: unreadable, not ours, or for another model/vocabulary."""


def new_run_id():
    """A fresh id for a training run."""
    return uuid.uuid4().hex


def load_checkpoint(path, map_location="cpu", mmap=False):
    """Read a checkpoint (with weights_only=True, which cannot run code) and return its dict.

    With mmap the tensors stay on disk until used (quick, to read the run id only).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No checkpoint at {path}.")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
    except Exception as e:  # truncated file, not a torch file, or objects that are not plain data
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({type(e).__name__}: {e})."
        ) from e
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not a checkpoint written by this course (no format {FORMAT!r})."
        )
    return ckpt


def stored_run_id(path):
    """The run id stored in the checkpoint at `path`, or None when there is no file there.

    Reads through a memory map, so the tensors are not loaded.
    """
    if not Path(path).exists():
        return None
    return load_checkpoint(path, mmap=True).get("run_id")


def check_can_write(path, run_id, overwrite=False):
    """Refuse to replace a checkpoint written by another run, unless `overwrite` is set.

    Call it before training starts, so a long run never fails at its first save.
    """
    if overwrite:
        return
    other = stored_run_id(path)
    if other is not None and other != run_id:
        raise CheckpointError(
            f"{path} already holds a checkpoint from another run. It is not replaced unless you "
            "ask: resume it (--resume), choose another file (--out), or replace it (--overwrite)."
        )


def save_checkpoint(
    path, *, model, config, vocab, run_id, step, best_val, optimizer=None, overwrite=False, **extra
):
    """Write a checkpoint atomically (temporary file in the same folder, then os.replace).

    `vocab` is the tokenizer's characters (stored as one string), `config` a GPTConfig (stored
    as a dict). Extra keyword values (plain data: numbers, strings, lists, dicts) are stored
    too.
    """
    path = Path(path)
    check_can_write(path, run_id, overwrite)
    ckpt = {
        "format": FORMAT,
        "run_id": run_id,
        "config": dataclasses.asdict(config),
        "vocab": "".join(vocab),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "step": int(step),
        "best_val": float(best_val),
        **extra,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        torch.save(ckpt, f)
    return path


def check_compatible(ckpt, config, vocab):
    """Raise CheckpointError when `ckpt` was made for another vocabulary or model shape."""
    stored_vocab, vocab = ckpt["vocab"], "".join(vocab)
    if stored_vocab != vocab:
        only_ckpt = sorted(set(stored_vocab) - set(vocab))
        only_here = sorted(set(vocab) - set(stored_vocab))
        raise CheckpointError(
            f"Vocabulary mismatch: the checkpoint has {len(stored_vocab)} characters, this text "
            f"{len(vocab)} (only in the checkpoint: {only_ckpt[:10]}, only here: {only_here[:10]}"
            f"{', or the same characters in another order' if not only_ckpt and not only_here else ''}). "
            "Resume with the text it was trained on, or start a new run."
        )
    stored = ckpt["config"]
    wanted = dataclasses.asdict(config)
    differ = {k: (stored.get(k), v) for k, v in wanted.items() if stored.get(k) != v}
    if differ:
        shown = ", ".join(f"{k}: checkpoint {a!r}, now {b!r}" for k, (a, b) in differ.items())
        raise CheckpointError(
            f"Model config mismatch ({shown}). Resume with the checkpoint's settings."
        )


def model_from_checkpoint(ckpt, device="cpu"):
    """Rebuild the GPT stored in a checkpoint dict (from load_checkpoint), in eval mode."""
    model = GPT(GPTConfig(**ckpt["config"]))
    model.load_state_dict(ckpt["model"])
    return model.to(device).eval()


def free_path(path):
    """`path` if nothing is there yet, else the first free `name-2.pt`, `name-3.pt`, ...

    Lets a notebook save a new run without replacing a checkpoint you kept.
    """
    path = Path(path)
    n = 2
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate
