"""Open an Odoo 18 database in-process for the benchmark scripts.

The scripts run outside an Odoo server: they parse Odoo's configuration with the
database and the project's addons path, load the database's registry, and hand
out superuser environments on cursors the caller commits.
"""

from contextlib import contextmanager
from pathlib import Path

import psycopg2
from psycopg2 import sql

import odoo
import odoo.addons
from odoo.modules.registry import Registry
from odoo.sql_db import connection_info_for

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
