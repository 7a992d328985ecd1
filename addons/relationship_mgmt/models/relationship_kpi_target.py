from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import kpi as kpi_engine

COMPARISONS = [("at_least", "At least"), ("at_most", "At most")]


class RelationshipKpiTarget(models.Model):
    """The value a company agreed for one KPI over a month or a quarter, and
    who answers for it: the owner gets an activity when a measurement of the
    KPI falls off target."""

    _name = "relationship.kpi.target"
    _description = "KPI Target"
    _inherit = ["mail.thread"]
    _order = "company_id, kpi, period_type"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        check_company=True,
        tracking=True,
        help="The team that answers for the target (measurements cover the "
        "whole company).",
    )
    kpi = fields.Selection(
        selection="_selection_kpi", string="KPI", required=True, tracking=True
    )
    comparison = fields.Selection(
        COMPARISONS,
        compute="_compute_comparison",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        tracking=True,
    )
    value = fields.Float(string="Target", required=True, tracking=True)
    period_type = fields.Selection(
        kpi_engine.PERIOD_TYPES,
        string="Period",
        required=True,
        default="month",
        tracking=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        required=True,
        default=lambda self: self.env.user,
        check_company=True,
        tracking=True,
        domain="[('share', '=', False)]",
    )
    unit = fields.Selection(kpi_engine.UNITS, compute="_compute_kpi_info")
    kpi_help = fields.Text(string="Definition", compute="_compute_kpi_info")

    # ---- Computes ----

    @api.model
    def _selection_kpi(self):
        return self.env["relationship.kpi.measurement"]._selection_kpi()

    @api.depends("kpi", "comparison", "value", "period_type")
    def _compute_name(self):
        kpis = dict(self._selection_kpi())
        comparisons = dict(COMPARISONS)
        periods = dict(kpi_engine.PERIOD_TYPES)
        for target in self:
            target.name = (
                f"{kpis.get(target.kpi, '')} {comparisons.get(target.comparison, '')}"
                f" {target.value:g} / {periods.get(target.period_type, '')}"
                if target.kpi
                else False
            )

    @api.depends("kpi")
    def _compute_comparison(self):
        catalogue = self.env["relationship.kpi.measurement"]._kpi_catalogue()
        for target in self:
            kpi = catalogue.get(target.kpi)
            if kpi and not target.comparison:
                target.comparison = "at_least" if kpi.higher_is_better else "at_most"

    @api.depends("kpi")
    def _compute_kpi_info(self):
        catalogue = self.env["relationship.kpi.measurement"]._kpi_catalogue()
        for target in self:
            kpi = catalogue.get(target.kpi)
            target.unit = kpi.unit if kpi else False
            target.kpi_help = (
                kpi_engine.translated(kpi.help, self.env.lang) if kpi else False
            )

    # ---- Constraints ----

    @api.constrains("kpi", "value")
    def _check_value(self):
        catalogue = self.env["relationship.kpi.measurement"]._kpi_catalogue()
        labels = dict(self._selection_kpi())
        no_limit = self.env._("no limit")
        for target in self:
            kpi = catalogue.get(target.kpi)
            if not kpi:
                raise ValidationError(
                    self.env._("Unknown KPI %(kpi)s.", kpi=target.kpi)
                )
            low, high = kpi.bounds
            if (low is not None and target.value < low) or (
                high is not None and target.value > high
            ):
                raise ValidationError(
                    self.env._(
                        "The target of %(kpi)s must lie between %(low)s and "
                        "%(high)s, not %(value)s.",
                        kpi=labels[target.kpi],
                        low=no_limit if low is None else format(low, "g"),
                        high=no_limit if high is None else format(high, "g"),
                        value=format(target.value, "g"),
                    )
                )

    @api.constrains("user_id", "company_id")
    def _check_user_id(self):
        for target in self:
            if target.company_id not in target.user_id.company_ids:
                raise ValidationError(
                    self.env._(
                        "The owner %(user)s of the target %(target)s does not "
                        "work in %(company)s.",
                        user=target.user_id.display_name,
                        target=target.display_name,
                        company=target.company_id.display_name,
                    )
                )

    @api.constrains("company_id", "kpi", "period_type", "active")
    def _check_unique(self):
        for target in self.filtered("active"):
            other = self.search(
                [
                    ("id", "!=", target.id),
                    ("company_id", "=", target.company_id.id),
                    ("kpi", "=", target.kpi),
                    ("period_type", "=", target.period_type),
                ],
                limit=1,
            )
            if other:
                raise ValidationError(
                    self.env._(
                        "%(company)s already has the target %(other)s for this "
                        "KPI and period: archive it or change it.",
                        company=target.company_id.display_name,
                        other=other.display_name,
                    )
                )
