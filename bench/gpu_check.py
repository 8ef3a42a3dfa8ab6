"""Prove the GPU path in one command, and write what it measured: `python bench/gpu_check.py`.

    python bench/gpu_check.py                 # on a CUDA machine: bench/GPU_RESULTS.md + .json
    python bench/gpu_check.py --out DIR       # write the results (and the log) into DIR instead
    python bench/gpu_check.py --dry-run       # on a CPU, tiny sizes, seconds: checks the script

On a CUDA GPU it
1. reports the GPU: name, compute capability, memory, and whether bfloat16 is native;
2. trains the `gpu` preset (the lecture's 10.8M-parameter model) to completion through the real
   command line, `python -m helpers train --preset gpu`, evaluating every 100 steps (patience 15
   evaluations, the preset's 1,500 steps) so the validation loss is known 30, 60 and 120 seconds in;
3. reads the checkpoint: compile seconds, ms per step, tokens per second, an estimated MFU (model
   FLOPs utilisation: 6N + 12LTC FLOPs per token, against the GPU's dense 16-bit peak from a
   table; "not estimated" for GPUs not in it), validation loss after 30, 60 and 120 s of training,
   the best validation loss and its step, and the total time;
4. samples 500 characters from the trained model with the plain loop and with the KV cache (speed
   of each, and whether greedy decoding gives the same characters);
5. trains the same model briefly through the DDP path, `torchrun --standalone --nproc_per_node=1
   -m helpers train` (NCCL, torch.compile and bf16 as above; 500 steps), so that the multi-GPU
   code runs whenever a GPU is at hand: its backend, ms per step against the plain run's, and
   validation loss;
6. trains notebook 11's `gpu-modern` preset (the same shape with RoPE, RMSNorm, SwiGLU, no
   biases, tied embeddings and Muon) the same way as step 2, for the comparison at equal time
   (validation loss after 30 and 60 s, best validation loss), and samples from it with the plain
   loop and the sliding KV cache;
7. runs notebooks 08 and 09 headless on the GPU when Jupyter is installed (skipped with a notice
   if not);
8. writes GPU_RESULTS.md and gpu_results.json (and gpu_check.log) into --out.

The training part needs nothing beyond torch, matplotlib and tqdm (a bare GPU box: run it from
the checkout as `PYTHONPATH=. python bench/gpu_check.py` when the course is not installed). The target: all
of it in under 9 minutes on one H100. `--dry-run` runs the same steps on the CPU with a tiny model
and writes into build/gpu_check_dry/ unless --out says otherwise (its DDP step uses Gloo); CI
runs it.
"""

import argparse
import datetime
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import torch

from helpers import CharTokenizer
from helpers.course import load_checkpoint, model_from_checkpoint
from helpers.course.checkpoint import generate_fast
from helpers.course.device import native_bf16, synchronize
from helpers.course.trainer import history_path

ROOT = Path(__file__).resolve().parent.parent

# Dense 16-bit tensor-core peak of common GPUs, in FLOP/s (vendor data sheets, no sparsity).
PEAK_FLOPS = {
    "H200": 989e12,
    "H100 SXM": 989e12,
    "H100 PCIe": 756e12,
    "H100": 989e12,
    "A100": 312e12,
    "L40S": 362e12,
    "L4": 121e12,
    "A10G": 70e12,
    "RTX 4090": 165e12,
    "RTX 3090": 71e12,
    "V100": 125e12,
    "T4": 65e12,
}
DRY_RUN_FLAGS = [
    "--device", "cpu", "--no-compile", "--n-layer", "1", "--n-embd", "32", "--n-head", "2",
    "--context-length", "32", "--batch-size", "8", "--max-iters", "40", "--time-budget", "0",
    "--eval-interval", "10", "--patience", "15", "--threads", "1", "--warmup-iters", "5",
]  # fmt: skip
GPU_FLAGS = ["--eval-interval", "100", "--patience", "15", "--log-interval", "100"]
DDP_FLAGS = ["--max-iters", "500", "--eval-interval", "250", "--log-interval", "100"]
TORCHRUN = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1"]  # = torchrun


def say(log, *parts):
    line = " ".join(str(p) for p in parts)
    print(line, flush=True)
    log.write(line + "\n")
    log.flush()


