from odoo import api, fields, models
from odoo.exceptions import ValidationError

DISPUTE_TYPES = [
    ("billing", "Billing / Price"),
    ("delivery", "Delivery Late or Incomplete"),
    ("quality", "Quality / Damaged Goods"),
    ("contract", "Contractual"),
    ("service", "Service"),
    ("other", "Other"),
]
PRIORITIES = [
    ("0", "Low"),
    ("1", "Normal"),
    ("2", "High"),
    ("3", "Urgent"),
]


class RelationshipDisputeSla(models.Model):
    """Service level of a kind of dispute: how fast it must get a first
    response and a resolution. A dispute takes the most specific policy of its
    company (type and priority match, then type only, then priority only, then
    neither)."""

    _name = "relationship.dispute.sla"
    _description = "Dispute SLA Policy"
    _order = "company_id, dispute_type, priority, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    dispute_type = fields.Selection(
        DISPUTE_TYPES, string="Dispute Type", help="Empty: disputes of any type."
    )
    priority = fields.Selection(PRIORITIES, help="Empty: disputes of any priority.")
    response_hours = fields.Float(
        string="First Response (hours)",
        required=True,
        default=24.0,
        help="Time from opening to the first response to the partner.",
    )
    resolution_hours = fields.Float(
        string="Resolution (hours)",
        required=True,
        default=240.0,
        help="Time from opening to resolution or rejection.",
    )
    at_risk_percent = fields.Float(
        string="At Risk After (%)",
        default=75.0,
        help="A dispute is at risk once this share of its SLA time has elapsed "
        "without the response or resolution.",
    )

    _sql_constraints = [
        (
            "policy_unique",
            "UNIQUE NULLS NOT DISTINCT (company_id, dispute_type, priority)",
            "A company has one SLA policy per dispute type and priority.",
        ),
    ]

    @api.constrains("response_hours", "resolution_hours", "at_risk_percent")
    def _check_hours(self):
        for sla in self:
            if sla.response_hours <= 0 or sla.resolution_hours <= 0:
                raise ValidationError(
                    self.env._(
                        "SLA policy %(name)s: response and resolution times must be "
                        "positive.",
                        name=sla.name,
                    )
                )
            if sla.resolution_hours < sla.response_hours:
                raise ValidationError(
                    self.env._(
                        "SLA policy %(name)s: the resolution time (%(resolution)s h) "
                        "cannot be shorter than the first response time "
                        "(%(response)s h).",
                        name=sla.name,
                        resolution=sla.resolution_hours,
                        response=sla.response_hours,
                    )
                )
            if not 0 < sla.at_risk_percent <= 100:
                raise ValidationError(
                    self.env._(
                        "SLA policy %(name)s: the at-risk threshold must be between "
                        "0 and 100%%.",
                        name=sla.name,
                    )
                )

    @api.model
    def _find_policies(self, disputes):
        """``{dispute id: policy}`` — the most specific active policy of each
        dispute's company, read with one search for all of them."""
        policies = self.search([("company_id", "in", disputes.company_id.ids)])
        by_key = {(p.company_id.id, p.dispute_type, p.priority): p for p in policies}
        result = {}
        for dispute in disputes:
            company = dispute.company_id.id
            for key in (
                (company, dispute.dispute_type, dispute.priority),
                (company, dispute.dispute_type, False),
                (company, False, dispute.priority),
                (company, False, False),
            ):
                if key in by_key:
                    result[dispute.id] = by_key[key]
                    break
        return result
