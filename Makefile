# Relationship management for Odoo 18: the two commands of the README.
#   make run   create or update a local database with both addons and demo data
#              and serve the web client on http://localhost:$(PORT)
#   make test  throw-away database, every test, the linters, one summary line
#   make lint  ruff + pylint-odoo only
#   make bench benchmark harness (see bench/README.md)

PYTHON ?= python3
ODOO ?= $(PYTHON) -m odoo
DB ?= relationship_demo
PORT ?= 8069
ADDONS := $(CURDIR)/addons
MODULES := relationship_mgmt,relationship_brm

.PHONY: run test lint bench preflight

preflight:
	@$(PYTHON) tools/preflight.py

run: preflight
	@if psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$(DB)'" | grep -q 1; then \
		echo "Updating database $(DB)..."; \
		$(ODOO) -d $(DB) --addons-path=$(ADDONS) -u $(MODULES) --stop-after-init --log-level=warn; \
	else \
		echo "Creating database $(DB) with demo data (a few minutes)..."; \
		$(ODOO) -d $(DB) --addons-path=$(ADDONS) -i $(MODULES) --stop-after-init --log-level=warn; \
	fi
	@echo "Serving http://localhost:$(PORT) - log in as admin / admin (database $(DB)); Ctrl-C stops."
	@$(ODOO) -d $(DB) --addons-path=$(ADDONS) --http-port=$(PORT) --db-filter='^$(DB)$$'

test:
	@bash tools/run_tests.sh

lint:
	@ruff check addons tests bench tools
	@ruff format --check addons tests bench tools
	@$(PYTHON) -m pylint --rcfile=.pylintrc addons/relationship_mgmt addons/relationship_brm

bench: preflight
	@$(PYTHON) bench/run.py $(BENCH_ARGS)
