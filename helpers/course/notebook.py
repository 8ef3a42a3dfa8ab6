"""What a notebook's cells use so that a stored notebook reads the same without widgets.

GitHub, nbviewer and a printout show a cell's stored text, not its live widgets: a progress bar is
stored as the text it had when it appeared ("0%| | 0/5000"), and an error shown on purpose is
stored with every frame it went through. The tools here leave a readable line instead.

    tqdm          tqdm.auto's progress bar that, in a notebook, prints its final state as text
    expect_error  shows an error you meant to cause as one short line, and fails if none comes
    shown_path    a path as a learner would write it: relative to the course folder, or ~/...
"""

import contextlib
import os
import sys
from pathlib import Path

from tqdm import std
from tqdm.auto import tqdm as _auto_tqdm

from helpers.course.plotting import in_notebook

# What a stored notebook shows of the bar's widget where widgets do not render (GitHub, nbviewer):
# stored when the bar appears, so its state then ("0%") would be all it said.
STILL_BAR = "[progress bar: it moves in JupyterLab; its final state is printed below]"

try:
    from tqdm.notebook import TqdmHBox
except ImportError:  # no ipywidgets: tqdm.auto's bar is text anyway
    TqdmHBox = None
else:

    class _StillBar(TqdmHBox):
        def __repr__(self, pretty=False):
            return STILL_BAR


class tqdm(_auto_tqdm):  # noqa: N801 (the name everyone knows)
    """`tqdm.auto.tqdm`, plus one line of plain text with its final state when it closes in a
    notebook, e.g. "one head: 100%|██████████| 5000/5000 [00:21<00:00, 236.1it/s, val=2.41]".

    The widget bar still moves (and ends green) in JupyterLab; a viewer without widgets shows
    STILL_BAR in its place, then the text line. In a terminal the bar is already text, so nothing
    is added.
    """

    @staticmethod
    def status_printer(*args, **kwargs):
        container = _auto_tqdm.status_printer(*args, **kwargs)
        if TqdmHBox is not None and type(container) is TqdmHBox:  # the notebook's widget bar
            container.__class__ = _StillBar
        return container

    def close(self):
        if getattr(self, "disable", True) or getattr(self, "_closed_once", False):
            return super().close()
        self._closed_once = True
        widget = in_notebook()
        super().close()
        if widget:
            line = std.tqdm.format_meter(**self.format_dict).replace("\r", "")
            print(line, flush=True)


@contextlib.contextmanager
def expect_error(*kinds):
    """Run the block, which should fail with one of `kinds`, and show the error in one line.

        with expect_error(ValueError):
            tokenizer.encode("café")

    prints "ValueError: ..." (the message only, without the frames inside torch or the course),
    and raises AssertionError if the block did not fail, or failed some other way.
    """
    kinds = kinds or (Exception,)
    try:
        yield
    except kinds as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr, flush=True)
    else:
        names = " or ".join(kind.__name__ for kind in kinds)
        raise AssertionError(f"this cell should have raised {names}, and it ran without one")


def shown_path(path):
    """`path` as a learner would write it: relative to the current folder or the course's folder
    when inside one, else starting with ~ when under the home folder, else as it is."""
    from helpers.course.settings import ROOT

    path = Path(path)
    try:
        absolute = path.resolve()
    except OSError:
        return str(path)
    for base in (Path.cwd(), ROOT):
        with contextlib.suppress(ValueError, OSError):
            return str(absolute.relative_to(base.resolve()))
    home = Path(os.path.expanduser("~"))
    with contextlib.suppress(ValueError, OSError):
        return str(Path("~") / absolute.relative_to(home.resolve()))
    return str(path)
