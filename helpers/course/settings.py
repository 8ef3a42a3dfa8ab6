"""Every setting the course reads from the environment, and every path it uses.

The variables are read when a function asks for them (not once at import), so a notebook or a
test that sets one sees it take effect. A value that makes no sense stops with a SettingError
that says which variable, what it holds and what it may hold.

    COURSE_SMOKE=1          short runs: the course's tests shorten each notebook (course/testmode.py)
    COURSE_DEVICE=cpu       cuda, cuda:N, mps or cpu instead of the best available
    COURSE_THREADS=2        CPU threads, instead of the notebook's or the probe's choice
    COURSE_TEXT=path        your own text for the whole course: a UTF-8 file or a folder of
                            .txt files ("tinyshakespeare": the default; see course/corpus.py)
    COURSE_DATA_DIR=path    where the downloaded corpus is cached (default: data/)
    COURSE_DATA_MIRROR=dir  a folder holding a verified copy, tried before the network
    COURSE_CHECKPOINT_DIR=d where notebooks 08 and 10 and the training command keep models
                            (default: checkpoints/; the notebook tests use a temporary one)
    COURSE_RECORD_FILE=f    set by the course runner: where notebooks report their figures
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: helpers/course/settings.py -> ../..
NOTEBOOKS = ROOT / "notebooks"
BUILD_DIR = ROOT / "build"  # git-ignored: executed copies of the notebooks


class SettingError(ValueError):
    """An environment variable holds a value the course cannot use."""


def _get(name):
    return os.environ.get(name, "").strip()


def smoke():
    """True when COURSE_SMOKE asks for short runs (1/true/yes), False when unset or 0/false/no."""
    value = _get("COURSE_SMOKE").lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise SettingError(
        f"COURSE_SMOKE={value!r} is neither on nor off: set it to 1 for short runs, "
        "or to 0 (or unset it) for the real ones."
    )


def device_choice():
    """The device named by COURSE_DEVICE ('cuda', 'cuda:1', 'mps', 'cpu'), or None."""
    value = _get("COURSE_DEVICE").lower()
    if not value:
        return None
    kind, _, index = value.partition(":")
    if kind not in ("cuda", "mps", "cpu") or (index and not (kind == "cuda" and index.isdigit())):
        raise SettingError(
            f"COURSE_DEVICE={value!r} is not a device: use cuda, cuda:N, mps or cpu, "
            "or unset it to use the best one available."
        )
    return value


def threads():
    """The thread count in COURSE_THREADS (a whole number of at least 1), or None."""
    value = _get("COURSE_THREADS")
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise SettingError(
            f"COURSE_THREADS={value!r} is not a thread count: use a whole number of at least 1 "
            f"(this machine has {os.cpu_count()} cores), or unset it to let the course choose."
        )
    return int(value)


def text():
    """The text named by COURSE_TEXT (a path, or "tinyshakespeare"), or None when it is unset."""
    return _get("COURSE_TEXT") or None


def data_dir():
    """Where the corpus is cached: COURSE_DATA_DIR, or data/ in the repository."""
    value = _get("COURSE_DATA_DIR")
    return Path(value).expanduser() if value else ROOT / "data"


def mirror():
    """The folder named by COURSE_DATA_MIRROR, or None. The corpus module reports what it holds."""
    value = _get("COURSE_DATA_MIRROR")
    return Path(value).expanduser() if value else None


def checkpoint_dir():
    """Where trained models are kept: COURSE_CHECKPOINT_DIR, or checkpoints/ (git-ignored)."""
    value = _get("COURSE_CHECKPOINT_DIR")
    return Path(value).expanduser() if value else ROOT / "checkpoints"


def record_file():
    """The file named by COURSE_RECORD_FILE (set by the course runner for its kernels), or None."""
    value = _get("COURSE_RECORD_FILE")
    return Path(value) if value else None
