# The README's commands. `make run` and `make test` work on a fresh machine with only
# Python 3.11+ and pip: they create .venv, install the pinned requirements, and start an
# embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP_FLAGS := --disable-pip-version-check --quiet
# Offline install: with wheels in wheelhouse/ (make wheelhouse), pip never asks the package index.
WHEELHOUSE ?= wheelhouse
PIP_SOURCE := $(if $(wildcard $(WHEELHOUSE)/*.whl),--no-index --find-links $(WHEELHOUSE))
# make test: the suite in parallel (one test database per xdist worker) with a coverage total.
# PYTEST_ARGS adds to these, e.g. make test PYTEST_ARGS="-q tests/test_workdays.py";
# TEST_WORKERS=0 runs in one process; -p no:xdist or -p no:cov in PYTEST_ARGS drop the matching option.
TEST_WORKERS ?= auto
PYTEST_DEFAULTS := $(if $(findstring no:xdist,$(PYTEST_ARGS)),,-n $(TEST_WORKERS)) \
  $(if $(findstring no:cov,$(PYTEST_ARGS)),,--cov --cov-report=term:skip-covered)

.DEFAULT_GOAL := help
.PHONY: help run stop test bench bench-cases backup restore wheelhouse lint format check-migrations messages lock clean

help:
	@echo "make run     start the portal (web, Celery worker and beat) on http://127.0.0.1:$${PORT:-8000}"
	@echo "make test    run the whole test suite"
	@echo "make stop    stop a running 'make run'"
	@echo "make backup  database + evidence files into backups/portal-<date>.tar (FILE=path to choose)"
	@echo "make restore FILE=backups/portal-....tar   into an empty database and media folder"
	@echo "make wheelhouse  every pinned wheel into wheelhouse/, for installs without the package index"
	@echo "make bench   benchmarks at provincial scale (seeds once into its own database)"
	@echo "make bench-cases  enforcement cases at 10,000,000 (seeds them once; not part of make bench)"
	@echo "make lint    ruff (lint and format check); make check-migrations for missing migrations"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "portal: Python 3.11 or newer is needed; found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(PY) -m pip install $(PIP_FLAGS) $(PIP_SOURCE) -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed-run
	$(PY) -m pip install $(PIP_FLAGS) $(PIP_SOURCE) -r requirements-dev.txt
	@touch $@

run: $(VENV)/.installed-run
	@$(PY) -m portal.launcher run

stop:
	@if [ -x $(PY) ]; then $(PY) -m portal.launcher stop; else echo "portal: nothing to stop (no .venv yet)"; fi

# Chromium and the CJK fonts for the browser tests, when root (or sudo -n) with apt-get; else the
# run ends with a line saying how many browser tests were skipped and why. SYSTEM_PACKAGES=skip: never.
test: $(VENV)/.installed-dev
	@.ci/system-packages --if-possible
	@$(PY) -m portal.launcher test $(PYTEST_DEFAULTS) $(PYTEST_ARGS)

# DATABASE_URL when set, else make run's embedded database (var/run/); see README "Backups".
backup: $(VENV)/.installed-run
	@$(PY) -m portal.launcher backup $(if $(FILE),--output "$(FILE)")

restore: $(VENV)/.installed-run
	@$(if $(FILE),,echo "portal: say which archive, e.g. make restore FILE=backups/portal-20261207-031500.tar" >&2; exit 2)
	@$(PY) -m portal.launcher restore "$(FILE)"

bench: $(VENV)/.installed-dev
	@$(PY) -m portal.launcher bench $(BENCH_ARGS)

# Issue 15: seeds 10,000,000 enforcement cases into the bench database once (many minutes the
# first time), then runs bench/cases_scale.py only; make bench never includes it.
bench-cases: $(VENV)/.installed-dev
	@$(PY) -m portal.launcher bench-cases $(BENCH_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# No database needed: the consistency check against one is skipped (with its warning silenced).
check-migrations: $(VENV)/.installed-dev
	DATABASE_URL=postgres://unused@127.0.0.1:1/unused REDIS_URL=redis://127.0.0.1:1/0 \
	  PYTHONWARNINGS="ignore:Got an error checking a consistent migration history:RuntimeWarning" \
	  $(PY) manage.py makemigrations --check --dry-run

messages: $(VENV)/.installed-dev
	$(PY) -m portal.i18n_tools update
	$(PY) -m portal.i18n_tools compile

# Every pinned package (run and dev) as a wheel for this platform (Linux x86_64, CPython 3.11),
# plus SHA256SUMS; copy the checkout with wheelhouse/ to the intranet machine. README "Offline install".
wheelhouse: | $(BIN)/python
	$(PY) -m pip wheel $(PIP_FLAGS) --wheel-dir $(WHEELHOUSE) -r requirements.txt -r requirements-dev.txt
	rm -rf $(WHEELHOUSE)/static-vendor && cp -r static/vendor $(WHEELHOUSE)/static-vendor
	cd $(WHEELHOUSE) && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum > SHA256SUMS
	@echo "portal: $$(ls $(WHEELHOUSE)/*.whl | wc -l) wheels ($$(du -sh $(WHEELHOUSE) | cut -f1)) in $(WHEELHOUSE)/; make run and make test now install from it"
	$(PY) -m pip install $(PIP_FLAGS) --no-index --find-links $(WHEELHOUSE) --dry-run --ignore-installed -r requirements-dev.txt >/dev/null
	@echo "portal: checked: requirements.txt and requirements-dev.txt resolve from $(WHEELHOUSE)/ with the index off"

lock: | $(BIN)/python
	$(PY) -m pip install $(PIP_FLAGS) -r requirements.in
	(echo "# Pinned by 'make lock' from requirements.in; install with pip install -r requirements.txt"; \
	  $(PY) -m pip freeze --exclude-editable | grep -v -f requirements-dev.txt) > requirements.txt

clean:
	rm -rf var/test var/staticfiles .pytest_cache .coverage htmlcov
