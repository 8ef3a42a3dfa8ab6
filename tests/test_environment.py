"""pyproject.toml and environment.yml must install the same set of packages."""

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def normalise(requirement):
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {
        normalise(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]
    }
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
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    torch = [r for r in project["dependencies"] if normalise(r)[0] == "torch"]
    assert torch == ["torch>=2.11"], (
        "learners get any torch >= 2.11 (no known weights_only bypass); CI pins its own build"
    )
    from helpers.course.doctor import TORCH_FLOOR

    assert torch[0] == "torch>=" + ".".join(map(str, TORCH_FLOOR)), (
        "the doctor checks the same floor"
    )
