"""Static checks of the committed notebooks: valid, run top to bottom once, no stored errors."""

import re
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
    assert not errors, (
        f"{path.name}: stored errors in code cells {errors}; an error shown on purpose goes "
        "through `with expect_error(...)`, which stores one line instead of a traceback"
    )
    tagged = [i for i, c in enumerate(code) if "raises-exception" in c.metadata.get("tags", [])]
    assert not tagged, f"{path.name}: cells {tagged} are tagged raises-exception: use expect_error"
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.parent.name + "/" + p.name)
def test_notebooks_import_the_courses_tools_one_way(path):
    """`from helpers.course import ...`, never from one of its modules: where a tool lives is the
    course's business, and every name imported that way must exist."""
    import ast

    import helpers.course

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(
            line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                course = [a.name for a in node.names if a.name.startswith("helpers.course")]
                assert not course, (
                    f"{path.name}: `import {course[0]}`: use `from helpers.course import ...`"
                )
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "helpers.course"
            ):
                assert node.module == "helpers.course", (
                    f"{path.name}: `from {node.module} import ...`: import it from helpers.course"
                )
                for alias in node.names:
                    assert hasattr(helpers.course, alias.name), (
                        f"{path.name}: helpers.course has no {alias.name}: add it to _TOOLS in "
                        "helpers/course/__init__.py"
                    )


# --- what a viewer without widgets (GitHub, nbviewer, print) sees --------------------------------

WIDGET = "application/vnd.jupyter.widget-view+json"
BAR_TEXT = re.compile(r"\d+%\|.*\| *\d+/\d+ \[")  # tqdm's text: " 37%|███▋  | 37/100 [00:01<..."
MACHINE_PATH = re.compile(
    r"(?<![\w.~])(/(home|Users|root|tmp|var|private|work|opt|usr|mnt|srv)/|[A-Za-z]:\\\\|site-packages)"
)


