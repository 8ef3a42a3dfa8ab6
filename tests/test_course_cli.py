"""The command line `python -m helpers <command>` (helpers/course/cli.py).

The commands run as subprocesses on a tiny model and a tiny text, a few steps each.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from helpers import CharTokenizer
from helpers.course import load_checkpoint, model_from_checkpoint

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


def run(command, *args, cwd, env=None):
    """`python -m helpers <command> <args>` in a subprocess, on one thread (tiny models)."""
    threads = (
        ["--threads", "1"] if command in ("train", "sample") and "--threads" not in args else []
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "helpers",
            *([command] if command else []),
            *map(str, args),
            *threads,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def train(tmp_path, *args, text=TEXT):
    corpus = tmp_path / "text.txt"
    corpus.write_text(text, encoding="utf-8", newline="")
    return run(
        "train",
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
        "train", "--resume", "--out", tmp_path / "none.pt", "--threads", "1", cwd=tmp_path
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
        "sample",
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
        "sample",
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
        "sample", "--checkpoint", ck, "--max-new-tokens", "5", "--no-kv-cache", cwd=tmp_path
    )
    assert (
        empty.returncode == 0 and empty.stdout.startswith("\n") and len(empty.stdout) == 1 + 5 + 1
    )
    unknown = run("sample", "--checkpoint", ck, "--prompt", "Zounds", cwd=tmp_path)
    assert (
        unknown.returncode != 0 and "'Z' at position 0 is not in the vocabulary" in unknown.stderr
    )


# --- the pieces of the loop, in-process -----------------------------------------------------


# --- the command line itself -------------------------------------------------------------------


def test_bare_command_lists_the_four_commands(tmp_path):
    listed = run("", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    for command in ("train", "sample", "doctor", "course"):
        assert f"    {command} " in listed.stdout, f"{command} missing from:\n{listed.stdout}"


@pytest.mark.parametrize("command", ["train", "sample", "doctor", "course"])
def test_every_command_has_help(tmp_path, command):
    shown = run(command, "--help", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"usage: python -m helpers {command}")


def test_bad_values_get_an_error_line_and_status_2(tmp_path):
    missing = run("sample", "--checkpoint", tmp_path / "none.pt", cwd=tmp_path)
    assert missing.returncode == 2 and missing.stderr.startswith("error: No checkpoint at")
    threads = run("train", "--threads", "0", cwd=tmp_path)
    assert threads.returncode == 2 and "error: --threads must be at least 1" in threads.stderr
    setting = run("sample", "--checkpoint", "x.pt", cwd=tmp_path, env={"COURSE_THREADS": "two"})
    assert setting.returncode == 2 and "error: COURSE_THREADS='two'" in setting.stderr
    device = run("sample", "--checkpoint", "x.pt", cwd=tmp_path, env={"COURSE_DEVICE": "gpu"})
    assert device.returncode == 2 and "error: COURSE_DEVICE='gpu'" in device.stderr
    for result in (missing, threads, setting, device):
        assert "Traceback" not in result.stderr


def test_sample_honours_course_threads_like_train(tmp_path, monkeypatch, capsys):
    from helpers.course import cli

    assert train(tmp_path, "--max-iters", "2").returncode == 0
    old = torch.get_num_threads()
    try:
        for threads in ("1", "2"):
            monkeypatch.setenv("COURSE_THREADS", threads)
            torch.set_num_threads(3)
            argv = ["sample", "--checkpoint", str(tmp_path / "ck.pt"), "--max-new-tokens", "2"]
            assert cli.main(argv) == 0
            assert torch.get_num_threads() == int(threads)
    finally:
        torch.set_num_threads(old)
    assert capsys.readouterr().out  # it sampled
