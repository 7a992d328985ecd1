from odoo import fields, models

from odoo.addons.relationship_mgmt.models.relationship_interaction import CHANNELS


class RelationshipProgram(models.Model):
    _inherit = "relationship.program"

    best_channel = fields.Selection(
        CHANNELS,
        string="Customer Best Channel",
        help="Only customers best reached by this channel (the one whose "
        "interactions are positive most often).",
    )

    def _partners_matching_customer_filters(self, partners):
        partners = super()._partners_matching_customer_filters(partners)
        if not self.best_channel or not partners:
            return partners
        return (
            partners.with_company(self.company_id)
            .search(
                [
                    ("id", "in", partners.ids),
                    ("relationship_best_channel", "=", self.best_channel),
                ]
            )
            .with_env(partners.env)
        )
