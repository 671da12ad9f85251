# The README's commands are these targets; CI calls the same ones.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HTMX := portal/web/static/vendor/htmx.min.js
LOCALES := en el

.PHONY: run install install-test test test-postgres test-e2e lint format messages check-messages clean

run: install ## install, create the demo database and serve it on http://127.0.0.1:8000
	$(BIN)/portal demo

install: $(BIN)/portal $(HTMX)

$(BIN)/portal: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(HTMX): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent vendor

install-test: install $(VENV)/.dev-installed

# A stamp, so that targets run side by side (CI runs both suites at once) never run pip at the same time.
$(VENV)/.dev-installed: pyproject.toml $(BIN)/portal
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

test: install-test ## the whole suite on SQLite (browser tests skip themselves when Chromium is missing)
	$(BIN)/pytest

test-postgres: install-test ## the whole suite again on PostgreSQL
	PORTAL_TEST_DATABASE_URL=$${PORTAL_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} $(BIN)/pytest -m "not e2e"

test-e2e: install-test ## only the browser tests
	$(BIN)/pytest -m e2e

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install-test ## extract strings, update en and el catalogs, compile them
	$(BIN)/pybabel extract --mapping-file babel.cfg --output-file portal/locale/messages.pot \
		--keyword=_l --no-location --sort-output --project portal --copyright-holder "Portal contributors" portal
	for locale in $(LOCALES); do \
		if [ -f portal/locale/$$locale/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update --input-file portal/locale/messages.pot --output-dir portal/locale \
				--locale $$locale --no-fuzzy-matching --ignore-obsolete; \
		else \
			$(BIN)/pybabel init --input-file portal/locale/messages.pot --output-dir portal/locale --locale $$locale; \
		fi; \
	done
	$(BIN)/python tools/fill_source_catalog.py portal/locale/en/LC_MESSAGES/messages.po
	$(BIN)/pybabel compile --directory portal/locale --statistics

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
