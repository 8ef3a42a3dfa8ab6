"""Training on several processes (helpers/course/distributed.py): torchrun's own launcher, Gloo on
the CPU, two processes on loopback, a tiny model for a few steps, every run bounded in time."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_support import run_cli

from helpers.course import distributed
from helpers.course.checkpoint import checkpoint_lock, load_checkpoint
from helpers.course.trainer import history_path

ROOT = Path(__file__).resolve().parent.parent
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone"]  # = torchrun
# A global batch of 9 does not divide by 2 ranks: 5 + 4 rows, each rank's loss weighted.
FLAGS = [
    "--device", "cpu", "--no-compile", "--n-layer", "1", "--n-embd", "16", "--n-head", "2",
    "--context-length", "16", "--batch-size", "9", "--max-iters", "6", "--time-budget", "0",
    "--eval-interval", "3", "--warmup-iters", "2", "--dropout", "0", "--sample-chars", "0",
    "--log-interval", "1",
]  # fmt: skip
# Two processes sum the same float32 numbers in another order than one: the losses differ in
# their last bits (measured: 5e-7 over 6 steps), far below any real difference between runs.
TOLERANCE = 1e-4
LIMIT = 120  # seconds: any run here that takes longer is hanging


def train(out, nproc=None, *extra, script=None):
    """`torchrun --nproc_per_node=N -m helpers train`, or with nproc None `python -m helpers
    train`, run in this process (a rank of its own is what the torchrun runs are for)."""
    if nproc is None:
        return run_cli("train", *FLAGS, "--out", out, *extra, cwd=ROOT)
    target = script or ["-m", "helpers"]  # script: [file, its arguments ...]
    command = [*TORCHRUN, f"--nproc_per_node={nproc}", *target, "train", *FLAGS]
    command += ["--out", str(out), *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COURSE_THREADS": "1"}
    start = time.perf_counter()
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=LIMIT
    )
    result.seconds = time.perf_counter() - start
    return result


def two_nodes(out, *extra):
    """torchrun --nnodes=2 --rdzv-backend c10d --rdzv-endpoint=127.0.0.1:PORT, started twice, as
    on two machines: one process each. Returns both finished processes."""
    with socket.socket() as probe:  # a free port for the rendezvous
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", "--nproc_per_node=1"]
    launcher += ["--rdzv-backend", "c10d", f"--rdzv-endpoint=127.0.0.1:{port}", "--rdzv-id=t"]
    command = [*launcher, "-m", "helpers", "train", *FLAGS, "--out", str(out), *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COURSE_THREADS": "1"}
    nodes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = []
    for node in nodes:
        try:
            stdout, stderr = node.communicate(timeout=LIMIT)
        except subprocess.TimeoutExpired:
            for other in nodes:
                other.kill()
            raise
        results.append(
            subprocess.CompletedProcess(command, node.returncode, stdout.decode(), stderr.decode())
        )
    return results


def ok(result):
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def step_losses(checkpoint):
    return json.loads(history_path(checkpoint).read_text(encoding="utf-8"))["step_loss"]


def test_the_global_batch_is_split_evenly_and_weighted_exactly():
    assert distributed.batch_shares(10, 4) == [3, 3, 2, 2]
    assert distributed.batch_shares(64, 2) == [32, 32]
    two = [distributed.Ranks(rank=r, world_size=2, backend="gloo") for r in (0, 1)]
    assert [distributed.my_rows(9, r) for r in two] == [slice(0, 5), slice(5, 9)]
    assert distributed.my_rows(9, distributed.SINGLE) is None
    # DDP averages the ranks' gradients: (5/9 * 2 * mean_0 + 4/9 * 2 * mean_1) / 2 = the mean of 9
    assert [distributed.loss_weight(9, r) for r in two] == [10 / 9, 8 / 9]
    assert distributed.loss_weight(64, two[1]) == 1
    with pytest.raises(ValueError, match="global batch of 1 cannot be split across 2 processes"):
        distributed.batch_shares(1, 2)


def test_the_command_a_notebook_launches_holds_no_path_of_this_machine(tmp_path):
    # the training command runs in the course folder: a path inside it is shown and passed relative
    inside = distributed._from_root(ROOT / "checkpoints" / "13_two_processes.pt", ROOT)
    assert inside == Path("checkpoints/13_two_processes.pt")
    assert (ROOT / inside).parent == ROOT / "checkpoints"
    assert distributed._from_root(tmp_path / "x.pt", ROOT) == tmp_path / "x.pt"  # elsewhere: as is
    assert distributed._from_root("--preset", ROOT) == "--preset"
    assert distributed._from_root(300, ROOT) == 300


def test_two_processes_train_as_one_and_their_checkpoints_resume_either_way(tmp_path):
    one, two = tmp_path / "one.pt", tmp_path / "two.pt"
    ok(train(one))
    run = ok(train(two, 2))
    assert "DDP: 2 processes (gloo), global batch 9 = 5 + 4 rows per rank" in run.stdout
    assert run.stdout.count("best val loss") == 1, "only rank 0 prints"
    a, b = step_losses(one), step_losses(two)
    assert len(a) == len(b) == 6 and a[0] > a[-1]
    assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < TOLERANCE, (a, b)
    assert load_checkpoint(two)["best_val"] == pytest.approx(
        load_checkpoint(one)["best_val"], abs=TOLERANCE
    )
    assert not Path(f"{two}.lock").exists()

    # the 2-rank checkpoint goes on in one process, the 1-process one on 2 ranks: 6 more steps each;
    # these 2 ranks are two "machines" meeting through the multi-node rendezvous, on loopback
    ok(train(two, None, "--resume", "--max-iters", "12"))
    for node in two_nodes(one, "--resume", "--max-iters", "12"):
        ok(node)
    for path in (one, two):
        ckpt = load_checkpoint(path)
        assert ckpt["step"] == 12 and ckpt["history"]["step"][-1] == 12
    a, b = step_losses(one), step_losses(two)
    assert len(a) == len(b) == 12
    assert max(abs(x - y) for x, y in zip(a[6:], b[6:], strict=True)) < TOLERANCE, (a, b)


FAILING_RANK = """
import os, signal, sys
from helpers import training
from helpers.course.cli import main

