# Study Hall: `make run` for a local server with demo data, `make test` for the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
TRANSLATIONS := learning/translations
PO := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test lint install dev-install translations extract-messages serve bench clean \
	conformance

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed translations
dev-install: $(VENV)/.dev-installed translations

# Compiled catalogues are build output (not in git); rebuilt whenever a .po changes.
translations: $(MO)
%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ 2>/dev/null || $(BIN)/pybabel compile -i $< -o $@

# After changing user-visible text: extract, merge into the catalogues, then translate the .po.
extract-messages: | $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching

run: install
	APP_ENV=development $(FLASK) db upgrade
	APP_ENV=development $(FLASK) demo
	@echo "Serving on http://127.0.0.1:5000  (Ctrl-C to stop)"
	APP_ENV=development $(FLASK) run --host 127.0.0.1 --port 5000

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

# axe-core for the browser tests' accessibility checks (package.json; nothing served to users).
# Without npm (outside CI) the browser tests skip and say so.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm is missing: the browser tests will skip (CI requires them)"; fi

test: dev-install node_modules/.package-lock.json
	$(BIN)/ruff check .
	$(BIN)/pytest

# The API against its OpenAPI document (schemathesis, in-process) with many more generated
# requests than the suite's run: CONFORMANCE_EXAMPLES per operation, mode and role, both engines.
CONFORMANCE_EXAMPLES ?= 100
conformance: dev-install
	CONFORMANCE_EXAMPLES=$(CONFORMANCE_EXAMPLES) $(BIN)/pytest -p no:cacheprovider \
		tests/learning/test_openapi_conformance.py

# Production-style server (see README: SECRET_KEY, DATABASE_URL, REDIS_URL ...).
serve: install
	$(FLASK) db upgrade
	$(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

# Load benchmark (bench/load.py): seeds its own databases, starts gunicorn on 127.0.0.1, loads it
# with wrk (Debian's package, installed here when missing), on SQLite and then on PostgreSQL.
BENCH_PG ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
bench: install
	@command -v wrk >/dev/null || apt-get install -y wrk >/dev/null || \
		{ echo "bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/load.py $(BENCH_ARGS); sqlite=$$?; \
		$(BIN)/python bench/load.py --database-url $(BENCH_PG) $(BENCH_ARGS); exit $$((sqlite | $$?))

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules test-artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
