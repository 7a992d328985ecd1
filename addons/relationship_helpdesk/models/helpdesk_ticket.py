from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .relationship_engagement import SERVICE_DETAILS_CACHE

# Ticket fields whose change moves the customer's service signals.
SIGNAL_FIELDS = frozenset({"stage_id", "partner_id", "company_id", "active"})


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    relationship_dispute_ids = fields.One2many(
        "relationship.dispute",
        "helpdesk_ticket_id",
        string="Disputes",
        groups="relationship_mgmt.group_relationship_user",
    )
    relationship_dispute_count = fields.Integer(
        string="Dispute Count",
        compute="_compute_relationship_dispute_count",
        groups="relationship_mgmt.group_relationship_user",
    )
    relationship_reopen_count = fields.Integer(
        string="Reopened",
        readonly=True,
        copy=False,
        help="How many times the ticket went from a closed stage back to an open one.",
    )
    relationship_date_reopened = fields.Datetime(
        string="Last Reopened", readonly=True, copy=False
    )

    # ---- Computes ----

    @api.depends("relationship_dispute_ids")
    def _compute_relationship_dispute_count(self):
        groups = self.env["relationship.dispute"]._read_group(
            [("helpdesk_ticket_id", "in", self.ids)],
            ["helpdesk_ticket_id"],
            ["__count"],
        )
        counts = {ticket.id: count for ticket, count in groups}
        for ticket in self:
            ticket.relationship_dispute_count = counts.get(ticket.id, 0)

    # ---- CRUD ----

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets._relationship_mark_customers()
        return tickets

    def write(self, vals):
        if not SIGNAL_FIELDS & vals.keys():
            return super().write(vals)
        reopened = self.browse()
        if vals.get("stage_id"):
            stage = self.env["helpdesk.ticket.stage"].browse(vals["stage_id"])
            if not stage.closed:
                reopened = self.filtered("stage_id.closed")
        self._relationship_mark_customers()
        result = super().write(vals)
        reopened._relationship_count_reopening()
        self._relationship_mark_customers()
        return result

    def unlink(self):
        self._relationship_mark_customers()
        return super().unlink()

    # ---- Actions ----

    def action_create_relationship_dispute(self):
        """Turn the ticket into a dispute (it is about money or goods after
        all): a new dispute with the ticket's customer, subject and
        description, linked both ways; opens it. A ticket with an open
        dispute opens that one instead."""
        self.ensure_one()
        dispute = self._relationship_create_dispute()
        return {
            "type": "ir.actions.act_window",
            "res_model": "relationship.dispute",
            "res_id": dispute.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_view_relationship_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_brm.relationship_dispute_action"
        )
        action["domain"] = [("helpdesk_ticket_id", "=", self.id)]
        action["context"] = {"default_helpdesk_ticket_id": self.id}
        return action

    # ---- Business methods ----

    def _relationship_create_dispute(self, dispute_type="billing"):
        """The open dispute of this ticket, created when there is none."""
        self.ensure_one()
        _ = self.env._
        existing = self.relationship_dispute_ids.filtered(lambda d: not d.is_closed)
        if existing:
            return existing[:1]
        if not self.partner_id:
            raise UserError(
                _(
                    "Ticket %(ticket)s has no customer: set its contact before "
                    "turning it into a dispute.",
                    ticket=self.display_name,
                )
            )
        dispute = self.env["relationship.dispute"].create(
            {
                "name": self.name,
                "partner_id": self.commercial_partner_id.id,
                "email_from": self.partner_email or self.partner_id.email,
                "company_id": self.company_id.id,
                "dispute_type": dispute_type,
                "description": self.description,
                "helpdesk_ticket_id": self.id,
            }
        )
        self.message_post(
            body=Markup(_("Turned into dispute %(dispute)s."))
            % {"dispute": dispute._get_html_link()}
        )
        dispute.message_post(
            body=Markup(_("Opened from ticket %(ticket)s."))
            % {"ticket": self._get_html_link()}
        )
        return dispute

    def _relationship_count_reopening(self):
        if not self:
            return
        self.flush_recordset(["relationship_reopen_count"])
        self.env.cr.execute(
            SQL(
                "UPDATE helpdesk_ticket SET relationship_reopen_count = "
                "COALESCE(relationship_reopen_count, 0) + 1, "
                "relationship_date_reopened = %s WHERE id = ANY(%s)",
                fields.Datetime.now(),
                self.ids,
            )
        )
        self.invalidate_recordset(
            ["relationship_reopen_count", "relationship_date_reopened"]
        )

    def _relationship_mark_customers(self):
        # The service details read for the reasons are outdated now.
        self.env.cr.cache.pop(SERVICE_DETAILS_CACHE, None)
        # sudo: reads only each ticket's customer and company to flag the
        # engagement for a recompute, whoever changes the ticket.
        tickets = self.sudo()
        self.env["relationship.engagement"]._mark_for_recompute(
            [(t.commercial_partner_id.id, t.company_id.id) for t in tickets]
        )
