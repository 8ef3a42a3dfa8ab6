"""How `make test`'s workers (pytest-xdist, `--dist loadfile`) share the tests out.

A file's tests stay together on one worker, in order: a notebook's cells share one kernel, and a
file's fixtures are made once. The files in SPREAD hold long tests that share nothing (each runs
notebooks or training commands of its own): each of their tests is a unit of its own, and they
go out first, so that the many short files fill the end and the two workers finish together
(xdist hands out the units with the most tests first, which left a long test for last).
"""

from pathlib import Path

import pytest

SPREAD = [  # longest tests first
    "test_course_distributed.py",
    "test_course_own_text.py",
    "test_gpu_check.py",
    "test_course_cli.py",
]


def _file(scope):
    return Path(scope.split("::", 1)[0]).name


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's: without it, unused
def pytest_xdist_make_scheduler(config, log):
    """loadfile's scheduler, with each test of a SPREAD file a unit of its own, sent out first."""
    if config.getvalue("dist") != "loadfile":
        return None  # another mode asked for: xdist's own
    from xdist.scheduler import LoadFileScheduling

    class CourseScheduling(LoadFileScheduling):
        reordered = False

        def _split_scope(self, nodeid):
            return nodeid if _file(nodeid) in SPREAD else nodeid.split("::", 1)[0]

        def _assign_work_unit(self, node):
            if not self.reordered:  # the first call: the queue is complete, nothing sent yet
                self.reordered = True
                spread = [s for s in self.workqueue if _file(s) in SPREAD]
                for scope in sorted(spread, key=lambda s: SPREAD.index(_file(s)), reverse=True):
                    self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return CourseScheduling(config, log)
