"""Static checks of the committed notebooks: valid, run top to bottom once, no stored errors."""

from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((NOTEBOOK_DIR / "solutions").glob("[0-9][0-9]_*.ipynb"))


def test_the_course_has_its_notebooks():
    names = [p.name[:2] for p in NOTEBOOKS]
    assert names[:4] == ["00", "01", "02", "03"], f"expected notebooks 00-03 first, found {names}"
    assert names == sorted(set(names)), f"notebook numbers must be unique and ordered: {names}"


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.parent.name + "/" + p.name)
def test_notebook_is_valid_and_was_run_top_to_bottom(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: execution counts {counts} show the stored outputs are not from one clean "
        "top-to-bottom run; regenerate them with `python -m helpers course --inplace`"
    )
    errors = [i for i, c in enumerate(code) for o in c.outputs if o.output_type == "error"]
    expected = [i for i, c in enumerate(code) if "raises-exception" in c.metadata.get("tags", [])]
    assert set(errors) <= set(expected), (
        f"{path.name}: unexpected stored errors in code cells {errors}"
    )
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_goals_exercises_and_checked_cells(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    assert "goals" in text, f"{path.name} should state its goals at the top"
    if path.name[:2] != "00":
        assert "exercise" in text, f"{path.name} should end with exercises"
    if path.name[:2] in ("00", "10"):
        return  # 00 measures this machine, 10 plays with a trained model: nothing is the same everywhere
    assert any("nbval-check-output" in c.metadata.get("tags", []) for c in nb.cells), (
        f"{path.name} has no output-checked cell: tag its deterministic cells `nbval-check-output`"
    )


@pytest.mark.parametrize("document", ["README.md", "WORKSHOP.md"])
def test_documented_times_match_the_measured_times(document):
    from helpers.course import runner

    start, end, render = {
        "README.md": (runner.MAP_START, runner.MAP_END, runner.render_course_map),
        "WORKSHOP.md": (runner.TIMES_START, runner.TIMES_END, runner.render_workshop_times),
    }[document]
    text = (NOTEBOOK_DIR.parent / document).read_text(encoding="utf-8")
    block = text.split(start, 1)[1].split(end, 1)[0].strip()
    assert block == render(), (
        f"{document} is out of date: run `.venv/bin/python -m helpers course --readme`"
    )


def test_every_notebook_with_checked_exercises_has_a_solution():
    solved = {p.name[:2] for p in SOLUTIONS}
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        uses_checks = any(
            "helpers.course.checks import" in c.source for c in nb.cells if c.cell_type == "code"
        )
        if uses_checks:
            assert path.name[:2] in solved, (
                f"{path.name} has checked exercises but no notebooks/solutions/{path.name[:2]}_solutions.ipynb"
            )


# Figures each recap quotes, by the key under which its notebook records them.
RECAP_FIGURES = {
    "03_bigram": ["bigram_val_loss", "count_bigram_val_loss"],
    "05_one_head": ["one_head_val_loss"],
    "06_many_heads": ["multi_head_val_loss", "one_head_same_budget_val_loss"],
    "07_blocks": ["blocks_val_loss"],
    "08_transformer": ["val_loss"],
    "11_modern_gpt": ["modern_val_loss", "lecture_val_loss"],
    "13_many_gpus": ["single_val_loss", "ddp_val_loss"],
}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_ends_with_a_recap_that_links_the_glossary(path):
    import json

    last = nbformat.read(path, as_version=4).cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## Recap"), (
        f"{path.name} should end with a '## Recap' cell"
    )
    assert "[glossary](GLOSSARY.md)" in last.source and (NOTEBOOK_DIR / "GLOSSARY.md").is_file()
    measured = json.loads((NOTEBOOK_DIR / "course_times.json").read_text(encoding="utf-8"))
    quoted = {path.stem: RECAP_FIGURES.get(path.stem, [])}
    if path.stem == "10_playground":  # the wrap-up quotes each earlier model's validation loss
        quoted = {nb: keys[:1] for nb, keys in RECAP_FIGURES.items() if nb < path.stem}
    for notebook, keys in quoted.items():
        for key in keys:
            value = measured["notebooks"][notebook]["figures"][key]
            assert f"{value:.2f}" in last.source, (
                f"{path.name}'s recap should quote {notebook}'s {key} as measured ({value:.2f}): "
                "write the recap again from notebooks/course_times.json"
            )
