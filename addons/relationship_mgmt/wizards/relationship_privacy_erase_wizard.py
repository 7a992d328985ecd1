from odoo import api, fields, models


class RelationshipPrivacyEraseWizard(models.TransientModel):
    """Confirmation of an erasure request (Action ▸ Erase Relationship Data):
    says what goes, then erases it."""

    _name = "relationship.privacy.erase.wizard"
    _description = "Erase Relationship Data"

    partner_ids = fields.Many2many(
        "res.partner", string="Customers", required=True, readonly=True
    )
    customer_count = fields.Integer(compute="_compute_customer_count")

    @api.depends("partner_ids")
    def _compute_customer_count(self):
        for wizard in self:
            wizard.customer_count = len(wizard.partner_ids.commercial_partner_id)

    def action_erase(self):
        self.ensure_one()
        return self.partner_ids.action_relationship_erase()
