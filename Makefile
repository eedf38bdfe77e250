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
	$(BIN)/ruff check kiosk printing sync home tests bench
	$(BIN)/ruff format --check kiosk printing sync home tests bench
	$(BIN)/python -m pytest -n auto --maxprocesses 4

bench: $(TEST_STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache

# Translations: the .po files are the source a translator edits (Poedit, Weblate). `make i18n`
# extracts the English msgids into each domain's .pot, merges them into the .po files (a changed
# msgid comes back fuzzy with its old translation; entries no longer used are dropped) and
# compiles the .mo files, which are committed (tests/test_i18n.py checks all of this).
# Two domains: "messages" (kiosk screens, hub dashboard) and "printing" (paper).
I18N_KEYWORDS := -k _ -k gettext -k ngettext:1,2 -k pgettext:1c,2 -k npgettext:1c,2,3 -k N_ -k Nn_:1,2 \
  -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2
I18N_EXTRACT := $(BIN)/pybabel extract $(I18N_KEYWORDS) --add-comments=TRANSLATORS: \
  --no-location --sort-output --width=100 --project=building-kiosk --copyright-holder=building-kiosk

i18n: $(TEST_STAMP)
	$(I18N_EXTRACT) -F babel.cfg -o kiosk/translations/messages.pot .
	$(BIN)/pybabel update -i kiosk/translations/messages.pot -d kiosk/translations \
	  -D messages --ignore-obsolete --width=100
	$(BIN)/pybabel compile -d kiosk/translations -D messages --statistics
	$(I18N_EXTRACT) -F printing/babel.cfg -o printing/translations/printing.pot printing
	$(BIN)/pybabel update -i printing/translations/printing.pot -d printing/translations \
	  -D printing --ignore-obsolete --width=100
	$(BIN)/pybabel compile -d printing/translations -D printing --statistics
