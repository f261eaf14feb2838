# Two entry points for a fresh machine (see README):
#   make scan   set everything up, then scan the bundled sample fleet
#   make test   set everything up, then run every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup scan test lint bench checks-doc clean

setup: $(VENV)/.installed .venv-infra/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# checkov pins clash with the runtime packages: it gets a venv of its own.
.venv-infra/.installed: requirements-infra.txt
	$(PYTHON) -m venv .venv-infra
	.venv-infra/bin/pip install --quiet -r requirements-infra.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

scan: $(VENV)/.installed
	$(BIN)/fleetdoc scan

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup lint
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed
	$(BIN)/python bench/scan_bench.py

checks-doc: $(VENV)/.installed
	$(BIN)/fleetdoc checks --markdown > docs/checks.md

clean:
	rm -rf $(VENV) .venv-infra node_modules
