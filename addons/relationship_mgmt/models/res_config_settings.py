from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    engagement_window_days = fields.Integer(
        related="company_id.engagement_window_days", readonly=False
    )
    engagement_weight_recency = fields.Float(
        related="company_id.engagement_weight_recency", readonly=False
    )
    engagement_weight_frequency = fields.Float(
        related="company_id.engagement_weight_frequency", readonly=False
    )
    engagement_weight_monetary = fields.Float(
        related="company_id.engagement_weight_monetary", readonly=False
    )
    engagement_weight_payment = fields.Float(
        related="company_id.engagement_weight_payment", readonly=False
    )
    engagement_weight_interaction = fields.Float(
        related="company_id.engagement_weight_interaction", readonly=False
    )
    engagement_weight_satisfaction = fields.Float(
        related="company_id.engagement_weight_satisfaction", readonly=False
    )
    engagement_weight_service = fields.Float(
        related="company_id.engagement_weight_service", readonly=False
    )
    engagement_tier_champion = fields.Float(
        related="company_id.engagement_tier_champion", readonly=False
    )
    engagement_tier_engaged = fields.Float(
        related="company_id.engagement_tier_engaged", readonly=False
    )
    engagement_tier_steady = fields.Float(
        related="company_id.engagement_tier_steady", readonly=False
    )
    engagement_tier_at_risk = fields.Float(
        related="company_id.engagement_tier_at_risk", readonly=False
    )
    engagement_snapshot_retention_days = fields.Integer(
        related="company_id.engagement_snapshot_retention_days", readonly=False
    )
    analytics_horizon_months = fields.Integer(
        related="company_id.analytics_horizon_months", readonly=False
    )
    analytics_forecast_months = fields.Integer(
        related="company_id.analytics_forecast_months", readonly=False
    )
    analytics_model = fields.Selection(
        related="company_id.analytics_model", readonly=False
    )
