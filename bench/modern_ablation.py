"""Notebook 11's ablation: each modern change alone, all together, and the re-tuning ladder, at equal time.

    python bench/modern_ablation.py                 # every variant, two seeds, 3 minutes each
    python bench/modern_ablation.py --only rope,muon --seeds 1337
    python bench/modern_ablation.py --seconds 5 --out /tmp/ablation   # a quick rehearsal
    python bench/modern_ablation.py --redraw        # labels, table and figure again, no training

Every run trains the `cpu` preset's shape with the course's trainer for the same wall-clock
budget of training (evaluations not counted) on the same threads, and records its validation
loss over time. The runs go seed by seed, every variant once per seed, so that a slow spell of
the machine spreads over all variants instead of hitting one. Results are written after every
run (a run interrupted resumes where it stopped): the runs to
helpers/course/data/modern_ablation.json (shipped with the course: notebooks 11 and 12 read it
with helpers.course.plotting.ablation_results), the table MODERN_RESULTS.md and the figure
modern_ablation.png to bench/. With --out all three go to that folder instead.

The full ablation takes (variants x seeds) x (budget + about 15 s of evaluations): with the
defaults 14 x 2 x ~195 s, about 90 minutes. Time nothing else on the machine meanwhile.
"""

import argparse
import dataclasses
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers import CharTokenizer, train_val_split  # noqa: E402
from helpers.course.corpus import load_corpus  # noqa: E402
from helpers.course.files import atomic_write  # noqa: E402
from helpers.course.plotting import (  # noqa: E402
    ABLATION_RESULTS,
    no_live_plots,
    plot_ablation,
)
from helpers.course.presets import preset  # noqa: E402
from helpers.course.trainer import train_gpt  # noqa: E402
from helpers.modern import ModernConfig, ModernGPT  # noqa: E402

HERE = Path(__file__).resolve().parent
LECTURE = dict(rope=False, rmsnorm=False, swiglu=False, bias=True, tied=False, qk_norm=False)
TUNED = {"rope": True, "swiglu": True, "bias": False, "tied": True}
MUON_6E3 = {"optimizer": "muon", "learning_rate": 6e-3, "min_lr": 6e-4}
WSD = {"schedule": "wsd", "min_lr": 6e-5}

# name -> (what it is, the model switches changed from the lecture's, TrainConfig changes).
# "what" is the variant's label in the table, the figure and notebook 11: it names what the run
# carries, nothing more.
VARIANTS = {
    "lecture": ("the lecture's GPT and AdamW, the cpu preset", {}, {}),
    "rope": ("RoPE instead of learned positions", {"rope": True}, {}),
    "rmsnorm": ("RMSNorm instead of LayerNorm", {"rmsnorm": True}, {}),
    "swiglu": ("SwiGLU instead of ReLU, same parameters", {"swiglu": True}, {}),
    "no_bias_tied": ("no biases + tied embeddings", {"bias": False, "tied": True}, {}),
    "qk_norm": ("QK-norm", {"qk_norm": True}, {}),
    "muon": ("Muon for the weight matrices", {}, {"optimizer": "muon"}),
    "all": (
        "all six changes + Muon",
        {
            "rope": True,
            "rmsnorm": True,
            "swiglu": True,
            "bias": False,
            "tied": True,
            "qk_norm": True,
        },
        {"optimizer": "muon"},
    ),
    # the re-tuning ladder towards the cpu-modern preset. Its base, `tuned`, is the preset's
    # architecture, not "the changes that helped": RoPE and SwiGLU were within the noise alone and
    # no biases + tied embeddings cost +0.019 alone (with AdamW); then the schedule, the
    # embeddings' rate, the preset's shape (context 128, batch 32) and last a shorter warmup.
    # tuned-untied is a side test (off the ladder): the same, with its own output layer.
    "tuned": ("RoPE + SwiGLU + no biases, tied + Muon at 6e-3", TUNED, MUON_6E3),
    "tuned-untied": (
        "side test: tuned with its own output layer",
        {**TUNED, "tied": False},
        MUON_6E3,
    ),
    "tuned-wsd": ("tuned + the WSD schedule down to 1%", TUNED, {**MUON_6E3, **WSD}),
    "tuned-wsd-emb": (
        "tuned-wsd + embeddings at 5x the rate",
        TUNED,
        {**MUON_6E3, **WSD, "embedding_lr_scale": 5.0},
    ),
    "tuned-ctx128": (
        "tuned-wsd-emb at context 128, batch 32 (scored on 128)",
        {**TUNED, "context_length": 128},
        {**MUON_6E3, **WSD, "embedding_lr_scale": 5.0, "batch_size": 32},
    ),
    "cpu-modern": ("tuned-ctx128 + a warmup of 30 steps (scored on 128)", None, None),
}

