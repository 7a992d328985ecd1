from odoo import models
from odoo.tools import SQL, format_date

from odoo.addons.relationship_mgmt.engine import engagement as engine

# Credit-control lines that reached the customer.
SENT_STATES = ("sent",)


class RelationshipEngagement(models.Model):
    """The payment reason also says how credit control went with the
    customer in the window: reminders sent, their highest level, the last
    one. Lines of other companies never count."""

    _inherit = "relationship.engagement"

    def _engagement_reason_lines(self, present=()):
        lines = super()._engagement_reason_lines(present)
        if self.tier == "new":
            return lines
        history = self._engagement_credit_control_history()
        if not history:
            return lines
        _ = self.env._
        sent, level, last = history
        text = _(
            "credit-control reminders sent: %(count)s (highest level %(level)s, "
            "last on %(date)s)",
            count=sent,
            level=level,
            date=format_date(self.env, last),
        )
        label = _("Payment")
        return [
            (name, value, f"{reason}; {text}" if name == label else reason)
            for name, value, reason in lines
        ]

    def _engagement_credit_control_history(self):
        """``(sent reminders, highest level, last sending date)`` of the
        customer in the company within the window, or None without any."""
        self.ensure_one()
        self.env["credit.control.line"].flush_model(
            ["commercial_partner_id", "company_id", "state", "level", "date_sent"]
        )
        window = self.window_days or self.company_id.engagement_window_days
        today = self.date_computed.date() if self.date_computed else None
        date_from = engine.window_start(today, window) if today else None
        self.env.cr.execute(
            SQL(
                """
                SELECT COUNT(*), MAX(level), MAX(COALESCE(date_sent, date))
                  FROM credit_control_line
                 WHERE commercial_partner_id = %(partner)s
                   AND company_id = %(company)s
                   AND state IN %(states)s
                   AND (%(date_from)s::date IS NULL
                        OR COALESCE(date_sent, date) >= %(date_from)s::date)
                """,
                partner=self.partner_id.id,
                company=self.company_id.id,
                states=SENT_STATES,
                date_from=date_from,
            )
        )
        count, level, last = self.env.cr.fetchone()
        return (count, level, last) if count else None
