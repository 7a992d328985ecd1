from odoo import api, fields, models
from odoo.exceptions import ValidationError

ENGAGEMENT_WEIGHT_FIELDS = {
    "recency": "engagement_weight_recency",
    "frequency": "engagement_weight_frequency",
    "monetary": "engagement_weight_monetary",
    "payment": "engagement_weight_payment",
    "interaction": "engagement_weight_interaction",
    "satisfaction": "engagement_weight_satisfaction",
    "service": "engagement_weight_service",
}
# Lower bound of each tier, from the best one down; below the last is "dormant".
ENGAGEMENT_TIER_FIELDS = (
    ("champion", "engagement_tier_champion"),
    ("engaged", "engagement_tier_engaged"),
    ("steady", "engagement_tier_steady"),
    ("at_risk", "engagement_tier_at_risk"),
)


class ResCompany(models.Model):
    _inherit = "res.company"

    engagement_window_days = fields.Integer(
        string="Engagement Scoring Window (days)",
        default=365,
        help="Orders, revenue, invoices and interactions of this many past days "
        "feed the engagement score.",
    )
    engagement_weight_recency = fields.Float(string="Recency Weight", default=25.0)
    engagement_weight_frequency = fields.Float(string="Frequency Weight", default=20.0)
    engagement_weight_monetary = fields.Float(string="Monetary Weight", default=20.0)
    engagement_weight_payment = fields.Float(
        string="Payment Behaviour Weight", default=15.0
    )
    engagement_weight_interaction = fields.Float(
        string="Interactions Weight", default=10.0
    )
    engagement_weight_satisfaction = fields.Float(
        string="Satisfaction Weight", default=5.0
    )
    engagement_weight_service = fields.Float(string="Service Weight", default=5.0)
    engagement_tier_champion = fields.Float(string="Champion From", default=80.0)
    engagement_tier_engaged = fields.Float(string="Engaged From", default=60.0)
    engagement_tier_steady = fields.Float(string="Steady From", default=40.0)
    engagement_tier_at_risk = fields.Float(string="At Risk From", default=20.0)
    engagement_snapshot_retention_days = fields.Integer(
        string="Engagement History Retention (days)",
        default=730,
        help="Daily engagement snapshots older than this are deleted by the nightly "
        "recompute.",
    )
    engagement_run_started_at = fields.Datetime(
        string="Engagement Full Recompute Started",
        readonly=True,
        copy=False,
        help="Set while a full recompute is in progress; a recompute that was "
        "interrupted resumes from the customers not yet computed since then.",
    )

    analytics_horizon_months = fields.Integer(
        string="Lifetime Value Horizon (months)",
        default=12,
        help="Predicted customer value covers this many coming months.",
    )
    analytics_forecast_months = fields.Integer(
        string="Forecast Months",
        default=6,
        help="Expected revenue is forecast for this many calendar months.",
    )

    analytics_model = fields.Selection(
        [
            ("bgnbd", "BG/NBD"),
            ("pareto_nbd", "Pareto/NBD"),
            ("best", "Best likelihood of both"),
            ("auto", "Best on held-out history"),
        ],
        string="Customer-Base Model",
        default="pareto_nbd",
        required=True,
        help="Model of the customers' purchases and drop-out fitted at each "
        "analytics refresh. Pareto/NBD predicted best in the back-tests; BG/NBD "
        "is faster to fit; the other one is fitted when the chosen one cannot "
        "be. 'Best likelihood' fits both and keeps the one that explains the "
        "history better. 'Best on held-out history' fits both on the earlier "
        "part of the history and keeps the one that predicts the purchases of "
        "the later part (as long as the horizon, at most a third of the "
        "history) better; the slowest.",
    )

    @api.constrains("analytics_horizon_months", "analytics_forecast_months")
    def _check_analytics_periods(self):
        for company in self:
            if not 1 <= company.analytics_horizon_months <= 120:
                raise ValidationError(
                    self.env._(
                        "The lifetime value horizon of %(company)s must be between 1 "
                        "and 120 months, not %(months)s.",
                        company=company.name,
                        months=company.analytics_horizon_months,
                    )
                )
            if not 1 <= company.analytics_forecast_months <= 24:
                raise ValidationError(
                    self.env._(
                        "The forecast of %(company)s must cover between 1 and 24 "
                        "months, not %(months)s.",
                        company=company.name,
                        months=company.analytics_forecast_months,
                    )
                )

    @api.constrains("engagement_window_days", "engagement_snapshot_retention_days")
    def _check_engagement_periods(self):
        for company in self:
            if not 1 <= company.engagement_window_days <= 3650:
                raise ValidationError(
                    self.env._(
                        "The engagement scoring window of %(company)s must be between "
                        "1 and 3650 days, not %(days)s.",
                        company=company.name,
                        days=company.engagement_window_days,
                    )
                )
            if company.engagement_snapshot_retention_days < 1:
                raise ValidationError(
                    self.env._(
                        "The engagement history retention of %(company)s must be at "
                        "least one day, not %(days)s.",
                        company=company.name,
                        days=company.engagement_snapshot_retention_days,
                    )
                )

    @api.constrains(*ENGAGEMENT_WEIGHT_FIELDS.values())
    def _check_engagement_weights(self):
        for company in self:
            weights = company._get_engagement_weights()
            negative = [name for name, weight in weights.items() if weight < 0]
            if negative:
                raise ValidationError(
                    self.env._(
                        "Engagement weights of %(company)s cannot be negative "
                        "(%(components)s).",
                        company=company.name,
                        components=", ".join(negative),
                    )
                )
            if not any(weights.values()):
                raise ValidationError(
                    self.env._(
                        "At least one engagement weight of %(company)s must be "
                        "above zero.",
                        company=company.name,
                    )
                )

    @api.constrains(*(fname for __, fname in ENGAGEMENT_TIER_FIELDS))
    def _check_engagement_tiers(self):
        for company in self:
            bounds = [company[fname] for __, fname in ENGAGEMENT_TIER_FIELDS]
            in_range = all(0 < bound < 100 for bound in bounds)
            decreasing = all(
                high > low for high, low in zip(bounds, bounds[1:], strict=False)
            )
            if not (in_range and decreasing):
                raise ValidationError(
                    self.env._(
                        "Engagement tier thresholds of %(company)s must lie between 0 "
                        "and 100 and decrease from Champion to At risk; got "
                        "%(bounds)s.",
                        company=company.name,
                        bounds=" > ".join(f"{bound:g}" for bound in bounds),
                    )
                )

    def _get_engagement_weights(self):
        self.ensure_one()
        return {name: self[fname] for name, fname in ENGAGEMENT_WEIGHT_FIELDS.items()}

    def _get_engagement_tier_bounds(self):
        """Return ``[(tier, lower_bound), ...]`` from the best tier down."""
        self.ensure_one()
        return [(tier, self[fname]) for tier, fname in ENGAGEMENT_TIER_FIELDS]
