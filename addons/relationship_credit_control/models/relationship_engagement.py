from odoo import fields, models
from odoo.tools import SQL, format_date

from odoo.addons.relationship_mgmt.engine import engagement as engine

# Credit-control lines that reached the customer.
SENT_STATES = ("sent",)
# Key in the cursor's cache of the histories read with the presence of a
# recordset's components (see _engagement_optional_presence()).
HISTORY_CACHE = "relationship_credit_control.history"


class RelationshipEngagement(models.Model):
    """The payment reason also says how credit control went with the
    customer in the window: reminders sent, their highest level, the last
    one. Lines of other companies never count."""

    _inherit = "relationship.engagement"

    def _engagement_optional_presence(self):
        # Every reader of the reasons asks for the presence first: read the
        # histories of the whole recordset then, one query per company.
        present = super()._engagement_optional_presence()
        self.env.cr.cache[HISTORY_CACHE] = self._engagement_credit_control_histories()
        return present

    def _engagement_reason_lines(self, present=()):
        lines = super()._engagement_reason_lines(present)
        if self.tier == "new":
            return lines
        histories = self.env.cr.cache.get(HISTORY_CACHE, {})
        if self.id not in histories:
            histories = self._engagement_credit_control_histories()
        history = histories.get(self.id)
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

    def _engagement_credit_control_histories(self):
        """``{engagement id: (sent reminders, highest level, last sending
        date) or None}`` of the customers in their company, within the
        company's engagement window."""
        self.env["credit.control.line"].flush_model(
            ["commercial_partner_id", "company_id", "state", "level", "date_sent"]
        )
        histories = {}
        for company, records in self.grouped("company_id").items():
            today = fields.Date.context_today(self.with_company(company))
            self.env.cr.execute(
                SQL(
                    """
                    SELECT commercial_partner_id, COUNT(*), MAX(level),
                           MAX(COALESCE(date_sent, date))
                      FROM credit_control_line
                     WHERE commercial_partner_id = ANY(%(partners)s)
                       AND company_id = %(company)s
                       AND state IN %(states)s
                       AND COALESCE(date_sent, date) >= %(date_from)s
                     GROUP BY 1
                    """,
                    partners=records.partner_id.ids,
                    company=company.id,
                    states=SENT_STATES,
                    date_from=engine.window_start(
                        today, company.engagement_window_days
                    ),
                )
            )
            found = {
                pid: (count, level, last)
                for pid, count, level, last in self.env.cr.fetchall()
            }
            for record in records:
                histories[record.id] = found.get(record.partner_id.id)
        return histories
