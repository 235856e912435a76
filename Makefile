# One way to install, test and check, the same for developers and CI.
# Every target creates the virtual environment in $(VENV) first if it is missing or out of date.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.cognito-privx-installed

.PHONY: install demo test test-e2e test-cognito-local bench check lint format typecheck clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,sandbox]'
	@touch $(STAMP)

## demo: the whole story against the embedded sandbox (no AWS account, no PrivX, no network)
demo: $(STAMP)
	$(VENV)/bin/cognito-privx demo

## test: the whole test suite (unit, CLI and end-to-end)
test: $(STAMP)
	$(PY) -m pytest

## test-e2e: only the end-to-end tests (the installed CLI against `cognito-privx sandbox`)
test-e2e: $(STAMP)
	$(PY) -m pytest -m e2e

## test-cognito-local: only the tests against cognito-local (npm; COGNITO_LOCAL_BIN, else `npx --no-install`)
test-cognito-local: $(STAMP)
	$(PY) -m pytest -m cognito_local -rs

## bench: start-up and no-op setup timings; import-users vs a tuned thread pool, boto3's adaptive mode and a sequential loop through the AWS-shaped stand-in at quotas 50-400/s, 50-70 and 140-160 ms, small- and large-burst limiters, medians of 3 with min-max and the instrument's ceiling; dry run, first create and peak memory at 20,000 / 200,000 / 1,000,000 rows; the job engine; the sandbox's create rate over a 4,000-user pool; list-users at 10,000 users vs an aws-CLI-style table; disable-user to no live PrivX session (prints tables; ~80 min on 2 quiet cores: runs of 20 s of quota)
bench: $(STAMP)
	$(PY) benchmarks/setup_noop.py
	$(PY) benchmarks/import_users.py
	$(PY) benchmarks/sandbox_creates.py
	$(PY) benchmarks/list_users.py
	$(PY) benchmarks/offboarding.py

## check: format, lint, the import contracts (import-linter), types, then the tests — what CI expects to pass
check: lint typecheck test

lint: $(STAMP)
	$(PY) -m ruff format --check src tests
	$(PY) -m ruff check src tests
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(STAMP)
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format src tests
	$(PY) -m ruff check --fix src tests

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
