"""bench/gpu_check.py --dry-run: the GPU check's own steps, on the CPU with a tiny model."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_dry_run_measures_everything_and_writes_the_report(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "bench/gpu_check.py", "--dry-run", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = json.loads((tmp_path / "gpu_results.json").read_text(encoding="utf-8"))
    training = results["training"]
    assert results["dry_run"] is True and results["gpu"]["native_bf16"] is False
    assert training["steps"] == 40 and training["stopped"] == "reached max_iters=40"
    assert training["ms_per_step"] > 0 and training["tokens_per_second"] > 0
    assert training["mfu"] is None  # no peak FLOPs for a CPU: not estimated, not invented
    assert set(training["val_after_seconds"]) == {"30", "60", "120"}
    assert 0 < training["best_val"] < math.log(65)  # better than guessing among 65 characters
    assert training["best_step"] in range(10, 41, 10)
    ddp = results["ddp"]  # the torchrun step: one process, Gloo on the CPU (NCCL on a GPU)
    assert ddp["backend"] == "gloo" and ddp["world_size"] == 1 and ddp["steps"] == 40
    assert ddp["ms_per_step"] > 0 and ddp["late_ms_per_step"] >= 0 and 0 < ddp["val"] < math.log(65)
    assert results["sampling"]["greedy_equal"] is True
    assert results["sampling"]["plain"] > 0 and results["sampling"]["kv_cache"] > 0
    report = (tmp_path / "GPU_RESULTS.md").read_text(encoding="utf-8")
    assert "`python bench/gpu_check.py --dry-run`" in report and "| best val loss |" in report
    log = (tmp_path / "gpu_check.log").read_text()
    assert "python -m helpers train --preset gpu" in log
    assert "torchrun --standalone --nproc_per_node=1 -m helpers train --preset gpu" in log
    assert "| DDP: torchrun, 1 process | gloo, float32" in report
    modern = results["modern"]  # notebook 11's gpu-modern preset, trained and sampled the same way
    assert modern["steps"] == 40 and 0 < modern["best_val"] < math.log(65)
    assert modern["sampling"]["greedy_equal"] is True and modern["sampling"]["kv_cache"] > 0
    assert "python -m helpers train --preset gpu-modern" in log
    assert "| gpu-modern preset (notebook 11) | best val loss" in report
    assert not (ROOT / "bench" / "GPU_RESULTS.md").exists() or "--dry-run" not in (
        ROOT / "bench" / "GPU_RESULTS.md"
    ).read_text(encoding="utf-8"), "a dry run must never stand in for a GPU's results"


def test_without_a_gpu_it_says_to_use_the_dry_run():
    result = subprocess.run(
        [sys.executable, "bench/gpu_check.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": ""},
        timeout=120,
    )
    assert result.returncode == 2 and "error: no CUDA GPU here" in result.stderr
    assert "Traceback" not in result.stderr
