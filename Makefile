# Every target bootstraps .venv when it is missing, so a fresh clone needs only `make course` or `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# TORCH_SPEC lets CI pin an exact CPU build (torch==2.13.0); learners get any torch >= 2.11.
# TORCH_INDEX picks PyTorch's own index, e.g. https://download.pytorch.org/whl/cpu (the CPU-only
# build, ~3 GB smaller on Linux) or .../whl/cu128 (a CUDA build where PyPI's is CPU-only).
TORCH_SPEC ?=
TORCH_INDEX ?=

.PHONY: setup lab course test doctor lint clean-venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(if $(TORCH_SPEC)$(TORCH_INDEX),$(PY) -m pip install "$(or $(TORCH_SPEC),torch>=2.11)" $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)))
	$(PY) -m pip install -e .

# The test tools (pytest, nbval, ruff, playwright) only for those who run the tests.
TEST_TOOLS := $(VENV)/.test-tools
$(TEST_TOOLS): $(PY) pyproject.toml
	$(PY) -m pip install -e ".[test]"
	touch $@

setup: $(PY)  ## create .venv and install the course (what a learner needs, no test tools)

lab: $(PY)  ## open JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab notebooks/

course: $(PY)  ## run every notebook headless (copies in build/course/) and print the summary table
	$(PY) -m helpers course

# The doctor must speak on the laptop that is not ready yet, so it does not bootstrap .venv: it runs
# by file path with the course's Python if there is one, else with $(PYTHON), and says what to fix.
doctor:  ## is this machine ready? OK or FAIL per requirement, with the fix
	$(if $(wildcard $(PY)),$(PY),$(PYTHON)) helpers/course/doctor.py

test: $(TEST_TOOLS)  ## unit tests, notebook<->helpers sync test, nbval over every notebook (smoke mode)
	$(PY) -m pytest

lint: $(TEST_TOOLS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean-venv:
	rm -rf $(VENV)
