from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._mark_engagement_for_recompute()
        return posted

    def button_draft(self):
        result = super().button_draft()
        self._mark_engagement_for_recompute()
        return result

    def button_cancel(self):
        result = super().button_cancel()
        self._mark_engagement_for_recompute()
        return result

    def _mark_engagement_for_recompute(self):
        invoices = self.filtered(
            lambda move: move.is_sale_document(include_receipts=True)
        )
        self.env["relationship.engagement"]._mark_for_recompute(
            (move.commercial_partner_id.id, move.company_id.id) for move in invoices
        )
