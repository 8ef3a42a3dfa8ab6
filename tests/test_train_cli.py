"""The training loop and the commands `python -m helpers.train` / `python -m helpers.sample`.

The commands run as subprocesses on a tiny model and a tiny text, a few steps each.
"""

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from helpers.checkpoint import load_checkpoint, model_from_checkpoint
from helpers.model import GPT, GPTConfig
from helpers.tokenizer import CharTokenizer
from helpers.trainer import TrainConfig, evaluate, lr_at, train_gpt

ROOT = Path(__file__).resolve().parent.parent
LINES = [
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\n",
    "All:\nSpeak, speak.\n\n",
    "First Citizen:\nYou are all resolved rather to die than to famish?\n\n",
]
TEXT = "".join(LINES[i % 3] for i in range(60))
TINY = [
    "--n-layer",
    "1",
    "--n-embd",
    "16",
    "--n-head",
    "2",
    "--context-length",
    "16",
    "--batch-size",
    "4",
]
QUICK = [
    "--threads",
    "1",
    "--eval-interval",
    "5",
    "--log-interval",
    "5",
    "--warmup-iters",
    "2",
    "--sample-chars",
    "20",
]


def run(module, *args, cwd):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            module,
            *map(str, args),
            *(["--threads", "1"] if module == "helpers.sample" else []),
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def train(tmp_path, *args, text=TEXT):
    corpus = tmp_path / "text.txt"
    corpus.write_text(text, encoding="utf-8", newline="")
    return run(
        "helpers.train",
        "--preset",
        "cpu",
        "--text",
        corpus,
        "--out",
        tmp_path / "ck.pt",
        *TINY,
        *QUICK,
        *args,
        cwd=tmp_path,
    )


def test_train_then_resume_continues_from_the_stored_step(tmp_path):
    first = train(tmp_path, "--max-iters", "10")
    assert first.returncode == 0, first.stderr
    ckpt = load_checkpoint(tmp_path / "ck.pt")
    assert ckpt["step"] == 10 and ckpt["history"]["step"] == [0, 5, 10]
    assert "step 10: train loss" in first.stdout  # periodic evaluation is printed

    second = train(tmp_path, "--max-iters", "20", "--resume")
    assert second.returncode == 0, second.stderr
    assert "resuming" in second.stdout and "at step 10" in second.stdout
    assert "step 5:" not in second.stdout  # it did not start again from 0
    resumed = load_checkpoint(tmp_path / "ck.pt")
    assert resumed["step"] == 20 and resumed["history"]["step"] == [0, 5, 10, 15, 20]
    assert resumed["run_id"] == ckpt["run_id"]
    assert resumed["best_val"] < ckpt["best_val"]


