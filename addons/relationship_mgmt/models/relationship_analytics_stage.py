from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import bulk

# The staged figures of a customer, in the order of the load and of the read,
# with their SQL types: what _analytics_read reads of the customer's orders
# (rhythm), order lines, invoices and engagement row. NULL where it read
# nothing (no confirmed order: no rhythm; no line, no invoice, no row).
STAGED_COLUMNS = {
    "order_count": "int4",
    "first_order_date": "date",
    "last_order_date": "date",
    "order_amount": "float8",
    "order_margin": "float8",
    "purchase_days": "int4",
    "paid_days": "int4",
    "paid_amount": "float8",
    "mean_gap": "float8",
    "month_counts": "varchar",
    "categ_id": "int4",
    "discount": "float8",
    "revenue": "float8",
    "refunds": "float8",
    "order_refunds": "float8",
    "score_trend": "float8",
    "rfm_segment": "varchar",
}
RHYTHM = (
    "order_count",
    "first_order_date",
    "last_order_date",
    "order_amount",
    "order_margin",
    "purchase_days",
    "paid_days",
    "paid_amount",
    "mean_gap",
    "month_counts",
)


class RelationshipAnalyticsStage(models.Model):
    """What the first step of a sharded analytics refresh read of each
    customer (orders, lines, invoices, engagement), kept for the shard steps
    that predict and write them: each shard then reads its own customers'
    rows here instead of the company's documents again. Written and removed
    by the refresh's steps only (relationship_queue_job)."""

    _name = "relationship.analytics.stage"
    _inherit = "relationship.stage.mixin"
    _description = "Customer Analytics Staged Readings"
    _auto = False
    _log_access = False

    date_run = fields.Datetime(
        string="Refresh Started",
        help="Start of the refresh whose first step read these figures.",
    )
    order_count = fields.Integer(readonly=True)
    first_order_date = fields.Date(readonly=True)
    last_order_date = fields.Date(readonly=True)
    order_amount = fields.Float(readonly=True)
    order_margin = fields.Float(readonly=True)
    purchase_days = fields.Integer(readonly=True)
    paid_days = fields.Integer(string="Purchase Days of Value", readonly=True)
    paid_amount = fields.Float(string="Value of the Purchase Days", readonly=True)
    mean_gap = fields.Float(string="Mean Gap (days)", readonly=True)
    month_counts = fields.Char(
        string="Purchase Days per Month",
        readonly=True,
        help="Purchase days in January to December, comma-separated.",
    )
    categ_id = fields.Many2one("product.category", string="Top Category", readonly=True)
    discount = fields.Float(readonly=True)
    revenue = fields.Float(readonly=True)
    refunds = fields.Float(readonly=True)
    order_refunds = fields.Float(readonly=True)
    score_trend = fields.Float(readonly=True)
    rfm_segment = fields.Char(string="RFM Segment", readonly=True)

    @api.model
    def _stage(self, company, date_run, readings):
        """Replace the company's staged rows by the customers of
        ``readings`` (``relationship.analytics._analytics_read``), for the
        refresh started at ``date_run``. One COPY."""
        self._unstage(company)
        bulk.copy_into(
            self.env.cr,
            "relationship_analytics_stage",
            ["company_id", "date_run", "partner_id", *STAGED_COLUMNS],
            (
                (company.id, date_run, *_staged_row(readings, pid))
                for pid in readings["customers"]
            ),
        )
        self.invalidate_model()

    @api.model
    def _staged(self, company, date_run, shard, skipped=()):
        """The readings (as ``_analytics_read`` returns them) of the staged
        customers of ``shard`` ``(count, index)`` but ``skipped``, for the
        refresh started at ``date_run``; None when that refresh staged
        nothing for the company (a later refresh replaced its rows)."""
        count, index = shard
        # A category deleted since the first step is no top category.
        names = SQL(", ").join(
            SQL("category.id")
            if name == "categ_id"
            else SQL("stage.%s", SQL.identifier(name))
            for name in STAGED_COLUMNS
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT stage.partner_id, %(names)s
                  FROM relationship_analytics_stage stage %(partners)s
                  LEFT JOIN product_category category
                         ON category.id = stage.categ_id
                 WHERE stage.company_id = %(company)s
                   AND stage.date_run = %(date_run)s
                   AND mod(stage.partner_id, %(count)s) = %(index)s
                 ORDER BY stage.partner_id
                """,
                names=names,
                partners=self._staged_partners("stage"),
                company=company.id,
                date_run=date_run,
                count=count,
                index=index,
            )
        )
        rows = self.env.cr.fetchall()
        if not rows and not self._has_run(company, date_run):
            return None
        readings = {
            "rhythms": {},
            "lines": {},
            "invoiced": {},
            "engagement": {},
            "customers": [],
        }
        for pid, *values in rows:
            if pid in skipped:
                continue
            staged = dict(zip(STAGED_COLUMNS, values, strict=True))
            readings["customers"].append(pid)
            if staged["order_count"] is not None:
                rhythm = {name: staged[name] for name in RHYTHM}
                rhythm["month_counts"] = [
                    int(count) for count in staged["month_counts"].split(",")
                ]
                readings["rhythms"][pid] = rhythm
            if staged["discount"] is not None:
                readings["lines"][pid] = {
                    "categ_id": staged["categ_id"],
                    "discount": staged["discount"],
                }
            if staged["revenue"] is not None:
                readings["invoiced"][pid] = {
                    name: staged[name]
                    for name in ("revenue", "refunds", "order_refunds")
                }
            readings["engagement"][pid] = (staged["score_trend"], staged["rfm_segment"])
        return readings


def _staged_row(readings, pid):
    """The load row of customer ``pid`` of ``readings``: ``STAGED_COLUMNS``'
    values (NULL where nothing was read)."""
    rhythm = readings["rhythms"].get(pid) or {}
    trend, segment = readings["engagement"].get(pid, (None, None))
    values = {
        **rhythm,
        **(readings["lines"].get(pid) or {}),
        **(readings["invoiced"].get(pid) or {}),
        "score_trend": trend,
        "rfm_segment": segment,
    }
    if rhythm:
        values["month_counts"] = ",".join(map(str, rhythm["month_counts"]))
    return (pid, *(values.get(name) for name in STAGED_COLUMNS))
