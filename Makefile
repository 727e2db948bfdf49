# The two commands a new user needs: `make demo` and `make test`. Everything else is a step they use.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STATE ?= $(CURDIR)/.state
export SATUDATA_STATE := $(STATE)
export DAGSTER_HOME := $(STATE)/dagster
export GX_ANALYTICS_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := true
# The local portal writes its URL and API token here; sourced, never printed.
PORTAL_ENV := set -a && . $(STATE)/portal/env && set +a

.PHONY: demo test setup portal ui stop clean

demo: setup portal $(DAGSTER_HOME)/dagster.yaml  ## Run the whole pipeline for the demo regency and publish to the local portal
	@$(PORTAL_ENV) && $(PY) -m assets.run
	@echo
	@echo "Portal CKAN:   http://127.0.0.1:$${SATUDATA_CKAN_PORT:-5055}/dataset (the URLs above open each dataset)"
	@echo "Dagster UI:    make ui   (then open http://127.0.0.1:3000 : asset graph, runs, checks)"
	@echo "Quarantine:    $(STATE)/quarantine   Raw archive: $(STATE)/raw"

test: setup $(DAGSTER_HOME)/dagster.yaml  ## Run the whole test suite against a real CKAN, PostgreSQL, DuckDB and Dagster
	$(PY) -m pytest

setup: $(VENV)/.installed  ## Install the pipeline's Python environment (pinned by requirements.lock)

$(VENV)/.installed: pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -c requirements.lock -e '.[test]'
	touch $@

# The local Dagster instance: embedded SQLite storage under .state/dagster (empty file = defaults).
$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME) && touch $@

portal:  ## Start the local CKAN portal (installs it on first use)
	bash portal/start.sh

ui: setup portal $(DAGSTER_HOME)/dagster.yaml  ## Open the Dagster UI on 127.0.0.1:3000
	@$(PORTAL_ENV) && $(VENV)/bin/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

stop:  ## Stop the portal and the project's PostgreSQL (only what the project started)
	bash portal/stop.sh
	bash scripts/postgres.sh stop

clean: stop
	rm -rf $(STATE) $(VENV)
