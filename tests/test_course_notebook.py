"""helpers.course.notebook: what a stored notebook shows where widgets are not drawn (GitHub,
nbviewer, print): a progress bar's final state as text, an error shown on purpose as one line,
paths without the machine's folders."""

import os
from pathlib import Path

import pytest

from helpers.course import notebook
from helpers.course.notebook import expect_error, shown_path, tqdm
from helpers.course.settings import ROOT


def finish(bar, n):
    for _ in range(n):
        bar.update()
    bar.set_postfix(val="2.41")
    bar.close()


def test_a_bar_in_a_notebook_leaves_its_final_state_as_a_line_of_text(monkeypatch, capsys):
    monkeypatch.setattr(notebook, "in_notebook", lambda: True)
    finish(tqdm(total=5, desc="one head", disable=False), 5)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out
    line = out[0]
    assert line.startswith("one head: 100%") and "5/5" in line and "val=2.41" in line


def test_a_bar_stopped_early_says_how_far_it_got(monkeypatch, capsys):
    monkeypatch.setattr(notebook, "in_notebook", lambda: True)
    finish(tqdm(total=10, desc="training", disable=False), 4)
    assert " 4/10 " in capsys.readouterr().out


def test_a_bar_in_a_terminal_prints_nothing_more_and_closing_twice_prints_once(monkeypatch, capsys):
    monkeypatch.setattr(notebook, "in_notebook", lambda: False)
    finish(tqdm(total=3, desc="x", disable=False), 3)
    assert capsys.readouterr().out == ""
    monkeypatch.setattr(notebook, "in_notebook", lambda: True)
    bar = tqdm(total=3, desc="y", disable=False)
    finish(bar, 3)
    bar.close()
    assert capsys.readouterr().out.count("y: 100%") == 1


def test_expect_error_shows_the_message_in_one_line(capsys):
    with expect_error(ValueError):
        raise ValueError("n_embd=100 is not divisible by n_head=6")
    assert capsys.readouterr().err == "ValueError: n_embd=100 is not divisible by n_head=6\n"


def test_expect_error_fails_when_nothing_is_raised():
    with pytest.raises(AssertionError, match="should have raised ValueError"):
        with expect_error(ValueError):
            pass


def test_expect_error_lets_another_error_through():
    with pytest.raises(KeyError):
        with expect_error(ValueError):
            raise KeyError("x")


def test_shown_path_never_shows_the_machine_s_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert shown_path(ROOT / "checkpoints" / "09_cpu.pt") == os.path.join(
        "checkpoints", "09_cpu.pt"
    )
    assert shown_path(tmp_path / "a.pt") == "a.pt"
    monkeypatch.setenv("HOME", str(tmp_path.parent))
    monkeypatch.chdir(ROOT)
    assert shown_path(tmp_path / "b.pt") == str(Path("~") / tmp_path.name / "b.pt")


def test_a_widget_bar_is_stored_as_a_still_line_not_its_first_state(monkeypatch):
    from tqdm import notebook as widget_bars

    from helpers.course import notebook

    # in JupyterLab tqdm.auto is tqdm.notebook's widget bar; here it is the text one
    monkeypatch.setattr(notebook, "_auto_tqdm", widget_bars.tqdm)
    container = notebook.tqdm.status_printer(None, total=5000, desc="GPT")
    stored = container._repr_mimebundle_()["text/plain"]
    assert stored == notebook.STILL_BAR and "0%" not in stored
    assert isinstance(container, widget_bars.TqdmHBox)  # still the widget that moves live
