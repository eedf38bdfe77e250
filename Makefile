# Two commands on a fresh machine with python3:
#   make run    start the kiosk on embedded defaults with demo data at http://127.0.0.1:8080
#   make test   run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean i18n

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/kiosk demo --if-empty
	$(BIN)/kiosk serve

test: $(STAMP)
	$(BIN)/ruff check kiosk printing sync tests bench tools
	$(BIN)/ruff format --check kiosk printing sync tests bench tools
	$(BIN)/python -m pytest

bench: $(STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache

# Translations: extract msgids, write the fr/en catalogs from tools/fr_catalog.py, compile them.
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ -k gettext -k ngettext:1,2 -k lazy_gettext \
	  --no-location --omit-header --sort-output -o kiosk/translations/messages.pot .
	$(BIN)/python tools/fr_catalog.py
