from odoo import fields, models

from .relationship_agreement_document_mixin import agreement_domain


class PurchaseOrder(models.Model):
    _name = "purchase.order"
    _inherit = ["purchase.order", "relationship.agreement.document.mixin"]
    _agreement_side = "purchase"
    _agreement_dispute_field = "purchase_order_id"

    agreement_id = fields.Many2one(
        tracking=True,
        domain=agreement_domain("purchase"),
        help="Running agreement of the vendor the order falls under; by default "
        "its single running purchase agreement.",
    )
