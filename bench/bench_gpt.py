"""Benchmark notebook 08's GPT and notebook 11's modern GPT on this machine and print a table.

    python bench/bench_gpt.py            # the full run (its measured length: bench/RESULTS.md)
    python bench/bench_gpt.py --quick    # a short version, to check that it works

What it measures, in one run, on the `cpu` preset's model shape:

1. Training step time (forward, backward, AdamW) of
   (a) the lecture's gpt.py structure: helpers' Block with notebook 06's per-head
       MultiHeadAttention (a Python loop over heads, three small Linears per head), and
   (b) helpers' GPT: the same blocks with the fused CausalSelfAttention,
   (c) as (b), with the training command's optimizer step (fused AdamW, gradient clipping),
   at 1 thread and at PyTorch's default thread count. (a) and (b) have the same parameters and
   the same optimizer; the runs are interleaved so a busy machine slows them alike.
2. The `cpu` preset's best validation loss (one full pass over the validation split) after its
   3-minute training budget.
3. Sampling speed in characters (tokens) per second for 500 new tokens: the plain loop, and the
   KV cache with refill = context_length (same tokens as the plain loop) and refill =
   context_length // 2 (faster past the context; different tokens there), for the `cpu` preset
   and for a model of the `gpu` preset's shape (random weights: speed does not depend on them).
4. Notebook 11's modern GPT at equal time: the `cpu-modern` preset's best validation loss after
   the same budget as part 2, trained right after it (same machine, same threads).
5. The sliding KV cache of notebook 11, exact past the context: characters per second for 500 new
   tokens after a prompt of a whole context (so all 500 lie past it), with ModernGPT.generate (the
   plain loop) and generate_sliding (the same tokens), best of three interleaved tries, for the
   `cpu-modern` model of part 4 and a model of the `gpu-modern` shape; greedy decoding is checked
   to give the same tokens both ways.
"""

import argparse
import dataclasses
import os
import platform
import statistics
import time
from functools import partial

import torch
import torch.nn as nn
from torch.nn import functional as F

from helpers import (
    GPT,
    Block,
    CharTokenizer,
    ModernGPT,
    configure_optimizer,
    generate_sliding,
    generate_with_cache,
    train_val_split,
)
from helpers.course.checkpoint import build_model
from helpers.course.corpus import load_corpus
from helpers.course.device import fused_adamw_ok
from helpers.course.presets import preset
from helpers.course.trainer import train_gpt


class LectureGPT(nn.Module):
    """The lecture's GPTLanguageModel: helpers' Block with the per-head MultiHeadAttention."""

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.token_embedding_table = nn.Embedding(c.vocab_size, c.n_embd)
        self.position_embedding_table = nn.Embedding(c.context_length, c.n_embd)
        self.blocks = nn.Sequential(
            *[Block(c.n_embd, c.n_head, c.context_length, c.dropout) for _ in range(c.n_layer)]
        )
        self.ln_f = nn.LayerNorm(c.n_embd)
        self.lm_head = nn.Linear(c.n_embd, c.vocab_size)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        x = self.token_embedding_table(idx) + self.position_embedding_table(torch.arange(T))
        logits = self.lm_head(self.ln_f(self.blocks(x)))
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))


