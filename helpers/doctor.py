"""Environment check: `python -m helpers.doctor` (also the first code cell of notebook 00).

Prints OK or FAIL for each requirement, with the fix for every FAIL. Exits with status 1 if
anything failed, so a workshop helper can run it on every laptop before the day.
"""

import importlib.metadata
import platform
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _at_least(version, minimum):
    parts = []
    for piece in version.split("+")[0].split(".")[: len(minimum)]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts) >= minimum


def check_python():
    ok = sys.version_info >= (3, 10)
    return (
        ok,
        f"Python {platform.python_version()}",
        "install Python 3.10 or newer (3.11 recommended)",
    )


def check_torch():
    version = _version("torch")
    if version is None:
        return False, "PyTorch not installed", "run `make setup` (or pip install 'torch>=2.3')"
    return _at_least(version, (2, 3)), f"PyTorch {version}", "pip install --upgrade 'torch>=2.3'"


def check_device():
    import torch

    if torch.cuda.is_available():
        return True, f"GPU: cuda ({torch.cuda.get_device_name(0)})", ""
    if torch.backends.mps.is_available():
        return True, "GPU: mps (Apple)", ""
    return True, "no GPU: the course runs on the CPU (notebook 08 trains its small CPU preset)", ""


def check_widgets():
    lab, widgets = _version("jupyterlab_widgets"), _version("ipywidgets")
    ok = widgets is not None and _at_least(widgets, (8,)) and lab is not None
    detail = f"ipywidgets {widgets or 'missing'}, JupyterLab front end {lab or 'missing'}"
    return ok, detail, "pip install 'ipywidgets>=8' jupyterlab_widgets, then restart JupyterLab"


def check_corpus():
    from helpers.data import CorpusUnavailable, fetch_corpus

    try:
        path = fetch_corpus(verbose=False)  # cache, then COURSE_DATA_MIRROR, then one download
    except CorpusUnavailable as error:
        return False, "tinyshakespeare not available", str(error).replace("\n", "\n      ")
    return True, f"tinyshakespeare present and verified ({path.name})", ""


def check_disk(minimum_gb=1.0):
    free = shutil.disk_usage(ROOT).free / 1e9
    return (
        free >= minimum_gb,
        f"{free:.1f} GB free",
        f"free at least {minimum_gb:.0f} GB for checkpoints and outputs",
    )


CHECKS = [
    ("python", check_python),
    ("torch", check_torch),
    ("device", check_device),
    ("widgets", check_widgets),
    ("corpus", check_corpus),
    ("disk", check_disk),
]


def run_checks():
    """Print OK/FAIL per requirement with the fix for each FAIL; return True if all passed.

    Used in notebook 00 (plumbing, not taught).
    """
    all_ok = True
    for name, check in CHECKS:
        try:
            ok, detail, fix = check()
        except Exception as error:  # a check that crashes is a failure with its reason
            ok, detail, fix = False, f"{type(error).__name__}: {error}", "see the error above"
        all_ok &= ok
        print(
            f"{'OK  ' if ok else 'FAIL'}  {name:<8} {detail}"
            + ("" if ok else f"\n      fix: {fix}")
        )
    print(
        "All checks passed."
        if all_ok
        else "Some checks failed: apply the fixes above, then run this again."
    )
    return all_ok


if __name__ == "__main__":
    sys.exit(0 if run_checks() else 1)