def gpu_facts(device):
    if device.type != "cuda":
        return {"device": f"CPU ({platform.machine()}, dry run)", "native_bf16": False}
    props = torch.cuda.get_device_properties(device)
    return {
        "device": props.name,
        "capability": f"{props.major}.{props.minor}",
        "memory_gib": round(props.total_memory / 2**30, 1),
        "native_bf16": native_bf16(device),
        "cuda": torch.version.cuda,
    }


def peak_flops(name):
    for key, value in PEAK_FLOPS.items():  # most specific names first
        if key in name:
            return value
    return None


def train(out, dry_run, log, ddp=False, preset="gpu"):
    """Run the training command as a learner would (with ddp: under torchrun, one process);
    return (checkpoint path, seconds)."""
    name = "gpu_check_ddp" if ddp else "gpu_check" + ("_modern" if preset != "gpu" else "")
    checkpoint = out / (f"{name}_dry.pt" if dry_run else f"{name}.pt")
    command = [sys.executable, *(TORCHRUN if ddp else [])]
    command += ["-m", "helpers", "train", "--preset", preset, "--out", str(checkpoint)]
    command += ["--overwrite", "--sample-chars", "0"] + (DRY_RUN_FLAGS if dry_run else GPU_FLAGS)
    if ddp and not dry_run:
        command += DDP_FLAGS  # later flags win: a short run
    shown = ["torchrun", *command[3:]] if ddp else ["python", *command[1:]]
    say(log, "$", " ".join(shown))
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        for line in process.stdout:
            say(log, "  " + line.rstrip())
    if process.returncode != 0:
        raise SystemExit(f"error: the training command failed (exit {process.returncode}).")
    return checkpoint, time.perf_counter() - start


def late_ms_per_step(history):
    """ms per step between the last two evaluations: after compiling and warming up."""
    (s0, s1), (t0, t1) = history["step"][-2:], history["seconds"][-2:]
    return round((t1 - t0) / max(s1 - s0, 1) * 1000, 2)


def ddp_path(out, dry_run, log):
    """The DDP path under torchrun with one process: what it used and how fast it went."""
    checkpoint, command_seconds = train(out, dry_run, log, ddp=True)
    history = json.loads(history_path(checkpoint).read_text(encoding="utf-8"))
    steps = history["step"][-1]
    return {
        "backend": history["backend"],
        "world_size": history["world_size"],
        "dtype": history["dtype"],
        "compile_seconds": history["compile_seconds"],
        "steps": steps,
        "ms_per_step": round(history["train_seconds"] / max(steps, 1) * 1000, 2),
        "late_ms_per_step": late_ms_per_step(history),
        "val": round(history["val"][-1], 4),
        "command_seconds": round(command_seconds, 1),
    }


def val_after(history, seconds):
    """The validation loss at the last evaluation at or before `seconds` of training."""
    seen = list(zip(history["seconds"], history["val"], history["step"], strict=True))
    before = [row for row in seen if row[0] <= seconds]
    if not before or seen[-1][0] < seconds:
        return None  # the run did not last that long
    s, v, step = before[-1]
    return {"val": round(v, 4), "step": step, "seconds": s}


def modern_step(out, dry_run, log, device, n_chars):
    """Notebook 11's gpu-modern preset, trained as step 2 trains the gpu preset, and sampled."""
    checkpoint, command_seconds = train(out, dry_run, log, preset="gpu-modern")
    history = json.loads(history_path(checkpoint).read_text(encoding="utf-8"))
    steps = history["step"][-1]
    speeds, greedy_equal, _ = sampling(
        load_checkpoint(checkpoint, map_location=device), device, n_chars
    )
    return {
        "steps": steps,
        "stopped": history.get("stopped", ""),
        "ms_per_step": round(history["train_seconds"] / max(steps, 1) * 1000, 2),
        "val_after_seconds": {str(s): val_after(history, s) for s in (30, 60)},
        "best_val": round(history["best_val"], 4),
        "best_step": history["best_step"],
        "command_seconds": round(command_seconds, 1),
        "sampling": {**speeds, "greedy_equal": greedy_equal, "chars": n_chars},
    }


