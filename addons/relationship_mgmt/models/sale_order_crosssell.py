from odoo import Command, api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    crosssell_recommendation_ids = fields.Many2many(
        "relationship.recommendation",
        string="Cross-sell Suggestions",
        compute="_compute_crosssell_recommendations",
        groups="relationship_mgmt.group_relationship_user",
        help="Open recommendations of the customer in the order's company that "
        "are not on the order yet.",
    )

    @api.depends("partner_id", "company_id", "order_line.product_id")
    def _compute_crosssell_recommendations(self):
        partners = self.partner_id.commercial_partner_id
        recommendations = self.env["relationship.recommendation"].search(
            [
                ("partner_id", "in", partners.ids),
                ("company_id", "in", self.company_id.ids),
                ("state", "=", "open"),
            ]
        )
        for order in self:
            on_order = order.order_line.product_id
            order.crosssell_recommendation_ids = [
                Command.set(
                    recommendations.filtered(
                        lambda rec, order=order, on_order=on_order: (
                            rec.partner_id == order.partner_id.commercial_partner_id
                            and rec.company_id == order.company_id
                            and rec.product_id not in on_order
                        )
                    ).ids
                )
            ]
