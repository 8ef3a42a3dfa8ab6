"""What gets installed: pyproject.toml, environment.yml and the workshop lock agree, and `make setup`
picks the right PyTorch build (dry runs, `make -n`: nothing is installed)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"  # everything, test tools included (CI)
COURSE_LOCK = ROOT / "requirements" / "lock-course.txt"  # the same, less the test tools (learners)
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
LOCK_TORCH = "2.13.0"  # the release CI installs, as 2.13.0+cpu, from local disk


def normalise(requirement):
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def runtime_names():
    return {normalise(r)[0] for r in project()["dependencies"]}


def tool_names_of_the_test_extra():
    return {normalise(r)[0] for r in project()["optional-dependencies"]["test"]}


def lock_requirements(path=LOCK):
    """A lock's requirement lines (comments and `# via` annotations left out)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


BOTH_LOCKS = pytest.mark.parametrize("path", [LOCK, COURSE_LOCK], ids=lambda p: p.name)


def test_environment_yml_mirrors_pyproject():
    p = project()
    wanted = {normalise(r) for r in p["dependencies"] + p["optional-dependencies"]["test"]}
    lines = (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines()
    start = lines.index("  - pip:")
    pip_section = [line.strip()[2:] for line in lines[start + 1 :] if line.startswith("      - ")]
    listed = {normalise(r) for r in pip_section if r != "-e ."}
    assert listed == wanted, (
        f"environment.yml and pyproject.toml disagree. Only in environment.yml: {sorted(listed - wanted)}; "
        f"only in pyproject.toml: {sorted(wanted - listed)}"
    )
    assert "-e ." in pip_section, "environment.yml should install the helpers package itself (-e .)"


def test_torch_is_a_range_for_learners():
    torch = [r for r in project()["dependencies"] if normalise(r)[0] == "torch"]
    assert torch == ["torch>=2.11"], (
        "learners get any torch >= 2.11 (no known weights_only bypass); CI pins its own build"
    )
    from helpers.course.doctor import TORCH_FLOOR

    assert torch[0] == "torch>=" + ".".join(map(str, TORCH_FLOOR)), (
        "the doctor checks the same floor"
    )


# The workshop lock, requirements/lock.txt (`make lock`).


@BOTH_LOCKS
def test_every_lock_line_is_an_exact_pin(path):
    requirements = lock_requirements(path)
    assert len(requirements) > 50, "a lock holds the whole environment, dependencies included"
    for line in requirements:
        assert re.match(r"^[a-z0-9][a-z0-9._\-]*==[0-9][^\s;]*( ; .+)?$", line), (
            f"not an exact pin (name==version, optionally ' ; marker'): {line!r}"
        )


def test_the_lock_lists_every_dependency_of_pyproject_and_the_test_extra():
    locked = {normalise(line)[0] for line in lock_requirements()}
    missing = (runtime_names() | tool_names_of_the_test_extra()) - locked
    assert not missing, f"pyproject.toml names {sorted(missing)}, the lock does not: run make lock"
    assert "pytest-xdist" in locked, "`make test` runs on pytest-xdist's workers"


def test_the_course_lock_is_the_lock_less_the_test_tools():
    course = lock_requirements(COURSE_LOCK)
    assert set(course) <= set(lock_requirements()), (
        f"{COURSE_LOCK.name} must hold the lock's own versions: run make lock. "
        f"Not in lock.txt: {sorted(set(course) - set(lock_requirements()))}"
    )
    locked = {normalise(line)[0] for line in course}
    assert runtime_names() <= locked, f"missing: {sorted(runtime_names() - locked)}"
    assert not (tool_names_of_the_test_extra() - runtime_names()) & locked, (
        "learners get no test tools"
    )


@BOTH_LOCKS
def test_the_lock_pins_torch_for_every_platform(path):
    torch = [line for line in lock_requirements(path) if normalise(line)[0] == "torch"]
    assert torch == [f"torch=={LOCK_TORCH}"], (
        "one torch line, no marker, no build suffix: torch==2.13.0 matches 2.13.0+cpu (CI's local "
        "wheel), PyPI's 2.13.0 and a CUDA index's 2.13.0+cu128 alike"
    )
    constraints = (ROOT / "requirements" / "constraints.txt").read_text(encoding="utf-8")
    assert f"torch=={LOCK_TORCH}" in constraints.split(), (
        "make lock holds torch where the lock has it"
    )


@BOTH_LOCKS
def test_the_lock_leaves_torchs_cuda_packages_to_the_torch_build(path):
    hardware = [
        line for line in lock_requirements(path) if re.match(r"^(nvidia-|cuda-|triton\b)", line)
    ]
    assert not hardware, (
        "installing the lock would bring CUDA libraries to machines without a GPU: "
        f"add them to requirements/torch-hardware.txt and run make lock. {hardware}"
    )


@BOTH_LOCKS
def test_the_lock_says_how_it_was_made(path):
    header = path.read_text(encoding="utf-8").splitlines()[:2]
    assert "autogenerated by uv" in header[0]
    for flag in ("--universal", "requirements/torch-hardware.txt"):
        assert flag in header[1], f"the lock should be made by `make lock` (missing {flag})"
    assert ("--extra test" in header[1]) == (path == LOCK)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^lock:", makefile, re.M), "`make lock` refreshes it"


def test_ci_installs_from_the_lock_without_pytorchs_index():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    setup = [line for line in ci.splitlines() if line.startswith("make setup")]
    assert setup and "LOCK=1" in setup[0].split() and "TORCH_INDEX=" in setup[0].split(), setup


# `make setup`'s choice of PyTorch build, seen in dry runs on a made-up machine: a PATH holding a
# fake `uname` (and a fake `nvidia-smi` when there is a GPU), no NVIDIA driver file.

MAKE = shutil.which("make")
needs_make = pytest.mark.skipif(MAKE is None, reason="needs GNU make")


def dry_run(tmp_path, *args, target="setup", system="Linux", nvidia=False, venv=None):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in ("cat", "sed"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    (bin_dir / "uname").write_text(f"#!/bin/sh\necho {system}\n")
    (bin_dir / "uname").chmod(0o755)
    if nvidia:
        (bin_dir / "nvidia-smi").write_text("#!/bin/sh\n")
        (bin_dir / "nvidia-smi").chmod(0o755)
    result = subprocess.run(
        [MAKE, "-n", "--no-print-directory", target]
        + [f"VENV={venv or tmp_path / 'venv'}", f"NVIDIA_PROC={tmp_path / 'no-driver'}"]
        + list(args),
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": str(bin_dir)},  # nothing of this shell's (TORCH_INDEX, LOCK, MAKEFLAGS)
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def torch_install(output):
    lines = [line for line in output.splitlines() if re.search(r"pip install \S*\"torch", line)]
    assert len(lines) == 1, output
    return lines[0]


@needs_make
def test_linux_without_an_nvidia_gpu_gets_the_cpu_build(tmp_path):
    output = dry_run(tmp_path)
    assert torch_install(output).endswith(f'"torch>=2.11" --index-url {CPU_INDEX}')
    note = [line for line in output.splitlines() if line.startswith("echo")]
    assert len(note) == 1 and "CPU-only" in note[0] and "TORCH_INDEX=" in note[0], output
    assert "pip install -e ." in output  # the rest, at pyproject.toml's ranges


@needs_make
@pytest.mark.parametrize(
    "machine", [{"nvidia": True}, {"system": "Darwin"}, {"system": "MINGW64_NT-10.0"}]
)
def test_gpu_machines_macos_and_windows_keep_pypis_torch(tmp_path, machine):
    output = dry_run(tmp_path, **machine)
    assert "--index-url" not in output and "PyPI's build" in output, output
    assert not re.search(r'pip install \S*"torch', output), "torch comes with pip install -e ."


@needs_make
@pytest.mark.parametrize(
    "args",
    [
        ["TORCH_SPEC=torch==2.13.0"],
        ["TORCH_INDEX="],
        ["LOCK=1", "TORCH_INDEX="],
        ["LOCK=1", "TORCH_SPEC=torch==2.13.0"],
    ],
)
def test_a_spec_or_an_empty_index_keeps_pytorchs_index_out(tmp_path, args):
    output = dry_run(tmp_path, *args)
    assert "--index-url" not in output, output


@needs_make
def test_an_index_named_is_used(tmp_path):
    index = "https://download.pytorch.org/whl/cu128"
    assert torch_install(dry_run(tmp_path, f"TORCH_INDEX={index}")).endswith(f"--index-url {index}")


@needs_make
def test_lock_setup_installs_exactly_the_lock(tmp_path):
    output = dry_run(tmp_path, "LOCK=1", "TORCH_INDEX=")  # what .ci/run runs
    assert "requirements/lock-course.txt >" in output and "--no-deps -r" in output, output
    assert torch_install(output).endswith(f'"torch=={LOCK_TORCH}"'), "torch at the lock's version"
    assert "pip install --no-deps -e ." in output and "pip check" in output
    assert ".[test]" not in output and "pip install -e ." not in output


@needs_make
def test_lock_setup_on_a_linux_laptop_still_gets_the_cpu_build(tmp_path):
    """The lock pins versions, not builds: a workshop's Linux laptops get torch 2.13.0 CPU-only."""
    install = torch_install(dry_run(tmp_path, "LOCK=1"))
    assert install.endswith(f'"torch=={LOCK_TORCH}" --index-url {CPU_INDEX}')


@needs_make
def test_a_venv_made_from_the_lock_gets_its_test_tools_from_the_lock(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    (venv / ".installed-from-lock").touch()  # what `make setup LOCK=1` leaves
    output = dry_run(tmp_path, "TORCH_INDEX=", target="test", venv=venv)
    assert "requirements/lock.txt >" in output and "--no-deps -r" in output, output
    assert ".[test]" not in output and "pip check" in output, output
    (venv / ".installed-from-lock").unlink()
    output = dry_run(tmp_path / "ranges", "TORCH_INDEX=", target="test", venv=venv)
    assert 'pip install -e ".[test]"' in output, output