real, calls = training.get_batch, []

def get_batch(*args, **kwargs):  # rank 1 fails at its third batch (fit draws one per step)
    calls.append(1)
    if os.environ["RANK"] == "1" and len(calls) == 3:
        if sys.argv[1] == "raise":
            raise RuntimeError("a deliberate failure")
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)

training.get_batch = get_batch
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("how", ["raise", "killed"])
def test_a_failing_rank_ends_the_whole_run_with_its_rank_and_cause(tmp_path, how):
    script = tmp_path / "failing_rank.py"
    script.write_text(FAILING_RANK, encoding="utf-8")
    flags = ["--max-iters", "1000", "--eval-interval", "500"]
    mode = "raise" if how == "raise" else "kill"
    result = train(tmp_path / "x.pt", 2, *flags, script=[str(script), mode])
    assert result.returncode != 0
    assert result.seconds < 60, f"the other rank kept the run alive for {result.seconds:.0f} s"
    if how == "raise":
        assert "rank 1: RuntimeError: a deliberate failure" in result.stderr
    else:
        assert "SIGKILL" in result.stderr
    assert re.search(r"rank\s*: 1 \(local_rank: 1\)", result.stderr)  # torchrun's summary too


def test_rank_0_holds_the_lock_and_a_second_run_is_refused_at_once(tmp_path):
    out = tmp_path / "busy.pt"
    with checkpoint_lock(out):  # another run owns the file
        result = train(out, 2)
    assert result.returncode != 0 and result.seconds < 60
    assert "rank 0: error:" in result.stderr and "being written by another training run" in (
        result.stderr
    )


def test_ctrl_c_stops_every_rank_cleanly_and_keeps_the_best_model(tmp_path):
    out = tmp_path / "stopped.pt"
    flags = ["--max-iters", "100000", "--eval-interval", "100", "--log-interval", "100"]
    flags += ["--dtype", "bfloat16"]  # autocast inside DDP, as on a GPU (bf16 on the CPU: slower)
    command = [*TORCHRUN, "--nproc_per_node=2", "-m", "helpers", "train", *FLAGS, *flags]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COURSE_THREADS": "1"}
    with subprocess.Popen(
        [*command, "--out", str(out)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches
    ) as run:
        for line in run.stdout:
            if "step 200/" in line:  # the evaluations at 0 and 100 have saved a checkpoint
                break
        pressed = time.perf_counter()
        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        try:
            rest = run.communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            raise
    assert time.perf_counter() - pressed < 30, "every rank should stop within seconds"
    best = re.search(r"interrupted at step \d+; the best model \(step (\d+)", rest)
    assert best and int(best[1]) >= 100, rest[-3000:]
    assert "To continue: torchrun --standalone --nproc_per_node=2 -m helpers train" in rest
    assert load_checkpoint(out)["step"] == int(best[1])
    assert not Path(f"{out}.lock").exists(), "rank 0 let go of the lock"
