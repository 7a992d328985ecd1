from datetime import timedelta

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
# The policies every company starts with, one per priority and any type:
# (priority, first response hours, resolution hours).
DEFAULT_POLICIES = [
    ("3", 4.0, 48.0),
    ("2", 8.0, 72.0),
    ("1", 24.0, 240.0),
    ("0", 48.0, 480.0),
]


class RelationshipDisputeSla(models.Model):
    """Service level of a kind of dispute: how fast it must get a first
    response and a resolution. A dispute takes the most specific policy of its
    company (type and priority match, then type only, then priority only, then
    neither)."""

    _name = "relationship.dispute.sla"
    _description = "Dispute SLA Policy"
    _inherit = ["relationship.input.check"]
    _order = "company_id, dispute_type, priority, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    dispute_type = fields.Selection(DISPUTE_TYPES, help="Empty: disputes of any type.")
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
    def _policy_map(self, company_ids):
        """``{(company id, type, priority): policy}`` of the active policies of
        ``company_ids`` (one search)."""
        policies = self.search([("company_id", "in", list(company_ids))])
        return {(p.company_id.id, p.dispute_type, p.priority): p for p in policies}

    @api.model
    def _pick_policy(self, policy_map, company_id, dispute_type, priority):
        """The most specific policy of ``policy_map`` for a dispute."""
        for key in (
            (company_id, dispute_type, priority),
            (company_id, dispute_type, False),
            (company_id, False, priority),
            (company_id, False, False),
        ):
            if key in policy_map:
                return policy_map[key]
        return self.browse()

    def _due_dates(self, date_open):
        """``(response due, resolution due)`` of a dispute opened at
        ``date_open`` under this policy."""
        self.ensure_one()
        return (
            date_open + timedelta(hours=self.response_hours),
            date_open + timedelta(hours=self.resolution_hours),
        )

    @api.model
    def _create_default_policies(self, companies=None):
        """Give the default policies (one per priority, any type) to the
        ``companies`` (all by default) that have no policy at all, archived
        ones included: a company whose policies were edited or archived keeps
        them. Called at install/update and when a company is created."""
        companies = companies or self.env["res.company"].search([])
        # sudo: the defaults are written for every company at install and by
        # the company creation, whoever creates the company.
        Sla = self.sudo().with_context(active_test=False)
        existing = Sla.search([("company_id", "in", companies.ids)]).company_id
        priorities = dict(PRIORITIES)
        vals_list = [
            {
                "name": self.env._(
                    "%(priority)s priority disputes", priority=priorities[priority]
                ),
                "company_id": company.id,
                "priority": priority,
                "response_hours": response,
                "resolution_hours": resolution,
            }
            for company in companies - existing
            for priority, response, resolution in DEFAULT_POLICIES
        ]
        return Sla.create(vals_list)
