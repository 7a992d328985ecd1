from odoo import fields, models


class RelationshipPartnerType(models.Model):
    _name = "relationship.partner.type"
    _description = "Business Relationship Type"
    _inherit = ["relationship.input.check"]
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Technical key (customer, supplier, distributor...) used by code.",
    )
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "Each relationship type has its own code."),
    ]
