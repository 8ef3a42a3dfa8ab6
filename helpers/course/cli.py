"""The course's one command line: `python -m helpers <command>`.

    python -m helpers train --preset gpu               # the lecture's full model -> checkpoints/gpu.pt
    python -m helpers train --preset cpu               # the 3-minute CPU model -> checkpoints/cpu.pt
    python -m helpers train --preset cpu-modern        # notebook 12's modern GPT, 3 minutes on a CPU
    python -m helpers train --preset gpu --resume      # continue from the checkpoint's step
    python -m helpers sample --checkpoint checkpoints/gpu.pt --prompt "ROMEO:" --top-k 40
    python -m helpers doctor                           # is this machine ready for the course?
    python -m helpers course                           # run every notebook headless, print the table
    python -m helpers course 03 05 --inplace           # maintainers: store these notebooks' outputs
    torchrun --standalone --nproc_per_node=2 -m helpers train ...   # DDP on 2 GPUs (or CPU processes)

Each command's --help lists its options. Bad values get an `error:` line and exit status 2.
"""

import argparse
import dataclasses
import importlib.util
import os
import sys
import time
import warnings
from functools import partial
from pathlib import Path

from helpers.course.presets import DTYPES, OPTIMIZERS, PRESETS, SCHEDULES  # no torch: the choices

TRAIN_HELP = """Train the course's GPT from a terminal (e.g. a GPU box without Jupyter).

It prints a progress line every --log-interval steps and the train/val losses at every
evaluation; the checkpoint always holds the model with the best val loss so far (early stopping:
an overfitting run keeps its best point). Any preset value can be changed, e.g.
`--max-iters 2000 --batch-size 32 --no-compile`. Notebook 09 explains every choice.
"""

SAMPLE_HELP = """Sample text from a trained checkpoint.

An empty prompt starts from a newline. A prompt longer than the model's context is cropped to its
last context_length characters (the model sees no more); a modern GPT with RoPE (notebook 11)
reads it through its sliding window instead. --temperature 0 is greedy decoding.
"""

COURSE_HELP = """Run the notebooks headless, each on a fresh kernel, and print what each measured.

The executed copies go to build/course/, so notebooks you edited are never overwritten; --inplace
(maintainers) stores the outputs in the notebooks themselves and, for a normal-length run, the
measured times in notebooks/course_times.json, the README and WORKSHOP.md.
"""

# The preset values the training command can change: the one list of them. Each becomes a flag
# (--n-embd, ...) and, when given, replaces the preset's value in GPTConfig or TrainConfig.
MODEL_OPTIONS = {
    "context_length": dict(type=int, help="characters the model sees (the lecture's block_size)"),
    "n_embd": dict(type=int, help="channels of the residual stream"),
    "n_head": dict(type=int, help="attention heads per block (must divide --n-embd)"),
    "n_layer": dict(type=int, help="Transformer blocks"),
    "dropout": dict(type=float, help="dropout probability while training"),
}
TRAIN_OPTIONS = {
    "batch_size": dict(type=int, help="sequences per step"),
    "learning_rate": dict(type=float, help="peak learning rate, reached after the warmup"),
    "min_lr": dict(type=float, help="where the learning-rate decay ends"),
    "schedule": dict(
        choices=SCHEDULES,
        help="cosine (notebook 09), or wsd: warmup, hold, then a straight line down (notebook 12)",
    ),
    "warmup_iters": dict(type=int, help="steps of linear warmup"),
    "max_iters": dict(type=int, help="training steps at most"),
    "time_budget": dict(type=float, help="seconds of training at most; 0 for no limit"),
    "eval_interval": dict(type=int, help="steps between evaluations (and checkpoints)"),
    "patience": dict(type=int, help="stop after this many evaluations without progress"),
    "compile": dict(action=argparse.BooleanOptionalAction, help="torch.compile (default: on CUDA)"),
    "dtype": dict(
        choices=DTYPES,
        help="auto: bfloat16 on GPUs that have it natively, float16 (loss scaling) on older ones, "
        "float32 on CPUs and Apple GPUs",
    ),
    "optimizer": dict(
        choices=OPTIMIZERS,
        help="adamw (notebook 09), or muon for the weight matrices (notebook 12)",
    ),
    "seed": dict(type=int, help="the same seed gives the same initial weights and batches"),
    "log_interval": dict(type=int, help="steps between progress lines"),
}


