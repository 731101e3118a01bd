# Two commands on a fresh machine:
#   make run    set everything up, seed the demo call if the database is empty, start the app
#   make test   set up the test environment and run the whole suite
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8501

.PHONY: help run test lint format bench system-deps clean

help:
	@echo "make run     set up, seed the demo call if empty, start on http://$(HOST):$(PORT)"
	@echo "make test    run the whole suite (PostgreSQL and Chromium tests included)"
	@echo "make lint    ruff check and format check"
	@echo "make format  ruff format and fix"
	@echo "make bench   seed a 10,000-submission call, run every benchmark, write docs/benchmarks.md"

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	@touch $@

run: $(STAMP)
	EVIDENCE_DEMO=1 $(PY) manage.py migrate
	EVIDENCE_DEMO=1 $(PY) manage.py seed-demo --if-empty
	@EVIDENCE_DEMO=1 $(PY) manage.py demo-info
	@echo "Opening http://$(HOST):$(PORT) (Ctrl+C stops the app)"
	@( sleep 4; $(PY) -c 'import webbrowser; webbrowser.open("http://$(HOST):$(PORT)")' >/dev/null 2>&1 ) &
	EVIDENCE_DEMO=1 $(VENV)/bin/streamlit run serve.py --server.address $(HOST) --server.port $(PORT)

system-deps:
	@bash .ci/system-deps.sh

test: $(STAMP) system-deps
	$(PY) -m pytest -n 2

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP) system-deps
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
