"""Everything about a checkpoint, in one place: saving and loading trained models safely, the one
owner of a file while a run trains into it, the checks before resuming one, and listing and
describing the checkpoints in a folder (notebooks 09, 10, 12 and 13, `python -m helpers train`
and `sample`, torchrun).

A checkpoint is one file holding plain data only (so it loads with ``weights_only=True``, which
cannot run code hidden in a file): the model's config as a dict, the vocabulary as a string, the
model and optimizer state, the step reached, the best validation loss so far and a run id.

- It is written atomically: to a temporary file in the same folder, then renamed over the old
  one, so a crash or a full disk never leaves a half-written checkpoint under the real name.
- A file written by another run is never replaced unless you say so (``overwrite=True``,
  ``--overwrite``): the run id tells the runs apart, and a resumed run keeps the id it resumed.
- One training run owns a checkpoint at a time: `owned` (called by train_gpt, whoever calls it:
  a notebook, the command line, rank 0 under torchrun) takes an exclusive lock on
  ``<file>.lock`` and checks that the file may be written, before the first step; a second run
  on the same file is refused up front, naming the first. The operating system drops the lock
  when a run dies, however it dies.
- Resuming with a different vocabulary, model shape or optimizer is a clear error
  (`check_resume`, also called by train_gpt), not a silent mess.
- A file is checked before a model is built from it: keys, types, sizes, and that the weights fit
  the config and the vocabulary.
"""

import contextlib
import dataclasses
import datetime
import errno
import os
import pickle
import platform
import shutil
import sys
import uuid
from pathlib import Path

import torch

from helpers.bpe import GPT2_SPLIT_PATTERN, BPETokenizer, build_vocab
from helpers.course.files import atomic_write
from helpers.course.notebook import shown_path
from helpers.gpt import GPT, GPTConfig, generate_with_cache
from helpers.modern import ModernConfig, ModernGPT, generate_sliding
from helpers.tokenizer import CharTokenizer

