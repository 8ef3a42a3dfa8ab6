import pytest
import torch

from helpers.course import choose_threads, pick_device


@pytest.fixture(autouse=True)
def keep_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_environment_variable_overrides_the_notebooks_choice(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_THREADS", "2")
    assert choose_threads(1) == 2 and torch.get_num_threads() == 2
    assert "set by COURSE_THREADS" in capsys.readouterr().out


def test_a_notebooks_choice_is_used_and_explained(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_THREADS", raising=False)
    assert choose_threads(1) == 1 and torch.get_num_threads() == 1
    assert "set COURSE_THREADS to override" in capsys.readouterr().out


def test_the_probe_picks_one_thread_or_all_cores(monkeypatch, capsys):
    import os

    monkeypatch.delenv("COURSE_THREADS", raising=False)
    chosen = choose_threads()
    assert chosen in (1, os.cpu_count())
    assert "probe: 1 thread" in capsys.readouterr().out or os.cpu_count() == 1


def test_device_override_and_clear_errors(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    assert "you asked for it" in capsys.readouterr().out
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA GPU here. Use 'cpu'"):
            pick_device("cuda")


def test_automatic_choice_explains_itself(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    device = pick_device()
    assert device.type in ("cuda", "mps", "cpu")
    assert capsys.readouterr().out.startswith(f"device: {device.type}")
