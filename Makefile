# Development entry points. `make run` on a fresh clone sets up .venv,
# creates the SQLite database and the demo workspace, and serves p81 on
# http://127.0.0.1:8000/.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
MANAGE := $(PYTHON) manage.py
# Written after a successful install; pip runs again only when
# pyproject.toml or constraints.txt is newer than it.
INSTALL_STAMP := $(VENV)/.install-stamp

MIN_PYTHON := 3.11
PYTHON_CANDIDATES := python3.13 python3.12 python3.11 python3
# First candidate that runs and is at least MIN_PYTHON. pyenv shims exist
# for versions that are not installed, so each candidate is run, not just
# looked up. Recursive (=) so that only targets that need it pay for it.
SYSTEM_PYTHON = $(shell for candidate in $(PYTHON_CANDIDATES); do \
	if $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then \
	echo $$candidate; break; fi; done)

HOST := 127.0.0.1
PORT := 8000
GUNICORN_WORKERS := 2
GUNICORN_THREADS := 4
# `make run` is the development quick start: SQLite, Celery tasks run
# eagerly in the web process, DEBUG on, whatever the shell exports.
RUN_ENV := env -u DATABASE_URL -u REDIS_URL DEBUG=1 P81_PUBLIC_URL=http://$(HOST):$(PORT)

PYTEST_ARGS ?=

.PHONY: help venv install run test lint constraints clean

help:
	@echo "make run          set up .venv, migrate SQLite, seed the demo workspace, serve on http://$(HOST):$(PORT)/"
	@echo "make test         run the whole pytest suite (PYTEST_ARGS='-k name' to narrow it)"
	@echo "make lint         run ruff"
	@echo "make venv         create .venv and install p81 with its dev dependencies from constraints.txt"
	@echo "make constraints  rewrite constraints.txt from the packages installed in .venv"
	@echo "make clean        remove .venv, db.sqlite3 and collected static files"

venv install: $(INSTALL_STAMP)

$(INSTALL_STAMP): pyproject.toml constraints.txt
	@if [ -z "$(SYSTEM_PYTHON)" ]; then \
		echo "error: no Python $(MIN_PYTHON) or newer found (tried: $(PYTHON_CANDIDATES))." >&2; \
		echo "Install Python $(MIN_PYTHON)+ with venv and pip, for example on Debian/Ubuntu:" >&2; \
		echo "    sudo apt-get install python3 python3-venv python3-pip" >&2; \
		echo "on macOS: brew install python@3.12; elsewhere: https://www.python.org/downloads/" >&2; \
		exit 1; \
	fi
	@if ! $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then \
		echo "Creating $(VENV) with $(SYSTEM_PYTHON) ($$($(SYSTEM_PYTHON) -c 'import sys; print(sys.version.split()[0])'))"; \
		$(SYSTEM_PYTHON) -m venv --clear $(VENV) || { \
			echo "error: '$(SYSTEM_PYTHON) -m venv' failed. On Debian/Ubuntu install the venv module:" >&2; \
			echo "    sudo apt-get install python3-venv" >&2; \
			exit 1; }; \
	fi
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

run: $(INSTALL_STAMP)
	$(RUN_ENV) $(MANAGE) migrate --noinput
	$(RUN_ENV) $(MANAGE) collectstatic --noinput --verbosity 0
	$(RUN_ENV) $(MANAGE) seed_demo
	@echo
	@echo "Serving p81 on http://$(HOST):$(PORT)/ with gunicorn ($(GUNICORN_WORKERS) workers x $(GUNICORN_THREADS) threads); Ctrl-C stops it."
	$(RUN_ENV) $(VENV)/bin/gunicorn p81.wsgi \
		--bind $(HOST):$(PORT) \
		--workers $(GUNICORN_WORKERS) --threads $(GUNICORN_THREADS) \
		--no-control-socket --access-logfile -

test: $(INSTALL_STAMP)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(INSTALL_STAMP)
	$(VENV)/bin/ruff check .

# Records what .venv contains. To move a pin forward, change it in
# pyproject.toml, upgrade the package in .venv, then run this.
constraints: $(INSTALL_STAMP)
	@{ \
		echo "# Full pinned lock of the development virtualenv, used as"; \
		echo "#   pip install -c constraints.txt -e '.[dev]'"; \
		echo "# Regenerate after changing pyproject.toml with: make constraints"; \
		$(PYTHON) -m pip freeze --exclude-editable | grep -viE '^(p81==|-e )'; \
	} > constraints.txt.new
	mv constraints.txt.new constraints.txt
	@touch $(INSTALL_STAMP)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
