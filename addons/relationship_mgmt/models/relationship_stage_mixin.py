from odoo import api, fields, models
from odoo.tools import SQL


class RelationshipStageMixin(models.AbstractModel):
    """What the first step of a full run split in shards read of each
    customer, kept for the shard steps (relationship_queue_job): one row per
    customer of the run started at ``date_run``, written and removed by the
    run's steps only.

    The table is the models' own (``_auto = False``, made in ``init``):
    UNLOGGED, without foreign keys. A run stages every customer of a company
    in one statement, and the foreign-key check of each row cost more than
    the row (100,000 rows with two keys: 1.6 s instead of 0.2 s); the rows
    live for the minutes of one run and can be read again from the
    documents, so they need no WAL either (after a crash the table is empty
    and the run's shards say that their figures are gone). Customers and
    companies are checked where the rows are read (``_staged_partners``),
    and removed with the customer's opt-out (``res.partner``)."""

    _name = "relationship.stage.mixin"
    _description = "Staged Figures of a Run in Shards"
    # Each model repeats ``_auto`` and ``_log_access``: ``models.Model``'s
    # come first in a concrete model's classes.
    _auto = False
    _log_access = False
    _order = "id"
    _rec_name = "partner_id"

    company_id = fields.Many2one("res.company", required=True, readonly=True)
    date_run = fields.Datetime(string="Run Started", required=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True
    )

    def init(self):
        if self._abstract:
            return
        columns = {
            name: field.column_type[1]
            for name, field in self._fields.items()
            if field.store and field.column_type and name != "id"
        }
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT c.relpersistence,
                       ARRAY(SELECT a.attname::text FROM pg_attribute a
                              WHERE a.attrelid = c.oid AND a.attnum > 0
                                AND NOT a.attisdropped ORDER BY a.attnum)
                  FROM pg_class c
                 WHERE c.relname = %s AND c.relkind = 'r'
                   AND c.relnamespace = 'public'::regnamespace
                """,
                self._table,
            )
        )
        found = cr.fetchone()
        if found and found[0] == "u" and set(found[1]) == {"id", *columns}:
            return
        # A table of another shape (an older version's, with foreign keys):
        # staged rows are a run's scratch, dropped with it.
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(self._table)))
        cr.execute(
            SQL(
                "CREATE UNLOGGED TABLE %s (id SERIAL PRIMARY KEY, %s)",
                SQL.identifier(self._table),
                SQL(", ").join(
                    SQL(
                        "%s %s%s",
                        SQL.identifier(name),
                        SQL(sql_type),
                        SQL(" NOT NULL") if self._fields[name].required else SQL(),
                    )
                    for name, sql_type in columns.items()
                ),
            )
        )
        cr.execute(
            SQL(
                "CREATE INDEX ON %s (company_id, date_run)",
                SQL.identifier(self._table),
            )
        )

    @api.model
    def _staged_partners(self, alias):
        """SQL joining the staged rows ``alias`` to their customers: rows of
        customers merged or deleted since the first step are left out (no
        foreign key removed them)."""
        return SQL(
            "JOIN res_partner staged_partner ON staged_partner.id = %s.partner_id",
            SQL.identifier(alias),
        )

    @api.model
    def _has_run(self, company, date_run):
        """Whether the run of ``company`` started at ``date_run`` has staged
        rows."""
        self.env.cr.execute(
            SQL(
                "SELECT 1 FROM %s WHERE company_id = %s AND date_run = %s LIMIT 1",
                SQL.identifier(self._table),
                company.id,
                date_run,
            )
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _unstage(self, company):
        """Remove the company's staged rows."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM %s WHERE company_id = %s",
                SQL.identifier(self._table),
                company.id,
            )
        )
        self.invalidate_model()
