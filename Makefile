# The two commands of the quick start: `make dev` runs the platform, `make test` the suite.
# Both create a local virtual environment on first use (only Python >= 3.11 is needed) and
# install into it exactly what requirements-dev.lock pins, every file checked against its
# hash; `make lock` re-resolves the lock files from pyproject.toml.

VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo $$p && break; done)
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements-dev.lock | cksum | cut -d' ' -f1)
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: install dev test lint bench lock clean graphiql-assets browser-test

# pip comes first, at its locked version (a venv's bundled pip may be years old and
# installs the rest a third slower). The lock holds the build backend too, so the project
# itself installs without fetching anything unpinned and without its dependencies.
$(STAMP): pyproject.toml requirements-dev.lock
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@sed -n '/^pip==/,/[^\\]$$/p' requirements-dev.lock > $(VENV)/pip.lock
	$(PIP) install --quiet --require-hashes -r $(VENV)/pip.lock
	$(PIP) install --quiet --require-hashes -r requirements-dev.lock
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

dev: install
	$(BIN)/bizgraph dev

# Two workers, each with its own embedded PostgreSQL and Redis: the suite waits on its
# servers enough that two processes use two cores well. On a server of yours
# (DATABASE_URL set) it runs in one process: one run takes up to ~95 connections at its
# peak, and PostgreSQL allows 100 by default. TEST_WORKERS=N chooses.
TEST_WORKERS ?= $(if $(DATABASE_URL),0,2)
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# GraphiQL in a real Chromium with no internet (also part of `make test` where Node.js, npm
# and Chromium are installed); its screenshot becomes docs/images/graphiql.png.
browser-test: install
	@$(BIN)/python -c 'import sys; from tests.clients.tools import missing; sys.exit("\n".join(missing()) or None)'
	BIZGRAPH_SCREENSHOT=docs/images/graphiql.png $(BIN)/python -m pytest tests/clients/test_graphiql_browser.py

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy && $(BIN)/lint-imports

bench: install
	$(BIN)/python -m tests.benchmarks.read_api $(BENCH_ARGS)

# One universal resolution (every OS, Python >= 3.11) of pyproject's dependencies plus
# what installs them: its build-system requirements and pip. Pins already in the files are
# kept while they still fit; LOCK_ARGS=--upgrade moves everything to the newest allowed,
# LOCK_ARGS="--upgrade-package P" just P. The runtime lock (the Docker image's) is
# constrained to the dev lock: the same versions.
INSTALL_TOOLS = $(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], "pip", sep="\n")'
UV_COMPILE = $(BIN)/uv pip compile - pyproject.toml --universal --generate-hashes --quiet \
	--custom-compile-command 'make lock' $(LOCK_ARGS)

# GraphiQL's browser files, stored in the package so the page works offline: the versions
# strawberry's page names, from the npm registry, each checked against the page's hash.
# Needs npm; run it after moving strawberry to a release whose page names other versions.
graphiql-assets: install
	rm -rf api/static/graphiql
	$(BIN)/python -m api.graphiql_assets

lock: install
	$(INSTALL_TOOLS) | $(UV_COMPILE) --extra dev -o requirements-dev.lock
	$(INSTALL_TOOLS) | $(UV_COMPILE) -c requirements-dev.lock -o requirements.lock

clean:
	rm -rf $(VENV) .bizgraph .mypy_cache .pytest_cache .ruff_cache
