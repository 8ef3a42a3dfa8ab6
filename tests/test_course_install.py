"""The course works where it is installed: built as a wheel, installed outside this checkout, and
a notebook opened in another folder (a hosted notebook service's way) runs from the installed copy,
caches the corpus in the per-user cache folder, says so once, and writes nothing into the package.

The wheel is built from a copy of the package's sources, so the build leaves nothing in the
checkout (setuptools writes build/ and *.egg-info beside the pyproject.toml it builds)."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from helpers.course.corpus import CORPUS_FILE, fetch_corpus
from helpers.course.testmode import shorten_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "03_bigram"
NOTICE = "The course is installed, not a checkout"
# run in the notebook's kernel after its last cell: what it imported, and where things go
REPORT = """import json as _json
import helpers
from helpers.course import settings as _settings
print("INSTALL-REPORT " + _json.dumps({
    "helpers": helpers.__file__,
    "in_checkout": _settings.in_checkout(),
    "data_dir": str(_settings.data_dir()),
    "checkpoint_dir": str(_settings.checkpoint_dir()),
    "cwd": str(__import__("pathlib").Path.cwd()),
}))"""


def pip(*args):
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}"


def files_under(folder):
    """{path relative to folder: (size, modification time)} of every file in it."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The course, built as a wheel and installed with `pip install --target`: (site, wheel)."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"
    shutil.copytree(
        ROOT / "helpers", source / "helpers", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    pip(
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-w",
        str(tmp / "wheel"),
        str(source),
    )
    (wheel,) = (tmp / "wheel").glob("*.whl")
    site = tmp / "site"
    pip("install", "--no-deps", "--no-index", "--target", str(site), str(wheel))
    return site, wheel


def test_the_wheel_holds_every_package_and_the_ablation_results(installed):
    site, wheel = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("helpers", "helpers/course", "helpers/course/checks"):
        assert f"{package}/__init__.py" in names, f"the wheel lacks the package {package}"
    assert "helpers/course/data/modern_ablation.json" in names
    assert not any(n.startswith(("notebooks/", "tests/", "bench/", "data/")) for n in names)
    assert (site / "helpers" / "course" / "data" / "modern_ablation.json").is_file()


def test_a_notebook_runs_from_the_installed_copy_in_another_folder(
    installed, tmp_path, monkeypatch
):
    site, _ = installed
    # the corpus comes from a verified copy (COURSE_DATA_MIRROR, or the checkout's own cache),
    # so that no network is needed; the kernel must copy it into the per-user cache folder
    mirror = fetch_corpus(verbose=False).parent
    cache = tmp_path / "cache"
    work = tmp_path / "my notebooks"
    work.mkdir()
    shutil.copy(ROOT / "notebooks" / f"{NOTEBOOK}.ipynb", work)
    for name in ("COURSE_DATA_DIR", "COURSE_CHECKPOINT_DIR", "COURSE_RECORD_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHONPATH", str(site))  # the installed copy first: before the checkout
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("COURSE_SMOKE", "1")
    monkeypatch.setenv("COURSE_TEXT", "tinyshakespeare")
    monkeypatch.setenv("COURSE_THREADS", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    before = files_under(site)

    nb = nbformat.read(work / f"{NOTEBOOK}.ipynb", as_version=4)
    shorten_notebook(nb, NOTEBOOK)
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(work)}},
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    ).execute()

    printed = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    report = json.loads(printed.split("INSTALL-REPORT ", 1)[1].splitlines()[0])
    assert Path(report["helpers"]).resolve().is_relative_to(site.resolve()), report["helpers"]
    assert report["in_checkout"] is False
    assert Path(report["cwd"]).resolve() == work.resolve()
    assert Path(report["data_dir"]) == cache / "gpt-from-scratch-course"
    assert (cache / "gpt-from-scratch-course" / CORPUS_FILE).is_file()
    assert Path(report["checkpoint_dir"]).resolve() == (work / "checkpoints").resolve()
    assert printed.count(NOTICE) == 1, printed
    notice = next(line for line in printed.splitlines() if NOTICE in line)
    assert str(cache / "gpt-from-scratch-course") in notice and "COURSE_DATA_DIR" in notice
    assert "COURSE_CHECKPOINT_DIR" in notice
    assert files_under(site) == before, "the notebook wrote into the installed package"
    assert not (work / "data").exists() and not (work / "checkpoints").exists()


@pytest.mark.parametrize("options", [["02"], ["--readme"]], ids=["run", "readme"])
def test_the_course_runner_says_it_needs_a_checkout(installed, tmp_path, options):
    site, _ = installed
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-m", "helpers", "course", *options],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "needs a checkout of the course" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
