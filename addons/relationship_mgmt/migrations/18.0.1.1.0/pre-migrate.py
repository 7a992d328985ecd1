"""18.0.1.1.0: drop the engagement indexes a score update had to rewrite for
nothing. The partner columns are served by the unique constraints that lead
with them, and the marked rows by a partial index (created by the model)."""

from odoo.tools import SQL

DROPPED = (
    "relationship_engagement__partner_id_index",
    "relationship_engagement__company_id_index",
    "relationship_engagement__needs_recompute_index",
    "relationship_engagement_snapshot__partner_id_index",
)


def migrate(cr, version):
    for name in DROPPED:
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))
