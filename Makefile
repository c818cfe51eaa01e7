# Recall: `make demo` runs the demo clinic, `make test` runs the suite. Both create .venv when missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_ENV := RECALL_ENV=development CLINIC_NAME="$${CLINIC_NAME:-Clinique Lumière}" CLINIC_PHONE="$${CLINIC_PHONE:-+33142868200}" BOOKING_WEBHOOK_SECRET="$${BOOKING_WEBHOOK_SECRET:-demo-webhook-secret}"

.PHONY: install test demo bench lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: $(STAMP)
	$(DEMO_ENV) $(BIN)/flask --app wsgi db upgrade
	$(DEMO_ENV) $(BIN)/flask --app wsgi demo seed
	@echo "Recall demo on http://$(HOST):$(PORT)  (health: /healthz, admin: /admin)"
	$(DEMO_ENV) $(BIN)/flask --app wsgi serve --host $(HOST) --port $(PORT)

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
