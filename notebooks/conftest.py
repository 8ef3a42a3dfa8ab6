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

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("COURSE_SMOKE", "1")
# the stored outputs are tinyshakespeare's, whatever text this machine chose for the course
os.environ["COURSE_TEXT"] = "tinyshakespeare"
if "COURSE_CHECKPOINT_DIR" not in os.environ:
    _checkpoints = tempfile.mkdtemp(prefix="course-test-checkpoints-")
    os.environ["COURSE_CHECKPOINT_DIR"] = _checkpoints
    atexit.register(shutil.rmtree, _checkpoints, ignore_errors=True)


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
