# Two commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format setup demo messages clean bench

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

## Migrate, load demo data (idempotent), print the admin login, then run web + worker + beat.
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --accounts 300 --seed 1
	$(BIN)/python manage.py ensure_demo_admin
	@echo "Open http://127.0.0.1:8000/admin/  (API docs: http://127.0.0.1:8000/api/docs/). Ctrl-C stops everything."
	DJANGO_SETTINGS_MODULE=config.settings.local PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile.dev

## The whole suite. CRM_REQUIRE_SERVICES=1 turns a skip for a missing service into a failure.
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Every benchmark against the PostgreSQL benchmark database (DATABASE_URL; bench/RESULTS.md), then one table.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/all.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Regenerate the Russian catalogue (needs gettext) and compile it (needs nothing: polib).
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l ru --no-obsolete --ignore=.venv --ignore=var --ignore=bench
	$(BIN)/python -c "import polib; polib.pofile('locale/ru/LC_MESSAGES/django.po').save_as_mofile('locale/ru/LC_MESSAGES/django.mo')"

clean:
	rm -rf $(VENV) var
