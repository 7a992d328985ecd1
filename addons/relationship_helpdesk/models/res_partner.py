from odoo import api, fields, models

from odoo.addons.relationship_mgmt.tools import rpc
from odoo.addons.relationship_mgmt.tools.rpc import iso

# Open tickets one summary lists at most per partner (the counts are complete).
SUMMARY_TICKETS = 20


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ---- Relationship view ----

    relationship_open_ticket_ids = fields.Many2many(
        "helpdesk.ticket",
        string="Open Tickets",
        compute="_compute_relationship_tickets",
        groups="helpdesk_mgmt.group_helpdesk_user_own",
        help="Open tickets of the customer (all its contacts) in the current company.",
    )
    relationship_open_ticket_count = fields.Integer(
        string="Open Ticket Count", compute="_compute_relationship_tickets"
    )
    relationship_late_ticket_count = fields.Integer(
        string="Tickets past SLA", compute="_compute_relationship_tickets"
    )
    relationship_reopened_ticket_count = fields.Integer(
        string="Reopened Tickets",
        compute="_compute_relationship_tickets",
        help="Tickets reopened within the engagement window.",
    )

    @api.depends_context("company")
    def _compute_relationship_tickets(self):
        company = self.env.company
        commercial = self.commercial_partner_id
        signals = self.env["relationship.engagement"]._engagement_ticket_signals(
            company, commercial.ids
        )
        may_read = self.env.user.has_group("helpdesk_mgmt.group_helpdesk_user_own")
        open_tickets = self.env["helpdesk.ticket"]
        if may_read:
            open_tickets = open_tickets.search(
                [
                    ("commercial_partner_id", "in", commercial.ids),
                    ("company_id", "=", company.id),
                    ("closed", "=", False),
                ]
            )
        for partner in self:
            key = partner.commercial_partner_id.id
            opened, late, reopened = signals.get(key, (0, 0, 0))
            partner.relationship_open_ticket_count = opened
            partner.relationship_late_ticket_count = late
            partner.relationship_reopened_ticket_count = reopened
            if may_read:
                partner.relationship_open_ticket_ids = open_tickets.filtered(
                    lambda t, key=key: t.commercial_partner_id.id == key
                )

    # ---- Relationship summary (XML-RPC) ----

    # The override keeps the check of the ids that come from outside.
    @rpc.ids_first(lambda env: env._("partner ids"))
    def relationship_summary(self):
        """Adds ``helpdesk`` to each partner's summary, in the current
        company: ``open_ticket_count``, ``late_ticket_count`` (past their
        SLA), ``reopened_ticket_count`` (in the engagement window) and
        ``tickets``, the open tickets (at most 20, newest first: number,
        subject, stage, opening date, dispute ids) when the caller may read
        tickets, else False."""
        result = super().relationship_summary()
        partners = self.browse([row["id"] for row in result])
        commercial = partners.commercial_partner_id
        company = self.env.company
        signals = self.env["relationship.engagement"]._engagement_ticket_signals(
            company, commercial.ids
        )
        listed = {}
        may_read = self.env.user.has_group("helpdesk_mgmt.group_helpdesk_user_own")
        if may_read:
            open_tickets = self.env["helpdesk.ticket"].search(
                [
                    ("commercial_partner_id", "in", commercial.ids),
                    ("company_id", "=", company.id),
                    ("closed", "=", False),
                ],
                order="create_date desc, id desc",
            )
            for ticket in open_tickets:
                rows = listed.setdefault(ticket.commercial_partner_id.id, [])
                if len(rows) < SUMMARY_TICKETS:
                    rows.append(
                        {
                            "id": ticket.id,
                            "number": ticket.number,
                            "name": ticket.name,
                            "stage": ticket.stage_id.name or False,
                            "date_open": iso(ticket.create_date),
                            "dispute_ids": ticket.relationship_dispute_ids.ids,
                        }
                    )
        for row, partner in zip(result, partners, strict=True):
            key = partner.commercial_partner_id.id
            opened, late, reopened = signals.get(key, (0, 0, 0))
            row["helpdesk"] = {
                "open_ticket_count": opened,
                "late_ticket_count": late,
                "reopened_ticket_count": reopened,
                "tickets": listed.get(key, []) if may_read else False,
            }
        return result
