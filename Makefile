# Every target bootstraps .venv when it is missing, so a fresh clone needs only `make course` or `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

# Which PyTorch build (docs/TRAINING.md, "Which PyTorch to install"). Named nothing, `make setup`
# decides: Linux without an NVIDIA GPU (no nvidia-smi and no driver, the doctor's test) gets the
# CPU-only build from PyTorch's index (~3 GB smaller than PyPI's CUDA build); macOS, Windows and
# machines with an NVIDIA GPU get PyPI's. TORCH_INDEX=<url> picks an index (.../whl/cu128 for a
# CUDA build), TORCH_INDEX= (empty) PyPI's build; TORCH_SPEC=<requirement> (CI: torch==2.13.0)
# pins the release and takes it from pip's usual sources unless TORCH_INDEX says otherwise.
TORCH_SPEC ?=
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
NVIDIA_PROC := /proc/driver/nvidia/version
# Lazy (=): the machine is asked only when a venv is being made.
NVIDIA_GPU = $(shell command -v nvidia-smi 2>/dev/null)$(wildcard $(NVIDIA_PROC))
AUTO_CPU = $(and $(filter undefined,$(origin TORCH_INDEX)),$(if $(TORCH_SPEC),,yes),$(filter Linux,$(shell uname -s)),$(if $(NVIDIA_GPU),,yes))
TORCH_FROM = $(if $(AUTO_CPU),$(TORCH_CPU_INDEX),$(TORCH_INDEX))
TORCH_WHY = $(if $(TORCH_SPEC),TORCH_SPEC=$(TORCH_SPEC),$(if $(filter-out undefined,$(origin TORCH_INDEX)),TORCH_INDEX is empty,$(if $(NVIDIA_GPU),an NVIDIA GPU is present,not Linux)))
TORCH_NOTE = $(if $(AUTO_CPU),PyTorch: the CPU-only build from $(TORCH_FROM) (Linux$(comma) no NVIDIA GPU); PyPI's CUDA build instead: make setup TORCH_INDEX=,$(if $(TORCH_FROM),PyTorch: from $(TORCH_FROM) (TORCH_INDEX); PyPI's build instead: make setup TORCH_INDEX=,PyTorch: PyPI's build ($(TORCH_WHY)); another: make setup TORCH_INDEX=<index>$(comma) e.g. $(TORCH_CPU_INDEX) (CPU-only)))
comma := ,

# The workshop lock (`make lock`): requirements/lock.txt pins exact versions of everything
# pyproject.toml names, test extra included, for every OS and Python 3.10+; lock-course.txt is the
# same versions less the test tools. `make setup LOCK=1` installs exactly lock-course.txt (torch as
# the build chosen above); the venv remembers, so `make test` adds the test tools from lock.txt.
# Without LOCK, learners get pyproject.toml's ranges.
LOCK_FILE := requirements/lock.txt
COURSE_LOCK := requirements/lock-course.txt
LOCK_MARK := $(VENV)/.installed-from-lock
LOCK ?= $(if $(wildcard $(LOCK_MARK)),1)
LOCKED := $(filter-out 0 no false,$(LOCK))
LOCK_TORCH = $(filter torch==%,$(shell cat $(LOCK_FILE)))
TORCH_REQ = $(or $(TORCH_SPEC),$(if $(LOCKED),$(LOCK_TORCH),torch>=2.11))
TORCH_INSTALL = $(PY) -m pip install "$(TORCH_REQ)"$(if $(TORCH_FROM), --index-url $(TORCH_FROM))
# $(call LOCK_SYNC,file): the file's pins less torch, with --no-deps (nothing unlocked comes in).
define LOCK_SYNC
sed '/^torch==/d' $(1) > $(VENV)/lock-without-torch.txt
$(PY) -m pip install --no-deps -r $(VENV)/lock-without-torch.txt
endef

.PHONY: setup lab course test doctor lint lock clean-venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	@echo "$(TORCH_NOTE)"
ifneq ($(LOCKED),)
	$(call LOCK_SYNC,$(COURSE_LOCK))
# torch's own dependencies are in the lock already; a CUDA build adds its nvidia-* libraries.
	$(TORCH_INSTALL)
	$(PY) -m pip install --no-deps -e .
	$(PY) -m pip check
	touch $(LOCK_MARK)
else
	$(if $(TORCH_SPEC)$(TORCH_FROM),$(TORCH_INSTALL))
	$(PY) -m pip install -e .
endif

# The test tools (pytest, pytest-xdist, nbval, ruff, playwright) only for those who run the tests;
# a venv made from the lock gets them from the lock.
TEST_TOOLS := $(VENV)/.test-tools
$(TEST_TOOLS): $(PY) pyproject.toml $(if $(LOCKED),$(LOCK_FILE))
ifneq ($(LOCKED),)
	$(call LOCK_SYNC,$(LOCK_FILE))
	$(PY) -m pip check
else
	$(PY) -m pip install -e ".[test]"
endif
	touch $@

setup: $(PY)  ## create .venv and install the course (what a learner needs, no test tools); LOCK=1: pinned

lab: $(PY)  ## open JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab notebooks/

course: $(PY)  ## run every notebook headless (copies in build/course/) and print the summary table
	$(PY) -m helpers course

# The doctor must speak on the laptop that is not ready yet, so it does not bootstrap .venv: it runs
# by file path with the course's Python if there is one, else with $(PYTHON), and says what to fix.
doctor:  ## is this machine ready? OK or FAIL per requirement, with the fix
	$(if $(wildcard $(PY)),$(PY),$(PYTHON)) helpers/course/doctor.py

# Two workers share the tests out (pytest-xdist) file by file, a few long files test by test
# (conftest.py): a notebook's cells stay on one worker, in order. TEST_WORKERS=1 runs them one
# after another.
TEST_WORKERS ?= 2
test: $(TEST_TOOLS)  ## unit tests, notebook<->helpers sync test, nbval over every notebook (smoke mode)
	$(PY) -m pytest $(if $(filter 1,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

lint: $(TEST_TOOLS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# uv resolves for every OS and Python 3.10+ at once (--universal), from PyPI, to the newest releases
# pyproject.toml allows (--upgrade), torch held by requirements/constraints.txt, torch's CUDA
# packages left out (requirements/torch-hardware.txt); then the course's part of that resolution,
# the same versions less the test tools. uv itself, pinned, lives in build/uv.
UV_VERSION := 0.13.10
UV := build/uv/bin/uv
UV_COMPILE = $(UV) pip compile pyproject.toml --universal --python-version 3.10 \
	--excludes requirements/torch-hardware.txt --upgrade --quiet
$(UV):
	$(PYTHON) -m venv build/uv
	build/uv/bin/pip install "uv==$(UV_VERSION)"

lock: $(UV)  ## refresh requirements/lock*.txt (needs PyPI); commit them with the change that made them
	$(UV_COMPILE) --extra test --constraints requirements/constraints.txt -o $(LOCK_FILE)
	$(UV_COMPILE) --constraints $(LOCK_FILE) -o $(COURSE_LOCK)
	@if grep -E '^(nvidia-|cuda-|triton)' $(LOCK_FILE); then \
		echo "$(LOCK_FILE) names torch's CUDA packages above: add them to requirements/torch-hardware.txt and run make lock again" >&2; \
		exit 1; fi

clean-venv:
	rm -rf $(VENV)
