import functools

from odoo import api, fields, models
from odoo.tools import SQL, LazyTranslate, format_date

from odoo.addons.relationship_mgmt.tools.texts import plural

from ..engine import obligations as engine

# Document models a period may point to, with the button label of each.
DOCUMENT_MODELS = ("stock.picking", "sale.order", "purchase.order", "account.move")
_lt = LazyTranslate(__name__)

# How a breached period is told in activities and notes (translated), with
# one failing document or another number of them.
BREACH_TEXT_ONE = _lt(
    "%(obligation)s, %(dates)s: %(actual)s against a target of %(target)s "
    "(1 document missed it)."
)
BREACH_TEXT = _lt(
    "%(obligation)s, %(dates)s: %(actual)s against a target of %(target)s "
    "(%(failing)s documents missed it)."
)


class RelationshipObligationPeriod(models.Model):
    """One measurement period of an obligation: target, actual figure,
    status and the documents behind the figure. Written by the obligation
    refresh (set-based SQL), read-only for everyone."""

    _name = "relationship.obligation.period"
    _description = "Obligation Measurement Period"
    _order = "date_from desc, id desc"
    _rec_name = "obligation_id"
    _check_company_auto = True

    obligation_id = fields.Many2one(
        "relationship.agreement.obligation",
        required=True,
        readonly=True,
        ondelete="cascade",
    )  # indexed by the obligation_date_uniq constraint, which leads with it
    agreement_id = fields.Many2one(
        related="obligation_id.agreement_id", store=True, index=True
    )
    company_id = fields.Many2one(
        related="obligation_id.company_id", store=True, index=True
    )
    partner_id = fields.Many2one(
        related="obligation_id.partner_id", store=True, index=True
    )
    kind = fields.Selection(related="obligation_id.kind", store=True)
    currency_id = fields.Many2one(related="obligation_id.currency_id")
    date_from = fields.Date(string="From", required=True, readonly=True)
    date_to = fields.Date(string="To", required=True, readonly=True)
    target = fields.Float(readonly=True, aggregator="avg")
    actual = fields.Float(readonly=True, aggregator="avg")
    measured_count = fields.Integer(
        string="Items Measured",
        readonly=True,
        help="Deliveries, order lines, invoices or invoice lines judged.",
    )
    status = fields.Selection(engine.STATUSES, readonly=True, index=True)
    is_open = fields.Boolean(
        string="Running", readonly=True, help="The period was not over when measured."
    )
    document_refs = fields.Json(readonly=True)
    failing_refs = fields.Json(readonly=True)
    breach_notified = fields.Boolean(readonly=True)
    date_computed = fields.Datetime(string="Measured On", readonly=True)
    document_count = fields.Integer(string="Documents", compute="_compute_counts")
    failing_count = fields.Integer(
        string="Failing Documents", compute="_compute_counts"
    )
    target_label = fields.Char(string="Target Value", compute="_compute_labels")
    actual_label = fields.Char(string="Actual Value", compute="_compute_labels")

    _sql_constraints = [
        (
            "obligation_date_uniq",
            "unique(obligation_id, date_from)",
            "An obligation is measured once per period.",
        ),
    ]

    @api.depends("document_refs", "failing_refs")
    def _compute_counts(self):
        for period in self:
            period.document_count = sum(
                len(ids) for ids in (period.document_refs or {}).values()
            )
            period.failing_count = sum(
                len(ids) for ids in (period.failing_refs or {}).values()
            )

    @api.depends("target", "actual", "status", "obligation_id.kind")
    def _compute_labels(self):
        for period in self:
            obligation = period.obligation_id
            period.target_label = obligation._format_value(period.target)
            period.actual_label = (
                "-"
                if period.status == "no_data"
                else obligation._format_value(period.actual)
            )

    @api.depends("obligation_id", "date_from", "date_to")
    def _compute_display_name(self):
        for period in self:
            period.display_name = f"{period.obligation_id.name} ({period._dates()})"

    def _dates(self):
        self.ensure_one()
        return (
            f"{format_date(self.env, self.date_from)} - "
            f"{format_date(self.env, self.date_to)}"
        )

    def _breach_text(self):
        """How this breached period is told (``_breach_texts`` for many)."""
        self.ensure_one()
        template = self.env._(plural(self.failing_count, BREACH_TEXT_ONE, BREACH_TEXT))
        return template % {
            "obligation": self.obligation_id.name,
            "dates": self._dates(),
            "actual": self.actual_label,
            "target": self.target_label,
            "failing": self.failing_count,
        }

    def _breach_texts(self):
        """``{period id: (agreement id, obligation name, text)}``: the words
        of ``_breach_text`` for many periods, read in one query and formatted
        in bulk (the text translated once, each date and each amount of a
        currency formatted once)."""
        if not self:
            return {}
        self.env["relationship.agreement.obligation"].flush_model(["name", "kind"])
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id, p.agreement_id, o.name, o.kind, ag.currency_id,
                       p.date_from, p.date_to, p.target, p.actual, p.status,
                       p.failing_refs
                  FROM relationship_obligation_period p
                  JOIN relationship_agreement_obligation o ON o.id = p.obligation_id
                  JOIN relationship_agreement ag ON ag.id = o.agreement_id
                 WHERE p.id = ANY(%s)
                 ORDER BY p.id
                """,
                engine.array(self.ids, "int4[]"),
            )
        )
        rows = self.env.cr.fetchall()
        templates = (self.env._(BREACH_TEXT_ONE), self.env._(BREACH_TEXT))
        currencies = self.env["res.currency"].browse({row[4] for row in rows if row[4]})
        default_currency = self.env.company.currency_id

        @functools.cache
        def date_text(value):
            return format_date(self.env, value)

        @functools.cache
        def value_text(kind, currency_id, value):
            # As _format_value words it (a NULL figure reads as 0, as the
            # ORM gives it).
            value = value or 0.0
            if kind in engine.RATE_KINDS:
                return f"{value:g} %"
            if kind in ("min_volume", "max_volume"):
                currency = currencies.browse(currency_id) or default_currency
                return currency.format(value)
            return f"{value:g}"

        texts = {}
        for (
            period_id,
            agreement_id,
            name,
            kind,
            currency_id,
            date_from,
            date_to,
            target,
            actual,
            status,
            failing_refs,
        ) in rows:
            failing = sum(len(ids) for ids in (failing_refs or {}).values())
            actual_label = (
                "-" if status == "no_data" else value_text(kind, currency_id, actual)
            )
            texts[period_id] = (
                agreement_id,
                name,
                plural(failing, *templates)
                % {
                    "obligation": name,
                    "dates": f"{date_text(date_from)} - {date_text(date_to)}",
                    "actual": actual_label,
                    "target": value_text(kind, currency_id, target),
                    "failing": failing,
                },
            )
        return texts

    def action_view_documents(self):
        """The documents behind the figure (``failing`` in the context: those
        that missed the target), one model at a time: the first that has any,
        or the one named by ``document_model`` in the context."""
        self.ensure_one()
        refs = (
            self.failing_refs if self.env.context.get("failing") else self.document_refs
        ) or {}
        wanted = self.env.context.get("document_model")
        model = (
            wanted
            if wanted in refs
            else next((name for name in DOCUMENT_MODELS if refs.get(name)), None)
        )
        if not model:
            return False
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Documents of %(period)s", period=self.display_name),
            "res_model": model,
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", refs[model])],
            "context": {"create": False},
        }
