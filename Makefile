# The two commands (DESIGN §4.1): `make run` and `make test`.
# Works on a fresh Debian/Ubuntu machine with Python 3.11 (and python3-venv).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run dev test lint audit clean

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
## Production mode: DEBUG off, gunicorn, static files collected for WhiteNoise,
## listening on 127.0.0.1 only unless BLCHECK_LISTEN says otherwise.
## DEBUG comes from the environment or the command line, else from .env, else
## false; `make dev` (or `DEBUG=true make run`) is development: runserver.
run: private export DEBUG = $(shell $(PY) -c '$(READ_DEBUG)')
run: $(VENV)/.run-deps
	@$(PY) manage.py check_ports --web $(PORT)
	@umask 077 && $(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py load_catalog
	@$(PY) manage.py ensure_admin
	@$(PY) manage.py check_resolver
	@eval "$$($(PY) -c '$(RUN_SETTINGS)')" && \
	  if [ "$$WEB_SERVER" = gunicorn ]; then \
	    $(PY) manage.py collectstatic --noinput -v 0 || exit 1; \
	  fi && \
	  echo "blcheck: http://$$WEB_HOST:$(PORT)/  ($$WEB_SERVER; Ctrl-C stops everything)" && \
	  if [ "$$LOOPBACK" != True ]; then \
	    echo "blcheck: listening beyond this machine on plain HTTP: put a TLS proxy (nginx, Caddy) in front; README \"Serving beyond this machine\"." >&2; \
	  fi && \
	  umask 077 && BLCHECK_WEB_SERVER=$$WEB_SERVER \
	  BLCHECK_WEB_BIND="$$WEB_HOST:$(PORT)" BLCHECK_RUN_DIR="$$RUN_DIR" \
	  exec $(VENV)/bin/supervisord -c supervisord.conf

## `make run` in development mode: DEBUG on, runserver with auto-reload.
dev:
	@$(MAKE) --no-print-directory run DEBUG=true

# DEBUG as `make run` uses it: the environment's, else .env's (the way settings
# reads it), else false.
READ_DEBUG := import os, environ; environ.Env.read_env(".env"); \
  print(os.environ.get("DEBUG", "").strip() or "false")
# What `make run` needs from the settings, as shell assignments.
RUN_SETTINGS := import shlex; from blcheck import settings as s; \
  server = "runserver" if s.DEBUG else "gunicorn"; \
  print(f"RUN_DIR={shlex.quote(str(s.DATA_DIR))} WEB_HOST={s.LISTEN_HOST}", \
  f"LOOPBACK={s.LISTEN_LOOPBACK} WEB_SERVER={server}")

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
