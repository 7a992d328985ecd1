from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_confirm(self):
        result = super().action_confirm()
        self._mark_engagement_for_recompute()
        return result

    def _action_cancel(self):
        result = super()._action_cancel()
        self._mark_engagement_for_recompute()
        return result

    def _mark_engagement_for_recompute(self):
        self.env["relationship.engagement"]._mark_for_recompute(
            (order.partner_id.commercial_partner_id.id, order.company_id.id)
            for order in self
        )
