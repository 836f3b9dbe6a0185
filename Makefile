# The one way in. `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTHON ?= python3
PYTEST_WORKERS ?= 2

.PHONY: run test lint fmt typecheck migrate bench clean unit integration e2e

$(STAMP): pyproject.toml uv.lock Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv || true
	@if $(BIN)/uv --version >/dev/null 2>&1; then \
		UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync -q --frozen --inexact --extra dev --extra e2e; \
	else \
		$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev,e2e]'; \
	fi
	@touch $(STAMP)

run: $(STAMP)  ## migrate, seed demo data on first run, serve on http://$${OMS_HOST:-127.0.0.1}:$${OMS_PORT:-8000}
	@$(BIN)/oms serve --setup

migrate: $(STAMP)
	@$(BIN)/oms db upgrade

test: $(STAMP) lint  ## everything: lint, types, unit, integration (SQLite + PostgreSQL), e2e (API, browser)
	@$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -p no:cacheprovider -v \
		tests/unit tests/integration tests/fuzz
	@# one process: the API surface test checks the traffic of the whole e2e session
	@$(BIN)/pytest -p no:cacheprovider -rs -v tests/e2e

unit: $(STAMP)
	@$(BIN)/pytest tests/unit

integration: $(STAMP)
	@$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup tests/integration

e2e: $(STAMP)
	@$(BIN)/pytest tests/e2e

lint: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy
	@$(BIN)/lint-imports

fmt: $(STAMP)
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

bench: $(STAMP)  ## throughput tables; PostgreSQL rows need OMS_BENCH_POSTGRES_URL or OMS_TEST_POSTGRES_URL
	@$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
