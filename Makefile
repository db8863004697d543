# sea — the commands (docs/settings.md explains them and the settings). `make help` lists them.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.sea-installed
MANIFEST := dbt_project/target/manifest.json
DASHBOARD := reports/dashboard
NPM_STAMP := $(DASHBOARD)/node_modules/.sea-installed
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml
PYTHON ?= python3

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

# What the user passes (`make report QUARTER=…`) is data, never shell or make syntax: kept
# unexpanded (`$(value …)`, so `$(shell …)` in it is not run), exported, and read by the recipes
# as "$$QUARTER" — the shell substitutes the value without parsing it. Never write $(QUARTER)
# in a recipe: make would paste the value into the command line the shell parses.
override QUARTER := $(value QUARTER)
override FUNDER := $(value FUNDER)
override PERIOD := $(value PERIOD)
override EVALUATION := $(value EVALUATION)
override BENCH_PARTICIPANTS := $(value BENCH_PARTICIPANTS)
override BENCH_WAREHOUSE := $(value BENCH_WAREHOUSE)
override DIR := $(value DIR)
override FROM := $(value FROM)
export QUARTER FUNDER PERIOD EVALUATION BENCH_PARTICIPANTS BENCH_WAREHOUSE DIR FROM

.PHONY: help setup demo test refresh report evidence templates ui reader-role backup restore bench lint

help:
	@echo "make setup | demo | test | refresh | report QUARTER=2026-Q3 | report FUNDER=<code> PERIOD=2026-S2 | evidence EVALUATION=<id> | templates [DIR=<dossier>] | ui | reader-role | backup [DIR=<dossier>] | restore FROM=<sauvegarde> | bench | lint"

## setup: install everything (idempotent; the other targets call it)
setup: $(STAMP) $(MANIFEST) $(NPM_STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# the dashboard's charting library (Chart.js), inlined into the page: pinned by package-lock.json
$(NPM_STAMP): $(DASHBOARD)/package.json $(DASHBOARD)/package-lock.json
	npm ci --prefix $(DASHBOARD) --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	$(PY) -m orchestration.cli prepare

## demo: fake CRM + demo spreadsheets → whole pipeline → where things are
demo: setup
	SEA_DEMO=1 $(PY) -m orchestration.cli demo

## test: the whole test suite (what .ci/run calls)
test: setup
	SEA_DEMO=1 $(PY) -m pytest -q

## refresh: one headless nightly refresh against the configured CRM and spreadsheets
refresh: setup
	$(PY) -m orchestration.cli refresh

## report: that quarter's deliverables behind the data-quality gate (QUARTER=2026-Q3), or one
## funder's report (FUNDER=<code> PERIOD=2026 | 2026-S2 | 2026-Q3)
report: setup
	@if test -n "$$FUNDER"; then \
	  test -n "$$PERIOD" || { echo "usage : make report FUNDER=<code> PERIOD=AAAA | AAAA-S1 | AAAA-Q3"; exit 2; }; \
	  $(PY) -m orchestration.cli report --funder="$$FUNDER" --period="$$PERIOD"; \
	else \
	  test -n "$$QUARTER" || { echo "usage : make report QUARTER=AAAA-Tn (ex. 2026-Q3), ou FUNDER=<code> PERIOD=AAAA-S2"; exit 2; }; \
	  $(PY) -m orchestration.cli report --quarter="$$QUARTER"; \
	fi

## evidence: the evidence pack of one evaluation of the plan (EVALUATION=<id>)
evidence: setup
	@test -n "$$EVALUATION" || { echo "usage : make evidence EVALUATION=<identifiant>"; exit 2; }
	$(PY) -m orchestration.cli evidence --evaluation="$$EVALUATION"

## templates: one blank .xlsx per spreadsheet kind, with its help sheet and drop-down lists
## (DIR=<folder>; default SEA_INTERNAL_DIR/modeles)
templates: setup
	$(PY) -m orchestration.cli templates --dir="$$DIR"

## ui: the Dagster UI on 127.0.0.1 (SEA_DEMO=1 make ui also serves the fake CRM)
ui: setup
	$(PY) -m orchestration.cli ui

## reader-role: BI readers' access without a refresh (PostgreSQL: the reader role and its
## grants, idempotent; DuckDB: which file to open)
reader-role: setup
	$(PY) -m orchestration.cli reader-role

## backup: a consistent copy of the warehouse, snapshots included, under the read lock
## (DIR=<folder>; default data/sauvegardes) — docs/runbook.md#backup-and-restore
backup: setup
	$(PY) -m orchestration.cli backup --dir="$$DIR"

## restore: put a backup back in place of the warehouse (FROM=<folder made by make backup>)
restore: setup
	@test -n "$$FROM" || { echo "usage : make restore FROM=<dossier de sauvegarde sea-AAAAMMJJ-HHMMSS>"; exit 2; }
	$(PY) -m orchestration.cli restore --from="$$FROM"

## bench: full / nightly (0.5 % changed) / unchanged refresh timings (BENCH_PARTICIPANTS=10000;
## BENCH_WAREHOUSE=postgresql://… for a throw-away database on that server, else DuckDB)
bench: setup
	SEA_DEMO=1 $(PY) -m devtools.benchmark --participants="$${BENCH_PARTICIPANTS:-10000}" \
	  --warehouse="$$BENCH_WAREHOUSE"

lint: setup
	$(VENV)/bin/ruff check .
