from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    relationship_pending_discount_ids = fields.One2many(
        "relationship.dispute.discount",
        "partner_id",
        string="Pending Dispute Discounts",
        domain=[("state", "=", "pending")],
        groups="relationship_mgmt.group_relationship_user",
        help="Discounts granted to settle disputes, taken by the next confirmed "
        "sales order of this customer.",
    )