def sampling(ckpt, device, n):
    """Speed of the plain loop and of the model's KV cache (notebook 09's, or notebook 11's
    sliding one), and whether greedy decoding gives the same characters both ways."""
    model = model_from_checkpoint(ckpt, device)
    start = torch.zeros((1, 1), dtype=torch.long, device=device)
    speeds = {}
    for name, sample in (
        ("plain", model.generate),
        ("kv_cache", partial(generate_fast, model)),
    ):
        torch.manual_seed(1337)
        synchronize(device)
        begin = time.perf_counter()
        out = sample(start, n)
        synchronize(device)
        speeds[name] = round(n / (time.perf_counter() - begin), 1)
    greedy_plain = model.generate(start, n, temperature=0)
    greedy_cached = generate_fast(model, start, n, temperature=0)
    text = CharTokenizer(ckpt["vocab"]).decode(out[0].tolist())
    return speeds, bool(torch.equal(greedy_plain, greedy_cached)), text


def notebook(out, dry_run, log):
    missing = [m for m in ("nbclient", "nbformat", "ipykernel") if not importlib.util.find_spec(m)]
    if dry_run:
        return "skipped in a dry run"
    if missing:
        say(log, f"notebooks 08-09: skipped, Jupyter is not installed here (missing {missing})")
        return f"skipped: {', '.join(missing)} not installed"
    command = [sys.executable, "-m", "helpers", "course", "08", "09"]
    command += ["--outdir", str(out / "course")]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    log.write(result.stdout + result.stderr)
    seconds = time.perf_counter() - start
    return f"ran in {seconds:.0f} s" if result.returncode == 0 else "failed: see gpu_check.log"


def modern_rows(results):
    m, t = results["modern"], results["training"]
    after = ", ".join(
        f"{m['val_after_seconds'][k]['val']:.4f} after {k} s"
        if m["val_after_seconds"][k]
        else f"run ended before {k} s"
        for k in ("30", "60")
    )
    return [
        (
            "gpu-modern preset (notebook 11)",
            f"best val loss {m['best_val']:.4f} at step {m['best_step']} ({m['best_val'] - t['best_val']:+.4f} "
            f"vs the gpu preset); {after}; {m['steps']:,} steps at {m['ms_per_step']:.1f} ms ({m['stopped']})",
        ),
        (
            f"gpu-modern sampling {m['sampling']['chars']} chars",
            f"plain loop {m['sampling']['plain']:,.0f} chars/s, sliding KV cache "
            f"{m['sampling']['kv_cache']:,.0f} chars/s, greedy text the same: "
            f"{'yes' if m['sampling']['greedy_equal'] else 'NO'}",
        ),
    ]


