# Termin: `make run` tries it out, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/termin
export TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
# The second run's database: SQLite, as `make run` gives it (tests use a file beside it).
TEST_SQLITE_URL ?= sqlite:///$(CURDIR)/var/test/termin.sqlite3

.PHONY: install lock run test fuzz lint bench

# Installs are reproducible: every package at the version and with the hashes that
# requirements.lock records (pip refuses any other file), then Termin itself from this
# checkout, built with the locked setuptools.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed

# requirements.lock from pyproject.toml's ranges (the dev extra included). Pins that
# still fit the ranges are kept; LOCK_ARGS=--upgrade moves every package to its newest
# release, LOCK_ARGS="--upgrade-package django" one of them.
LOCK_ARGS ?=
lock: install
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --extra dev \
	  --strip-extras --no-emit-index-url --no-emit-find-links \
	  --output-file requirements.lock $(LOCK_ARGS) pyproject.toml
	$(MAKE) install

run: install
	./bin/quickstart

# The suite runs with DEBUG off, as production does: a fresh secret key per run, and
# (plain http to 127.0.0.1) no https redirect and no secure-only cookies.
TEST_ENV = REDIS_URL=$(TEST_REDIS_URL) \
  SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
  SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false

# The import contracts (pyproject.toml, [tool.importlinter]) are checked first: a broken
# one fails the run before any test starts. Then two runs: everything on PostgreSQL,
# then on SQLite the suites through the code's PostgreSQL/SQLite branches
# (tests/conftest.py's ON_SQLITE_TOO, the rest deselected there). PYTEST_ARGS go to
# both; exit 5 (none of the chosen tests runs on SQLite) is no failure.
test: install
	$(VENV)/bin/lint-imports --no-cache
	./bin/services-up
	./bin/ensure-chromium
	DATABASE_URL=$(TEST_DATABASE_URL) $(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)
	mkdir -p var/test
	DATABASE_URL=$(TEST_SQLITE_URL) $(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS) \
	  || [ $$? -eq 5 ]

# Schemathesis at length: the suite's test of every operation with FUZZ_EXAMPLES
# examples each (random seeds) and every check; figures in var/fuzz-report.json.
FUZZ_EXAMPLES ?= 500
fuzz:
	mkdir -p var
	FUZZ=1 FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_REPORT=$(CURDIR)/var/fuzz-report.json \
	  $(MAKE) test PYTEST_ARGS="-p no:cacheprovider tests/scheduling/test_schemathesis.py $(PYTEST_ARGS)"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
