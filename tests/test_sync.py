"""The notebook <-> helpers contract: a piece is written once in the notebook that teaches it,
and the same definition lives in helpers/. This test fails when the two drift apart.

Definitions are compared after parsing (ast.dump), so comments and formatting may differ but
code and docstrings may not.
"""

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "helpers"
NOTEBOOKS = ROOT / "notebooks"
TAUGHT = re.compile(r"Taught in notebook (\d\d)")
DEFINITION = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def helper_definitions():
    """(module name, node) for every top-level def/class in helpers/*.py (not the package's own
    __init__.py and __main__.py, which load the pieces and start the command line)."""
    for path in sorted(HELPERS.glob("*.py")):
        if path.name.startswith("__"):
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, DEFINITION):
                yield path.stem, node


def cell_source(cell):
    # IPython magics and shell escapes are not Python: blank them out before parsing
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines()
    )


def notebook_definitions(path):
    """name -> list of nodes for every top-level def/class in the notebook's code cells."""
    nb = nbformat.read(path, as_version=4)
    found = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.parse(cell_source(cell)).body:
            if isinstance(node, DEFINITION):
                found.setdefault(node.name, []).append(node)
    return found


def notebook_path(number):
    matches = sorted(NOTEBOOKS.glob(f"{number}_*.ipynb"))
    assert matches, (
        f"helpers says it is taught in notebook {number}, but notebooks/{number}_*.ipynb does not exist"
    )
    return matches[0]


TAUGHT_HELPERS = [
    (module, node, TAUGHT.search(ast.get_docstring(node) or "").group(1))
    for module, node in helper_definitions()
    if TAUGHT.search(ast.get_docstring(node) or "")
]


def test_every_piece_directly_in_helpers_is_taught_in_a_notebook():
    untaught = [
        f"helpers/{module}.py: {node.name}"
        for module, node in helper_definitions()
        if not TAUGHT.search(ast.get_docstring(node) or "")
    ]
    assert not untaught, (
        f"helpers/ holds only what a notebook teaches; these say no 'Taught in notebook NN': "
        f"{untaught}. Teach them in a notebook, or move them to helpers/course/."
    )


def test_nothing_in_helpers_course_claims_to_be_taught():
    claims = [
        f"{path.relative_to(ROOT)}: {node.name}"
        for path in sorted((HELPERS / "course").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, DEFINITION) and TAUGHT.search(ast.get_docstring(node) or "")
    ]
    assert not claims, f"helpers/course/ is not taught, but these say they are: {claims}"


def test_helpers_exports_every_taught_piece_in_course_order_and_nothing_else():
    import helpers

    taught = sorted(
        TAUGHT_HELPERS, key=lambda item: item[2]
    )  # stable: file order within a notebook
    assert set(helpers.__all__) == {node.name for _, node, _ in taught}, (
        "helpers/__init__.py should export exactly the taught pieces"
    )
    numbers = [next(n for _, node, n in taught if node.name == name) for name in helpers.__all__]
    assert numbers == sorted(numbers), f"helpers.__all__ is not in course order: {numbers}"
    for name in helpers.__all__:
        assert getattr(helpers, name).__doc__, f"helpers.{name} has no docstring"


def test_the_contract_covers_the_core_pieces():
    names = {node.name for _, node, _ in TAUGHT_HELPERS}
    for expected in [
        "CharTokenizer",
        "get_batch",
        "estimate_loss",
        "BigramLanguageModel",
        "generate",
        "train",
    ]:
        assert expected in names, f"{expected} should be taught in a notebook and kept in sync"


@pytest.mark.parametrize(
    "module,node,number", TAUGHT_HELPERS, ids=[f"{n}:{node.name}" for _, node, n in TAUGHT_HELPERS]
)
def test_notebook_definition_matches_helper(module, node, number):
    path = notebook_path(number)
    found = notebook_definitions(path).get(node.name, [])
    assert found, f"{path.name} should define {node.name} (it is taught there)"
    # A notebook may first show a piece at the lecture's size and later the course's version of
    # it under the same name (Head in notebook 05): the last definition, the one in effect from
    # then on, is the one helpers/ holds.
    assert ast.dump(found[-1]) == ast.dump(node), (
        f"{node.name} in {path.name} differs from helpers/{module}.py. Copy the changed "
        "definition into the other file so the notebook and helpers stay identical."
    )


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.name)
def test_notebooks_import_earlier_pieces_instead_of_copying_them(path):
    number = path.name[:2]
    taught_elsewhere = {node.name: n for _, node, n in TAUGHT_HELPERS if n != number}
    copies = sorted(set(notebook_definitions(path)) & set(taught_elsewhere))
    assert not copies, (
        f"{path.name} redefines {copies}, taught in notebooks "
        f"{[taught_elsewhere[c] for c in copies]}: import them from helpers instead"
    )
