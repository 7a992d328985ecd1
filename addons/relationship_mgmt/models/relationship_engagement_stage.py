from odoo import api, fields, models
from odoo.tools import SQL

from ..engine import engagement as engine


class RelationshipEngagementStage(models.Model):
    """What the first step of a full engagement recompute split in shards
    read of each customer of its population: the document and payment
    signals and the hooks' values (interactions, satisfaction, disputes),
    kept for the shard steps that score and write them. Each shard then
    scores its own customers' rows here instead of reading the company's
    orders, invoices and payment lines again. Written and removed by the
    run's steps only (relationship_queue_job)."""

    _name = "relationship.engagement.stage"
    _inherit = "relationship.stage.mixin"
    _description = "Engagement Staged Signals"
    _auto = False
    _log_access = False

    date_run = fields.Datetime(
        string="Recompute Started",
        help="Start of the recompute whose first step read these signals.",
    )
    has_history = fields.Boolean(readonly=True)
    last_order_date = fields.Date(readonly=True)
    last_purchase_date = fields.Date(readonly=True)
    order_count = fields.Integer(string="Orders in Window", readonly=True)
    revenue = fields.Float(string="Revenue in Window", readonly=True)
    due_count = fields.Integer(string="Invoices Due", readonly=True)
    on_time_count = fields.Integer(string="Invoices Paid on Time", readonly=True)
    avg_days_late = fields.Float(string="Average Days Late", readonly=True)
    overdue_amount = fields.Float(readonly=True)
    interaction_count = fields.Integer(string="Interactions", readonly=True)
    satisfaction_value = fields.Float(string="Satisfaction", readonly=True)
    open_dispute_count = fields.Integer(string="Open Disputes", readonly=True)

    @api.model
    def _stage(self, company, date_run, partner_ids, options, run):
        """Replace the company's staged rows by the customers ``partner_ids``
        of the signals table just read, with their payments and the hooks'
        values of ``options`` (see ``engine.stage_signals``), for the
        recompute started at ``date_run``. One statement."""
        self._unstage(company)
        engine.stage_signals(
            self.env.cr, self._table, company.id, date_run, partner_ids, run, options
        )
        self.invalidate_model()

    @api.model
    def _load_staged(self, company, date_run, since, shard):
        """Fill the signals table with the staged customers of ``shard``
        ``(count, index)`` not written since ``since``, for the recompute
        started at ``date_run`` (``engine.load_staged_signals``). Returns
        ``(partner ids, hooks)`` or None when that recompute staged nothing
        for the company (a later run replaced its rows)."""
        loaded = engine.load_staged_signals(
            self.env.cr,
            self._table,
            company.id,
            date_run,
            since,
            shard,
            self._staged_partners("stage"),
        )
        if not loaded[0] and not self._has_run(company, date_run):
            return None
        return loaded

    @api.model
    def _staged_population(self, company, date_run):
        """The customers staged for the recompute started at ``date_run``,
        as SQL of ``customer_id`` rows (the population its first step
        read)."""
        return SQL(
            "SELECT stage.partner_id AS customer_id FROM %s stage %s "
            "WHERE stage.company_id = %s AND stage.date_run = %s",
            SQL.identifier(self._table),
            self._staged_partners("stage"),
            company.id,
            date_run,
        )
