"""Course-wide switches read from the environment (used by every notebook).

COURSE_SMOKE=1 shrinks iteration counts so the whole course runs in seconds. CI and quick checks
set it; learners never need to. Each notebook shows the switch where it matters, e.g.
``max_iters = 5000 if not SMOKE else 30``, so a learner sees exactly what it changes.
"""

import os


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


SMOKE = _flag("COURSE_SMOKE")
