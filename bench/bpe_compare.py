"""Notebook 14's comparison: the same GPT on characters and on BPE tokens, in bits per character.

    python bench/bpe_compare.py                      # every variant, two seeds, 3 minutes each
    python bench/bpe_compare.py --only char,bpe-1024 --seeds 1337
    python bench/bpe_compare.py --seconds 5 --out /tmp/bpe   # a quick rehearsal
    python bench/bpe_compare.py --redraw             # the table again, no training

The text is split first, 90% / 10% of its characters, so that every tokenizer is judged on the
same validation text, and each BPE tokenizer learns its merges from the training part only. Every
run trains a preset's model with the course's trainer for the same wall-clock budget of training
(evaluations not counted) on the same threads. Its loss per token is not comparable across
tokenizers (a token of 3 characters is harder to guess than one character); its loss per
character is:

    bits per character = val loss per token (nats) x validation tokens / validation characters / ln 2

The runs go seed by seed, every variant once per seed, so that a slow spell of the machine spreads
over all variants instead of hitting one. Results are written after every run (an interrupted
bench resumes where it stopped): the runs to helpers/course/data/bpe_compare.json (shipped with
the course: notebook 14 reads it with helpers.course.plotting.bpe_results) and the table to
bench/BPE_RESULTS.md; with --out both go to that folder instead.

With the defaults, 8 variants x 2 seeds x (budget + about 20 s of evaluations and sampling):
about 54 minutes. Time nothing else on the machine meanwhile.
"""

import argparse
import dataclasses
import json
import math
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modern_ablation import machine  # noqa: E402  (bench/: the same CPU description)

from helpers import BPETokenizer, CharTokenizer  # noqa: E402
from helpers.course.checkpoint import build_model, generate_fast  # noqa: E402
from helpers.course.corpus import load_corpus  # noqa: E402
from helpers.course.files import atomic_write  # noqa: E402
from helpers.course.plotting import BPE_RESULTS, no_live_plots  # noqa: E402
from helpers.course.presets import preset  # noqa: E402
from helpers.course.trainer import train_gpt  # noqa: E402

HERE = Path(__file__).resolve().parent
SAMPLE_CHARS = 300  # each run's sample, in characters (about this many tokens' worth)

# name -> (what it is, tokenizer vocab size (None: characters), preset, model config changes)
VARIANTS = {
    "char": ("characters, the cpu preset", None, "cpu", {}),
    "bpe-256": ("BPE, 256 tokens (bytes only), the cpu preset", 256, "cpu", {}),
    "bpe-512": ("BPE, 512 tokens, the cpu preset", 512, "cpu", {}),
    "bpe-1024": ("BPE, 1,024 tokens, the cpu preset", 1024, "cpu", {}),
    "bpe-2048": ("BPE, 2,048 tokens, the cpu preset", 2048, "cpu", {}),
    # the best 3-minute recipe: notebook 12's modern GPT on subword tokens; with 1,024 tokens
    # the training split is about 440,000 tokens, seen many times over in 3 minutes: dropout?
    "modern-bpe-512": ("BPE, 512 tokens, the cpu-modern preset", 512, "cpu-modern", {}),
    "modern-bpe-1024": ("BPE, 1,024 tokens, the cpu-modern preset", 1024, "cpu-modern", {}),
    "modern-bpe-1024-d": (
        "BPE, 1,024 tokens, the cpu-modern preset, dropout 0.1",
        1024,
        "cpu-modern",
        {"dropout": 0.1},
    ),
}


def tokenized(text, vocab_size, cache):
    """(tokenizer, train ids, val ids, val tokens per character), the text split 90/10 first."""
    if vocab_size not in cache:
        n = int(0.9 * len(text))
        start = time.perf_counter()
        if vocab_size is None:
            tokenizer = CharTokenizer.from_text(text)
        else:
            tokenizer = BPETokenizer.from_text(text[:n], vocab_size)
        train, val = tokenizer.encode(text[:n]), tokenizer.encode(text[n:])
        seconds = time.perf_counter() - start
        as_ids = lambda ids: torch.tensor(ids, dtype=torch.long)  # noqa: E731
        cache[vocab_size] = (tokenizer, as_ids(train), as_ids(val), len(val) / (len(text) - n))
        print(f"tokenizer {vocab_size or 'char'}: {seconds:.1f} s, {len(train):,} training tokens")
    return cache[vocab_size]


def summary(runs):
    """variant -> mean and spread of bits per character, steps, parameters."""
    table = {}
    for name in VARIANTS:
        mine = [r for r in runs if r["variant"] == name]
        if mine:
            bpc = [r["bits_per_char"] for r in mine]
            table[name] = {
                "bpc": statistics.mean(bpc),
                "spread": max(bpc) - min(bpc),
                "runs": len(mine),
                "steps": statistics.mean(r["steps"] for r in mine),
                "val": statistics.mean(r["best_val"] for r in mine),
                "parameters": mine[0]["parameters"],
                "table_parameters": mine[0]["table_parameters"],
                "chars_per_token": 1 / mine[0]["tokens_per_char"],
            }
    return table


