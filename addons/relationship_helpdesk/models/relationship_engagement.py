from datetime import datetime, time

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.relationship_mgmt.engine import engagement as engine
from odoo.addons.relationship_mgmt.tools.texts import plural

from ..engine import tickets

# Key in the cursor's cache of the service details read with the presence of
# a recordset's components (see _engagement_optional_presence()).
SERVICE_DETAILS_CACHE = "relationship_helpdesk.service_details"


class RelationshipEngagement(models.Model):
    """Helpdesk tickets are service issues beside the disputes: the service
    component loses the same points for an open ticket, for an open ticket
    past its SLA (once more) and for a ticket reopened in the window (once
    more) as for an open dispute. Ticket ratings reach the satisfaction
    component as satisfaction responses (see rating_rating.py)."""

    _inherit = "relationship.engagement"

    @api.model
    def _engagement_open_dispute_counts(self, company, partner_ids):
        counts = super()._engagement_open_dispute_counts(company, partner_ids)
        counts = dict(counts or {})
        for partner_id, signals in self._engagement_ticket_signals(
            company, partner_ids
        ).items():
            counts[partner_id] = counts.get(partner_id, 0) + tickets.service_issues(
                signals
            )
        return counts

    @api.model
    def _engagement_ticket_signals(self, company, partner_ids):
        """``{partner id: (open, late, reopened)}`` tickets of ``company``
        (see engine/tickets.py). One query."""
        Ticket = self.env["helpdesk.ticket"]
        Ticket.flush_model(
            [
                "commercial_partner_id",
                "company_id",
                "stage_id",
                "active",
                "closed_date",
                "relationship_date_reopened",
            ]
        )
        with_sla = "helpdesk.ticket.sla" in self.env
        if with_sla:
            self.env["helpdesk.ticket.sla"].flush_model(["state", "deadline"])
        today = fields.Date.context_today(self.with_company(company))
        return tickets.ticket_signals(
            self.env.cr,
            company.id,
            partner_ids,
            engine.window_start(today, company.engagement_window_days),
            fields.Datetime.now(),
            with_sla,
        )

    def _engagement_optional_presence(self):
        # Every reader of the reasons asks for the presence of the records
        # first: read their service details then, in two queries per company,
        # instead of two per record.
        present = super()._engagement_optional_presence()
        self.env.cr.cache[SERVICE_DETAILS_CACHE] = self._engagement_service_details()
        return present

    def _engagement_service_details(self):
        """``{engagement id: (open disputes, open, late, reopened tickets,
        ticket ratings in the window)}``, as they are now."""
        details = {}
        for company, records in self.grouped("company_id").items():
            partner_ids = records.partner_id.ids
            signals = self._engagement_ticket_signals(company, partner_ids)
            disputes = self.env["relationship.dispute"]._open_counts(
                company, partner_ids
            )
            ratings = self._engagement_ticket_rating_counts(company, partner_ids)
            for record in records:
                key = record.partner_id.id
                details[record.id] = (
                    disputes.get(key, 0),
                    *signals.get(key, (0, 0, 0)),
                    ratings.get(key, 0),
                )
        return details

    @api.model
    def _engagement_ticket_rating_counts(self, company, partner_ids):
        """``{partner id: satisfaction responses of the window that are ticket
        ratings}`` in ``company``. One query."""
        self.env["relationship.satisfaction"].flush_model(
            ["partner_id", "company_id", "date", "rating_id"]
        )
        today = fields.Date.context_today(self.with_company(company))
        date_from = engine.window_start(today, company.engagement_window_days)
        self.env.cr.execute(
            SQL(
                """
                SELECT s.partner_id, COUNT(*)
                  FROM relationship_satisfaction s
                  JOIN rating_rating r ON r.id = s.rating_id
                 WHERE r.res_model = 'helpdesk.ticket'
                   AND s.company_id = %(company)s
                   AND s.partner_id = ANY(%(partners)s::int[])
                   AND s.date >= %(date_from)s
                 GROUP BY 1
                """,
                company=company.id,
                partners=engine.array_literal(partner_ids),
                date_from=datetime.combine(date_from, time.min),
            )
        )
        return dict(self.env.cr.fetchall())

    def _engagement_reason_lines(self, present=()):
        """The service line says which disputes and tickets it counts (as they
        are now: the line is read when shown)."""
        lines = super()._engagement_reason_lines(present)
        if self.tier == "new" or "service" not in present:
            return lines
        _ = self.env._
        details = self.env.cr.cache.get(SERVICE_DETAILS_CACHE, {}).get(self.id)
        if details is None:
            details = self._engagement_service_details()[self.id]
        disputes, opened, late, reopened, ratings = details
        window = self.window_days or self.company_id.engagement_window_days
        text = _(
            "Open disputes: %(disputes)s; open tickets: %(open)s, past their "
            "SLA: %(late)s, reopened in the last %(window)s days: %(reopened)s",
            disputes=disputes,
            open=opened,
            late=late,
            reopened=reopened,
            window=window,
        )
        texts = {_("Service"): text}
        if ratings and "satisfaction" in present:
            texts[_("Satisfaction")] = plural(
                ratings,
                _(
                    "Satisfaction %(value)s/100, with 1 ticket rating",
                    value=round(self.satisfaction_value),
                ),
                _(
                    "Satisfaction %(value)s/100, with %(count)s ticket ratings",
                    value=round(self.satisfaction_value),
                    count=ratings,
                ),
            )
        return [(name, value, texts.get(name, reason)) for name, value, reason in lines]
