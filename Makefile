# Fresh machine: `make demo` sets up and runs the offline demo; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench install clean

# the daemon and the demo's own SMTP server; the test and lint tools come only with `make test`
$(BIN)/cgt-monitor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[demo]"
	@touch $@

$(VENV)/.dev: $(BIN)/cgt-monitor
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

setup: $(BIN)/cgt-monitor

demo: setup
	$(BIN)/cgt-monitor demo

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(VENV)/.dev lint
	$(BIN)/pytest -q

# The service: a wheel of this checkout in its own virtual environment, nothing pointing back here.
PREFIX ?= /opt/cgt-monitor
install:
	rm -rf build/install && $(PYTHON) -m venv build/install/venv
	build/install/venv/bin/pip install --quiet --upgrade pip
	build/install/venv/bin/pip wheel --quiet --no-deps --wheel-dir build/install/wheel .
	$(PYTHON) -m venv $(PREFIX)/venv
	$(PREFIX)/venv/bin/pip install --quiet --upgrade pip
	$(PREFIX)/venv/bin/pip install --quiet "$$(ls build/install/wheel/cgt_monitor-*.whl)[postgres]"
	@echo "installed: $(PREFIX)/venv/bin/cgt-monitor ($$($(PREFIX)/venv/bin/cgt-monitor --version))"

bench: setup
	$(BIN)/python bench/cycle.py

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .mypy_cache
