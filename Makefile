# Termin: `make run` tries it out, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/termin
export TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

.PHONY: install run test fuzz lint bench

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install
	./bin/quickstart

# The suite runs with DEBUG off, as production does: a fresh secret key per run, and
# (plain http to 127.0.0.1) no https redirect and no secure-only cookies.
test: install
	./bin/services-up
	./bin/ensure-chromium
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false \
	  $(PY) -m pytest $(PYTEST_ARGS)

# Schemathesis at length: the suite's test of every operation with FUZZ_EXAMPLES
# examples each (random seeds) and every check; figures in var/fuzz-report.json.
FUZZ_EXAMPLES ?= 500
fuzz:
	mkdir -p var
	FUZZ=1 FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_REPORT=$(CURDIR)/var/fuzz-report.json \
	  $(MAKE) test PYTEST_ARGS="-p no:cacheprovider tests/scheduling/test_schemathesis.py $(PYTEST_ARGS)"

lint: install
	$(VENV)/bin/ruff check .
