from odoo import api, models


class RelationshipEngagement(models.Model):
    """Engagement scores take the disputes into account: open disputes lower
    the service component, and invoices under an open dispute are left out of
    the payment behaviour while the dispute is open."""

    _inherit = "relationship.engagement"

    @api.model
    def _engagement_open_dispute_counts(self, company, partner_ids):
        return self.env["relationship.dispute"]._open_counts(company, partner_ids)

    @api.model
    def _engagement_excluded_invoice_ids(self, company, partner_ids):
        return self.env["relationship.dispute"]._open_invoice_ids(company, partner_ids)
