from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..models.relationship_event import RETENTION_PARAM
from .common import TODAY, RelationshipCommon

# Tier bounds (champion, engaged, steady, at risk) that put every score in one
# tier: everything at least 1 is a champion, everything below 99 dormant.
ALL_CHAMPIONS = (4.0, 3.0, 2.0, 1.0)
ALL_DORMANT = (99.9, 99.8, 99.7, 99.6)
TIER_FIELDS = (
    "engagement_tier_champion",
    "engagement_tier_engaged",
    "engagement_tier_steady",
    "engagement_tier_at_risk",
)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestTierChangeEvents(RelationshipCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Event = cls.env["relationship.event"]
        cls.customer = cls._customer("Evented Customer")
        cls._order(cls.customer, 10, 500.0)
        cls._invoice(cls.customer, 10, 500.0)

    def _set_bounds(self, bounds):
        self.env.company.write(dict(zip(TIER_FIELDS, bounds, strict=True)))

    def _events(self, partner=None):
        return self.Event.search(
            [
                ("event_type", "=", "tier_changed"),
                ("partner_id", "=", (partner or self.customer).id),
            ]
        )

    def test_tier_change_emits_exactly_one_event(self):
        self._set_bounds(ALL_CHAMPIONS)
        self._recompute(self.customer)
        engagement = self._engagement(self.customer)
        self.assertEqual(engagement.tier, "champion")
        before = self._events()

        self._set_bounds(ALL_DORMANT)
        self._recompute(self.customer)

        event = self._events() - before
        self.assertEqual(len(event), 1)
        self.assertEqual(
            (event.old_value, event.new_value, event.company_id, event.partner_id),
            ("champion", "dormant", self.env.company, self.customer),
        )
        self.assertEqual(
            (event.res_model, event.res_id), (engagement._name, engagement.id)
        )
        self.assertEqual(event.record_ref, engagement)
        self.assertIn("Champion", event.description)
        self.assertIn("Dormant", event.description)

    def test_unchanged_tier_and_second_recompute_emit_nothing(self):
        self._recompute(self.customer)
        count = len(self._events())

        self._recompute(self.customer)
        self._recompute(self.customer)

        self.assertEqual(len(self._events()), count)

    def test_second_recompute_after_change_emits_nothing_more(self):
        self._set_bounds(ALL_CHAMPIONS)
        self._recompute(self.customer)
        self._set_bounds(ALL_DORMANT)
        self._recompute(self.customer)
        count = len(self._events())

        self._recompute(self.customer)

        self.assertEqual(len(self._events()), count)

    def test_first_score_of_a_marked_customer_is_a_first_scored_event(self):
        # Confirming the order stored the customer as "new" (marked for the
        # incremental recompute): its first score is told apart from a tier
        # change, so that rules on drops do not fire for it.
        self.assertEqual(self._engagement(self.customer).tier, "new")
        self._set_bounds(ALL_CHAMPIONS)

        self.Engagement._cron_recompute_marked()

        self.assertFalse(self._events())
        event = self.Event.search(
            [
                ("event_type", "=", "first_scored"),
                ("partner_id", "=", self.customer.id),
            ]
        )
        self.assertEqual(len(event), 1)
        self.assertEqual((event.old_value, event.new_value), ("new", "champion"))
        self.assertEqual(event.description, "Engagement tier: New → Champion")

    def test_rule_on_tier_changes_ignores_first_scores(self):
        self._set_bounds(ALL_DORMANT)
        self.Engagement._cron_recompute_marked()
        first = self.Event.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(first.mapped("event_type"), ["first_scored"])

        self._set_bounds(ALL_CHAMPIONS)
        self._recompute(self.customer)

        change = self.Event.search([("partner_id", "=", self.customer.id)]) - first
        self.assertEqual(
            (change.event_type, change.old_value, change.new_value),
            ("tier_changed", "dormant", "champion"),
        )

    def test_first_computation_without_a_stored_row_emits_nothing(self):
        # Nothing stored before: neither "nothing -> new" (no documents) nor
        # "nothing -> scored" is a tier change.
        silent = self._customer("Customer Without Documents")
        self._engagement(self.customer).unlink()

        self._recompute(silent, self.customer)

        self.assertEqual(self._engagement(silent).tier, "new")
        self.assertNotEqual(self._engagement(self.customer).tier, "new")
        self.assertFalse(self._events(silent) | self._events())

    def test_full_run_emits_tier_changes(self):
        other = self._customer("Other Evented Customer")
        self._order(other, 40, 100.0)
        self._set_bounds(ALL_CHAMPIONS)
        self.Engagement._recompute_company(self.env.company, full=True)
        before = self.Event.search([])

        self._set_bounds(ALL_DORMANT)
        self.Engagement._recompute_company(self.env.company, full=True)
        self.Engagement._recompute_company(self.env.company, full=True)

        events = self.Event.search([]) - before
        self.assertEqual(events.partner_id, self.customer | other)
        self.assertEqual(set(events.mapped("old_value")), {"champion"})
        self.assertEqual(set(events.mapped("new_value")), {"dormant"})

    def test_customer_without_documents_any_more_changes_to_new(self):
        order = self._order(self._customer("Leaving"), 10, 100.0)
        leaving = order.partner_id
        self.Engagement._recompute_company(self.env.company, full=True)
        tier = self._engagement(leaving).tier
        order._action_cancel()
        order.unlink()

        self.Engagement._recompute_company(self.env.company, full=True)

        event = self._events(leaving).filtered(lambda e: e.new_value == "new")
        self.assertEqual(len(event), 1)
        self.assertEqual(event.old_value, tier)

    def test_user_recompute_emits_but_user_cannot_write_events(self):
        self._set_bounds(ALL_CHAMPIONS)
        self._recompute(self.customer)
        self._set_bounds(ALL_DORMANT)

        self.Engagement.with_user(self.user_relationship).recompute_engagement(
            self.customer.ids
        )

        event = self._events().with_user(self.user_relationship)[:1]
        self.assertEqual(event.new_value, "dormant")
        with self.assertRaises(AccessError):
            event.write({"description": "Edited"})
        with self.assertRaises(AccessError):
            event.unlink()
        with self.assertRaises(AccessError):
            self.Event.with_user(self.user_relationship).create(
                {"event_type": "tier_changed", "company_id": self.env.company.id}
            )
        event.with_user(self.user_manager).unlink()
        self.assertFalse(event.exists())

    def test_open_record_opens_the_engagement(self):
        self._set_bounds(ALL_CHAMPIONS)
        self._recompute(self.customer)
        self._set_bounds(ALL_DORMANT)
        self._recompute(self.customer)

        action = (
            self._events()[:1].with_user(self.user_relationship).action_open_record()
        )

        self.assertEqual(action["res_model"], "relationship.engagement")
        self.assertEqual(action["res_id"], self._engagement(self.customer).id)


@tagged("post_install", "-at_install")
class TestEventRetention(RelationshipCommon):
    def _event_dated(self, days_ago):
        event = self.env["relationship.event"]._emit(
            [
                {
                    "event_type": "tier_changed",
                    "company_id": self.env.company.id,
                    "description": f"{days_ago} days ago",
                }
            ]
        )
        event.flush_recordset()
        self.env.cr.execute(
            "UPDATE relationship_event SET create_date = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(days=days_ago), event.id],
        )
        event.invalidate_recordset()
        return event

    def test_purge_deletes_events_past_retention_once(self):
        old, recent = self._event_dated(91), self._event_dated(89)

        self.env["relationship.event"]._cron_purge()

        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())
        self.assertEqual(self.env["relationship.event"]._cron_purge(), 0)
        self.assertTrue(recent.exists())

    def test_retention_parameter(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(RETENTION_PARAM, "10")
        event = self._event_dated(11)
        self.env["relationship.event"]._cron_purge()
        self.assertFalse(event.exists())

        params.set_param(RETENTION_PARAM, "0")  # keep forever
        event = self._event_dated(1000)
        self.env["relationship.event"]._cron_purge()
        self.assertTrue(event.exists())

        params.set_param(RETENTION_PARAM, "ninety")  # unreadable: the default
        self.env["relationship.event"]._cron_purge()
        self.assertFalse(event.exists())

    def test_purge_cron_is_registered(self):
        cron = self.env.ref("relationship_mgmt.ir_cron_event_purge")
        self.assertEqual(cron.code, "model._cron_purge()")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestTierChangeAutomation(RelationshipCommon):
    """A real base_automation rule on relationship.event fires on a tier
    change (runs where base_automation is installed: `make test` installs it
    in its test database)."""

    def setUp(self):
        super().setUp()
        module = self.env["ir.module.module"].search([("name", "=", "base_automation")])
        if module.state != "installed":
            self.skipTest("base_automation is not installed")

    def test_rule_on_tier_changed_posts_on_the_partner(self):
        customer = self._customer("Automated Customer")
        self._order(customer, 10, 500.0)
        self._invoice(customer, 10, 500.0)
        self.env.company.write(dict(zip(TIER_FIELDS, ALL_CHAMPIONS, strict=True)))
        self._recompute(customer)
        model = self.env.ref("relationship_mgmt.model_relationship_event")
        self.env["base.automation"].create(
            {
                "name": "Tell the team about tier changes",
                "model_id": model.id,
                "trigger": "on_create_or_write",
                "filter_domain": "[('event_type', '=', 'tier_changed')]",
                "action_server_ids": [
                    Command.create(
                        {
                            "name": "Note on the customer",
                            "model_id": model.id,
                            "state": "code",
                            "code": "for event in records:\n"
                            "    event.partner_id.message_post(\n"
                            "        body='Tier now ' + event.new_value)\n",
                        }
                    )
                ],
            }
        )

        self.env.company.write(dict(zip(TIER_FIELDS, ALL_DORMANT, strict=True)))
        self._recompute(customer)

        notes = customer.message_ids.filtered(
            lambda message: "Tier now" in (message.body or "")
        )
        self.assertEqual(len(notes), 1)
        self.assertIn("Tier now dormant", notes.body)
