"""The short runs of the course's tests (helpers/course/testmode.py): notebooks show plain
numbers, and a short run changes exactly the lines it means to."""

import ast
import re

import nbformat
import pytest

from helpers.course.runner import course_notebooks
from helpers.course.testmode import SHORT, SWAPS, shorten, shorten_notebook

ALL_NOTEBOOKS = course_notebooks() + course_notebooks(solutions=True)


def test_step_counts_become_short_and_nothing_else_changes():
    source = "max_iters = 5000\n    eval_interval = 1_000  # often\nmax_iters_seen = 5000\nn = 5000"
    assert shorten("xx", source) == (
        f"max_iters = {SHORT['max_iters']}\n    eval_interval = {SHORT['eval_interval']}\n"
        "max_iters_seen = 5000\nn = 5000"
    )
    assert shorten("xx", "max_iters = max_iters * 2") == "max_iters = max_iters * 2"


def test_swaps_keep_the_indentation_and_the_rest_of_the_line():
    source = '    assert val_loss < 2.6, f"got {val_loss}"'
    assert shorten("03_bigram", source) == '    assert val_loss < 4.6, f"got {val_loss}"'
    assert shorten("05_one_head", "assert val_loss < 2.45") == "assert val_loss < 2.45"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_show_plain_numbers(path):
    text = path.read_text(encoding="utf-8")
    assert "SMOKE" not in text, (
        f"{path.name} mentions SMOKE: write plain numbers; testmode.SHORT shortens them"
    )


@pytest.mark.parametrize("stem", sorted(SWAPS))
def test_every_swap_still_matches_a_line_of_its_notebook(stem):
    path = next(p for p in ALL_NOTEBOOKS if p.stem == stem)
    lines = [
        line.strip()
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
    ]
    for full, _ in SWAPS[stem]:
        assert any(line.startswith(full) for line in lines), (
            f"testmode.SWAPS[{stem!r}] expects a line starting {full!r}; the notebook changed"
        )


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_a_shortened_notebook_is_still_valid_python(path):
    nb = shorten_notebook(nbformat.read(path, as_version=4), path.stem)
    for cell in nb.cells:
        if cell.cell_type == "code":
            code = "\n".join(x for x in cell.source.splitlines() if not x.startswith(("%", "!")))
            ast.parse(code)  # a swap that breaks the syntax fails here, with the line


def test_every_training_notebook_is_shortened():
    """A notebook that trains has at least one line a short run changes."""
    for path in course_notebooks():
        nb = nbformat.read(path, as_version=4)
        before = [c.source for c in nb.cells if c.cell_type == "code"]
        after = [c.source for c in shorten_notebook(nb, path.stem).cells if c.cell_type == "code"]
        # train(...) or train_gpt(...) called, not a module's .train(mode)
        trains = any(re.search(r"(?<!\.)train(_gpt)?\(", s) for s in before)
        assert (before != after) == trains, (
            f"{path.name}: trains={trains} but a short run changes "
            f"{'nothing' if before == after else 'some lines'}"
        )
