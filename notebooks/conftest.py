"""nbval settings for the course notebooks.

- Notebooks run in smoke mode under pytest (COURSE_SMOKE=1) unless you set COURSE_SMOKE=0
  yourself: each code cell is shortened before it runs (fewer training steps, expectations a short
  run can meet; see helpers/course/testmode.py). The notebooks themselves show plain numbers.
- The notebooks run on tinyshakespeare (COURSE_TEXT), even where another text was chosen: their
  stored outputs are tinyshakespeare's. tests/test_course_own_text.py runs them on another text.
- The models the notebooks save (09, 12, 13) and load (10) go to a temporary folder, removed when the
  test session ends: tests never touch checkpoints/ and leave no files behind.
- stderr (warnings, text progress bars) is never compared with the stored output.
"""

import os
import shutil
import tempfile

import pytest

# nbval's cells are not pytest functions, so fixtures do not reach them: the settings are made
# when pytest starts (before collection, before any kernel) and undone when it ends.
_undo = pytest.MonkeyPatch()
_made = []


def pytest_configure(config):
    if "COURSE_SMOKE" not in os.environ:
        _undo.setenv("COURSE_SMOKE", "1")
    # the stored outputs are tinyshakespeare's, whatever text this machine chose for the course
    _undo.setenv("COURSE_TEXT", "tinyshakespeare")
    if "COURSE_CHECKPOINT_DIR" not in os.environ:
        _made.append(tempfile.mkdtemp(prefix="course-test-checkpoints-"))
        _undo.setenv("COURSE_CHECKPOINT_DIR", _made[-1])


def pytest_unconfigure(config):
    _undo.undo()
    for folder in _made:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    from helpers.course.settings import smoke
    from helpers.course.testmode import shorten

    for item in items:  # `make test`'s two workers: a notebook's cells stay together, in order
        if getattr(item, "cell", None) is not None:
            item.add_marker(pytest.mark.xdist_group(str(item.path)))
    if not smoke():
        return
    for item in items:
        cell = getattr(item, "cell", None)  # an nbval cell
        if cell is not None and cell.cell_type == "code":
            cell.source = shorten(item.path.stem, cell.source)


def pytest_collectstart(collector):
    if collector.path.suffix == ".ipynb" and hasattr(collector, "skip_compare"):
        collector.skip_compare = (*collector.skip_compare, "stderr")
