"""Every setting the course reads from the environment, and every path it uses.

The variables are read when a function asks for them (not once at import), so a notebook or a
test that sets one sees it take effect. A value that makes no sense stops with a SettingError
that says which variable, what it holds and what it may hold.

    COURSE_SMOKE=1          short runs: the course's tests shorten each notebook (course/testmode.py)
    COURSE_DEVICE=cpu       cuda, cuda:N, mps or cpu instead of the best available
    COURSE_THREADS=2        CPU threads, instead of the notebook's or the probe's choice
    COURSE_TEXT=path        your own text for the whole course: a UTF-8 file or a folder of
                            .txt files ("tinyshakespeare": the default; see course/corpus.py)
    COURSE_DATA_DIR=path    where the downloaded corpus is cached (default: data/ in a checkout;
                            installed, a per-user cache folder, see user_cache_dir())
    COURSE_DATA_MIRROR=dir  a folder holding a verified copy, tried before the network
    COURSE_CHECKPOINT_DIR=d where notebooks 08 and 10 and the training command keep models
                            (default: checkpoints/ in a checkout; installed, checkpoints/ in the
                            current folder, beside the notebooks; the notebook tests use a
                            temporary one)
    COURSE_RECORD_FILE=f    set by the course runner: where notebooks report their figures

A checkout of the course (pyproject.toml and notebooks/ beside helpers/) keeps everything inside
it. Installed (`pip install`, e.g. on a hosted notebook service) nothing is ever written into the
installed package: the defaults above move out of it, and the first time one of them is used the
course prints one line saying where they are and which variable moves them.
"""

import os
import sys
from pathlib import Path

# The folder that holds the `helpers` package (helpers/course/settings.py -> ../..): put it on
# PYTHONPATH and a new process imports this same copy of the course. In a checkout it is the
# repository; installed, it is site-packages (or wherever pip put the package).
PACKAGE_PARENT = Path(__file__).resolve().parents[2]
ROOT = PACKAGE_PARENT  # the repository, when in_checkout(): its notebooks, docs and build/
NOTEBOOKS = ROOT / "notebooks"
BUILD_DIR = ROOT / "build"  # git-ignored: executed copies of the notebooks
CACHE_NAME = "gpt-from-scratch-course"  # the course's folder in the per-user cache folder


class NotACheckout(RuntimeError):
    """A maintainer's command (the course runner, README updates) run on an installed copy."""


def in_checkout():
    """True when the course runs from a checkout of its repository (pyproject.toml and
    notebooks/ beside helpers/), False when it is installed (e.g. in site-packages)."""
    return (ROOT / "pyproject.toml").is_file() and NOTEBOOKS.is_dir()


def require_checkout(what):
    """ROOT, when in a checkout; else NotACheckout saying that `what` needs one."""
    if not in_checkout():
        raise NotACheckout(
            f"{what} needs a checkout of the course (git clone it, then run it there); this copy "
            f"is installed in {PACKAGE_PARENT}, without the notebooks and docs it works on."
        )
    return ROOT


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


def user_cache_dir():
    """The course's folder in this user's cache folder: $XDG_CACHE_HOME (else ~/.cache; on macOS
    ~/Library/Caches, on Windows %LOCALAPPDATA%) / gpt-from-scratch-course."""
    base = _get("XDG_CACHE_HOME")
    if not base and sys.platform == "darwin":
        base = "~/Library/Caches"
    if not base and os.name == "nt":
        base = _get("LOCALAPPDATA")
    return Path(base or "~/.cache").expanduser() / CACHE_NAME


_told = []  # the installed defaults have been said (once per process)


def _tell_where():
    """Installed: say once, the first time a default is used, where the corpus and checkpoints
    go and which variable moves them (the ones set by a variable are not mentioned)."""
    if _told:
        return
    _told.append(True)
    where = []
    if not _get("COURSE_DATA_DIR"):
        where.append(f"the corpus is cached in {user_cache_dir()} (COURSE_DATA_DIR moves it)")
    if not _get("COURSE_CHECKPOINT_DIR"):
        where.append(
            f"checkpoints go in {Path.cwd() / 'checkpoints'} (COURSE_CHECKPOINT_DIR moves them)"
        )
    print(f"The course is installed, not a checkout: {' and '.join(where)}.", flush=True)


def data_dir():
    """Where the corpus is cached: COURSE_DATA_DIR, else data/ in a checkout, else (installed) the
    per-user cache folder (user_cache_dir())."""
    value = _get("COURSE_DATA_DIR")
    if value:
        return Path(value).expanduser()
    if in_checkout():
        return ROOT / "data"
    _tell_where()
    return user_cache_dir()


def mirror():
    """The folder named by COURSE_DATA_MIRROR, or None. The corpus module reports what it holds."""
    value = _get("COURSE_DATA_MIRROR")
    return Path(value).expanduser() if value else None


def checkpoint_dir():
    """Where trained models are kept: COURSE_CHECKPOINT_DIR, else checkpoints/ in a checkout
    (git-ignored), else (installed) checkpoints/ in the current folder: Jupyter runs a notebook in
    its own folder, so they are beside the notebooks."""
    value = _get("COURSE_CHECKPOINT_DIR")
    if value:
        return Path(value).expanduser()
    if in_checkout():
        return ROOT / "checkpoints"
    _tell_where()
    return Path.cwd() / "checkpoints"


def record_file():
    """The file named by COURSE_RECORD_FILE (set by the course runner for its kernels), or None."""
    value = _get("COURSE_RECORD_FILE")
    return Path(value) if value else None
