# The two commands a new user needs: `make demo` and `make test`. Everything else is a step they use.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STATE ?= $(CURDIR)/.state
export SATUDATA_STATE := $(STATE)
export DAGSTER_HOME := $(STATE)/dagster
export GX_ANALYTICS_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := true
# The local portal writes its URL and its sysadmin's API token here; sourced, never printed.
PORTAL_ENV := set -a && . $(STATE)/portal/env && set +a
# What the pipeline publishes with: the portal's URL and each regency's own token (`satudata portal setup`
# writes them to publishers.env), never the sysadmin's.
PUBLISH_ENV := $(PORTAL_ENV) && unset CKAN_API_TOKEN && set -a && . $(STATE)/portal/publishers.env && set +a

.PHONY: demo demo-sources demo-stop test test-fast lint setup portal portal-setup ui stop clean

# The demo agencies' sources (demo/): an agency web server on 127.0.0.1 for the URL and API sources, the 112
# apps' SQLite databases and the province portals' DataStore registers. The API tokens below are DEMO-ONLY
# values for that local server, not secrets; a real deployment sets its own in the environment.
DEMO_STATE := $(STATE)/demo
DEMO_PORT := 5081
DEMO_PID := $(DEMO_STATE)/agency_server.pid
export GOPPU_API_TOKEN ?= demo-only-goppu-token
export LUTRA_EWS_API_KEY ?= demo-only-ews-lutra-key
export SATUDATA_DEMO_CC112_PPU_URL ?= sqlite:///$(DEMO_STATE)/cc112-ppu.sqlite
export SATUDATA_DEMO_CC112_LUTRA_URL ?= sqlite:///$(DEMO_STATE)/cc112-lutra.sqlite

demo: setup portal portal-setup $(DAGSTER_HOME)/dagster.yaml demo-sources  ## Run the whole pipeline for the demo regencies and publish to the local portal
	@$(PUBLISH_ENV) && $(PY) -m assets.run
	@echo
	@echo "Portal CKAN:   http://127.0.0.1:$${SATUDATA_CKAN_PORT:-5055}/dataset (the URLs above open each dataset)"
	@echo "Dagster UI:    make ui   (then open http://127.0.0.1:3000 : asset graph, runs, checks)"
	@echo "Quarantine:    $(STATE)/quarantine   Raw archive: $(STATE)/raw"
	@echo "Demo agencies: http://127.0.0.1:$(DEMO_PORT) (pid in $(DEMO_PID); make stop ends it)"

demo-sources: setup portal  ## Start the demo agency server and prepare the demo databases and province registers
	@mkdir -p $(DEMO_STATE)
	@if [ -f $(DEMO_PID) ] && kill -0 "$$(cat $(DEMO_PID))" 2>/dev/null; then \
		echo "Demo agency server already running (pid $$(cat $(DEMO_PID)))"; \
	else \
		rm -f $(DEMO_PID); \
		nohup $(PY) demo/agency_server.py --port $(DEMO_PORT) --pidfile $(DEMO_PID) \
			>> $(DEMO_STATE)/agency_server.log 2>&1 < /dev/null & \
		for i in $$(seq 1 50); do \
			curl -fs -o /dev/null http://127.0.0.1:$(DEMO_PORT)/diskominfo-ppu/wifi-publik.csv && break; sleep 0.2; \
		done; \
		curl -fsS -o /dev/null http://127.0.0.1:$(DEMO_PORT)/diskominfo-ppu/wifi-publik.csv \
			|| { echo "demo agency server did not start, see $(DEMO_STATE)/agency_server.log"; exit 1; }; \
		echo "Demo agency server started on 127.0.0.1:$(DEMO_PORT) (pid $$(cat $(DEMO_PID)))"; \
	fi
	@$(PORTAL_ENV) && $(PY) demo/prepare.py

demo-stop:  ## Stop the demo agency server (by its pidfile)
	@if [ -f $(DEMO_PID) ]; then \
		pid=$$(cat $(DEMO_PID)); kill "$$pid" 2>/dev/null || true; \
		for i in $$(seq 1 25); do kill -0 "$$pid" 2>/dev/null || break; sleep 0.2; done; \
		rm -f $(DEMO_PID); echo "Demo agency server stopped"; \
	fi

test: setup lint $(DAGSTER_HOME)/dagster.yaml  ## Lint, then run the whole test suite against a real CKAN, PostgreSQL, DuckDB and Dagster
	bash scripts/chromium.sh
	$(PY) -m pytest

test-fast: setup  ## The tests that start no server and no whole process (pytest markers), on both cores: about a minute
	$(PY) -m pytest -q -m "not servers and not slow" -n 2

lint: setup  ## ruff: lint and format check (pyproject.toml); `$(VENV)/bin/ruff format .` formats
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

setup: $(VENV)/.installed  ## Install the pipeline's Python environment (pinned by requirements.lock)
	@# Compiled once here, not by every command: where PYTHONDONTWRITEBYTECODE is set, each process would
	@# otherwise compile the project's modules again (0.2 s of the self-check's start). Up-to-date files are skipped.
	@$(PY) -m compileall -q pipelines assets > /dev/null

$(VENV)/.installed: pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -c requirements.lock -e '.[test]'
	touch $@

# The local Dagster instance: embedded SQLite storage under .state/dagster (empty file = defaults).
$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME) && touch $@

portal:  ## Start the local CKAN portal (installs it on first use)
	bash portal/start.sh

portal-setup: setup portal  ## The portal administrator's step: organisations, pillar groups, a publishing user (editor) and token per regency
	@$(PORTAL_ENV) && $(VENV)/bin/satudata portal setup

ui: setup portal portal-setup $(DAGSTER_HOME)/dagster.yaml  ## Open the Dagster UI on 127.0.0.1:3000
	@$(PUBLISH_ENV) && $(VENV)/bin/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

stop: demo-stop  ## Stop the portal, the Celery workers, Redis and the project's PostgreSQL (only what the project started)
	bash portal/stop.sh
	bash scripts/celery_workers.sh stop
	bash scripts/redis.sh stop
	bash scripts/postgres.sh stop

clean: stop
	rm -rf $(STATE) $(VENV)
