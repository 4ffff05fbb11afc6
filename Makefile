# Every target bootstraps .venv itself, so each is one command on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint bench install clean demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,charts]'
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

demo: $(STAMP)
	$(BIN)/debtpulse demo

# Compiled once here: with PYTHONDONTWRITEBYTECODE set, every command start would compile
# debtpulse's modules again, as no installed copy does.
bench: $(STAMP)
	$(BIN)/python -m compileall -q bot storage surveys bench
	$(BIN)/python -m bench.ranking
	$(BIN)/python -m bench.roi
	$(BIN)/python -m bench.startup
	$(BIN)/python -m bench.top
	$(BIN)/python -m bench.digest
	$(BIN)/python -m bench.memory
	$(BIN)/python -m bench.answers
	$(BIN)/python -m bench.answers --path modal
	$(BIN)/python -m bench.answers --database postgres
	$(BIN)/python -m bench.slow_clients
	$(BIN)/python -m bench.fanout
	$(BIN)/python -m bench.table

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