FORMAT = "gpt-from-scratch-course/1"


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used here: unreadable, not ours, or for another model/vocabulary."""


class CheckpointRefused(CheckpointError):
    """Refused before training starts: another run owns the file, it holds another run's model,
    its folder cannot be written, or it does not fit the run that would resume it."""


def new_run_id():
    """A fresh id for a training run."""
    return uuid.uuid4().hex


def load_checkpoint(path, map_location="cpu", mmap=False):
    """Read a checkpoint (with weights_only=True, which cannot run code), check it, return its dict.

    With mmap the tensors stay on disk until used (quick, to read the run id only).
    """
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(
            f"{shown_path(path)} is a folder: give the checkpoint's file name, "
            f"e.g. {shown_path(path / 'cpu.pt')}."
        )
    if not path.is_file():
        raise CheckpointError(f"No checkpoint at {shown_path(path)}.")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as e:  # torch's own advice here would be to switch safety off
        raise CheckpointError(
            f"{shown_path(path)} is not a checkpoint of this course, or it holds objects that could "
            "run code. It was read safely (weights_only=True) and refused; nothing in it was run. "
            "Load only checkpoints that you or the course made."
        ) from e
    except Exception as e:  # truncated file, not a torch file at all
        raise CheckpointError(
            f"{shown_path(path)} is not a readable checkpoint ({type(e).__name__}): it may be "
            "truncated or not a checkpoint at all."
        ) from e
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(
            f"{shown_path(path)} is not a checkpoint written by this course (no format {FORMAT!r})."
        )
    validate(ckpt, path)
    return ckpt


# The models a checkpoint may hold: notebook 08's GPT and notebook 11's ModernGPT, told apart by
# their config's fields.
MODELS = {GPTConfig: GPT, ModernConfig: ModernGPT}


def config_from_dict(config):
    """The GPTConfig or ModernConfig whose fields are the keys of `config` (a checkpoint's)."""
    for kind in MODELS:
        if set(config) == {f.name for f in dataclasses.fields(kind)}:
            return kind(**config)
    raise ValueError(f"no model of this course has a config with keys {sorted(config)}")


def build_model(config):
    """A new model for `config`: GPT for a GPTConfig, ModernGPT for a ModernConfig."""
    return MODELS[type(config)](config)


def generate_fast(model, idx, max_new_tokens, temperature=1.0, top_k=None):
    """Sample with the model's KV cache: notebook 12's sliding one for a ModernGPT with RoPE,
    else notebook 09's generate_with_cache (which gives the same ids as model.generate)."""
    rope = getattr(model.config, "rope", False)
    cached = generate_sliding if rope else generate_with_cache
    return cached(model, idx, max_new_tokens, temperature=temperature, top_k=top_k)


# The largest model a course checkpoint may describe: far above the full model, far below a size
# whose allocation would take the machine down before anything else is checked.
LIMITS = {"vocab_size": 1_000_000, "context_length": 65_536, "n_embd": 16_384, "n_layer": 256}
REQUIRED = {"run_id": str, "config": dict, "vocab": str, "model": dict, "step": int}


def validate(ckpt, path="checkpoint"):
    """Raise CheckpointError unless `ckpt` has every key, of the right type, a plausible config,
    a vocabulary of vocab_size distinct characters, and weights of exactly the config's shapes
    (compared on PyTorch's "meta" device: no memory is allocated for the model)."""

    def bad(reason):
        return CheckpointError(f"{shown_path(path)} is damaged or inconsistent: {reason}.")

    for key, kind in REQUIRED.items():
        if not isinstance(ckpt.get(key), kind) or isinstance(ckpt.get(key), bool):
            raise bad(f"{key!r} should be a {kind.__name__}, found {type(ckpt.get(key)).__name__}")
    if not isinstance(ckpt.get("best_val"), (int, float)):
        raise bad("'best_val' should be a number")
    config = ckpt["config"]
    kinds = {frozenset(f.name for f in dataclasses.fields(kind)): kind for kind in MODELS}
    if frozenset(config) not in kinds:
        expected = " or ".join(str(sorted(fields)) for fields in kinds)
        raise bad(f"its config has keys {sorted(config)}, expected {expected}")
    for key, limit in LIMITS.items():
        if isinstance(config[key], int) and config[key] > limit:
            raise bad(
                f"{key}={config[key]:,} is beyond any model of this course (at most {limit:,})"
            )
    try:
        config = config_from_dict(config)
    except (TypeError, ValueError) as e:
        raise bad(f"its config is impossible ({e})") from e
    if ckpt.get("tokenizer") is not None:  # subword tokens (notebook 14): the merges, not chars
        try:
            tokenizer = bpe_from_dict(ckpt["tokenizer"])
        except (KeyError, TypeError, ValueError) as e:
            raise bad(f"its tokenizer cannot be rebuilt ({e})") from e
        if tokenizer.vocab_size != config.vocab_size:
            raise bad(
                f"its tokenizer has {tokenizer.vocab_size:,} tokens for a model of "
                f"vocab_size={config.vocab_size:,}: the two come from different runs"
            )
    else:
        vocab = ckpt["vocab"]
        if len(vocab) != config.vocab_size or len(set(vocab)) != len(vocab):
            raise bad(
                f"its vocabulary has {len(vocab)} characters ({len(set(vocab))} distinct) for a "
                f"model of vocab_size={config.vocab_size}"
            )
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in build_model(config).state_dict().items()}
    found = {
        k: tuple(v.shape) if isinstance(v, torch.Tensor) else None for k, v in ckpt["model"].items()
    }
    if found != expected:
        wrong = sorted(k for k in expected.keys() | found.keys() if expected.get(k) != found.get(k))
        shown = ", ".join(f"{k}: {found.get(k)} for {expected.get(k)}" for k in wrong[:3])
        raise bad(f"its weights do not fit its config ({shown})")


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
        raise CheckpointRefused(
            f"{shown_path(path)} already holds a checkpoint from another run. It is not replaced "
            "unless you ask: resume it (--resume), choose another file (--out), or replace it "
            "(--overwrite)."
        )


