"""Environment check: `python -m helpers doctor`, `make doctor`, and the first cell of notebook 00.

Prints OK or FAIL for each requirement, with the fix for every FAIL, and exits with status 1 if
anything failed, so a workshop helper can run it on every laptop before the day.

It must work on exactly the laptop that is not ready: one without PyTorch, or without any of the
course's packages. So nothing from `helpers` (whose pieces need torch) is imported at module
level, each check imports what it needs and a check that cannot run is a FAIL with its fix, and
`make doctor` runs this file by its path: `python helpers/course/doctor.py`.
"""

import importlib.metadata
import platform
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository, found without importing helpers
SETUP = "run `make setup` in the course folder (or: pip install -e .)"

# The course's packages beside torch: (distribution, minimum version, what it is for)
PACKAGES = [
    ("numpy", (1, 24), "tensors from and to NumPy"),
    ("matplotlib", (3, 7), "plots"),
    ("tqdm", (4, 66), "progress bars"),
    ("nbformat", (5, 9), "the course runner"),
    ("nbclient", (0, 8), "the course runner"),
]


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


# Checkpoints are loaded with weights_only=True, which is meant to run no code from a file; but
# published advisories show files that still run code through it on older PyTorch: before 2.6
# (CVE-2025-32434) and before 2.10 (CVE-2026-24747, memory corruption in that unpickler); and
# PYSEC-2026-139 lists 2.10.0 as affected. Workshops share checkpoints, so 2.11 is the floor.
TORCH_FLOOR = (2, 11)


def check_torch():
    version = _version("torch")
    floor = ".".join(map(str, TORCH_FLOOR))
    if version is None:
        return False, "PyTorch is not installed", SETUP
    if not _at_least(version, TORCH_FLOOR):
        detail = f"PyTorch {version} is older than {floor}: a shared checkpoint could run code"
        return False, detail, f".venv/bin/pip install --upgrade 'torch>={floor}'"
    return True, f"PyTorch {version}", ""


def check_packages():
    missing = [
        f"{name}>={'.'.join(map(str, minimum))} ({use})"
        for name, minimum, use in PACKAGES
        if not (_version(name) and _at_least(_version(name), minimum))
    ]
    if missing:
        return False, "missing or too old: " + ", ".join(missing), SETUP
    return True, ", ".join(f"{name} {_version(name)}" for name, _, _ in PACKAGES), ""


def nvidia_gpu_present():
    """Whether the operating system sees an NVIDIA GPU, asked without PyTorch."""
    return Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


CUDA_BUILD = (
    "install a CUDA build of PyTorch: .venv/bin/pip install --force-reinstall torch "
    "--index-url https://download.pytorch.org/whl/cu128 (docs/TRAINING.md, 'Which PyTorch to install', says how to choose)"
)


def check_device():
    if _version("torch") is None:
        return False, "cannot look for a GPU without PyTorch", SETUP
    import torch

    if torch.cuda.is_available():
        return True, f"GPU: cuda ({torch.cuda.get_device_name(0)})", ""
    if torch.backends.mps.is_available():
        return True, "GPU: mps (Apple)", ""
    if nvidia_gpu_present() and torch.version.cuda is None:
        detail = "an NVIDIA GPU is present, but this PyTorch is a CPU-only build"
        return None, detail, CUDA_BUILD
    if nvidia_gpu_present():
        detail = f"an NVIDIA GPU is present, but PyTorch (CUDA {torch.version.cuda}) cannot use it"
        return (
            None,
            detail,
            "update the NVIDIA driver, or install a PyTorch built for an older CUDA",
        )
    return True, "no GPU: the course runs on the CPU (notebook 09 trains its small CPU preset)", ""


def check_widgets():
    lab, widgets = _version("jupyterlab_widgets"), _version("ipywidgets")
    ok = widgets is not None and _at_least(widgets, (8,)) and lab is not None
    detail = f"ipywidgets {widgets or 'missing'}, its JupyterLab extension jupyterlab_widgets {lab or 'missing'}"
    return ok, detail, "pip install 'ipywidgets>=8' jupyterlab_widgets, then restart JupyterLab"


def check_corpus():
    if _version("torch") is None:
        return False, "cannot fetch the corpus before the course is installed", SETUP
    from helpers.course.corpus import CorpusUnavailable, fetch_corpus

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
    ("packages", check_packages),
    ("device", check_device),
    ("widgets", check_widgets),
    ("corpus", check_corpus),
    ("disk", check_disk),
]


def run_checks():
    """Print OK, NOTE or FAIL per requirement, with the fix for each NOTE and FAIL; return True
    if nothing failed. A NOTE (e.g. a GPU this PyTorch cannot use) does not stop the course."""
    all_ok = True
    for name, check in CHECKS:
        try:
            ok, detail, fix = check()
        except Exception as error:  # a check that crashes is a failure with its reason
            ok, detail, fix = False, f"{type(error).__name__}: {error}", SETUP
        all_ok &= ok is not False
        label = {True: "OK  ", None: "NOTE", False: "FAIL"}[ok]
        print(f"{label}  {name:<8} {detail}" + ("" if ok else f"\n      fix: {fix}"))
    print(
        "All checks passed."
        if all_ok
        else "Some checks failed: apply the fixes above, then run this again."
    )
    return all_ok


if __name__ == "__main__":
    # Run by its path (make doctor), Python puts this file's folder first on sys.path; the corpus
    # check needs the repository there instead, to import helpers.course.corpus.
    sys.path[0] = str(ROOT)
    sys.exit(0 if run_checks() else 1)