def output_texts(output):
    if output.output_type == "stream":
        yield output.text
    elif output.output_type == "error":
        yield "\n".join(output.traceback)
    else:
        for kind, value in output.get("data", {}).items():
            if kind.startswith("text/"):
                yield value if isinstance(value, str) else "".join(value)


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.parent.name + "/" + p.name)
def test_every_widget_leaves_text_or_a_picture_behind(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        outputs = cell.outputs
        for k, output in enumerate(outputs):
            if WIDGET not in output.get("data", {}):
                continue
            after = outputs[k + 1 :]
            widget_text = output["data"].get("text/plain", "")
            if BAR_TEXT.search(widget_text):  # a progress bar: its final state must follow as text
                assert any(
                    BAR_TEXT.search(text)
                    for o in after
                    if o.output_type == "stream"
                    for text in output_texts(o)
                ), (
                    f"{path.name}, code cell {i + 1}: the progress bar's stored text is "
                    f"{widget_text!r}; make it with helpers.course.notebook.tqdm so its final "
                    "state is printed when it closes"
                )
            else:  # any other widget: a static picture or text of what it shows
                assert any(
                    "image/png" in o.get("data", {}) or o.output_type == "stream" for o in after
                ), (
                    f"{path.name}, code cell {i + 1}: the widget is stored as {widget_text!r}; "
                    "show a static picture or text of it in the same cell"
                )


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.parent.name + "/" + p.name)
def test_no_stored_output_holds_a_path_of_the_machine_that_ran_it(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        for output in cell.outputs:
            for text in output_texts(output):
                found = MACHINE_PATH.search(text)
                assert not found, (
                    f"{path.name}, code cell {i + 1} stores a path of the machine that ran it: "
                    f"...{text[max(0, found.start() - 40) : found.end() + 40]!r}...; print paths "
                    "with helpers.course.notebook.shown_path"
                )


# The project's own bookkeeping, which a learner has no use for (the full tables live in bench/).
BOOKKEEPING = re.compile(
    r"reference (machine|cpu|run|gpu)|course's (own )?(machine|cpu)|shared machine|slow spell|"
    r"course_times|COURSE_SMOKE|\bsmoke\b|\brunner\b|the goal set|our (goal|target)|"
    r"a test (checks|holds|proves)|\.lock\b|pytorch/pytorch/issues",
    re.IGNORECASE,
)
BENCH_FILE = re.compile(r"bench/[\w./-]+")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_project_bookkeeping_in_the_learners_path(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        texts = [cell.source]
        if cell.cell_type == "code":
            texts += [t for o in cell.outputs for t in output_texts(o)]
        for text in texts:
            found = BOOKKEEPING.search(text)
            assert not found, (
                f"{path.name}, cell {i}: {found.group(0)!r} is the project's bookkeeping, not "
                'something a learner needs: say it as a learner would ("a 2-core laptop CPU") '
                "or leave it to bench/ and README"
            )
    links = [
        m.group(0)
        for c in nb.cells
        if c.cell_type == "markdown"
        for m in BENCH_FILE.finditer(c.source)
    ]
    assert len(links) <= 1, f"{path.name} names {links}: link the measurements once, at most"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_opens_with_its_place_on_the_roadmap(path):
    cells = nbformat.read(path, as_version=4).cells[:5]
    call = f'roadmap("{path.name[:2]}")'
    assert any(c.cell_type == "code" and call in c.source for c in cells), (
        f"{path.name} should show `{call}` among its first cells"
    )


def prose_words(text):
    return len(re.findall(r"[A-Za-z0-9][\w'’.,-]*", text))


def code_lines(text):
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


# One sitting: the main path (before the exercises) and the whole notebook, as the design asks.
MAIN_WORDS, ALL_WORDS, MAIN_CODE = 2100, 3100, 260
# Notebook 14 writes a whole tokenizer, the sequel lecture's two hours (the fast trainer and the
# tokenizer class alone are 140 lines): a longer sitting, which its introduction and WORKSHOP.md
# say. Cut into two notebooks, the tokenizer would be taught without the experiment that judges it.
LONGER_SITTING = {"14_subword_tokens.ipynb": 335}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_is_one_sitting(path):
    cells = nbformat.read(path, as_version=4).cells
    first_exercise = next(
        (
            i
            for i, c in enumerate(cells)
            if c.cell_type == "markdown"
            and re.search(r"^#+ .*exercise", c.source, re.MULTILINE | re.IGNORECASE)
        ),
        len(cells),
    )
    main, rest = cells[:first_exercise], cells[first_exercise:]
    words = sum(prose_words(c.source) for c in main if c.cell_type == "markdown")
    total = words + sum(prose_words(c.source) for c in rest if c.cell_type == "markdown")
    code = sum(code_lines(c.source) for c in main if c.cell_type == "code")
    assert words <= MAIN_WORDS, (
        f"{path.name}: {words} words before the exercises (at most {MAIN_WORDS})"
    )
    assert total <= ALL_WORDS, f"{path.name}: {total} words in all (at most {ALL_WORDS})"
    limit = LONGER_SITTING.get(path.name, MAIN_CODE)
    assert code <= limit, (
        f"{path.name}: {code} lines of code before the exercises (at most {limit})"
    )


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
    "09_training_well": ["val_loss"],
    "11_modern_gpt": ["ablation_lecture"],
    "12_training_modern_gpt": ["modern_val_loss", "lecture_val_loss"],
    "13_many_gpus": ["ddp_val_loss"],
    "14_subword_tokens": ["char_bits_per_char", "bpe_bits_per_char"],
}
WRAP_UP = "13_many_gpus"  # the last notebook of the main road; 14 goes past characters


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
    if path.stem == WRAP_UP:  # the course's wrap-up quotes every model's validation loss
        quoted = {nb: keys[:1] for nb, keys in RECAP_FIGURES.items() if nb <= WRAP_UP}
    for notebook, keys in quoted.items():
        for key in keys:
            value = measured["notebooks"][notebook]["figures"][key]
            assert f"{value:.2f}" in last.source, (
                f"{path.name}'s recap should quote {notebook}'s {key} as measured ({value:.2f}): "
                "write the recap again from notebooks/course_times.json"
            )
