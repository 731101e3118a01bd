# Two commands on a fresh machine:
#   make run    set everything up, seed the demo call if the database is empty, start the app
#   make test   set up the test environment and run the whole suite
# Everything is installed from the hashed lock files (requirements.txt for the
# app, requirements-dev.txt for the app plus tests and tooling) with
# `pip install --require-hashes`: two machines get the same code. `make lock`
# regenerates them from pyproject.toml.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8501
# `make test`'s workers. More than the two cores: a real-browser test spends most of its time waiting
# for the browser and the app's server (6 browser modules on 2 workers used 0.4 of the 2 cores, measured),
# so more workers keep both cores busy while the browser modules run; the rest is CPU-bound either way.
# Measured (fresh clone, quiet 2-core machine, the same code): 4 workers 1,299 s, 2 workers 1,376 s.
TEST_WORKERS := 4
# pytest caches each test module's rewritten assertions as bytecode, and Python the project's modules,
# unless PYTHONDONTWRITEBYTECODE is set (it is on some machines): without the cache every worker and every
# pytest or server the tests start compiles them again (collecting the tree: 17.5 CPU s, 6.5 with it).
TEST_ENV := env -u PYTHONDONTWRITEBYTECODE
# The quick signal: everything but the real-browser tests, the PostgreSQL
# variants and the tests marked slow (`make test` and CI run them all).
CHECK_MARKERS := not browser and not postgres and not slow
LOCK := $(VENV)/bin/uv pip compile pyproject.toml --quiet --generate-hashes --universal --python-version 3.11 \
	--custom-compile-command "make lock"

.PHONY: help install run test check lint format lock lock-upgrade bench bench-only system-deps clean

help:
	@echo "make install       create .venv and install the app's locked requirements (no test tools)"
	@echo "make run           set up, seed the demo call if empty, start on http://$(HOST):$(PORT)"
	@echo "make test          run the whole suite (PostgreSQL and Chromium tests included)"
	@echo "make check         the quick signal: every test but the browser and PostgreSQL ones"
	@echo "make lint          ruff check and format check, import-linter layer contracts, mypy"
	@echo "make format        ruff format and fix"
	@echo "make lock          regenerate requirements.txt and requirements-dev.txt from pyproject.toml"
	@echo "make lock-upgrade  the same, moving every unpinned dependency to its newest version"
	@echo "make bench         seed a 10,000-submission call, run every benchmark, write docs/benchmarks.md (~30 min)"
	@echo "make bench-only ONLY=\"panel browser_pages\"   the same call, only those benchmarks; prints, writes nothing"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	@touch $@

install: $(RUNTIME_STAMP)

run: $(RUNTIME_STAMP)
	EVIDENCE_DEMO=1 $(PY) manage.py migrate
	EVIDENCE_DEMO=1 $(PY) manage.py seed-demo --if-empty
	@EVIDENCE_DEMO=1 $(PY) manage.py demo-info
	@echo "Opening http://$(HOST):$(PORT) (Ctrl+C stops the app)"
	@( sleep 4; $(PY) -c 'import webbrowser; webbrowser.open("http://$(HOST):$(PORT)")' >/dev/null 2>&1 ) &
	EVIDENCE_DEMO=1 EVIDENCE_PUBLIC_URL=$${EVIDENCE_PUBLIC_URL:-http://$(HOST):$(PORT)} $(VENV)/bin/streamlit run serve.py --server.address $(HOST) --server.port $(PORT)

system-deps:
	@bash .ci/system-deps.sh

test: $(DEV_STAMP) system-deps
	$(TEST_ENV) $(PY) -m pytest -n $(TEST_WORKERS) --durations=40

check: $(DEV_STAMP)
	$(TEST_ENV) $(PY) -m pytest -n 2 -m "$(CHECK_MARKERS)"

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: $(DEV_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The runtime lock first; the dev lock is constrained to it, so the two agree
# on every package they share. Versions already in a lock are kept while they
# still fit pyproject.toml.
lock: $(DEV_STAMP)
	$(LOCK) $(LOCK_ARGS) -o requirements.txt
	$(LOCK) $(LOCK_ARGS) --extra dev --constraint requirements.txt -o requirements-dev.txt

lock-upgrade:
	$(MAKE) lock LOCK_ARGS=--upgrade

bench: $(DEV_STAMP) system-deps
	$(PY) bench/run_all.py

bench-only: $(DEV_STAMP) system-deps
	@test -n "$(ONLY)" || { echo 'say which: make bench-only ONLY="panel browser_pages"'; exit 2; }
	$(PY) bench/run_all.py --only $(ONLY)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache test-artifacts
