from odoo import fields, models


class RelationshipDisputeResolveLine(models.TransientModel):
    _name = "relationship.dispute.resolve.line"
    _description = "Goods to Return for a Dispute"

    wizard_id = fields.Many2one(
        "relationship.dispute.resolve", required=True, ondelete="cascade"
    )
    product_id = fields.Many2one("product.product", required=True, readonly=True)
    uom_id = fields.Many2one(related="product_id.uom_id")
    quantity_returnable = fields.Float(
        string="Returnable",
        digits="Product Unit of Measure",
        readonly=True,
        help="Delivered and not returned yet.",
    )
    quantity = fields.Float(
        string="To Return", digits="Product Unit of Measure", required=True
    )
