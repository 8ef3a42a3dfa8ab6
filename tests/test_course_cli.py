"""The command line `python -m helpers <command>` (helpers/course/cli.py).

The commands run through the command line's own `main`, in this process (cli_support.run_cli), on
a tiny model and a tiny text, a few steps each; Ctrl-C and two runs at once run in processes of
their own.
"""

import math
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from cli_support import run_cli as run

from helpers import CharTokenizer
from helpers.course import load_checkpoint, model_from_checkpoint, tokenizer_of

ROOT = Path(__file__).resolve().parent.parent
LINES = [
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\n",
    "All:\nSpeak, speak.\n\n",
    "First Citizen:\nYou are all resolved rather to die than to famish?\n\n",
]
TEXT = "".join(LINES[i % 3] for i in range(240))  # 12,000 characters: above the minimum
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
    assert unknown.returncode == 2 and "never seen: 'Z'. Change the prompt" in unknown.stderr


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


# --- nothing lost, no traceback --------------------------------------------------------------------


def start_training(tmp_path, *args):
    """A training run in the background; returns once it has saved its first checkpoint, with
    what it has printed so far (a list that a thread keeps filling: the run never waits on a full
    pipe while the test does something else, as no terminal would make it wait)."""
    corpus = tmp_path / "text.txt"
    corpus.write_text(TEXT, encoding="utf-8", newline="")
    command = [sys.executable, "-m", "helpers", "train", "--preset", "cpu", "--text", str(corpus)]
    command += ["--out", str(tmp_path / "ck.pt"), *TINY, *QUICK, "--max-iters", "100000", *args]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    seen, evaluated = [], threading.Event()

    def read():
        for line in process.stdout:
            seen.append(line)
            if "step 5: train loss" in line:  # the first evaluation (and its checkpoint)
                evaluated.set()
        evaluated.set()  # the run ended

    process.reader = threading.Thread(target=read, daemon=True)
    process.reader.start()
    evaluated.wait(timeout=120)
    if process.poll() is not None or not any("step 5: train loss" in line for line in seen):
        process.kill()
        raise AssertionError("the run ended early or never evaluated:\n" + "".join(seen))
    return process, seen


def stop_with_ctrl_c(process, seen, timeout=60):
    """Ctrl-C to a run from start_training; returns what it printed after the signal."""
    before = len(seen)
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(
            f"the run did not stop within {timeout} s of Ctrl-C; it printed last:\n"
            + "".join(seen[-20:])
        ) from None
    process.reader.join(timeout=10)
    return "".join(seen[before:])


def test_one_run_per_checkpoint_and_ctrl_c_stops_cleanly(tmp_path):
    first, seen = start_training(tmp_path)
    try:
        for extra in ([], ["--overwrite"], ["--resume"]):
            second = train(tmp_path, "--max-iters", "5", *extra)
            assert second.returncode == 2, second.stdout + second.stderr
            assert "is being written by another training run (process " in second.stderr
            assert f"process {first.pid} " in second.stderr and "Traceback" not in second.stderr
    finally:
        rest = stop_with_ctrl_c(first, seen)
    assert first.returncode == 130, rest
    assert "interrupted at step" in rest and "the best model (step" in rest
    assert "To continue: python -m helpers train" in rest and "--resume --out" in rest
    assert "Traceback" not in "".join(seen)
    ckpt = load_checkpoint(tmp_path / "ck.pt")  # the best model is there, whole
    assert ckpt["step"] >= 5 and not (tmp_path / "ck.pt.lock").exists()
    resumed = train(tmp_path, "--max-iters", str(ckpt["step"] + 5), "--resume")
    assert resumed.returncode == 0, resumed.stderr


