from odoo import api, models
from odoo.exceptions import ValidationError

from odoo.addons.relationship_mgmt.tools.working_time import has_working_time


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    @api.constrains("attendance_ids")
    def _check_dispute_sla_working_time(self):
        emptied = self.filtered(lambda calendar: not has_working_time(calendar))
        if not emptied:
            return
        # sudo: the usage check reads every company's settings and policies,
        # whoever edits the shared schedule; only names are shown.
        used = (
            self.env["res.company"]
            .sudo()
            .search([("dispute_sla_calendar_id", "in", emptied.ids)])
            .dispute_sla_calendar_id
        ) | (
            self.env["relationship.dispute.sla"]
            .sudo()
            .search([("calendar_id", "in", emptied.ids)])
            .calendar_id
        )
        if used:
            raise ValidationError(
                self.env._(
                    "The working hours %(calendar)s are used by dispute SLAs and "
                    "cannot be left without working time (no attendance).",
                    calendar=used[0].name,
                )
            )
