from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import kpi as kpi_engine

# Periods one run may measure (a backfill of years of months stays bounded).
MAX_PERIODS = 60


class RelationshipKpiMeasureWizard(models.TransientModel):
    """Measure the KPIs now, or backfill them over past periods."""

    _name = "relationship.kpi.measure.wizard"
    _description = "Measure KPIs"

    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        required=True,
        default=lambda self: self.env.companies,
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)],
    )
    period_type = fields.Selection(
        kpi_engine.PERIOD_TYPES, string="Periods", required=True, default="month"
    )
    date_from = fields.Date(
        string="From", required=True, default=lambda self: self._default_date_from()
    )
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)
    force = fields.Boolean(
        string="Recompute Closed Periods",
        help="Measure again the periods that had ended when they were last "
        "measured (the cron leaves them as they are).",
    )

    @api.model
    def _default_date_from(self):
        today = fields.Date.context_today(self)
        return kpi_engine.previous_period("month", today.replace(day=1))

    def action_measure(self):
        self.ensure_one()
        if self.date_from > self.date_to:
            raise UserError(
                self.env._(
                    "The first period (%(date_from)s) is after the last one "
                    "(%(date_to)s).",
                    date_from=self.date_from,
                    date_to=self.date_to,
                )
            )
        periods = kpi_engine.periods_between(
            self.period_type, self.date_from, self.date_to
        )
        if len(periods) > MAX_PERIODS:
            raise UserError(
                self.env._(
                    "Measure at most %(max)s periods at once (%(count)s asked).",
                    max=MAX_PERIODS,
                    count=len(periods),
                )
            )
        Measurement = self.env["relationship.kpi.measurement"]
        measurements = Measurement.browse()
        for date_from in periods:
            measurements |= Measurement._measure(
                self.company_ids, self.period_type, date_from, force=self.force
            )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_mgmt.relationship_kpi_measurement_action"
        )
        action["domain"] = [
            ("company_id", "in", self.company_ids.ids),
            ("period_type", "=", self.period_type),
            ("date_from", ">=", fields.Date.to_string(periods[0])),
            ("date_from", "<=", fields.Date.to_string(periods[-1])),
        ]
        action["context"] = {}
        return action
