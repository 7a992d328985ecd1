from odoo import api, fields, models

DISCOUNT_TYPES = [
    ("amount", "Fixed Amount"),
    ("percent", "Percentage"),
]
DISCOUNT_STATES = [
    ("pending", "Pending"),
    ("used", "Used"),
    ("cancelled", "Cancelled"),
]


class RelationshipDisputeDiscount(models.Model):
    """A discount granted to settle a dispute, noted on the commercial partner
    and taken once by the next sales order confirmed for that partner in the
    dispute's company."""

    _name = "relationship.dispute.discount"
    _description = "Dispute Discount on Next Order"
    _inherit = ["relationship.input.check"]
    _order = "id"
    _check_company_auto = True

    dispute_id = fields.Many2one(
        "relationship.dispute",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        help="Commercial partner whose next confirmed sales order takes the discount.",
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True)
    discount_type = fields.Selection(DISCOUNT_TYPES, required=True, default="amount")
    amount = fields.Monetary(
        currency_field="currency_id",
        help="Fixed amount (taxes included) still to deduct from the next order.",
    )
    percent = fields.Float(
        string="Percentage",
        digits=(5, 2),
        help="Percentage of the next order's total deducted from it.",
    )
    state = fields.Selection(
        DISCOUNT_STATES, required=True, default="pending", index=True
    )
    sale_order_id = fields.Many2one(
        "sale.order",
        string="Used On",
        readonly=True,
        check_company=True,
        help="The sales order that took the discount.",
    )
    amount_applied = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="What the order was reduced by, taxes included.",
    )

    _sql_constraints = [
        (
            "amount_positive",
            "CHECK (discount_type != 'amount' OR amount > 0 OR state != 'pending')",
            "A pending fixed discount needs a positive amount.",
        ),
        (
            "percent_range",
            "CHECK (discount_type != 'percent' OR (percent > 0 AND percent <= 100))",
            "A discount percentage lies between 0 and 100.",
        ),
    ]

    @api.depends("dispute_id", "discount_type", "amount", "percent")
    def _compute_display_name(self):
        for discount in self:
            if discount.discount_type == "percent":
                value = f"{discount.percent:g}%"
            else:
                value = discount.currency_id.format(discount.amount)
            discount.display_name = f"{discount.dispute_id.display_name}: {value}"