# What the table says under its rows, so that no row is read as more than it is.
NOTES = [
    "Spread: the largest minus the smallest best val loss over the seeds.",
    "",
    "- `tuned` is the cpu-modern preset's architecture with Muon at 6e-3, not \"the changes that "
    'helped": RoPE and SwiGLU were within the noise alone, no biases + tied embeddings cost '
    "+0.019 alone (with AdamW). The rows after it are a ladder, each adding one change to the "
    "row before.",
    "- `tuned-untied` is a side test, off the ladder: untying was 0.003 lower, less than the "
    "lecture model's 0.013 between seeds; the preset stays tied (the embeddings' rate was tuned "
    "on the tied table, and at a real vocabulary the shared matrix saves a large share of the "
    "parameters).",
    "- `tuned-ctx128` and `cpu-modern` train and are scored on 128-character windows, every other "
    "row on 64: a prediction then sees twice the context on average, so their step down is not "
    "like for like. Notebook 12 scores its cpu-modern model on both window lengths.",
]


def build(name, vocab_size):
    """(model, TrainConfig) for one variant; `cpu-modern` is the preset as the course ships it."""
    if name == "cpu-modern":
        model_config, train_config = preset("cpu-modern", vocab_size)
        return ModernGPT(model_config), train_config
    _, switches, train_changes = VARIANTS[name]
    shape, train_config = preset("cpu", vocab_size)
    config = ModernConfig(**{**dataclasses.asdict(shape), **LECTURE, **switches})
    return ModernGPT(config), dataclasses.replace(train_config, **train_changes)


