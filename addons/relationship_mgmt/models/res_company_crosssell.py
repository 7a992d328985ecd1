# Cross-sell settings live beside res_company.py (another engineer's file) in
# their own inherit, as do their settings fields and view.
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    crosssell_window_days = fields.Integer(
        string="Cross-sell Mining Window (days)",
        default=365,
        help="Products bought together by the same customer within this many past "
        "days form the affinity rules.",
    )
    crosssell_min_support = fields.Float(
        string="Minimum Support",
        default=0.01,
        digits=(16, 4),
        help="Share (0-1) of the customers who must have bought both products.",
    )
    crosssell_min_confidence = fields.Float(
        string="Minimum Confidence",
        default=0.2,
        digits=(16, 4),
        help="Share (0-1) of the buyers of A who must also have bought B.",
    )
    crosssell_min_lift = fields.Float(
        string="Minimum Lift",
        default=1.0,
        digits=(16, 2),
        help="Above 1, B sells more among the buyers of A than among all customers.",
    )
    crosssell_max_recommendations = fields.Integer(
        string="Recommendations per Customer", default=10
    )

    @api.constrains(
        "crosssell_window_days",
        "crosssell_min_support",
        "crosssell_min_confidence",
        "crosssell_min_lift",
        "crosssell_max_recommendations",
    )
    def _check_crosssell_thresholds(self):
        _ = self.env._
        for company in self:
            if not 1 <= company.crosssell_window_days <= 3650:
                raise ValidationError(
                    _(
                        "The cross-sell window of %(company)s must be between 1 and "
                        "3650 days, not %(days)s.",
                        company=company.name,
                        days=company.crosssell_window_days,
                    )
                )
            for label, value in (
                (_("minimum support"), company.crosssell_min_support),
                (_("minimum confidence"), company.crosssell_min_confidence),
            ):
                if not 0 < value <= 1:
                    raise ValidationError(
                        _(
                            "The cross-sell %(threshold)s of %(company)s must be a "
                            "share above 0 and at most 1, not %(value)s.",
                            threshold=label,
                            company=company.name,
                            value=value,
                        )
                    )
            if company.crosssell_min_lift <= 0:
                raise ValidationError(
                    _(
                        "The cross-sell minimum lift of %(company)s must be above 0, "
                        "not %(value)s.",
                        company=company.name,
                        value=company.crosssell_min_lift,
                    )
                )
            if not 1 <= company.crosssell_max_recommendations <= 50:
                raise ValidationError(
                    _(
                        "%(company)s must keep between 1 and 50 recommendations per "
                        "customer, not %(count)s.",
                        company=company.name,
                        count=company.crosssell_max_recommendations,
                    )
                )