def report(results):
    r, t, d = results, results["training"], results["ddp"]
    rows = [
        ("device", r["gpu"]["device"]),
        ("compute capability", r["gpu"].get("capability", "-")),
        ("native bfloat16", "yes" if r["gpu"]["native_bf16"] else "no"),
        ("autocast dtype used", t["dtype"]),
        ("torch", r["torch"]),
        ("parameters", f"{t['parameters']:,}"),
        ("compile", f"{t['compile_seconds']:.1f} s (not counted as training time)"),
        ("training steps", f"{t['steps']:,} ({t['stopped']})"),
        ("ms per step", f"{t['ms_per_step']:.1f}"),
        ("tokens per second", f"{t['tokens_per_second']:,.0f}"),
        ("estimated MFU", f"{t['mfu']:.1%}" if t["mfu"] is not None else "not estimated"),
    ]
    for key in ("30", "60", "120"):
        at = t["val_after_seconds"][key]
        rows.append(
            (
                f"val loss after {key} s",
                f"{at['val']:.4f} (step {at['step']}, {at['seconds']:.0f} s)"
                if at
                else "run ended",
            )
        )
    rows += [
        ("best val loss", f"{t['best_val']:.4f} at step {t['best_step']}"),
        ("training command", f"{t['command_seconds']:.0f} s in all"),
        (
            f"sampling {r['sampling']['chars']} chars, plain loop",
            f"{r['sampling']['plain']:,.0f} chars/s",
        ),
        (
            f"sampling {r['sampling']['chars']} chars, KV cache",
            f"{r['sampling']['kv_cache']:,.0f} chars/s",
        ),
        ("greedy text, plain = KV cache", "yes" if r["sampling"]["greedy_equal"] else "NO"),
        (
            "DDP: torchrun, 1 process",
            f"{d['backend']}, {d['dtype']}, compile {d['compile_seconds']:.1f} s, {d['steps']} steps, "
            f"{d['late_ms_per_step']:.1f} ms per step after warm-up (plain run "
            f"{t['late_ms_per_step']:.1f}), val "
            f"{d['val']:.4f}, {d['command_seconds']:.0f} s in all",
        ),
        *modern_rows(r),
        ("notebooks 08-09 headless", r["notebook"]),
        ("gpu_check.py, total", f"{r['total_seconds']:.0f} s"),
    ]
    lines = [
        "# GPU check: measured results",
        "",
        f"`python bench/gpu_check.py{' --dry-run' if r['dry_run'] else ''}`, "
        f"{r['date']}. Written by the script; do not edit by hand.",
        "",
        "| measurement | value |",
        "|---|---|",
        *[f"| {a} | {b} |" for a, b in rows],
        "",
        f"A sample of the trained model ({r['sampling']['chars']} characters, temperature 1, "
        "seed 1337):",
        "",
        "```",
        r["sample"],
        "```",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, help="where to write the results (default bench/)")
    parser.add_argument("--dry-run", action="store_true", help="CPU, tiny model, a few seconds")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    if not args.dry_run and not torch.cuda.is_available():
        print(
            "error: no CUDA GPU here. On a CPU, check the script with --dry-run.", file=sys.stderr
        )
        return 2
    default = ROOT / ("build/gpu_check_dry" if args.dry_run else "bench")
    out = (args.out or default).resolve()
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device("cpu" if args.dry_run else "cuda")
    with open(out / "gpu_check.log", "w", encoding="utf-8") as log:
        gpu = gpu_facts(device)
        say(log, "GPU:", json.dumps(gpu))
        checkpoint, command_seconds = train(out, args.dry_run, log)
        ckpt = load_checkpoint(checkpoint, map_location=device)  # the best model
        history = json.loads(history_path(checkpoint).read_text(encoding="utf-8"))  # the whole run
        cfg, config = ckpt["train_config"], ckpt["config"]
        steps, seconds = history["step"][-1], history["train_seconds"]
        n_params = sum(t.numel() for k, t in ckpt["model"].items())
        tokens_per_second = steps * cfg["batch_size"] * config["context_length"] / seconds
        L, T, C = config["n_layer"], config["context_length"], config["n_embd"]
        flops_per_token = 6 * n_params + 12 * L * T * C
        peak = peak_flops(gpu["device"])
        n_chars = 60 if args.dry_run else 500
        speeds, greedy_equal, text = sampling(ckpt, device, n_chars)
        say(log, f"sampling: {speeds}, greedy equal: {greedy_equal}")
        results = {
            "dry_run": args.dry_run,
            "date": datetime.date.today().isoformat(),
            "torch": torch.__version__,
            "gpu": gpu,
            "training": {
                "parameters": n_params,
                "dtype": history.get("dtype", "float32"),
                "compile_seconds": history.get("compile_seconds", 0.0),
                "steps": steps,
                "stopped": history.get("stopped", ""),
                "train_seconds": round(seconds, 1),
                "ms_per_step": round(seconds / max(steps, 1) * 1000, 2),
                "late_ms_per_step": late_ms_per_step(history),
                "tokens_per_second": round(tokens_per_second),
                "mfu": round(tokens_per_second * flops_per_token / peak, 4) if peak else None,
                "val_after_seconds": {str(s): val_after(history, s) for s in (30, 60, 120)},
                "best_val": round(history["best_val"], 4),
                "best_step": history["best_step"],
                "command_seconds": round(command_seconds, 1),
            },
            "sampling": {**speeds, "greedy_equal": greedy_equal, "chars": n_chars},
            "sample": text,
            "ddp": ddp_path(out, args.dry_run, log),
            "modern": modern_step(out, args.dry_run, log, device, n_chars),
            "notebook": notebook(out, args.dry_run, log),
        }
        results["total_seconds"] = round(time.perf_counter() - began, 1)
        (out / "gpu_results.json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
        (out / "GPU_RESULTS.md").write_text(report(results), encoding="utf-8")
        say(log, report(results))
        say(log, f"written: {out / 'GPU_RESULTS.md'} and {out / 'gpu_results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
