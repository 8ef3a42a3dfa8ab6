"""nbval settings for the course notebooks.

- Notebooks run in smoke mode under pytest (COURSE_SMOKE=1) unless you set COURSE_SMOKE=0
  yourself: each code cell is shortened before it runs (fewer training steps, expectations a short
  run can meet; see helpers/course/testmode.py). The notebooks themselves show plain numbers.
- The notebooks run on tinyshakespeare (COURSE_TEXT), even where another text was chosen: their
  stored outputs are tinyshakespeare's. tests/test_course_own_text.py runs them on another text.
- The models the notebooks save (09, 12, 13) and load (10) go to a temporary folder, removed when the
  test session ends: tests never touch checkpoints/ and leave no files behind.
- stderr (warnings, text progress bars) is never compared with the stored output.
- Under `make test`'s two workers (pytest-xdist), each notebook's kernel gets the worker's share of
  the cores (COURSE_THREADS and OMP_NUM_THREADS, unless you set COURSE_THREADS).
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
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1 and not os.environ.get("COURSE_THREADS"):  # each worker's share of the cores
        share = str(max(1, (os.cpu_count() or 1) // workers))
        _undo.setenv("COURSE_THREADS", share)
        _undo.setenv("OMP_NUM_THREADS", share)  # the kernel's PyTorch, from its start
    if "COURSE_CHECKPOINT_DIR" not in os.environ:
        _made.append(tempfile.mkdtemp(prefix="course-test-checkpoints-"))
        _undo.setenv("COURSE_CHECKPOINT_DIR", _made[-1])


def pytest_unconfigure(config):
    _undo.undo()
    for folder in _made:
        shutil.rmtree(folder, ignore_errors=True)


def pytest_collection_modifyitems(items):
    from helpers.course.settings import smoke
    from helpers.course.testmode import shorten

    if not smoke():
        return
    for item in items:
        cell = getattr(item, "cell", None)  # an nbval cell
        if cell is not None and cell.cell_type == "code":
            cell.source = shorten(item.path.stem, cell.source)


def pytest_collectstart(collector):
    if collector.path.suffix == ".ipynb" and hasattr(collector, "skip_compare"):
        collector.skip_compare = (*collector.skip_compare, "stderr")
