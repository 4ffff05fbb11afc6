# Every target bootstraps .venv itself, so each is one command on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint bench install clean demo chromium screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,charts]'
	@touch $(STAMP)

install: $(STAMP)

# The browser tests drive Debian's chromium: installed from the distribution's packages when
# missing (as root, or with sudo), never a browser downloaded at run time.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt=apt-get; \
	  elif command -v sudo >/dev/null 2>&1; then apt="sudo apt-get"; \
	  else echo "chromium is missing and apt-get needs root: the browser tests will be skipped"; exit 0; fi; \
	  DEBIAN_FRONTEND=noninteractive $$apt install -y chromium \
	  || { $$apt update && DEBIAN_FRONTEND=noninteractive $$apt install -y chromium; } \
	  || echo "chromium could not be installed: the browser tests will be skipped"; }

# Two test processes (pytest-xdist), one per core; each test file runs whole in one of them.
test: $(STAMP) chromium
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# The dashboard's screenshots README shows, taken by the browser tests.
screenshots: $(STAMP) chromium
	DEBTPULSE_SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest -q -m browser tests/browser

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
	$(BIN)/python -m bench.teams
	$(BIN)/python -m bench.dash
	$(BIN)/python -m bench.table

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
