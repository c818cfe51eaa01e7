# Recall: `make demo` runs the demo clinic, `make test` runs the suite. Both create .venv when missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_ENV := RECALL_ENV=development CLINIC_NAME="$${CLINIC_NAME:-Clinique Lumière}" CLINIC_PHONE="$${CLINIC_PHONE:-+33142868200}" BOOKING_WEBHOOK_SECRET="$${BOOKING_WEBHOOK_SECRET:-demo-webhook-secret}"

.PHONY: install test demo bench lint lock clean chromium screenshots translations

# The runtime dependencies come from requirements.lock (with hashes), as in the image; then the test tools.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

# The browser test drives Debian's Chromium (Playwright never downloads a browser here); install it when we can.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser test"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed: the browser test will skip"; \
	  else echo "chromium is missing and cannot be installed here: the browser test will skip"; fi; }

# Coverage (branch, of service/ and admin/, in this process: the suite's child processes are not measured) is
# printed after the run; the run fails when service/domain/ is under DOMAIN_COVERAGE_FLOOR percent.
DOMAIN_COVERAGE_FLOOR ?= 95
test: $(STAMP) chromium
	$(BIN)/python -m pytest --cov --cov-report= $(PYTEST_ARGS)
	$(BIN)/coverage report --skip-covered --skip-empty --sort=cover
	@echo "service/domain/ (floor $(DOMAIN_COVERAGE_FLOOR) %):"
	$(BIN)/coverage report --include='service/domain/*' --fail-under=$(DOMAIN_COVERAGE_FLOOR)

screenshots: $(STAMP) chromium
	RECALL_SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest -q tests/browser

demo: $(STAMP)
	$(DEMO_ENV) $(BIN)/flask --app wsgi db upgrade
	$(DEMO_ENV) $(BIN)/flask --app wsgi demo seed
	@echo "Recall demo on http://$(HOST):$(PORT)/  (sign in with the demo account above; health: /healthz)"
	$(DEMO_ENV) $(BIN)/flask --app wsgi serve --host $(HOST) --port $(PORT)

# `make bench BASELINE=<rev>` also runs every benchmark against <rev>, alternately with this tree, and prints both side
# by side (ROUNDS=N: N runs a side, medians); `make bench PARTS="dispatch statements"` runs only those parts (dispatch
# statements webhooks admin sweep tick); BENCH_SCALE=0.3 runs the volume benchmarks on 30 % of their rows.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(if $(BASELINE),--baseline $(BASELINE)) $(if $(ROUNDS),--rounds $(ROUNDS)) $(PARTS)

# After adding or changing a marked string: extract them all, merge into the fr and en catalogues (then translate the
# new French entries in service/translations/fr/LC_MESSAGES/messages.po), and compile. A test fails while a string
# has no French translation or a catalogue is not compiled.
TRANSLATIONS := service/translations
translations: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k _ --no-location --sort-output --omit-header -o $(TRANSLATIONS)/messages.pot .
	@for lang in fr en; do \
	  if [ -f $(TRANSLATIONS)/$$lang/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete --omit-header -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $$lang; \
	  else $(BIN)/pybabel -q init -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $$lang; fi; done
	$(BIN)/pybabel -q compile --statistics -d $(TRANSLATIONS)

# Re-resolve requirements.lock after changing the dependencies in pyproject.toml (needs PyPI).
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -o requirements.lock

# ruff (rules, then formatting), mypy (strict for service/domain/; settings in pyproject.toml), hadolint.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis .mypy_cache .ruff_cache .coverage