def write_table(results, path):
    table = summary(results["runs"])
    reference = table.get("char", {}).get("bpc")
    lines = [
        "# Notebook 14: the same GPT on characters and on BPE tokens, in bits per character",
        "",
        f"Written by `python bench/bpe_compare.py` on {results['machine']}, torch "
        f"{results['torch']}, {results['threads']} threads; {results['seconds']:g} s of training "
        f"per run, seeds {', '.join(map(str, results['seeds']))}; tinyshakespeare split 90/10 by "
        "characters, each BPE tokenizer trained on the training part.",
        "",
        "| variant | what | bits per char (mean) | spread | vs char | val loss per token "
        "| chars per token | steps | parameters | of which embedding + output |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in table.items():
        delta = f"{row['bpc'] - reference:+.3f}" if reference is not None else ""
        lines.append(
            f"| {name} | {VARIANTS[name][0]} | {row['bpc']:.3f} | {row['spread']:.3f} | {delta} "
            f"| {row['val']:.3f} | {row['chars_per_token']:.2f} | {row['steps']:.0f} "
            f"| {row['parameters']:,} | {row['table_parameters']:,} |"
        )
    lines += ["", "| variant | seed | bits per char | val loss | at step | steps | training s |"]
    lines += ["|---|---:|---:|---:|---:|---:|---:|"]
    for r in results["runs"]:
        lines.append(
            f"| {r['variant']} | {r['seed']} | {r['bits_per_char']:.3f} | {r['best_val']:.3f} "
            f"| {r['best_step']} | {r['steps']} | {r['train_seconds']:.0f} |"
        )
    with atomic_write(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def table_parameters(model):
    """Parameters of the token embedding and the output layer (one table when they are tied):
    the part of the model that grows with the vocabulary."""
    names = ("token_embedding_table.", "lm_head.")
    return sum(p.numel() for n, p in model.named_parameters() if n.startswith(names))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated variants (default: all)")
    parser.add_argument("--seeds", default="1337,42", help="comma-separated seeds")
    parser.add_argument("--seconds", type=float, default=180.0, help="training budget per run")
    parser.add_argument("--out", type=Path, help="folder for the results (default: see above)")
    parser.add_argument("--fresh", action="store_true", help="forget stored runs, start over")
    parser.add_argument("--redraw", action="store_true", help="only the table, from stored runs")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    seeds = [int(s) for s in args.seeds.split(",")]
    store = args.out / "bpe_compare.json" if args.out else BPE_RESULTS
    table = (args.out or HERE) / "BPE_RESULTS.md"
    table.parent.mkdir(parents=True, exist_ok=True)
    results = {"runs": []}
    if store.exists() and not args.fresh:
        results = json.loads(store.read_text())
        if results.get("seconds") != args.seconds:
            parser.error(
                f"{store} holds runs of {results.get('seconds')} s; use --seconds "
                f"{results.get('seconds')} to add to them, or --fresh to start over"
            )
    if args.redraw:
        write_table(results, table)
        print(table.read_text())
        return
    results.update(
        machine=machine(),
        torch=torch.__version__,
        threads=torch.get_num_threads(),
        seconds=args.seconds,
        seeds=sorted(set(results.get("seeds", [])) | set(seeds)),
        labels={name: what for name, (what, *_) in VARIANTS.items()},
    )
    text = load_corpus().text
    cache = {}
    done = {(r["variant"], r["seed"]) for r in results["runs"]}
    todo = [(n, s) for s in seeds for n in names if (n, s) not in done]
    print(f"{len(todo)} runs of {args.seconds:g} s to go ({len(done)} stored)", flush=True)
    for i, (name, seed) in enumerate(todo, 1):
        _, vocab_size, preset_name, changes = VARIANTS[name]
        tokenizer, train_ids, val_ids, tokens_per_char = tokenized(text, vocab_size, cache)
        model_config, cfg = preset(preset_name, tokenizer.vocab_size)
        model_config = dataclasses.replace(model_config, **changes)
        cfg = dataclasses.replace(cfg, time_budget=args.seconds, seed=seed, max_iters=100_000)
        torch.manual_seed(seed)
        model = build_model(model_config)
        title = f"[{i}/{len(todo)}] {name} seed {seed}"
        start = time.perf_counter()
        with no_live_plots():
            history = train_gpt(
                model,
                train_ids,
                val_ids,
                cfg,
                vocab=tokenizer if vocab_size else tokenizer.chars,
                title=title,
                tokens_per_char=tokens_per_char,
            )
        torch.manual_seed(seed)  # a sample of about SAMPLE_CHARS characters, from a newline
        newline = torch.tensor([tokenizer.encode("\n")], dtype=torch.long)
        n_new = math.ceil(SAMPLE_CHARS * tokens_per_char)
        sample = tokenizer.decode(generate_fast(model.eval(), newline, n_new)[0].tolist())
        results["runs"].append(
            {
                "variant": name,
                "seed": seed,
                "vocab_size": tokenizer.vocab_size,
                "preset": preset_name,
                "best_val": history["best_val"],
                "bits_per_char": history["best_bits_per_char"],
                "tokens_per_char": tokens_per_char,
                "best_step": history["best_step"],
                "steps": history["step"][-1],
                "train_seconds": history["train_seconds"],
                "wall_seconds": time.perf_counter() - start,
                "parameters": sum(p.numel() for p in model.parameters()),
                "table_parameters": table_parameters(model),
                "history": {k: history[k] for k in ("step", "seconds", "val", "train")},
                "sample": sample,
            }
        )
        print(
            f"{title}: best val {history['best_val']:.4f} per token, "
            f"{history['best_bits_per_char']:.3f} bits per character",
            flush=True,
        )
        with atomic_write(store, "w") as f:
            json.dump(results, f, indent=1)
        write_table(results, table)
    if results["runs"]:
        write_table(results, table)
        print(table.read_text())


if __name__ == "__main__":
    main()
