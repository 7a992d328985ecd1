"""Open an Odoo 18 database in-process for the benchmark scripts.

The scripts run outside an Odoo server: they parse Odoo's configuration with the
database and the project's addons path, load the database's registry, and hand
out superuser environments on cursors the caller commits.
"""

from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg2
from psycopg2 import sql

import odoo
from odoo import Command
from odoo.modules.registry import Registry
from odoo.sql_db import connection_info_for

import odoo.addons

ADDONS_PATH = str(Path(__file__).resolve().parent.parent / "addons")
# The scripts import the addons' Python code (``odoo.addons.relationship_mgmt``)
# before Odoo's configuration adds the addons path.
if ADDONS_PATH not in odoo.addons.__path__:
    odoo.addons.__path__.append(ADDONS_PATH)


def load_registry(db_name, addons_path=ADDONS_PATH, log_level="warn"):
    """Configure Odoo for ``db_name`` and return the database's registry."""
    odoo.tools.config.parse_config(
        [
            f"--database={db_name}",
            f"--addons-path={addons_path}",
            f"--log-level={log_level}",
            "--max-cron-threads=0",
        ]
    )
    return Registry(db_name)


@contextmanager
def environment(registry):
    """A superuser environment on a new cursor; rolled back unless committed."""
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


def checkpoint(db_name):
    """Write every dirty page out (``CHECKPOINT``, superuser): a phase that
    follows a run writing 100,000 rows otherwise pays for that run's pages
    being flushed while it reads."""
    __, dsn = connection_info_for(db_name)
    connection = psycopg2.connect(**dsn)
    try:
        connection.autocommit = True
        with connection.cursor() as cr:
            cr.execute("CHECKPOINT")
    finally:
        connection.close()


def vacuum_analyze(db_name, tables):
    """``VACUUM ANALYZE`` freshly filled tables (statistics, visibility map and
    hint bits), as autovacuum eventually does on a live database. VACUUM cannot
    run in a transaction, hence a separate autocommit connection."""
    __, dsn = connection_info_for(db_name)
    connection = psycopg2.connect(**dsn)
    try:
        connection.autocommit = True
        with connection.cursor() as cr:
            for table in tables:
                cr.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))
    finally:
        connection.close()


def agreement_values(name, partner_id, company, today, max_volume=False):
    """Values of an active-to-be sales agreement of the benchmarks: started
    330 days before ``today`` for 24 months, 10,000 committed, with a monthly
    punctuality obligation (90 %), a quarterly minimum volume (500 invoiced)
    and, with ``max_volume``, a yearly maximum volume (50,000)."""
    obligations = [
        {"kind": "payment_punctuality", "target": 90.0, "period": "month"},
        {
            "kind": "min_volume",
            "target": 500.0,
            "period": "quarter",
            "volume_basis": "invoiced",
        },
    ]
    if max_volume:
        obligations.append({"kind": "max_volume", "target": 50000.0, "period": "year"})
    return {
        "name": name,
        "partner_id": partner_id,
        "company_id": company.id,
        "agreement_type": "sales",
        "date_start": today - timedelta(days=330),
        "duration_months": 24,
        "amount_committed": 10000.0,
        "obligation_ids": [Command.create(values) for values in obligations],
    }
