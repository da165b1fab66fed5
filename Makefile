# The two commands (DESIGN §4.1): `make run` and `make test`.
# Works on a fresh Debian/Ubuntu machine with Python 3.11 (and python3-venv).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "blcheck needs Python 3.11"'
	@$(PYTHON) -m venv $(VENV) || { echo "Cannot create a virtualenv: apt-get install -y python3-venv"; exit 1; }

$(VENV)/.run-deps: $(VENV)/bin/python requirements.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.dev-deps: $(VENV)/.run-deps requirements-dev.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

## Set up and run web, worker, beat and (without REDIS_URL) an embedded Redis.
run: $(VENV)/.run-deps
	@$(PY) manage.py check_ports --web $(PORT)
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py load_catalog
	@$(PY) manage.py ensure_admin
	@echo "blcheck: http://127.0.0.1:$(PORT)/  (Ctrl-C stops everything)"
	@WEB_PORT=$(PORT) exec $(VENV)/bin/honcho -f Procfile start

## Set up and run the whole test suite (DATABASE_URL / REDIS_URL when set).
test: $(VENV)/.dev-deps
	$(PY) -m pytest

lint: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy blcheck tests

clean:
	rm -rf $(VENV) staticfiles
