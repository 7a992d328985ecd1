# Relationship management for Odoo 18: the two commands of the README.
#   make run   create or update a local database with both addons and demo data
#              and serve the web client on http://localhost:$(PORT)
#   make test  throw-away database, every test, the linters, one summary line
#   make lint  ruff + pylint-odoo only
#   make bench benchmark harness (see bench/README.md)
#   make i18n  export the .pot templates from database $(DB) and merge es/bg into them

PYTHON ?= python3
ODOO ?= $(PYTHON) -m odoo
DB ?= relationship_demo
PORT ?= 8069
ADDONS := $(CURDIR)/addons
MODULES := relationship_mgmt,relationship_brm

.PHONY: run test lint bench preflight i18n

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
	@$(PYTHON) -m pylint --rcfile=.pylintrc $(wildcard $(ADDONS)/relationship_*)

bench: preflight
	@$(PYTHON) bench/run.py $(BENCH_ARGS)

i18n: preflight
	@for module in $$(cd $(ADDONS) && ls -d relationship_*); do \
		mkdir -p $(ADDONS)/$$module/i18n; \
		$(ODOO) -d $(DB) --addons-path=$(ADDONS) --i18n-export=$(ADDONS)/$$module/i18n/$$module.pot \
			--modules=$$module --stop-after-init --log-level=warn --no-http || exit 1; \
		for lang in es bg; do \
			po=$(ADDONS)/$$module/i18n/$$lang.po; \
			if [ -f $$po ]; then \
				msgmerge --quiet --update --no-fuzzy-matching --backup=none $$po $(ADDONS)/$$module/i18n/$$module.pot || exit 1; \
			else \
				msginit --no-translator --locale=$$lang --input=$(ADDONS)/$$module/i18n/$$module.pot --output-file=$$po || exit 1; \
			fi; \
		done; \
	done