def save_checkpoint(
    path, *, model, config, vocab, run_id, step, best_val, optimizer=None, overwrite=False, **extra
):
    """Write a checkpoint atomically (temporary file in the same folder, then os.replace).

    `vocab` is the tokenizer's characters (stored as one string) or a BPETokenizer (its merges
    and special tokens are stored: see tokenizer_record), `config` a GPTConfig (stored as a dict).
    Extra keyword values (plain data: numbers, strings, lists, dicts) are stored too.
    """
    path = Path(path)
    if not _held(path):  # a run that owns the file was checked once, when it took it
        check_can_write(path, run_id, overwrite)
    ckpt = {
        "format": FORMAT,
        "run_id": run_id,
        "config": dataclasses.asdict(config),
        **tokenizer_record(vocab),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "step": int(step),
        "best_val": float(best_val),
        **extra,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    if _held(path):  # only this run writes here: a temporary file left beside it is a dead run's
        remove_stale_temporaries(path)
    try:
        with atomic_write(path) as f:
            torch.save(ckpt, f)
    except (OSError, RuntimeError) as e:
        needed = sum(t.numel() * t.element_size() for t in ckpt["model"].values()) / 1e6
        free = shutil.disk_usage(path.parent).free / 1e6
        full = (
            getattr(e, "errno", None) == errno.ENOSPC or "enforce fail" in str(e) or free < needed
        )
        if full:
            raise CheckpointError(
                f"not enough disk space to save {shown_path(path)} (about {needed:.0f} MB needed, "
                f"{free:.0f} MB free); the checkpoint already there is intact. Free some space, "
                "or train into another folder with --out."
            ) from e
        if isinstance(e, OSError):
            raise CheckpointError(f"cannot write {shown_path(path)}: {e.strerror or e}.") from e
        raise
    return path


def remove_stale_temporaries(path):
    """Delete the temporary files an interrupted save of `path` left behind (".<name>.*.part")."""
    for leftover in Path(path).parent.glob(f".{Path(path).name}.*.part"):
        with contextlib.suppress(OSError):
            leftover.unlink()


def tokenizer_record(vocab):
    """What a checkpoint stores of its tokenizer: {"vocab": its characters, "tokenizer": None}
    for characters (a string, a list, or a CharTokenizer), or {"vocab": "", "tokenizer": the
    merges and special tokens} for a BPETokenizer: never the text it was trained on."""
    if hasattr(vocab, "merges"):  # helpers' BPETokenizer, or the one notebook 14 defines
        return {"vocab": "", "tokenizer": bpe_to_dict(vocab)}
    return {"vocab": "".join(getattr(vocab, "chars", vocab)), "tokenizer": None}


def bpe_to_dict(tokenizer):
    """A BPETokenizer as plain data for a checkpoint (JSON-friendly): its pattern, special tokens
    and merges (pairs of hex strings), never the text it learned them from."""
    return {
        "type": "byte-level BPE",
        "pattern": GPT2_SPLIT_PATTERN.pattern,
        "special_tokens": list(tokenizer.special_tokens),
        "merges": [[a.hex(), b.hex()] for a, b in tokenizer.merges],
    }


def bpe_from_dict(stored):
    """The BPETokenizer that bpe_to_dict described (a ValueError for another pattern)."""
    if stored.get("pattern") != GPT2_SPLIT_PATTERN.pattern:
        raise ValueError(
            f"This tokenizer was stored with the pre-tokenization pattern {stored.get('pattern')!r}, "
            "not GPT-2's: this course cannot rebuild it."
        )
    merges = [(bytes.fromhex(a), bytes.fromhex(b)) for a, b in stored["merges"]]
    specials = stored["special_tokens"]
    return BPETokenizer(build_vocab(merges, specials), merges, specials)


def tokenizer_of(ckpt):
    """The tokenizer a checkpoint was trained with: a CharTokenizer (notebook 01) or a
    BPETokenizer (notebook 14)."""
    if ckpt.get("tokenizer") is not None:
        return bpe_from_dict(ckpt["tokenizer"])
    return CharTokenizer(ckpt["vocab"])


def describe_tokenizer(ckpt):
    """A checkpoint's tokenizer in words: "65 characters" or "BPE, 1,024 tokens"."""
    if ckpt.get("tokenizer") is not None:
        return f"byte-level BPE, {ckpt['config']['vocab_size']:,} tokens"
    return f"{len(ckpt['vocab'])} characters"


def check_compatible(ckpt, config, vocab):
    """Raise CheckpointError when `ckpt` was made for another vocabulary or model shape."""
    stored, wanted = ckpt.get("tokenizer"), tokenizer_record(vocab)["tokenizer"]
    if stored != wanted:
        raise CheckpointRefused(
            f"Tokenizer mismatch: the checkpoint was trained on {describe_tokenizer(ckpt)}, this "
            f"run asks for {'byte-level BPE, ' if wanted else ''}{config.vocab_size:,} "
            f"{'tokens' if wanted else 'characters'}"
            + (" with other merges" if stored and wanted else "")
            + ". Resume with the text and --tokenizer/--vocab-size it was trained with, or start "
            "a new run."
        )
    stored_vocab, vocab = ckpt["vocab"], tokenizer_record(vocab)["vocab"]
    if stored_vocab != vocab:
        only_ckpt = sorted(set(stored_vocab) - set(vocab))
        only_here = sorted(set(vocab) - set(stored_vocab))
        raise CheckpointRefused(
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
        raise CheckpointRefused(
            f"Model config mismatch ({shown}). Resume with the checkpoint's settings."
        )


def check_resume(ckpt, config, vocab, optimizer, text=None, path="the checkpoint"):
    """Every check before a run continues `ckpt`: the same vocabulary and model shape
    (check_compatible), the optimizer its state belongs to, and a note when the text differs.
    train_gpt calls it, so a notebook, the command line and torchrun all resume the same way."""
    check_compatible(ckpt, config, vocab)
    stored = (ckpt.get("train_config") or {}).get("optimizer", "adamw")
    if stored != optimizer:
        raise CheckpointRefused(
            f"{shown_path(path)} was trained with --optimizer {stored}, not {optimizer}: its "
            f"optimizer state fits only that one. Resume with --optimizer {stored} "
            f"(optimizer={stored!r}), or start a new run."
        )
    was = (ckpt.get("text") or {}).get("fingerprint")
    if text is not None and was is not None and was != text["fingerprint"]:
        print(
            f"note: {shown_path(path)} was trained on another text ({trained_on(ckpt)}); "
            f"resuming on {text['name']}."
        )
    print(f"resuming {shown_path(path)} at step {ckpt['step']} (best val {ckpt['best_val']:.4f})")


def model_from_checkpoint(ckpt, device="cpu"):
    """Rebuild the GPT stored in a checkpoint dict (from load_checkpoint), in eval mode."""
    model = build_model(config_from_dict(ckpt["config"]))
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


# --- the checkpoints in a folder ---------------------------------------------------------------


def _folder(directory):
    """`directory` as a Path, or the course's checkpoint folder (settings.checkpoint_dir())."""
    from helpers.course.settings import checkpoint_dir

    return Path(directory) if directory is not None else checkpoint_dir()


def _newest_first(directory):
    """The checkpoint files (*.pt) in `directory`, newest first ([] if there is no folder)."""
    found = directory.glob("*.pt") if directory.is_dir() else []
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def describe_folder(directory):
    """One line on what a checkpoint folder holds: how many models, how much space."""
    files = sorted(Path(directory).glob("*.pt")) if Path(directory).is_dir() else []
    size = sum(f.stat().st_size for f in files) / 1e6
    names = ", ".join(f.name for f in files[:6]) + (", ..." if len(files) > 6 else "")
    count = f"{len(files)} checkpoint{'s' * (len(files) != 1)}"
    return f"{shown_path(directory)} holds {count}, {size:.1f} MB" + (f": {names}" if files else "")


def trained_on(ckpt):
    """The text a checkpoint learned, in words ("text not recorded" for older checkpoints)."""
    text = ckpt.get("text")
    if not text:
        return "text not recorded"
    return f"{text['name']} ({text['characters']:,} characters)"


def newest_checkpoint(directory=None):
    """The newest checkpoint in `directory` (default: settings.checkpoint_dir()) that loads and
    passes its checks: (path, checkpoint dict), or (None, None). Files that do not load are
    skipped, each with a line saying why, so one damaged file never hides the older good ones."""
    for path in _newest_first(_folder(directory)):
        try:
            return path, load_checkpoint(path)
        except CheckpointError as error:
            print(f"skipped {path.name}: {error}")
    return None, None


def show_checkpoints(directory=None):
    """Print every checkpoint in `directory` (default: checkpoints/), newest first: step, best
    validation loss and the text it was trained on; a file that does not load says why.
    Returns the names of those that load."""
    directory = _folder(directory)
    found = _newest_first(directory)
    if not found:
        print(
            f"No checkpoint in {shown_path(directory)} yet: notebook 09 (or `python -m helpers "
            "train`) makes one."
        )
    usable = []
    for path in found:
        try:
            ckpt = load_checkpoint(path)
        except CheckpointError as error:
            print(f"  {path.name}: does not load ({error})")
            continue
        usable.append(path.name)
        print(
            f"  {path.name}: step {ckpt['step']}, best val loss {ckpt['best_val']:.3f}"
            + (
                f" ({ckpt['bits_per_char']:.3f} bits per character)"
                if "bits_per_char" in ckpt
                else ""
            )
            + (f", {describe_tokenizer(ckpt)}" if ckpt.get("tokenizer") else "")
            + f", trained on {trained_on(ckpt)}"
        )
    return usable


def open_checkpoint(name=None, directory=None):
    """(path, checkpoint dict) of the checkpoint `name` in `directory` (default: checkpoints/),
    or of the newest one that loads when `name` is None; (None, None) when there is none."""
    if name is None:
        return newest_checkpoint(directory)
    directory = _folder(directory)
    path = directory / name
    if not path.is_file():
        there = ", ".join(sorted(p.name for p in directory.glob("*.pt"))) or "none"
        raise CheckpointError(
            f"There is no checkpoint {name!r} in {shown_path(directory)} (there: {there}). Use a "
            "name from the list above, or None for the newest."
        )
    return path, load_checkpoint(path)


# --- one training run per checkpoint -----------------------------------------------------------

_LOCKS = {}  # lock file -> its open file: the checkpoints this process is training into


def lock_path(path):
    return Path(path).with_name(Path(path).name + ".lock")


def _held(path):
    return str(lock_path(path).resolve()) in _LOCKS


def _try_lock(f):
    """Take an exclusive, non-blocking lock on the open file f; False if another process has it."""
    try:
        if os.name == "nt":
            import msvcrt

            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


@contextlib.contextmanager
def checkpoint_lock(path):
    """Own `path` for the duration of the block: no other run may train into it meanwhile.

    Taken before training starts, so a second run is refused at once, with the first one's
    process id, host, start time and command. Creating the lock file also proves the folder is
    writable before the first step. The lock dies with its process (kill -9 included); a left-over
    lock file from a dead run is simply taken over.
    """
    lock = lock_path(path)
    for _ in range(3):
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
            f = open(lock, "a+", encoding="utf-8")
        except OSError as e:
            raise CheckpointRefused(
                f"cannot write in {shown_path(lock.parent)} ({e.strerror or e}): choose another "
                "place for the checkpoint (--out), or make that folder writable."
            ) from e
        if str(lock.resolve()) in _LOCKS or not _try_lock(f):
            f.seek(0)
            other = f.read().strip() or "another run"
            f.close()
            raise CheckpointRefused(
                f"{shown_path(path)} is being written by another training run ({other}). Wait for "
                "it to end, or train into another file with --out."
            )
        try:  # the run before us may have removed the file we locked: then lock the new one
            if os.stat(lock).st_ino == os.fstat(f.fileno()).st_ino:
                break
        except FileNotFoundError:
            pass
        f.close()
    else:
        raise CheckpointRefused(f"{lock} keeps being replaced by other runs: try again.")
    f.seek(0)
    f.truncate()
    started = datetime.datetime.now().isoformat(timespec="seconds")
    command = " ".join(["python", *sys.argv])[:200]
    f.write(f"process {os.getpid()} on {platform.node()}, started {started}: {command}")
    f.flush()
    key = str(lock.resolve())
    _LOCKS[key] = f
    try:
        yield
    finally:
        del _LOCKS[key]
        with contextlib.suppress(OSError):
            lock.unlink()
        f.close()


@contextlib.contextmanager
def owned(path, run_id, overwrite=False):
    """What a training run does before its first step, in one place: take the file (the lock)
    and check that it may be replaced (a file from another run is kept unless `overwrite`).
    `path` None: nothing to own (a run without a checkpoint, or a rank other than 0)."""
    if path is None:
        yield
        return
    with checkpoint_lock(path):
        check_can_write(path, run_id, overwrite)
        yield