def test_two_runs_started_at_once_on_a_new_file_one_is_refused(tmp_path):
    corpus = tmp_path / "text.txt"
    corpus.write_text(TEXT, encoding="utf-8", newline="")
    command = [sys.executable, "-m", "helpers", "train", "--preset", "cpu", "--text", str(corpus)]
    command += ["--out", str(tmp_path / "new.pt"), *TINY, *QUICK, "--max-iters", "30"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [
        subprocess.Popen(
            command,
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(r.wait(timeout=300), *r.communicate()) for r in runs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results  # never two owners: one trained, one was refused up front
    refused = next(err for code, _, err in results if code == 2)
    assert (
        "is being written by another training run" in refused
        or "already holds a checkpoint" in refused
    )


def test_a_diverging_run_fails_loudly_and_keeps_the_last_good_checkpoint(tmp_path):
    assert train(tmp_path, "--max-iters", "5").returncode == 0
    before = (tmp_path / "ck.pt").read_bytes()
    wild = train(
        tmp_path, "--max-iters", "60", "--resume", "--learning-rate", "1e30", "--min-lr", "1e29"
    )
    assert wild.returncode == 1, wild.stdout + wild.stderr
    assert "the run diverged and was stopped" in wild.stderr and "is untouched" in wild.stderr
    assert (tmp_path / "ck.pt").read_bytes() == before
    assert "Traceback" not in wild.stderr


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["--device", "cuda"], {}, "PyTorch sees no CUDA GPU here"),
        (["--device", "bogus"], {}, "--device bogus: use cuda, cuda:N, mps or cpu"),
        (["--text", "missing.txt"], {}, "missing.txt does not exist"),
        (["--text", "empty.txt"], {}, "empty.txt is empty"),
        (["--text", "latin1.txt"], {}, "is not UTF-8 text: byte 3 (0xe9)"),
        (["--text", "short.txt"], {}, "holds 1,000 characters; the course needs at least 10,000"),
        (["--text", "binary.bin"], {}, "looks like a binary file"),
        (["--text", "nothing"], {}, "holds no .txt file"),
        (["--seed", str(2**64)], {}, "seed must lie in 0 .. 2**63 - 1"),
        (["--time-budget", "-1"], {}, "time_budget is a number of seconds above 0"),
        (["--time-budget", "nan"], {}, "time_budget is a number of seconds above 0"),
        (["--patience", "0"], {}, "patience must be at least 1"),
        (["--learning-rate", "inf"], {}, "learning_rate must be a finite number"),
        (["--schedule", "linear"], {}, "invalid choice: 'linear'"),
        (["--out", "."], {}, "is a folder: give a file name"),
        ([], {"COURSE_THREADS": "abc"}, "COURSE_THREADS='abc'"),
    ],
)
def test_bad_training_values_get_an_error_line_not_a_traceback(tmp_path, args, env, message):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "latin1.txt").write_bytes("abc\xe9t\xe9".encode("latin-1"))
    (tmp_path / "short.txt").write_text("x" * 1000)
    (tmp_path / "binary.bin").write_bytes(b"PK\x03\x04\x00\x00" * 3000)
    (tmp_path / "nothing").mkdir()
    corpus = tmp_path / "text.txt"
    corpus.write_text(TEXT, encoding="utf-8", newline="")
    base = ["--preset", "cpu", "--text", str(corpus), "--out", str(tmp_path / "x.pt"), *TINY]
    result = run("train", *base, "--max-iters", "2", *args, cwd=tmp_path, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error: " in result.stderr and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--threads", "-1"], "--threads must be at least 1"),
        (["--temperature", "nan"], "use 0 (greedy) or a value from 0.01 to 100"),
        (["--temperature", "1e-40"], "use 0 (greedy) or a value from 0.01 to 100"),
        (["--top-k", "0"], "--top-k 0: use at least 1"),
    ],
)
def test_bad_sampling_values_get_an_error_line_not_a_traceback(tmp_path, args, message):
    assert train(tmp_path, "--max-iters", "2").returncode == 0
    result = run("sample", "--checkpoint", tmp_path / "ck.pt", *args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_checkpoint_remembers_its_text_and_sample_says_which(tmp_path):
    assert train(tmp_path, "--max-iters", "2").returncode == 0
    ckpt = load_checkpoint(tmp_path / "ck.pt")
    assert ckpt["text"] == {
        "name": "text.txt",
        "characters": len(TEXT),
        "fingerprint": __import__("hashlib").sha256(TEXT.encode()).hexdigest()[:16],
    }
    result = run(
        "sample", "--checkpoint", tmp_path / "ck.pt", "--max-new-tokens", "5", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert f"trained on: text.txt ({len(TEXT):,} characters), fingerprint " in result.stderr


def test_a_prompt_with_unseen_characters_says_which_and_can_drop_them(tmp_path):
    assert train(tmp_path, "--max-iters", "2").returncode == 0
    ck = tmp_path / "ck.pt"
    refused = run("sample", "--checkpoint", ck, "--prompt", "Speak, Zoë!", cwd=tmp_path)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "never seen: '!', 'Z', 'ë'" in refused.stderr and "--drop-unknown" in refused.stderr
    dropped = run(
        "sample", "--checkpoint", ck, "--prompt", "Speak, Zoë!", "--drop-unknown",
        "--max-new-tokens", "5", cwd=tmp_path,
    )  # fmt: skip
    assert dropped.returncode == 0, dropped.stderr
    assert "left out of the prompt, never seen by the model: '!', 'Z', 'ë'" in dropped.stderr
    assert dropped.stdout.startswith("Speak, o")


def test_the_training_command_reads_a_folder_of_texts(tmp_path):
    folder = tmp_path / "notes"
    (folder / "b").mkdir(parents=True)
    (folder / "a.txt").write_text(TEXT[:6000], encoding="utf-8")
    (folder / "b" / "c.txt").write_text(TEXT[6000:], encoding="utf-8")
    result = run(
        "train", "--preset", "cpu", "--text", folder, "--out", tmp_path / "ck.pt", *TINY, *QUICK,
        "--max-iters", "2", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"text: notes/ (2 files), {len(TEXT) + 2:,} characters" in result.stdout
    assert load_checkpoint(tmp_path / "ck.pt")["text"]["name"] == "notes/ (2 files)"
    assert "training characters is little even for the cpu preset" in result.stdout


def test_train_and_sample_on_a_text_in_another_script(tmp_path):
    """The training command and sampling on a non-Latin text: its own vocabulary end to end."""
    from helpers.course.corpus import in_greek_letters

    text = in_greek_letters(TEXT)
    result = train(tmp_path, "--max-iters", "2", text=text)
    assert result.returncode == 0, result.stderr
    assert f"text: text.txt, {len(text):,} characters, {len(set(text))} distinct" in result.stdout
    ck = tmp_path / "ck.pt"
    assert set(load_checkpoint(ck)["vocab"]) == set(text)
    sampled = run(
        "sample", "--checkpoint", ck, "--prompt", "φιρστ ςιτιζεν:", "--max-new-tokens", "20",
        cwd=tmp_path,
    )  # fmt: skip
    assert sampled.returncode == 0, sampled.stderr
    assert sampled.stdout.startswith("φιρστ ςιτιζεν:") and len(sampled.stdout) == 14 + 20 + 1
    assert set(sampled.stdout) <= set(text) | {"\n"}


def test_the_modern_preset_trains_resumes_and_samples_past_its_context(tmp_path):
    """Notebook 11's model through the command line: a ModernGPT checkpoint with Muon's state,
    resumed, and sampled with the sliding cache (the same text as without a cache)."""
    corpus = tmp_path / "text.txt"
    corpus.write_text(TEXT, encoding="utf-8", newline="")
    common = ["--text", corpus, "--out", tmp_path / "modern.pt", *TINY, *QUICK]
    first = run("train", "--preset", "cpu-modern", *common, "--max-iters", "5", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "ModernConfig(" in first.stdout and "optimizer='muon'" in first.stdout
    ckpt = load_checkpoint(tmp_path / "modern.pt")
    assert ckpt["config"]["rope"] is True and ckpt["train_config"]["optimizer"] == "muon"
    assert ckpt["train_config"]["schedule"] == "wsd"
    assert [g.get("lr_scale", 1.0) for g in ckpt["optimizer"]["param_groups"]] == [1.0, 5.0, 1.0]
    assert "position_embedding_table.weight" not in ckpt["model"]

    other = run(
        "train", "--preset", "cpu-modern", *common, "--max-iters", "10", "--resume",
        "--optimizer", "adamw", cwd=tmp_path,
    )  # fmt: skip
    assert other.returncode != 0 and "trained with --optimizer muon, not adamw" in other.stderr
    resumed = run(
        "train", "--preset", "cpu-modern", *common, "--max-iters", "10", "--resume", cwd=tmp_path
    )
    assert resumed.returncode == 0, resumed.stderr
    assert load_checkpoint(tmp_path / "modern.pt")["step"] == 10

    greedy = ["--checkpoint", tmp_path / "modern.pt", "--prompt", "All:", "--temperature", "0"]
    samples = [
        run("sample", *greedy, "--max-new-tokens", "40", cache, cwd=tmp_path)
        for cache in ("--kv-cache", "--no-kv-cache")
    ]
    assert all(s.returncode == 0 for s in samples), samples[0].stderr + samples[1].stderr
    assert samples[0].stdout == samples[1].stdout  # 44 characters: past the context of 16
    assert len(samples[0].stdout) == 4 + 40 + 1


# --- subword tokens (notebook 14) ---------------------------------------------------------------


def test_bpe_tokens_train_report_bits_per_character_and_sample_from_the_checkpoint(tmp_path):
    """--tokenizer bpe on a text in another script: the merges learned from the training split,
    the loss in bits per character, a checkpoint that carries its tokenizer, and sample reading
    it back; resuming asks for the same tokenizer."""
    from helpers.course.corpus import in_greek_letters

    text = in_greek_letters(TEXT)
    result = train(
        tmp_path, "--max-iters", "10", "--tokenizer", "bpe", "--vocab-size", "300", text=text
    )
    assert result.returncode == 0, result.stderr
    assert "tokenizer: byte-level BPE, 300 tokens learned from the training split" in result.stdout
    ckpt = load_checkpoint(tmp_path / "ck.pt")
    assert ckpt["vocab"] == "" and ckpt["tokenizer"]["type"] == "byte-level BPE"
    assert len(ckpt["tokenizer"]["merges"]) == 300 - 256 and ckpt["config"]["vocab_size"] == 300
    assert "merges" in ckpt["tokenizer"] and text[:50] not in str(ckpt["tokenizer"])  # not the text
    n = int(0.9 * len(text))
    tokenizer = tokenizer_of(ckpt)
    tokens_per_char = len(tokenizer.encode(text[n:])) / len(text[n:])
    assert tokens_per_char < 0.9  # 44 merges already join Greek letters' two bytes, and more
    expected = ckpt["best_val"] * tokens_per_char / math.log(2)
    assert math.isclose(ckpt["bits_per_char"], expected, rel_tol=1e-9)
    assert f"{ckpt['best_val']:.4f} per token, {expected:.3f} bits per character" in result.stdout

    sampled = run(
        "sample", "--checkpoint", tmp_path / "ck.pt", "--prompt", "φιρστ ςιτιζεν:",
        "--max-new-tokens", "20", cwd=tmp_path,
    )  # fmt: skip
    assert sampled.returncode == 0, sampled.stderr
    assert sampled.stdout.startswith("φιρστ ςιτιζεν:") and "never seen" not in sampled.stderr

    resumed = train(
        tmp_path,
        "--max-iters",
        "15",
        "--resume",
        "--tokenizer",
        "bpe",
        "--vocab-size",
        "300",
        text=text,
    )
    assert resumed.returncode == 0, resumed.stderr
    other = train(
        tmp_path,
        "--max-iters",
        "20",
        "--resume",
        "--tokenizer",
        "bpe",
        "--vocab-size",
        "290",
        text=text,
    )
    assert other.returncode == 2 and "Tokenizer mismatch" in other.stderr
    chars = train(tmp_path, "--max-iters", "20", "--resume", text=text)
    assert (
        chars.returncode == 2
        and "Tokenizer mismatch: the checkpoint was trained on byte-level BPE" in chars.stderr
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--tokenizer", "bpe", "--vocab-size", "255"], "vocab_size=255 is too small"),
        (["--vocab-size", "512"], "--vocab-size is for --tokenizer bpe"),
        (["--tokenizer", "words"], "invalid choice: 'words'"),
    ],
)
def test_bad_tokenizer_values_get_an_error_line(tmp_path, args, message):
    result = train(tmp_path, "--max-iters", "2", *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "ck.pt").exists()


def test_more_merges_than_the_text_allows_stop_with_a_notice(tmp_path):
    result = train(tmp_path, "--max-iters", "2", "--tokenizer", "bpe", "--vocab-size", "5000")
    assert result.returncode == 0, result.stderr
    assert "note: Stopped after" in result.stdout and "merges asked for" in result.stdout
    size = load_checkpoint(tmp_path / "ck.pt")["config"]["vocab_size"]
    assert 256 < size < 5000 and f"byte-level BPE, {size:,} tokens" in result.stdout


def test_a_checkpoint_whose_tokenizer_does_not_fit_its_model_is_refused(tmp_path):
    assert (
        train(tmp_path, "--max-iters", "2", "--tokenizer", "bpe", "--vocab-size", "300").returncode
        == 0
    )
    ckpt = load_checkpoint(tmp_path / "ck.pt")
    ckpt["tokenizer"]["merges"] = ckpt["tokenizer"]["merges"][:-1]  # 299 tokens for 300 rows
    torch.save(ckpt, tmp_path / "bad.pt")
    result = run("sample", "--checkpoint", tmp_path / "bad.pt", cwd=tmp_path)
    assert (
        result.returncode == 2
        and "its tokenizer has 299 tokens for a model of vocab_size=300" in result.stderr
    )
