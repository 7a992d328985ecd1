from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from ..engine.engagement import COMPONENTS
from .common import TODAY, RelationshipCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestEngagementSettings(RelationshipCommon):
    def _assert_refused(self, values, message):
        company = self.env.company
        before = company.read(list(values))[0]
        with self.assertRaisesRegex(ValidationError, message), self.env.cr.savepoint():
            company.write(values)
            company.flush_recordset()
        company.invalidate_recordset()
        self.assertEqual(company.read(list(values))[0], before)

    def test_negative_weight_refused(self):
        self._assert_refused({"engagement_weight_payment": -5.0}, "cannot be negative")

    def test_all_zero_weights_refused(self):
        zero = {f"engagement_weight_{name}": 0.0 for name in COMPONENTS}
        self._assert_refused(zero, "must be above zero")

    def test_tier_thresholds_must_decrease(self):
        self._assert_refused(
            {"engagement_tier_engaged": 85.0}, "decrease from Champion to At risk"
        )
        self._assert_refused({"engagement_tier_champion": 120.0}, "between 0 and 100")

    def test_window_out_of_range_refused(self):
        self._assert_refused({"engagement_window_days": 0}, "between 1 and 3650")
        self._assert_refused({"engagement_window_days": 5000}, "between 1 and 3650")

    def test_settings_form_saves_company_configuration(self):
        with Form(self.env["res.config.settings"]) as settings:
            settings.engagement_window_days = 180
            settings.engagement_weight_interaction = 0.0
            settings.engagement_tier_champion = 90.0
        self.assertEqual(self.env.company.engagement_window_days, 180)
        self.assertEqual(self.env.company.engagement_weight_interaction, 0.0)
        self.assertEqual(self.env.company.engagement_tier_champion, 90.0)

    def test_weights_and_window_change_the_score(self):
        customer = self._customer("Weighted")
        self._order(customer, 200, 100.0)  # within 365 days, outside 90
        self._recompute(customer)
        engagement = self._engagement(customer)
        self.assertEqual(engagement.order_count, 1)

        self.env.company.engagement_window_days = 90
        self.env.company.write(
            {
                "engagement_weight_frequency": 0.0,
                "engagement_weight_monetary": 0.0,
                "engagement_weight_interaction": 0.0,
                "engagement_weight_payment": 0.0,
                # Scored when a module tracks disputes (relationship_brm).
                "engagement_weight_service": 0.0,
            }
        )
        self._recompute(customer)
        self.assertEqual(engagement.order_count, 0)
        self.assertEqual(engagement.window_days, 90)
        # Only recency weighs now: the score is the recency component.
        self.assertEqual(engagement.score, engagement.recency_score)
