from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RelationshipAgreementPrice(models.Model):
    _name = "relationship.agreement.price"
    _description = "Agreed or Proposed Price"
    _inherit = ["relationship.input.check"]
    _order = "id"
    _check_company_auto = True

    agreement_id = fields.Many2one(
        "relationship.agreement", index="btree_not_null", ondelete="cascade"
    )
    round_id = fields.Many2one(
        "relationship.agreement.round", index="btree_not_null", ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company", compute="_compute_company_id", store=True, index=True
    )
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    product_id = fields.Many2one(
        "product.product", required=True, check_company=True, index=True
    )
    product_uom_id = fields.Many2one(
        related="product_id.uom_id", string="Unit of Measure"
    )
    price_unit = fields.Float(
        string="Unit Price", required=True, digits="Product Price", default=0.0
    )

    @api.depends("agreement_id.company_id", "round_id.company_id")
    def _compute_company_id(self):
        for price in self:
            agreement = price.agreement_id or price.round_id.agreement_id
            price.company_id = agreement.company_id

    @api.depends("agreement_id.currency_id", "round_id.currency_id")
    def _compute_currency_id(self):
        for price in self:
            agreement = price.agreement_id or price.round_id.agreement_id
            price.currency_id = agreement.currency_id

    @api.constrains("price_unit", "agreement_id", "round_id")
    def _check_price(self):
        for price in self:
            if price.price_unit < 0:
                raise ValidationError(
                    self.env._(
                        "The price of %(product)s cannot be negative (%(price)s).",
                        product=price.product_id.display_name,
                        price=price.price_unit,
                    )
                )
            if bool(price.agreement_id) == bool(price.round_id):
                raise ValidationError(
                    self.env._(
                        "The price of %(product)s belongs either to an agreement or "
                        "to a negotiation round.",
                        product=price.product_id.display_name,
                    )
                )
