# Jutsu Labs — set-up, serving and tests. `make demo` and `make test` are all a new machine needs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install demo serve test test-services fuzz lint format bench check clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## install: create or refresh .venv from requirements*.txt (idempotent)
install: $(STAMP)

## demo: install, migrate the SQLite database, load demo data, create an admin, serve on 127.0.0.1:$(PORT)
demo: install
	PORT=$(PORT) $(PY) manage.py demo

## serve: serve the configured database on 127.0.0.1:$(PORT) (no set-up)
serve:
	PORT=$(PORT) $(PY) manage.py serve

## test: the whole suite (SQLite; set DATABASE_URL/REDIS_URL to include the service tests)
test: install
	$(PY) -m pytest -n 2 --dist loadgroup

## fuzz: Schemathesis over every API operation with many more generated examples than the suite's 8
fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} $(PY) -m pytest -n 2 tests/api/test_fuzz.py

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## bench: performance benchmarks (prints figures)
bench: install
	$(PY) bench/run_all.py

check: install
	$(PY) manage.py check

clean:
	rm -rf $(VENV) var
