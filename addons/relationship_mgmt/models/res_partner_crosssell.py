from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    crosssell_recommendation_ids = fields.Many2many(
        "relationship.recommendation",
        string="Cross-sell Recommendations",
        compute="_compute_crosssell_recommendations",
        groups="relationship_mgmt.group_relationship_user",
        help="Open recommendations of the commercial entity in the current company.",
    )
    crosssell_recommendation_count = fields.Integer(
        string="Cross-sell",
        compute="_compute_crosssell_recommendations",
        groups="relationship_mgmt.group_relationship_user",
    )

    @api.depends("commercial_partner_id")
    @api.depends_context("company")
    def _compute_crosssell_recommendations(self):
        recommendations = self.env["relationship.recommendation"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
                ("state", "=", "open"),
            ]
        )
        by_partner = {}
        for recommendation in recommendations:
            by_partner.setdefault(recommendation.partner_id.id, []).append(
                recommendation.id
            )
        for partner in self:
            ids = by_partner.get(partner.commercial_partner_id.id, [])
            partner.crosssell_recommendation_ids = [fields.Command.set(ids)]
            partner.crosssell_recommendation_count = len(ids)

    def action_view_crosssell(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_mgmt.relationship_recommendation_action"
        )
        action["domain"] = [
            ("partner_id", "=", self.commercial_partner_id.id),
            ("company_id", "=", self.env.company.id),
        ]
        action["context"] = {"search_default_filter_open": 1}
        return action

    def _relationship_drop_profiles(self):
        """Opting out of profiling also removes the cross-sell recommendations
        (the mining leaves such customers out from then on)."""
        result = super()._relationship_drop_profiles()
        commercial = self.filtered("relationship_no_profiling").commercial_partner_id
        if commercial:
            # sudo: the customer's request removes derived data in every
            # company, whoever records it.
            self.env["relationship.recommendation"].sudo().search(
                [("partner_id", "in", commercial.ids)]
            ).unlink()
        return result