def machine():
    """The CPU's model name where the system says it (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} cores"
    except OSError:
        pass
    return (
        f"{platform.machine()} {platform.processor() or platform.system()}, {os.cpu_count()} cores"
    )


def summary(runs):
    """variant -> mean, spread (max - min) and count of the best validation losses."""
    table = {}
    for name in VARIANTS:
        losses = [r["best_val"] for r in runs if r["variant"] == name]
        steps = [r["steps"] for r in runs if r["variant"] == name]
        if losses:
            table[name] = {
                "mean": statistics.mean(losses),
                "spread": max(losses) - min(losses),
                "runs": len(losses),
                "steps": statistics.mean(steps),
                "ms_per_step": statistics.mean(
                    1000 * r["train_seconds"] / r["steps"] for r in runs if r["variant"] == name
                ),
            }
    return table


def write_table(results, path):
    table = summary(results["runs"])
    reference = table.get("lecture", {}).get("mean")
    lines = [
        "# Notebook 11's ablation: the modern changes at equal training time",
        "",
        f"Written by `python bench/modern_ablation.py` on {results['machine']}, torch "
        f"{results['torch']}, {results['threads']} threads; {results['seconds']:g} s of training "
        f"per run, seeds {', '.join(map(str, results['seeds']))}; shape of the `cpu` preset.",
        "",
        "| variant | what | best val loss (mean) | spread | vs lecture | steps | ms/step |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in table.items():
        delta = f"{row['mean'] - reference:+.4f}" if reference is not None else ""
        lines.append(
            f"| {name} | {VARIANTS[name][0]} | {row['mean']:.4f} | {row['spread']:.4f} | {delta} "
            f"| {row['steps']:.0f} | {row['ms_per_step']:.0f} |"
        )
    lines += ["", *NOTES, ""]
    lines += ["| variant | seed | best val loss | at step | steps | training s |"]
    lines += ["|---|---:|---:|---:|---:|---:|"]
    for r in results["runs"]:
        lines.append(
            f"| {r['variant']} | {r['seed']} | {r['best_val']:.4f} | {r['best_step']} | "
            f"{r['steps']} | {r['train_seconds']:.0f} |"
        )
    with atomic_write(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated variants (default: all)")
    parser.add_argument("--seeds", default="1337,42", help="comma-separated seeds")
    parser.add_argument("--seconds", type=float, default=180.0, help="training budget per run")
    parser.add_argument(
        "--out",
        type=Path,
        help="folder for all the results (default: the runs in helpers/course/data/, the table "
        "and the figure in bench/)",
    )
    parser.add_argument("--fresh", action="store_true", help="forget stored runs, start over")
    parser.add_argument(
        "--redraw",
        action="store_true",
        help="train nothing: write the labels, the table and the figure again from the stored runs",
    )
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    seeds = [int(s) for s in args.seeds.split(",")]
    store = args.out / "modern_ablation.json" if args.out else ABLATION_RESULTS
    args.out = args.out or HERE
    args.out.mkdir(parents=True, exist_ok=True)
    results = {"runs": []}
    if store.exists() and not args.fresh:
        results = json.loads(store.read_text())
        if results.get("seconds") != args.seconds:
            parser.error(
                f"{store} holds runs of {results.get('seconds')} s; use --seconds "
                f"{results.get('seconds')} to add to them, or --fresh to start over"
            )
    if args.redraw:  # the stored runs as they are: only the labels, table and figure change
        if not results["runs"]:
            parser.error(f"{store} holds no runs to redraw")
        results["labels"] = {name: what for name, (what, _, _) in VARIANTS.items()}
        with atomic_write(store, "w") as f:
            json.dump(results, f, indent=1)
        write_outputs(results, args.out)
        return
    results.update(
        machine=machine(),
        torch=torch.__version__,
        threads=torch.get_num_threads(),
        seconds=args.seconds,
        seeds=sorted(set(results.get("seeds", [])) | set(seeds)),
    )
    results["labels"] = {name: what for name, (what, _, _) in VARIANTS.items()}
    corpus = load_corpus()
    tokenizer = CharTokenizer.from_text(corpus.text)
    data = torch.tensor(tokenizer.encode(corpus.text), dtype=torch.long)
    train_data, val_data = train_val_split(data)
    done = {(r["variant"], r["seed"]) for r in results["runs"]}
    todo = [(n, s) for s in seeds for n in names if (n, s) not in done]
    print(f"{len(todo)} runs of {args.seconds:g} s to go ({len(done)} stored)", flush=True)
    for i, (name, seed) in enumerate(todo, 1):
        torch.manual_seed(seed)
        model, cfg = build(name, tokenizer.vocab_size)
        cfg = dataclasses.replace(cfg, time_budget=args.seconds, seed=seed, max_iters=100_000)
        title = f"[{i}/{len(todo)}] {name} seed {seed}"
        start = time.perf_counter()
        with no_live_plots():
            history = train_gpt(
                model, train_data, val_data, cfg, vocab=tokenizer.chars, title=title
            )
        results["runs"].append(
            {
                "variant": name,
                "seed": seed,
                "best_val": history["best_val"],
                "best_step": history["best_step"],
                "steps": history["step"][-1],
                "train_seconds": history["train_seconds"],
                "wall_seconds": time.perf_counter() - start,
                "parameters": sum(p.numel() for p in model.parameters()),
                "history": {k: history[k] for k in ("step", "seconds", "val", "train")},
                "config": dataclasses.asdict(model.config),
                "train_config": dataclasses.asdict(cfg),
            }
        )
        print(f"{title}: best val {history['best_val']:.4f}", flush=True)
        with atomic_write(store, "w") as f:
            json.dump(results, f, indent=1)
        write_table(results, args.out / "MODERN_RESULTS.md")
    if results["runs"]:
        write_outputs(results, args.out)


def write_outputs(results, out):
    """The table MODERN_RESULTS.md and the figure modern_ablation.png, from the runs."""
    write_table(results, out / "MODERN_RESULTS.md")
    plot_ablation(results).savefig(out / "modern_ablation.png", dpi=110, bbox_inches="tight")
    print((out / "MODERN_RESULTS.md").read_text())


if __name__ == "__main__":
    main()
