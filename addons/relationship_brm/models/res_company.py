from odoo import api, models


class ResCompany(models.Model):
    _inherit = "res.company"

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        # New companies start with the default dispute SLA policies.
        self.env["relationship.dispute.sla"]._create_default_policies(companies)
        return companies
