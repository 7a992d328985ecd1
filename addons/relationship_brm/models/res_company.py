from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.relationship_mgmt.tools.working_time import has_working_time


class ResCompany(models.Model):
    _inherit = "res.company"

    dispute_sla_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Dispute SLA Working Hours",
        compute="_compute_dispute_sla_calendar_id",
        store=True,
        readonly=False,
        domain="['|', ('company_id', '=', False), ('company_id', '=', id)]",
        help="Working hours and public holidays (time off without a resource) "
        "in which the dispute SLA policies counting working hours run, unless "
        "a policy names its own. Defaults to the company's working hours.",
    )

    @api.depends("resource_calendar_id")
    def _compute_dispute_sla_calendar_id(self):
        for company in self:
            if not company.dispute_sla_calendar_id:
                company.dispute_sla_calendar_id = company.resource_calendar_id

    @api.constrains("dispute_sla_calendar_id")
    def _check_dispute_sla_calendar_id(self):
        for company in self:
            calendar = company.dispute_sla_calendar_id
            if calendar and not has_working_time(calendar):
                raise ValidationError(
                    self.env._(
                        "Company %(company)s: the working hours %(calendar)s have "
                        "no working time (no attendance), so no dispute SLA could "
                        "ever fall due in them. Add attendances or choose another "
                        "schedule.",
                        company=company.name,
                        calendar=calendar.name,
                    )
                )
        # The policies counting in the company's hours need them.
        self.env["relationship.dispute.sla"].search(
            [("company_id", "in", self.ids), ("hours_basis", "=", "working")]
        )._check_calendar()

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        # New companies start with the default dispute SLA policies.
        self.env["relationship.dispute.sla"]._create_default_policies(companies)
        return companies

    def write(self, vals):
        result = super().write(vals)
        if "dispute_sla_calendar_id" in vals:
            # The open disputes whose policies count in the company's hours.
            self.env["relationship.dispute.sla"].search(
                [
                    ("company_id", "in", self.ids),
                    ("hours_basis", "=", "working"),
                    ("calendar_id", "=", False),
                ]
            )._replan_open_disputes()
        return result
