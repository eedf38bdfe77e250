# Two commands on a fresh machine with python3:
#   make run    start the kiosk on embedded defaults with demo data at http://127.0.0.1:8080
#   make test   run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench clean i18n

# `make run` installs only what running the kiosk needs; `make test` adds the test tools.
$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

run: $(RUN_STAMP)
	$(BIN)/kiosk demo --if-empty
	$(BIN)/kiosk serve

test: $(TEST_STAMP)
	$(BIN)/ruff check kiosk printing sync tests bench tools
	$(BIN)/ruff format --check kiosk printing sync tests bench tools
	$(BIN)/python -m pytest

bench: $(TEST_STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache

# Translations: extract msgids, write the fr/en catalogs from tools/fr_catalog.py, compile them.
i18n: $(TEST_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ -k gettext -k ngettext:1,2 -k lazy_gettext \
	  --no-location --omit-header --sort-output -o kiosk/translations/messages.pot .
	$(BIN)/python tools/fr_catalog.py
