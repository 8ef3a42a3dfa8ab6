"""nbval settings for the course notebooks.

- Notebooks run in smoke mode under pytest (COURSE_SMOKE=1: fewer training iterations) unless
  you set COURSE_SMOKE=0 yourself. The kernel inherits this environment.
- stderr (warnings, text progress bars) is never compared with the stored output.
"""

import os

os.environ.setdefault("COURSE_SMOKE", "1")


def pytest_collectstart(collector):
    if collector.path.suffix == ".ipynb" and hasattr(collector, "skip_compare"):
        collector.skip_compare = (*collector.skip_compare, "stderr")
