from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import TODAY, RelationshipCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestEngagementSecurity(RelationshipCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Secured Customer")
        cls._order(cls.customer, 10, 100.0)
        cls.env["relationship.engagement"].recompute_engagement([cls.customer.id])
        cls.engagement = cls.env["relationship.engagement"].search(
            [("partner_id", "=", cls.customer.id)]
        )

    def test_relationship_user_reads_scores_but_cannot_change_them(self):
        as_user = self.engagement.with_user(self.user_relationship)
        self.assertTrue(as_user.score)
        self.assertIn("Last order 10 days ago", as_user.reasons)
        self.assertEqual(
            self.customer.with_user(self.user_relationship).engagement_id, as_user
        )
        with self.assertRaises(AccessError):
            as_user.write({"score": 99.0})
        with self.assertRaises(AccessError):
            as_user.unlink()

    def test_relationship_user_cannot_change_settings(self):
        company = self.env.company.with_user(self.user_relationship)
        with self.assertRaises(AccessError):
            company.write({"engagement_window_days": 30})
        self.assertEqual(self.env.company.engagement_window_days, 365)

    def test_user_recomputes_selected_partners_but_not_everyone(self):
        Engagement = self.env["relationship.engagement"].with_user(
            self.user_relationship
        )
        self.assertEqual(
            Engagement.recompute_engagement([self.customer.id])["computed"], 1
        )
        with self.assertRaisesRegex(AccessError, "managers"):
            Engagement.recompute_engagement(None)
        manager = self.env["relationship.engagement"].with_user(self.user_manager)
        self.assertGreaterEqual(manager.recompute_engagement(None)["computed"], 1)

    def test_internal_user_without_group_is_refused(self):
        with self.assertRaises(AccessError):
            self.engagement.with_user(self.user_plain).read(["score"])
        with self.assertRaises(AccessError):
            self.env["relationship.engagement"].with_user(
                self.user_plain
            ).recompute_engagement([self.customer.id])

    def test_bad_partner_ids_refused_with_clear_message(self):
        Engagement = self.env["relationship.engagement"]
        with self.assertRaisesRegex(UserError, "list of integers"):
            Engagement.recompute_engagement(["abc"])
        with self.assertRaisesRegex(UserError, "list of integers"):
            Engagement.recompute_engagement("42")
        with self.assertRaisesRegex(UserError, "Unknown partner ids: 999999999"):
            Engagement.recompute_engagement([999999999])

    def test_server_action_on_partners_recomputes(self):
        action = self.env.ref(
            "relationship_mgmt.res_partner_action_recompute_engagement"
        )
        self.customer.message_post(body="Follow-up call", message_type="comment")
        feedback = (
            action.with_context(
                active_model="res.partner", active_ids=self.customer.ids
            )
            .with_user(self.user_relationship)
            .run()
        )
        self.assertEqual(self.engagement.interaction_count, 1)
        # The user is told what was done, then the contact shows its new score.
        self.assertEqual(feedback["tag"], "display_notification")
        self.assertEqual(feedback["params"]["message"], "Customers scored: 1 (0 new).")
        self.assertEqual(feedback["params"]["next"]["tag"], "soft_reload")

    def test_manager_button_recomputes_everything(self):
        result = (
            self.env["relationship.engagement"]
            .with_user(self.user_manager)
            .action_recompute_all()
        )
        self.assertEqual(result["tag"], "display_notification")
        self.assertFalse(self.env.company.engagement_run_started_at)
