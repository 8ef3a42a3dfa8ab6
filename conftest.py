"""How `make test`'s workers (pytest-xdist, `--dist loadfile`) share the tests out.

A file's tests stay together on one worker, in order: a notebook's cells share one kernel, and a
file's fixtures are made once. The files in SPREAD hold long tests that share nothing (each runs
notebooks or training commands of its own): each of their tests is a unit of its own.

The longest units go out first, so that the many short test files fill the end and the two
workers finish together (xdist hands out the units with the most tests first, which left long
notebooks for last): SPREAD's tests, then the long files in LONG, then the notebooks, later ones
first (they train the larger models), the lessons before their solutions, then everything else.
"""

from pathlib import Path

import pytest

SPREAD = [  # longest tests first
    "test_course_distributed.py",
    "test_course_own_text.py",
    "test_gpu_check.py",
    "test_course_cli.py",
]
LONG = ["test_browser.py", "test_course_install.py"]  # a browser, a wheel: 15-30 s each


def _file(scope):
    return Path(scope.split("::", 1)[0])


def _order(scope):
    """Where a unit of work goes in the queue: smaller first."""
    path = _file(scope)
    if path.name in SPREAD:
        return (0, SPREAD.index(path.name))
    if path.name in LONG:
        return (1, LONG.index(path.name))
    if path.suffix == ".ipynb":  # NN_name.ipynb, in notebooks/ or notebooks/solutions/
        number = int(path.name[:2]) if path.name[:2].isdigit() else 0
        return (2 + (path.parent.name == "solutions"), -number)
    return (4, 0)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's: without it, unused
def pytest_xdist_make_scheduler(config, log):
    """loadfile's scheduler, with each test of a SPREAD file a unit of its own, and the longest
    units sent out first."""
    if config.getvalue("dist") != "loadfile":
        return None  # another mode asked for: xdist's own
    from xdist.scheduler import LoadFileScheduling

    class CourseScheduling(LoadFileScheduling):
        reordered = False

        def _split_scope(self, nodeid):
            return nodeid if _file(nodeid).name in SPREAD else nodeid.split("::", 1)[0]

        def _assign_work_unit(self, node):
            if not self.reordered:  # the first call: the queue is complete, nothing sent yet
                self.reordered = True
                queue = sorted(self.workqueue.items(), key=lambda unit: _order(unit[0]))
                self.workqueue.clear()  # sorted() keeps xdist's order among equals
                self.workqueue.update(queue)
            super()._assign_work_unit(node)

    return CourseScheduling(config, log)
