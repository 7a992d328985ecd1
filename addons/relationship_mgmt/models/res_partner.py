from odoo import api, fields, models
from odoo.tools import SQL

from ..engine.engagement import RFM_SEGMENTS
from .relationship_analytics import CHURN_LEVELS
from .relationship_engagement import TIERS


class ResPartner(models.Model):
    _inherit = "res.partner"

    relationship_no_profiling = fields.Boolean(
        string="No Profiling",
        tracking=True,
        help="The customer asked not to be profiled: no engagement score, RFM "
        "segment or analytics are kept for it (set on the company, it covers "
        "its contacts).",
    )
    engagement_ids = fields.One2many(
        "relationship.engagement", "partner_id", string="Engagement by Company"
    )
    engagement_id = fields.Many2one(
        "relationship.engagement",
        compute="_compute_engagement",
        help="Engagement of the commercial entity in the current company.",
    )
    engagement_score = fields.Float(
        compute="_compute_engagement",
        search="_search_engagement_score",
        digits=(5, 1),
    )
    engagement_tier = fields.Selection(
        TIERS,
        compute="_compute_engagement",
        search="_search_engagement_tier",
    )
    engagement_trend = fields.Float(compute="_compute_engagement", digits=(5, 1))
    engagement_trend_display = fields.Char(
        string="Engagement Score Change", compute="_compute_engagement"
    )
    engagement_rfm_segment = fields.Selection(
        RFM_SEGMENTS,
        string="RFM Segment",
        compute="_compute_engagement",
        search="_search_engagement_rfm_segment",
    )
    engagement_date = fields.Datetime(
        compute="_compute_engagement", string="Engagement Computed"
    )
    engagement_breakdown = fields.Html(compute="_compute_engagement", sanitize=False)
    analytics_id = fields.Many2one(
        "relationship.analytics",
        compute="_compute_analytics",
        string="Customer Analytics",
        help="Analytics of the commercial entity in the current company.",
    )
    analytics_churn_risk = fields.Float(
        compute="_compute_analytics", string="Churn Risk", digits=(5, 1)
    )
    analytics_churn_level = fields.Selection(
        CHURN_LEVELS,
        compute="_compute_analytics",
        search="_search_analytics_churn_level",
        string="Churn Level",
    )
    analytics_lifetime_value = fields.Monetary(
        compute="_compute_analytics",
        string="Lifetime Value",
        currency_field="analytics_currency_id",
    )
    analytics_currency_id = fields.Many2one(
        "res.currency", compute="_compute_analytics", string="Currency of Analytics"
    )
    analytics_next_order_date = fields.Date(
        compute="_compute_analytics", string="Expected Next Order"
    )

    @api.depends_context("company")
    @api.depends(
        "commercial_partner_id.engagement_ids.score",
        "commercial_partner_id.engagement_ids.tier",
        "commercial_partner_id.engagement_ids.rfm_segment",
    )
    def _compute_engagement(self):
        Engagement = self.env["relationship.engagement"]
        commercial = self.commercial_partner_id
        engagements = Engagement.search(
            [
                ("partner_id", "in", commercial.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {
            engagement.partner_id.id: engagement for engagement in engagements
        }
        for partner in self:
            engagement = by_partner.get(partner.commercial_partner_id.id, Engagement)
            partner.engagement_id = engagement
            partner.engagement_score = engagement.score
            partner.engagement_tier = engagement.tier or False
            partner.engagement_trend = engagement.score_trend
            partner.engagement_trend_display = engagement.score_trend_display or False
            partner.engagement_rfm_segment = engagement.rfm_segment or False
            partner.engagement_date = engagement.date_computed
            partner.engagement_breakdown = engagement.breakdown

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_analytics(self):
        commercial = self.commercial_partner_id
        analytics = self.env["relationship.analytics"].search(
            [
                ("partner_id", "in", commercial.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {record.partner_id.id: record for record in analytics}
        empty = self.env["relationship.analytics"]
        for partner in self:
            record = by_partner.get(partner.commercial_partner_id.id, empty)
            partner.analytics_id = record
            partner.analytics_churn_risk = record.churn_risk
            partner.analytics_churn_level = record.churn_level or False
            partner.analytics_lifetime_value = record.lifetime_value
            partner.analytics_currency_id = record.currency_id
            partner.analytics_next_order_date = record.next_order_date

    def _search_analytics_churn_level(self, operator, value):
        """Partners whose commercial entity's churn level in the current
        company matches."""
        analytics_query = self.env["relationship.analytics"]._search(
            [("churn_level", operator, value), ("company_id", "=", self.env.company.id)]
        )
        return [
            (
                "commercial_partner_id",
                "in",
                analytics_query.subselect(
                    SQL.identifier("relationship_analytics", "partner_id")
                ),
            )
        ]

    def action_view_analytics(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "relationship.analytics",
            "view_mode": "form",
            "res_id": self.analytics_id.id,
            "name": self.env._("Customer Analytics"),
        }

    def write(self, vals):
        result = super().write(vals)
        if vals.get("relationship_no_profiling"):
            self._relationship_drop_profiles()
        return result

    def _relationship_drop_profiles(self):
        """Delete the scores, their history and the analytics of customers who
        opted out of profiling."""
        commercial = self.filtered("relationship_no_profiling").commercial_partner_id
        if not commercial:
            return
        # sudo: the customer's request removes derived data in every company,
        # whoever records it (they may not read the other companies' rows).
        for model in (
            "relationship.engagement.snapshot",
            "relationship.engagement",
            "relationship.analytics",
        ):
            self.env[model].sudo().search(
                [("partner_id", "in", commercial.ids)]
            ).unlink()

    def _search_engagement_tier(self, operator, value):
        return self._search_engagement_field("tier", operator, value)

    def _search_engagement_rfm_segment(self, operator, value):
        return self._search_engagement_field("rfm_segment", operator, value)

    def _search_engagement_score(self, operator, value):
        return self._search_engagement_field("score", operator, value)

    def _search_engagement_field(self, fname, operator, value):
        """Partners whose commercial entity's engagement in the current company
        matches ``fname operator value``."""
        engagement_query = self.env["relationship.engagement"]._search(
            [(fname, operator, value), ("company_id", "=", self.env.company.id)]
        )
        return [
            (
                "commercial_partner_id",
                "in",
                engagement_query.subselect(
                    SQL.identifier("relationship_engagement", "partner_id")
                ),
            )
        ]

    def action_view_engagement_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_mgmt.relationship_engagement_snapshot_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_group_by_date": 0}
        return action

    def action_recompute_engagement(self):
        """Server action / button: recompute the selected partners now and
        say what was done; the contact shows its new score."""
        Engagement = self.env["relationship.engagement"]
        result = Engagement.recompute_engagement(self.ids)
        return Engagement._engagement_recompute_notification(
            result, {"type": "ir.actions.client", "tag": "soft_reload"}
        )
