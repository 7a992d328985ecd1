from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._mark_engagement_for_recompute()
        return partials

    def unlink(self):
        self._mark_engagement_for_recompute()
        return super().unlink()

    def _mark_engagement_for_recompute(self):
        moves = (self.debit_move_id | self.credit_move_id).move_id
        moves._mark_engagement_for_recompute()
