from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def action_open_relationship_dispute(self):
        """Open a new delivery dispute form about this transfer (and its
        order)."""
        self.ensure_one()
        return self.env["relationship.dispute"]._action_new_dispute(
            self.partner_id,
            self.company_id,
            picking_id=self.id,
            sale_order_id=self.sale_id.id,
            purchase_order_id=self.purchase_id.id,
            dispute_type="delivery",
            name=self.env._("Dispute on %(picking)s", picking=self.name),
        )
