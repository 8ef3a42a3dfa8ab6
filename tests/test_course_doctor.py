"""The environment check (helpers/course/doctor.py), with and without the course installed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.course import corpus as D
from helpers.course import doctor

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def real_bytes():
    return D.fetch_corpus(verbose=False).read_bytes()


@pytest.fixture
def isolated_corpus(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(D, "CORPUS_URL", "http://127.0.0.1:9/unreachable")
    monkeypatch.setenv("COURSE_DATA_MIRROR", "")
    return tmp_path


def test_missing_corpus_fails_with_the_fix(isolated_corpus, capsys):
    assert doctor.run_checks() is False
    out = capsys.readouterr().out
    assert "FAIL  corpus" in out
    assert "COURSE_DATA_MIRROR" in out and D.CORPUS_SHA256 in out
    assert "OK    python" in out and "OK    torch" in out and "OK    packages" in out


def test_all_ok_once_the_corpus_is_mirrored(real_bytes, isolated_corpus, monkeypatch, capsys):
    mirror = isolated_corpus / "usb"
    mirror.mkdir()
    (mirror / D.CORPUS_FILE).write_bytes(real_bytes)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    assert doctor.run_checks() is True
    assert "All checks passed." in capsys.readouterr().out
    assert (isolated_corpus / "cache" / D.CORPUS_FILE).exists()


def test_a_crashing_check_is_a_failure_not_a_crash(monkeypatch, capsys):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(doctor, "CHECKS", [("broken", broken)])
    assert doctor.run_checks() is False
    assert "FAIL  broken   RuntimeError: boom" in capsys.readouterr().out


def test_version_comparison_handles_local_builds():
    assert doctor._at_least("2.13.0+cpu", (2, 3))
    assert not doctor._at_least("2.2.1", (2, 3))
    assert doctor._at_least("8.1.9", (8,))


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory):
    """The Python of a new virtual environment with nothing installed: no torch, no numpy."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def check_fails_with_fixes(out):
    assert "Traceback" not in out and "ModuleNotFoundError" not in out, out
    assert "FAIL  torch    PyTorch is not installed\n      fix: run `make setup`" in out
    assert "FAIL  corpus" in out and "OK    python" in out
    for line in out.splitlines():  # every FAIL line is followed by its fix
        if line.startswith("FAIL"):
            following = out.split(line + "\n", 1)[1].splitlines()[0]
            assert following.startswith("      fix: "), f"no fix after {line!r}"


def test_the_doctor_runs_by_path_on_a_python_without_torch(bare_python):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [str(bare_python), "helpers/course/doctor.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    check_fails_with_fixes(result.stdout + result.stderr)


def test_make_doctor_needs_nothing_installed(bare_python):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MAKEFLAGS")}
    result = subprocess.run(
        ["make", "--no-print-directory", "doctor", f"PY={bare_python}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode != 0 and "Error 1" in result.stderr  # make passes the FAIL on
    check_fails_with_fixes(result.stdout)


def test_a_cpu_only_torch_on_a_machine_with_an_nvidia_gpu_gets_a_note(monkeypatch, capsys):
    import torch

    monkeypatch.setattr(doctor, "nvidia_gpu_present", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(doctor, "CHECKS", [("device", doctor.check_device)])
    assert doctor.run_checks() is True  # a note, not a failure: the course runs on the CPU
    out = capsys.readouterr().out
    assert "NOTE  device   an NVIDIA GPU is present, but this PyTorch is a CPU-only build" in out
    assert "fix: install a CUDA build of PyTorch" in out and "download.pytorch.org/whl/cu" in out


def test_a_torch_with_known_weights_only_bypasses_fails_with_the_fix(monkeypatch):
    monkeypatch.setattr(doctor, "_version", lambda package: "2.5.1" if package == "torch" else None)
    ok, detail, fix = doctor.check_torch()
    assert ok is False and "older than 2.11: a shared checkpoint could run code" in detail
    assert fix == ".venv/bin/pip install --upgrade 'torch>=2.11'"


def test_the_command_line_on_a_python_without_torch_says_what_to_install(bare_python):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    def helpers_command(*words):
        result = subprocess.run(
            [str(bare_python), "-m", "helpers", *words],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        return result.returncode, result.stdout + result.stderr

    status, out = helpers_command("doctor")
    assert status == 1, out
    check_fails_with_fixes(out)
    status, out = helpers_command()
    assert status == 0 and "doctor" in out and "Traceback" not in out, out
    for words in (["train"], ["sample", "--checkpoint", "x.pt"], ["course"]):
        status, out = helpers_command(*words)
        assert status == 2 and "Traceback" not in out, out
        assert "error: PyTorch is not installed" in out and "make setup" in out, out
