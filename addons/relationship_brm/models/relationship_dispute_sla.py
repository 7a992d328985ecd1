from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.relationship_mgmt.tools.working_time import (
    has_working_time,
    plan_work_hours,
    work_hours_between,
)

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
HOURS_BASES = [
    ("calendar", "Round the clock"),
    ("working", "Working hours"),
]
# Policy fields whose change moves the due dates of its open disputes.
TIMING_FIELDS = (
    "response_hours",
    "resolution_hours",
    "at_risk_percent",
    "hours_basis",
    "calendar_id",
)
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
    hours_basis = fields.Selection(
        HOURS_BASES,
        string="Hours Counted",
        required=True,
        default="calendar",
        help="Round the clock: every hour counts, nights and weekends too (the "
        "behaviour before working hours existed). Working hours: only the hours "
        "of the working schedule count, public holidays (time off without a "
        "resource) skipped; the SLA clock also stands still outside them.",
    )
    calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        check_company=True,
        domain="['|', ('company_id', '=', False), ('company_id', '=', company_id)]",
        help="Working schedule of this policy; empty: the company's dispute SLA "
        "working hours (Settings).",
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

    @api.constrains("hours_basis", "calendar_id", "company_id")
    def _check_calendar(self):
        for sla in self:
            calendar = sla.calendar_id or (
                sla.hours_basis == "working" and sla.company_id.dispute_sla_calendar_id
            )
            if sla.hours_basis == "working" and not calendar:
                raise ValidationError(
                    self.env._(
                        "SLA policy %(name)s counts working hours but neither it nor "
                        "company %(company)s has working hours: choose a working "
                        "schedule.",
                        name=sla.name,
                        company=sla.company_id.name,
                    )
                )
            if calendar and not has_working_time(calendar):
                raise ValidationError(
                    self.env._(
                        "SLA policy %(name)s: the working hours %(calendar)s have no "
                        "working time (no attendance), so its disputes could never "
                        "fall due. Add attendances or choose another schedule.",
                        name=sla.name,
                        calendar=calendar.name,
                    )
                )

    def write(self, vals):
        result = super().write(vals)
        if any(fname in vals for fname in TIMING_FIELDS):
            self._replan_open_disputes()
        return result

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

    def _working_calendar(self):
        """The calendar this policy counts in; empty round the clock."""
        self.ensure_one()
        if self.hours_basis != "working":
            return self.env["resource.calendar"]
        return self.calendar_id or self.company_id.dispute_sla_calendar_id

    @api.model
    def _per_calendar(self, requests, by_calendar, round_the_clock):
        """``[(policy, moment, value), ...]`` answered per request: the
        requests whose policy counts working hours go to ``by_calendar(calendar,
        [(moment, value), ...])`` in one call per calendar (one read of its
        schedule and holidays), the others to ``round_the_clock(moment,
        value)``."""
        results = [None] * len(requests)
        indexes_by_calendar = defaultdict(list)
        for index, (policy, moment, value) in enumerate(requests):
            calendar = policy and policy._working_calendar()
            if calendar:
                indexes_by_calendar[calendar].append(index)
            else:
                results[index] = round_the_clock(moment, value)
        for calendar, indexes in indexes_by_calendar.items():
            answers = by_calendar(calendar, [requests[index][1:] for index in indexes])
            for index, answer in zip(indexes, answers, strict=True):
                results[index] = answer
        return results

    @api.model
    def _plan(self, requests):
        """``[(policy, start, hours), ...]``: the moment ``hours`` of each
        policy's time after ``start`` (working hours only when it counts
        them)."""
        return self._per_calendar(
            requests,
            plan_work_hours,
            lambda start, hours: start + timedelta(hours=hours),
        )

    @api.model
    def _hours_between(self, requests):
        """``[(policy, begin, end), ...]``: the hours of each policy's time
        between ``begin`` and ``end`` (working hours only when it counts
        them)."""
        return self._per_calendar(
            requests,
            work_hours_between,
            lambda begin, end: max((end - begin).total_seconds() / 3600.0, 0.0),
        )

    def _replan_open_disputes(self):
        """The timing of these policies changed: their open disputes get due
        dates (and at-risk moments) planned again, and their status judged."""
        if not self:
            return
        disputes = self.env["relationship.dispute"].search(
            [("sla_id", "in", self.ids), ("is_closed", "=", False)]
        )
        disputes._set_sla_dates()
        disputes._update_sla_state()

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