def get_train_batch(data, batch_size, context_length, device, generator=None, rows=None):
    """notebook 02's get_batch, in one indexing step, with pinned-memory copies to a CUDA GPU.

    `rows` (a slice) keeps only those rows of the batch drawn: a rank's share of the global batch.
    """
    ix = torch.randint(len(data) - context_length, (batch_size,), generator=generator)
    if rows is not None:
        ix = ix[rows]
    xy = data[ix[:, None] + torch.arange(context_length + 1)]  # (B, T+1): inputs and next chars
    x, y = xy[:, :-1].contiguous(), xy[:, 1:].contiguous()
    if device.type == "cuda":  # page-locked memory lets the copy overlap with GPU work
        x, y = x.pin_memory(), y.pin_memory()
    return x.to(device, non_blocking=True), y.to(device, non_blocking=True)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def step_times(setups, data, batch_size, context_length, rounds, steps):
    """Median seconds per training step of each setup, measured in interleaved rounds."""
    times = {name: [] for name in setups}
    generator = torch.Generator().manual_seed(0)
    cpu = torch.device("cpu")
    for _ in range(rounds):
        for name, (model, optimizer, clip) in setups.items():
            for i in range(steps + 2):  # the first 2 steps of each round warm up
                x, y = get_train_batch(data, batch_size, context_length, cpu, generator)
                start = time.perf_counter()
                _, loss = model(x, y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                if i >= 2:
                    times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def tokens_per_second(model, n, use_kv_cache=False, **kwargs):
    torch.manual_seed(1337)
    start = time.perf_counter()
    sample = partial(generate_with_cache, model) if use_kv_cache else model.generate
    sample(torch.zeros((1, 1), dtype=torch.long), n, **kwargs)
    return n / (time.perf_counter() - start)


def best_speeds(samplers, prompt, n, rounds=3):
    """Best new characters per second of each sampler over `rounds` interleaved tries."""
    best = {name: 0.0 for name in samplers}
    for _ in range(rounds):
        for name, sample in samplers.items():
            torch.manual_seed(1337)
            start = time.perf_counter()
            sample(prompt, n)
            best[name] = max(best[name], n / (time.perf_counter() - start))
    return best


def train_for(name, vocab_size, seconds, quick, train_data, val_data, vocab):
    """Train preset `name` for `seconds` of training; returns (model, history, wall seconds)."""
    model_config, train_config = preset(name, vocab_size)
    torch.manual_seed(1337)
    model = build_model(model_config)
    budgeted = dataclasses.replace(
        train_config,
        time_budget=seconds,
        max_iters=10**6 if quick else train_config.max_iters,
    )
    wall = time.perf_counter()
    history = train_gpt(model, train_data, val_data, budgeted, vocab=vocab, title=f"{name} preset")
    return model, history, time.perf_counter() - wall


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--quick", action="store_true", help="short version: fewer steps, 20 s of training"
    )
    p.add_argument("--train-seconds", type=float, help="training budget of part 2 (default 180)")
    p.add_argument("--skip-train", action="store_true", help="skip part 2 (the 3-minute training)")
    p.add_argument("--tokens", type=int, help="tokens to sample in part 3 (default 500)")
    args = p.parse_args()
    rounds, steps = (2, 5) if args.quick else (5, 10)
    train_seconds = args.train_seconds or (20.0 if args.quick else 180.0)
    n_tokens = args.tokens or (100 if args.quick else 500)
    default_threads = torch.get_num_threads()

    corpus = load_corpus()
    tokenizer = CharTokenizer.from_text(corpus.text)
    data = torch.tensor(tokenizer.encode(corpus.text), dtype=torch.long)
    train_data, val_data = train_val_split(data)
    config, train_config = preset("cpu", tokenizer.vocab_size)
    B, T = train_config.batch_size, config.context_length
    load_before = os.getloadavg()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"
    )
    print(f"config: {config}, batch {B}")
    print(f"load average at start: {load_before[0]:.2f} (1 min)\n", flush=True)

    rows = []
    # 1. training step time
    for threads in sorted({1, default_threads}):
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        lecture, fused, fused_trainer = LectureGPT(config), GPT(config), GPT(config)
        assert n_params(lecture) == n_params(fused), (
            "the two implementations should have the same weights"
        )
        setups = {
            "(a) per-head loop (lecture)": (
                lecture,
                torch.optim.AdamW(lecture.parameters(), lr=3e-4),
                False,
            ),
            "(b) fused attention (GPT)": (
                fused,
                torch.optim.AdamW(fused.parameters(), lr=3e-4),
                False,
            ),
            "(c) GPT + trainer step": (
                fused_trainer,
                configure_optimizer(
                    fused_trainer,
                    train_config.learning_rate,
                    train_config.weight_decay,
                    (0.9, train_config.beta2),
                    fused=fused_adamw_ok(torch.device("cpu")),
                ),
                True,
            ),
        }
        measured = step_times(setups, train_data, B, T, rounds, steps)
        base = measured["(a) per-head loop (lecture)"]
        for name, seconds in measured.items():
            rows.append(
                (
                    f"train step, {threads} thread{'s' if threads > 1 else ''}",
                    name,
                    f"{seconds * 1000:.1f} ms",
                    f"{base / seconds:.2f}x vs (a)",
                )
            )
            print(rows[-1], flush=True)

    # 2. the cpu preset's validation loss after its time budget, and 4. the cpu-modern preset's
    torch.set_num_threads(default_threads)
    torch.manual_seed(1337)
    model, modern = GPT(config), None
    if not args.skip_train:
        for name in ("cpu", "cpu-modern"):
            trained, history, wall = train_for(
                name, tokenizer.vocab_size, train_seconds, args.quick, train_data, val_data,
                tokenizer.chars,
            )  # fmt: skip
            if name == "cpu":
                model, cpu_best = trained, history["best_val"]
            else:
                modern = trained
            versus = f", {history['best_val'] - cpu_best:+.4f} vs cpu" if name != "cpu" else ""
            rows.append(
                (
                    f"{name} preset, {default_threads} threads",
                    f"best val loss (full val pass), {history['step'][-1]} steps",
                    f"{history['best_val']:.4f}",
                    f"{history['train_seconds']:.0f} s training, {wall:.0f} s with evals{versus}",
                )
            )
            print(rows[-1], flush=True)

    # 3. sampling speed
    model.eval()
    big = GPT(preset("gpu", tokenizer.vocab_size)[0]).eval()
    for label, m in (("cpu preset", model), ("gpu-preset shape", big)):
        n = n_tokens if label == "cpu preset" else min(n_tokens, 100 if args.quick else n_tokens)
        ctx = m.config.context_length
        plain = tokens_per_second(m, n)
        for name, kwargs in (
            ("plain loop", {}),
            ("KV cache, refill=context", {"use_kv_cache": True}),
            (f"KV cache, refill={ctx // 2}", {"use_kv_cache": True, "refill": ctx // 2}),
        ):
            speed = plain if not kwargs else tokens_per_second(m, n, **kwargs)
            rows.append(
                (
                    f"sampling {n} tokens, {label} (context {ctx})",
                    name,
                    f"{speed:.0f} tok/s",
                    f"{speed / plain:.2f}x vs plain",
                )
            )
            print(rows[-1], flush=True)

    # 5. the sliding KV cache, exact past the context
    if modern is None:
        torch.manual_seed(1337)
        modern = ModernGPT(preset("cpu-modern", tokenizer.vocab_size)[0])
    big_modern = ModernGPT(preset("gpu-modern", tokenizer.vocab_size)[0])
    for label, m in (("cpu-modern", modern.eval()), ("gpu-modern shape", big_modern.eval())):
        n = n_tokens if label == "cpu-modern" else min(n_tokens, 100 if args.quick else n_tokens)
        start = train_data[: m.config.context_length][None]  # a whole context: n tokens past it
        same = torch.equal(
            m.generate(start, n, temperature=0.0), generate_sliding(m, start, n, temperature=0.0)
        )
        speeds = best_speeds(
            {
                "plain loop (ModernGPT.generate)": m.generate,
                "sliding KV cache": partial(generate_sliding, m),
            },
            start,
            n,
            rounds=2 if args.quick else 3,
        )
        plain = speeds["plain loop (ModernGPT.generate)"]
        for name, speed in speeds.items():
            note = f"{speed / plain:.2f}x vs plain" + (
                f", same greedy tokens: {same}" if name.startswith("sliding") else ""
            )
            rows.append(
                (
                    f"sampling {n} tokens past a full context, {label} (context "
                    f"{m.config.context_length})",
                    name,
                    f"{speed:.0f} tok/s",
                    note,
                )
            )
            print(rows[-1], flush=True)

    load_after = os.getloadavg()
    print(
        f"\nload average at end: {load_after[0]:.2f} (1 min); timings on a shared machine vary.\n"
    )
    print("| measurement | variant | value | ratio / note |")
    print("|---|---|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
