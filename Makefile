# CareCircle 养老服务圈 — one command to run the embedded default, one to test.
#   make run    venv + install + migrate + demo data (first time) + web server and Celery worker
#   make test   venv with test extras + Debian's chromium + the whole suite on SQLite
#   make fuzz   the whole API fuzzed from its OpenAPI schema (schemathesis), a few minutes
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
VAR := var
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-k access_matrix"`.
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2
CHROMIUM := /usr/bin/chromium

.PHONY: help run serve setup migrate seed logins test test-setup fuzz lint imports bench

help:
	@echo "make run     start CareCircle on http://$(HOST):$(PORT) (web server + Celery worker; Ctrl-C stops both)"
	@echo "make test    run the whole test suite on SQLite (installs test extras and Debian's chromium)"
	@echo "make fuzz    fuzz the whole API from its OpenAPI schema: any server error fails (a few minutes)"
	@echo "make lint    Django system checks, the missing-migrations check and the import contracts"
	@echo "make imports the import contracts only (lint-imports: core, engines, app boundaries)"
	@echo "make bench   list the benchmark commands"

# The stamp files record which pyproject.toml a venv was built from: an unchanged file reuses the venv.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

setup: $(VENV)/.installed
	mkdir -p $(VAR)/celery-broker $(VAR)/celery-processed $(VAR)/celery-results

migrate: setup
	$(BIN)/carecircle migrate --noinput

# Demo data only into a database that has no elders yet: a second `make run` keeps what you entered.
# Either way the demo logins are printed (seed_demo prints them itself when it runs).
seed: migrate
	@if $(BIN)/carecircle shell -v 0 -c "from carecircle.elders.models import Elder; raise SystemExit(0 if Elder.objects.exists() else 1)"; then \
	  echo "database already has elders: demo data not seeded again"; \
	  $(BIN)/carecircle demo_logins; \
	else \
	  $(BIN)/carecircle seed_demo --scale small; \
	fi

logins: setup
	@$(BIN)/carecircle demo_logins

run: seed serve

# The worker runs in the background of this shell; the trap stops it when the web server ends (Ctrl-C).
serve: setup
	@$(BIN)/celery -A carecircle worker --pool=solo --beat --schedule=$(VAR)/celerybeat-schedule --loglevel=INFO --logfile=$(VAR)/celery-worker.log & \
	worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null || true' EXIT INT TERM; \
	echo "Celery worker with its scheduler started (pid $$worker, log $(VAR)/celery-worker.log)"; \
	echo "CareCircle: http://$(HOST):$(PORT)/  (Ctrl-C stops the web server and the worker)"; \
	$(BIN)/carecircle runserver $(HOST):$(PORT)

test-setup: $(VENV)/.installed-test
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

test: test-setup
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --ds=carecircle.settings.test $(PYTEST_ARGS)

# Every operation of the OpenAPI schema, sent as several roles with API tokens against the demo district:
# a 5xx fails (tests/test_api_fuzz.py). Deselected from `make test`; CARECIRCLE_FUZZ_EXAMPLES raises the budget.
fuzz: $(VENV)/.installed-test
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --ds=carecircle.settings.test -m fuzz tests/test_api_fuzz.py $(PYTEST_ARGS)

lint: imports
	$(BIN)/carecircle check --fail-level WARNING
	$(BIN)/carecircle makemigrations --check --dry-run

# The layers of the code (contracts in pyproject.toml): core imports no domain app, engines import no Django,
# apps reach each other only through their public modules. A broken contract exits non-zero.
imports: $(VENV)/.installed-test
	$(BIN)/lint-imports --no-logo

# Each benchmark's docstring names its command line; this prints them so nobody has to open the files.
bench:
	@echo "Benchmarks (each writes its docs/benchmarks-*.md; summary and links in docs/benchmarks.md):"
	@$(PYTHON) -c 'import ast, pathlib, re; \
	[print("  " + (m.group(0) if (m := re.search(r"(\S*python) " + re.escape(str(p)) + r"[^`\n]*", ast.get_docstring(ast.parse(p.read_text())) or "")) else "python " + str(p)).replace("`", "")) \
	 for p in sorted(pathlib.Path("benchmarks").glob("*.py"))]'