def _flag(name):
    return "--" + name.replace("_", "-")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m helpers",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="<command>")

    def command(name, summary, description):
        return commands.add_parser(
            name,
            help=summary,
            description=description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    train = command("train", "train the GPT of notebook 08 or 11 (a preset)", TRAIN_HELP)
    train.add_argument(
        "--preset",
        choices=list(PRESETS),
        help="; ".join(f"{name}: {p.summary}" for name, p in PRESETS.items())
        + " (default: gpu on CUDA, else cpu)",
    )
    train.add_argument(
        "--out", type=Path, help="checkpoint file (default: checkpoints/<preset>.pt)"
    )
    train.add_argument("--resume", action="store_true", help="continue the run stored in --out")
    train.add_argument(
        "--overwrite", action="store_true", help="replace a checkpoint from another run"
    )
    train.add_argument(
        "--text",
        type=Path,
        help="a UTF-8 text file or a folder of .txt files (default: COURSE_TEXT, the choice made "
        "in notebook 00, or tinyshakespeare)",
    )
    train.add_argument(
        "--tokenizer",
        choices=("char", "bpe"),
        default="char",
        help="char: one token per character (notebook 01); bpe: byte-level BPE subword tokens "
        "trained on the training split (notebook 14)",
    )
    train.add_argument(
        "--vocab-size",
        type=int,
        help="with --tokenizer bpe: tokens in all, at least 256 (default 1024)",
    )
    _device_options(train)
    for name, options in {**MODEL_OPTIONS, **TRAIN_OPTIONS}.items():
        train.add_argument(_flag(name), **options)
    train.add_argument(
        "--sample-chars", type=int, default=300, help="characters to sample at the end"
    )

    sample = command("sample", "sample text from a trained checkpoint", SAMPLE_HELP)
    sample.add_argument(
        "--checkpoint",
        type=Path,
        required=True,
        help="a file written by train or notebooks 09 and 12",
    )
    sample.add_argument("--prompt", default="", help="text to continue (default: a newline)")
    sample.add_argument(
        "--drop-unknown",
        action="store_true",
        help="leave out the prompt's characters the model has never seen (default: refuse)",
    )
    sample.add_argument("--max-new-tokens", type=int, default=500)
    sample.add_argument("--temperature", type=float, default=1.0, help="0 greedy; <1 safer")
    sample.add_argument("--top-k", type=int, help="sample only among the k likeliest characters")
    sample.add_argument("--num-samples", type=int, default=1)
    sample.add_argument("--seed", type=int, default=1337)
    sample.add_argument(
        "--kv-cache",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="reuse keys and values (faster)",
    )
    _device_options(sample)

    command(
        "doctor",
        "check Python, PyTorch, packages, GPU, widgets, corpus and disk",
        "Print OK or FAIL for each requirement, with the fix for every FAIL; exit 1 on any FAIL.",
    )

    course = command("course", "run the notebooks headless and print their figures", COURSE_HELP)
    course.add_argument("only", nargs="*", help="only notebooks whose names start with these")
    course.add_argument(
        "--inplace", action="store_true", help="store the outputs in the notebooks themselves"
    )
    course.add_argument("--outdir", type=Path, help="where executed copies go (build/course/)")
    course.add_argument(
        "--readme",
        action="store_true",
        help="only redraw README's course map, docs/LECTURE.md's lecture map and WORKSHOP's timings",
    )
    course.add_argument("--solutions", action="store_true", help="run notebooks/solutions/")
    return parser


def _device_options(parser):
    parser.add_argument("--device", help="cuda, mps or cpu (default: the best available)")
    parser.add_argument(
        "--threads", type=int, help="CPU threads (default: COURSE_THREADS, else a quick probe)"
    )


def fail(message):
    """The command line's answer to a bad value: one `error:` line, exit status 2. Under torchrun
    the line says which rank it comes from."""
    rank = f"rank {os.environ['RANK']}: " if "RANK" in os.environ else ""
    print(f"{rank}error: {message}", file=sys.stderr)
    sys.exit(2)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "doctor":
        from helpers.course.doctor import run_checks

        return 0 if run_checks() else 1
    if importlib.util.find_spec("torch") is None:  # every other command needs it
        fail(
            "PyTorch is not installed in this Python. Run `make setup` (it creates .venv/ with "
            "everything the course needs), then `.venv/bin/python -m helpers "
            f"{args.command} ...`; `python -m helpers doctor` lists anything else missing."
        )
    if args.command == "course":
        from helpers.course import runner

        if args.readme:
            runner.update_readme()
        else:
            runner.run_course(args.only, args.inplace, args.outdir, args.solutions)
        return 0
    from helpers.course import distributed
    from helpers.course.settings import SettingError

    if args.command == "train" and distributed.launched():
        return train_distributed(args)
    try:
        device = _pick_device(args)
    except (RuntimeError, SettingError) as e:
        fail(e)
    try:
        return train(args, device) if args.command == "train" else sample(args, device)
    except KeyboardInterrupt:  # Ctrl-C before training started, or while sampling
        print("interrupted (Ctrl-C).", file=sys.stderr)
        return 130


def train_distributed(args):
    """`torchrun ... -m helpers train`: this process is one rank of a DDP run.

    Each rank trains on its own GPU (CPU processes share the cores: cores / processes threads
    each). An error in any rank ends it with `rank N: <error>` and a non-zero exit, after which
    torchrun stops the other ranks; a rank that hangs fails at the process group's timeout.
    """
    from helpers.course import distributed
    from helpers.course.settings import SettingError

    ranks = distributed.from_environment()
    if args.threads is None and not os.environ.get("COURSE_THREADS"):
        args.threads = max(1, (os.cpu_count() or 1) // ranks.local_world_size)
    try:
        with distributed.quiet_unless_main(ranks):
            device = distributed.device_for(_pick_device(args), ranks)
    except (RuntimeError, SettingError) as e:
        fail(e)
    ranks = distributed.start(ranks, device)
    try:
        with distributed.quiet_unless_main(ranks):
            status = train(args, device, ranks)
    except KeyboardInterrupt:
        print(f"rank {ranks.rank}: interrupted (Ctrl-C).", file=sys.stderr)
        return 130
    except Exception as e:  # out of memory, a bug, a lost peer: say which rank, then stop
        lost = "closed by peer" in str(e)  # Gloo's words when another rank died first
        why = " (another rank stopped first: see its message)" if lost else ""
        print(f"rank {ranks.rank}: {type(e).__name__}: {e}{why}", file=sys.stderr, flush=True)
        return 1
    distributed.stop()
    return status


def _pick_device(args):
    """The device and, on a CPU, the threads: the same rules for every command."""
    from helpers.course.device import choose_threads, pick_device

    if args.threads is not None and args.threads < 1:
        raise RuntimeError(f"--threads must be at least 1, got {args.threads}.")
    kind, _, index = (args.device or "").lower().partition(":")
    if args.device and (kind not in ("cuda", "mps", "cpu") or (index and not index.isdigit())):
        raise RuntimeError(f"--device {args.device}: use cuda, cuda:N, mps or cpu.")
    device = pick_device(args.device, verbose=args.command == "train")
    if device.type == "cpu":
        choose_threads(args.threads, verbose=args.command == "train")
    return device


def _read_text(path):
    """The Corpus to train on: --text, else the course's text (see helpers/course/corpus.py)."""
    from helpers.course.corpus import CorpusUnavailable, TextUnusable, load_corpus

    try:
        return load_corpus(path, allow_offline=False)
    except (CorpusUnavailable, TextUnusable) as e:
        fail(e)


def train(args, device, ranks=None):
    """Train a preset on the course's text (or --text) into --out, through train_gpt, which owns
    the checkpoint: it takes the file, checks a resume, and refuses another run's file."""
    import torch

    from helpers.course import distributed
    from helpers.course.checkpoint import (
        CheckpointError,
        CheckpointRefused,
        build_model,
        generate_fast,
        load_checkpoint,
    )
    from helpers.course.presets import preset, size_notice
    from helpers.course.settings import checkpoint_dir
    from helpers.course.trainer import TrainingDiverged, train_gpt

    ranks = ranks or distributed.SINGLE
    name = args.preset or ("gpu" if device.type == "cuda" else "cpu")
    out = args.out or checkpoint_dir() / f"{name}.pt"
    if out.is_dir():
        fail(f"--out {out} is a folder: give a file name, e.g. --out {out / (name + '.pt')}.")
    resume = None
    if args.resume:  # an unreadable checkpoint should not wait for the corpus to load
        try:
            resume = load_checkpoint(out, map_location=device)
        except CheckpointError as e:
            fail(e)
    corpus = _read_text(args.text)
    tokenizer, train_data, val_data, tokens_per_char = _tokenize(args, corpus.text)

    model_config, train_config = preset(name, tokenizer.vocab_size)
    given = {k: getattr(args, k) for k in {**MODEL_OPTIONS, **TRAIN_OPTIONS}}
    given = {k: v for k, v in given.items() if v is not None}
    if given.get("time_budget") == 0:
        given["time_budget"] = None
    try:  # the dataclasses check every value: a bad one stops here, with its reason
        model_config = dataclasses.replace(
            model_config, **{k: v for k, v in given.items() if k in MODEL_OPTIONS}
        )
        train_config = dataclasses.replace(
            train_config, **{k: v for k, v in given.items() if k in TRAIN_OPTIONS}
        )
        distributed.batch_shares(train_config.batch_size, ranks.world_size)
    except ValueError as e:
        fail(e)
    if len(val_data) <= model_config.context_length:
        fail(
            f"the validation split ({len(val_data):,} tokens, the last 10% of the text) is "
            f"not longer than the context ({model_config.context_length}): give a text of at "
            f"least {10 * (model_config.context_length + 1):,} characters, or a shorter "
            "--context-length."
        )
    if notice := size_notice(len(train_data), name):
        print(notice)

    torch.manual_seed(train_config.seed)  # the same seed, the same initial weights
    model = build_model(model_config)  # GPT, or ModernGPT for a modern preset
    if ranks.rank > 0:  # the same weights on every rank, but other dropout masks
        torch.manual_seed(train_config.seed + ranks.rank)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"preset {name}: {model_config}")
    print(f"{train_config}")
    if ranks.distributed:
        shares = distributed.batch_shares(train_config.batch_size, ranks.world_size)
        split = " + ".join(map(str, shares))
        weighted = len(set(shares)) > 1
        print(
            f"DDP: {ranks.world_size} process{'es' * (ranks.world_size > 1)} ({ranks.backend}), "
            f"global batch "
            f"{train_config.batch_size} = {split} rows per rank"
            + ("; each rank's loss weighted by its share" if weighted else "")
        )
    print(
        f"{n_params:,} parameters, {len(train_data):,} training tokens, checkpoint {out}",
        flush=True,
    )
    try:
        history = train_gpt(
            model,
            train_data,
            val_data,
            train_config,
            vocab=tokenizer.chars if args.tokenizer == "char" else tokenizer,
            device=device,
            checkpoint=out if ranks.main else None,  # under torchrun, rank 0 writes
            overwrite=args.overwrite,
            resume=resume,
            title=name,
            text=corpus.about(),
            ranks=ranks,
            tokens_per_char=tokens_per_char,
        )
    except CheckpointRefused as e:  # refused before the first step: another run's file, ...
        fail(e)
    except (TrainingDiverged, CheckpointError) as e:  # a diverged run; a full disk while saving
        rank = f"rank {ranks.rank}: " if ranks.distributed else ""
        print(f"{rank}error: {e}", file=sys.stderr)
        return 1
    if history["stopped"].startswith("interrupted"):
        print(f"{history['stopped']}. To continue: {resume_command(out, ranks)}")
        return 130  # the exit status of a program stopped by Ctrl-C
    print(
        f"best val loss {history['best_val']:.4f} per token, "
        f"{history['best_bits_per_char']:.3f} bits per character, at step "
        f"{history['best_step']} ({history['train_seconds']:.0f} s of training); saved in {out}"
    )
    if args.sample_chars > 0 and ranks.main:
        torch.manual_seed(train_config.seed)
        start = torch.zeros((1, 1), dtype=torch.long, device=device)
        ids = generate_fast(model, start, args.sample_chars)[0].tolist()
        print("-" * 40 + "\n" + tokenizer.decode(ids))
    return 0


def _tokenize(args, text):
    """(tokenizer, train ids, val ids, the val text's tokens per character). The text is split
    first, 90% / 10% of its characters, so that every tokenizer is judged on the same validation
    text, and a BPE tokenizer learns its merges from the training part only."""
    import torch

    from helpers import BPETokenizer, CharTokenizer, train_val_split

    if args.tokenizer == "char":
        if args.vocab_size is not None:
            fail("--vocab-size is for --tokenizer bpe: characters make their own vocabulary.")
        tokenizer = CharTokenizer.from_text(text)
        data = torch.tensor(tokenizer.encode(text), dtype=torch.long)
        return tokenizer, *train_val_split(data), 1.0
    n = int(0.9 * len(text))
    vocab_size = 1024 if args.vocab_size is None else args.vocab_size
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as notices:
            warnings.simplefilter("always")
            tokenizer = BPETokenizer.from_text(text[:n], vocab_size)
    except ValueError as e:
        fail(e)
    for notice in notices:
        print(f"note: {notice.message}")
    train_ids, val_ids = tokenizer.encode(text[:n]), tokenizer.encode(text[n:])
    print(
        f"tokenizer: byte-level BPE, {tokenizer.vocab_size:,} tokens learned from the training "
        f"split in {time.perf_counter() - start:.1f} s; {n / len(train_ids):.2f} characters per "
        "token"
    )
    as_tensor = partial(torch.tensor, dtype=torch.long)
    return tokenizer, as_tensor(train_ids), as_tensor(val_ids), len(val_ids) / (len(text) - n)


def resume_command(out, ranks=None):
    """This run's command line, to continue from `out`: the same options, plus --resume (and
    under torchrun, torchrun: on one machine with its number of processes)."""
    words, skip = [], False
    for word in sys.argv[1:]:
        if skip or word in ("--resume", "--overwrite") or word.startswith("--out="):
            skip = False
            continue
        skip = word == "--out"
        if not skip:
            words.append(word)
    launcher = "python -m helpers"
    if ranks is not None and ranks.distributed:
        one_machine = ranks.world_size == ranks.local_world_size
        where = "--standalone" if one_machine else "<the same rendezvous flags>"
        launcher = f"torchrun {where} --nproc_per_node={ranks.local_world_size} -m helpers"
    return " ".join([launcher, *words, "--resume", "--out", str(out)])


def sample(args, device):
    import torch

    from helpers.course.checkpoint import (
        CheckpointError,
        generate_fast,
        load_checkpoint,
        model_from_checkpoint,
        tokenizer_of,
        trained_on,
    )
    from helpers.course.playground import prompt_ids

    if args.max_new_tokens < 0 or args.num_samples < 1:
        fail("--max-new-tokens must be >= 0 and --num-samples >= 1.")
    if not (args.temperature == 0 or 0.01 <= args.temperature <= 100):
        fail(f"--temperature {args.temperature}: use 0 (greedy) or a value from 0.01 to 100.")
    if args.top_k is not None and args.top_k < 1:
        fail(f"--top-k {args.top_k}: use at least 1 (or leave it out for no limit).")
    try:
        ckpt = load_checkpoint(args.checkpoint, map_location=device)
    except CheckpointError as e:
        fail(e)
    model = model_from_checkpoint(ckpt, device)
    tokenizer = tokenizer_of(ckpt)  # characters, or the BPE merges the checkpoint carries
    fingerprint = (ckpt.get("text") or {}).get("fingerprint")
    print(
        f"trained on: {trained_on(ckpt)}" + (f", fingerprint {fingerprint}" if fingerprint else ""),
        file=sys.stderr,
    )
    ids, unknown = prompt_ids(tokenizer, args.prompt)  # an empty prompt starts from a newline
    if unknown:
        shown = ", ".join(map(repr, unknown))
        if not args.drop_unknown:
            fail(
                f"the prompt has characters this model has never seen: {shown}. Change the "
                "prompt, or add --drop-unknown to leave them out."
            )
        print(f"(left out of the prompt, never seen by the model: {shown})", file=sys.stderr)
    context_length = model.config.context_length
    if len(ids) > context_length and not getattr(model.config, "rope", False):
        print(
            f"(the prompt has {len(ids)} characters; the model sees only its last {context_length})",
            file=sys.stderr,
        )
    torch.manual_seed(args.seed)
    idx = torch.tensor([ids] * args.num_samples, dtype=torch.long, device=device)
    idx = idx.view(args.num_samples, len(ids))
    sampler = partial(generate_fast, model) if args.kv_cache else model.generate
    try:
        out = sampler(idx, args.max_new_tokens, temperature=args.temperature, top_k=args.top_k)
    except ValueError as e:
        fail(e)
    for i, row in enumerate(out.tolist()):
        if args.num_samples > 1:
            print(f"--- sample {i + 1} ---")
        print(tokenizer.decode(row))
    return 0
