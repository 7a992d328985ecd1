from odoo import fields, models


class RelationshipDispute(models.Model):
    _inherit = "relationship.dispute"

    helpdesk_ticket_id = fields.Many2one(
        "helpdesk.ticket",
        string="Ticket",
        index="btree_not_null",
        tracking=True,
        copy=False,
        check_company=True,
        ondelete="set null",
        domain="[('commercial_partner_id', '=', commercial_partner_id)]",
        help="The helpdesk ticket the dispute was opened from.",
    )

    def action_view_helpdesk_ticket(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "helpdesk.ticket",
            "res_id": self.helpdesk_ticket_id.id,
            "view_mode": "form",
            "target": "current",
        }
