from odoo import fields, models

from .relationship_agreement_document_mixin import agreement_domain


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "relationship.agreement.document.mixin"]
    _agreement_side = "sale"
    _agreement_dispute_field = "sale_order_id"

    agreement_id = fields.Many2one(
        tracking=True,
        domain=agreement_domain("sale"),
        help="Running agreement of the customer the order falls under; by "
        "default its single running sales or distribution agreement.",
    )

    def _prepare_invoice(self):
        values = super()._prepare_invoice()
        values["agreement_id"] = self.agreement_id.id
        return values
