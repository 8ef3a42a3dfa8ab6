"""The whole course on another text (helpers/course/corpus.py): every notebook runs, shortened as
under nbval, on a text whose vocabulary is not tinyshakespeare's, and says so.

Each notebook is a test of its own, which `make test`'s workers share out one by one
(conftest.py): together they take longer than anything else.
"""

import shutil

import nbformat
import pytest

from helpers.course.corpus import fetch_corpus, in_greek_letters
from helpers.course.runner import course_notebooks, run_notebook


def greek_shakespeare(n_chars):
    """tinyshakespeare's start in lowercase, its letters written in Greek: 26 of its characters
    are not ASCII."""
    return in_greek_letters(fetch_corpus(verbose=False).read_text(encoding="utf-8")[:n_chars])


def outputs(nb):
    return "".join(
        o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.outputs
    )


# Each notebook in its own test, so that a failure names it; except 10, which opens the model 09
# saves: the two run together, in order.
GROUPS = [[p] for p in course_notebooks() if p.stem[:2] not in ("09", "10")]
GROUPS.insert(9, [p for p in course_notebooks() if p.stem[:2] in ("09", "10")])


def group_id(group):
    return "+".join(p.stem[:2] for p in group)


@pytest.mark.parametrize("notebooks", GROUPS, ids=group_id)
def test_every_notebook_runs_on_another_text_and_says_which(notebooks, tmp_path, monkeypatch):
    text = greek_shakespeare(100_000)
    vocab = sorted(set(text))
    assert len(vocab) == 37 and "R" not in vocab and "ω" in vocab  # 100,000 characters: 37
    path = tmp_path / "σαίξπηρ.txt"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("COURSE_TEXT", str(path))
    monkeypatch.setenv("COURSE_SMOKE", "1")
    monkeypatch.setenv("COURSE_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    said = f"text: σαίξπηρ.txt, {len(text):,} characters, 37 distinct characters"
    figures, shown_by = {}, {}
    for notebook in notebooks:
        out = tmp_path / "out" / notebook.name
        # run from a copy, so that what a notebook writes beside itself (13's ../build/) is this
        # test's own, not the checkout's, where nbval may be running the same notebook meanwhile
        copy = tmp_path / "notebooks" / notebook.name
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(notebook, copy)
        # a failing cell raises here; a cell that hangs fails after 5 minutes
        _, figures[notebook.stem] = run_notebook(copy, out, timeout=300)
        shown = shown_by[notebook.stem] = outputs(nbformat.read(out, as_version=4))
        if notebook.stem not in ("00_setup", "04_attention_trick", "10_playground"):
            assert said in shown, f"{notebook.name} does not say which text it uses"
    if "01_data_and_tokenizer" in figures:
        assert figures["01_data_and_tokenizer"] == {"vocab_size": 37, "characters": len(text)}
    if "02_batching" in figures:
        assert figures["02_batching"]["val_tokens"] == len(text) - int(0.9 * len(text))
    if "10_playground" in shown_by:
        assert "trained on σαίξπηρ.txt (100,000 characters)" in shown_by["10_playground"], (
            "10 opens 09's model"
        )


def test_the_groups_cover_every_notebook_once():
    assert sorted(p for group in GROUPS for p in group) == course_notebooks()
