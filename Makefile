# The two commands (DESIGN §4.1): `make run` and `make test`.
# Works on a fresh Debian/Ubuntu machine with Python 3.11 (and python3-venv).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint audit clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "blcheck needs Python 3.11"'
	@$(PYTHON) -m venv $(VENV) || { echo "Cannot create a virtualenv: apt-get install -y python3-venv"; exit 1; }

$(VENV)/.run-deps: $(VENV)/bin/python requirements.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.dev-deps: $(VENV)/.run-deps requirements-dev.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

## Set up and run web, two workers, beat and (without REDIS_URL) an embedded
## Redis under supervisord (supervisord.conf): a child that dies is restarted.
run: $(VENV)/.run-deps
	@$(PY) manage.py check_ports --web $(PORT)
	@umask 077 && $(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py load_catalog
	@$(PY) manage.py ensure_admin
	@echo "blcheck: http://127.0.0.1:$(PORT)/  (Ctrl-C stops everything)"
	@umask 077 && WEB_PORT=$(PORT) \
	  BLCHECK_RUN_DIR="$$($(PY) -c 'from blcheck import settings; print(settings.DATA_DIR)')" \
	  exec $(VENV)/bin/supervisord -c supervisord.conf

## Set up and run the whole test suite (DATABASE_URL / REDIS_URL when set).
test: $(VENV)/.dev-deps
	$(PY) -m pytest

lint: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy blcheck tests

## Check the pinned requirements against known vulnerabilities (PyPI's advisory
## data; needs the network, so not part of `make test`). pip-audit gets a venv
## of its own: its dependencies never mix with the pinned ones, and `make test`
## installs stay lean. requirements-dev.txt includes requirements.txt; pip-audit
## resolves both with their dependencies the way pip installs them.
PIP_AUDIT_VERSION := 2.10.1
AUDIT_VENV := $(VENV)/audit

$(AUDIT_VENV)/.pip-audit-$(PIP_AUDIT_VERSION):
	$(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet --disable-pip-version-check pip-audit==$(PIP_AUDIT_VERSION)
	@touch $@

audit: $(AUDIT_VENV)/.pip-audit-$(PIP_AUDIT_VERSION)
	$(AUDIT_VENV)/bin/pip-audit --requirement requirements-dev.txt

clean:
	rm -rf $(VENV) staticfiles