def test_an_existing_checkpoint_is_not_overwritten_without_the_flag(tmp_path):
    assert train(tmp_path, "--max-iters", "5").returncode == 0
    before = (tmp_path / "ck.pt").read_bytes()
    again = train(tmp_path, "--max-iters", "5")
    assert again.returncode != 0
    assert (
        "already holds a checkpoint from another run" in again.stderr
        and "--overwrite" in again.stderr
    )
    assert (tmp_path / "ck.pt").read_bytes() == before
    replaced = train(tmp_path, "--max-iters", "5", "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert (tmp_path / "ck.pt").read_bytes() != before


def test_resume_refuses_another_vocabulary_or_model_shape(tmp_path):
    assert train(tmp_path, "--max-iters", "5").returncode == 0
    other = train(tmp_path, "--max-iters", "10", "--resume", text=TEXT + "Zounds!")
    assert other.returncode != 0 and "Vocabulary mismatch" in other.stderr
    bigger = train(tmp_path, "--max-iters", "10", "--resume", "--n-layer", "2")
    assert bigger.returncode != 0 and "n_layer: checkpoint 1, now 2" in bigger.stderr
    nothing = run(
        "helpers.train", "--resume", "--out", tmp_path / "none.pt", "--threads", "1", cwd=tmp_path
    )
    assert nothing.returncode != 0 and "No checkpoint at" in nothing.stderr


def test_impossible_settings_are_refused_before_training(tmp_path):
    bad = train(tmp_path, "--n-embd", "30", "--n-head", "4")
    assert bad.returncode != 0 and "not divisible by n_head=4" in bad.stderr
    assert not (tmp_path / "ck.pt").exists()


def test_sample_command(tmp_path):
    assert train(tmp_path, "--max-iters", "5").returncode == 0
    ck = tmp_path / "ck.pt"
    greedy = run(
        "helpers.sample",
        "--checkpoint",
        ck,
        "--prompt",
        "All:",
        "--max-new-tokens",
        "30",
        "--temperature",
        "0",
        cwd=tmp_path,
    )
    assert greedy.returncode == 0, greedy.stderr
    ckpt = load_checkpoint(ck)
    tokenizer = CharTokenizer(ckpt["vocab"])
    prompt = torch.tensor([tokenizer.encode("All:")])
    expected = model_from_checkpoint(ckpt).generate(prompt, 30, temperature=0)[0]
    assert greedy.stdout == tokenizer.decode(expected) + "\n"  # the prompt, then 30 characters
    long = run(
        "helpers.sample",
        "--checkpoint",
        ck,
        "--prompt",
        "speak " * 10,
        "--max-new-tokens",
        "5",
        "--top-k",
        "500",
        cwd=tmp_path,
    )
    assert long.returncode == 0 and "sees only its last 16" in long.stderr
    empty = run(
        "helpers.sample", "--checkpoint", ck, "--max-new-tokens", "5", "--no-kv-cache", cwd=tmp_path
    )
    assert (
        empty.returncode == 0 and empty.stdout.startswith("\n") and len(empty.stdout) == 1 + 5 + 1
    )
    unknown = run("helpers.sample", "--checkpoint", ck, "--prompt", "Zounds", cwd=tmp_path)
    assert (
        unknown.returncode != 0 and "'Z' at position 0 is not in the vocabulary" in unknown.stderr
    )


# --- the pieces of the loop, in-process -----------------------------------------------------


def test_evaluate_predicts_every_window_once_in_order():
    torch.manual_seed(0)
    model = GPT(
        GPTConfig(vocab_size=7, context_length=4, n_embd=8, n_head=2, n_layer=1, dropout=0.0)
    )
    data = torch.randint(0, 7, (23,))  # 5 full windows of 4 (each needs one more id as target)
    by_hand = [
        model(data[i : i + 4][None], data[i + 1 : i + 5][None])[1].item() for i in range(0, 20, 4)
    ]
    assert evaluate(model, data, 4, batch_size=2) == pytest.approx(sum(by_hand) / 5, rel=1e-5)
    assert evaluate(model, data, 4, max_windows=2) == pytest.approx(
        (by_hand[0] + by_hand[4]) / 2, rel=1e-5
    )
    with pytest.raises(ValueError, match="too few"):
        evaluate(model, data[:4], 4)


def test_learning_rate_warms_up_then_decays_along_a_cosine():
    cfg = TrainConfig(learning_rate=1e-3, min_lr=1e-4, warmup_iters=10, max_iters=110)
    assert lr_at(0, cfg) == pytest.approx(1e-4) and lr_at(9, cfg) == pytest.approx(1e-3)
    decay = [lr_at(s, cfg) for s in range(10, 111)]
    assert all(a >= b for a, b in zip(decay[:-1], decay[1:], strict=True))
    assert decay[-1] == pytest.approx(1e-4)
    assert lr_at(60, cfg, progress=0.5) == pytest.approx(1e-4 + 0.5 * 9e-4)
    assert lr_at(20, cfg, progress=1.0) == pytest.approx(1e-4)  # a time budget used up: the end


def test_training_keeps_the_best_model_and_honours_the_time_budget(tmp_path, one_thread):
    torch.manual_seed(0)
    ids = torch.tensor([ord(c) % 20 for c in TEXT])
    train_ids, val_ids = ids[: len(ids) * 9 // 10], ids[len(ids) * 9 // 10 :]
    model = GPT(
        GPTConfig(vocab_size=20, context_length=8, n_embd=16, n_head=2, n_layer=1, dropout=0.0)
    )
    cfg = TrainConfig(
        batch_size=4,
        learning_rate=3e-2,
        min_lr=3e-3,
        warmup_iters=0,
        max_iters=40,
        eval_interval=10,
    )
    history = train_gpt(
        model,
        train_ids,
        val_ids,
        cfg,
        vocab=[chr(i) for i in range(20)],
        checkpoint=tmp_path / "b.pt",
    )
    assert history["step"] == [0, 10, 20, 30, 40]
    assert history["best_val"] == min(history["val"])
    ckpt = load_checkpoint(tmp_path / "b.pt")
    assert ckpt["step"] == history["step"][history["val"].index(history["best_val"])]
    assert evaluate(model, val_ids, 8) == pytest.approx(history["best_val"], rel=1e-5)

    budget = TrainConfig(
        batch_size=4, max_iters=10**6, time_budget=0.5, eval_interval=10**6, warmup_iters=0
    )
    timed = train_gpt(model, train_ids, val_ids, budget, vocab=[chr(i) for i in range(20)])
    assert 0.5 <= timed["train_seconds"] < 5 and 0 < timed["step"][-1] < 10**6
    assert math.isfinite(timed["val"][-1])


def test_patience_stops_training_and_the_best_weights_come_back(monkeypatch, one_thread):
    import helpers.trainer as trainer

    vals = iter([4.0, 3.0, 2.0, 2.5, 2.6, 2.7, 2.8, 2.9])  # best at the 3rd evaluation (step 2)
    snapshots = []

    def fake_evaluate(model, data, context_length, device="cpu", max_windows=None, batch_size=64):
        if max_windows is None:  # the val pass: remember the weights it saw
            snapshots.append(model.lm_head.bias.detach().clone())
            return next(vals)
        return 0.0

    monkeypatch.setattr(trainer, "evaluate", fake_evaluate)
    torch.manual_seed(0)
    model = GPT(
        GPTConfig(vocab_size=20, context_length=8, n_embd=16, n_head=2, n_layer=1, dropout=0.0)
    )
    cfg = TrainConfig(
        batch_size=4,
        learning_rate=1e-2,
        min_lr=1e-3,
        warmup_iters=0,
        max_iters=100,
        eval_interval=1,
        patience=3,
    )
    ids = torch.tensor([ord(c) % 20 for c in TEXT])
    history = train_gpt(model, ids[:2000], ids[2000:], cfg, vocab=[chr(i) for i in range(20)])
    assert history["step"] == [0, 1, 2, 3, 4, 5]  # three evaluations without progress after step 2
    assert (history["best_val"], history["best_step"]) == (2.0, 2)
    assert torch.equal(model.lm_head.bias, snapshots[2])  # the weights of step 2, not of step 5
    assert not torch.equal(snapshots[2], snapshots[5])
