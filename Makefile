# onestop — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app onestop
PYTEST_WORKERS ?= 2

.PHONY: run test install lint bench bench-1m e2e-deps clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt
	@echo "onestop: installing the pinned requirements into $(VENV) (first run: a few minutes)…"
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	set -o pipefail; $(BIN)/pip install --disable-pip-version-check -r requirements-dev.txt \
		| { grep --line-buffered -E '^(Collecting|Installing|Successfully|ERROR)' || true; }
	touch $@

install: $(VENV)/.installed

## make run: install, migrate, seed the demo on first run, start web + scheduler on SQLite.
run: install
	mkdir -p instance
	@echo "onestop: migrating the database…"
	$(FLASK) db upgrade
	@echo "onestop: seeding the demo province on first run (progress below)…"
	$(FLASK) onestop seed-demo --if-empty
	bash scripts/run-dev.sh

## make test: install and run the whole suite (PostgreSQL too when ONESTOP_TEST_DATABASE_URL is set).
test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q $(PYTEST_ARGS)

e2e-deps: install
	bash scripts/install-browser.sh

## make lint: ruff over the whole tree and mypy --strict on onestop/ and jobs/ (pyproject.toml); fails on
## any finding. Both come pinned from requirements-dev.txt with `make install`.
lint: install
	$(BIN)/python -m ruff check; rc=$$?; $(BIN)/python -m mypy || rc=1; exit $$rc

## make bench: the benchmark suite at a small N (BENCH_N=1000000 for the full run).
bench: install
	bash bench/run_all.sh $${BENCH_N:-20000}

bench-1m: install
	bash bench/run_all.sh 1000000

clean:
	rm -rf $(VENV) .pytest_cache
