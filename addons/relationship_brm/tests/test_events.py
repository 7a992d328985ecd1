from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, BrmCommon, day


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestBreachEvents(BrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Event = cls.env["relationship.event"]
        cls.agreement = cls._agreement(cls.customer, user_id=cls.user_manager.id)
        cls.on_time = cls._obligation(cls.agreement, "on_time_delivery", 95.0)
        order = cls._sale(cls.customer, day("2026-05-01"))
        cls._deliver(order.picking_ids, day("2026-05-10"), day("2026-05-14"))

    def _breach_events(self):
        return self.Event.search(
            [
                ("event_type", "=", "obligation_breached"),
                ("partner_id", "=", self.customer.id),
            ]
        )

    def test_breach_emits_one_event_per_breached_period_once(self):
        result = self._refresh(self.agreement)

        events = self._breach_events()
        breached = self.Period.search(
            [("obligation_id", "=", self.on_time.id), ("status", "=", "breached")]
        )
        self.assertEqual(result["breaches"], 1)
        self.assertEqual(len(events), 1)
        self.assertEqual(
            (events.res_model, events.res_id, events.company_id),
            ("relationship.obligation.period", breached.id, self.agreement.company_id),
        )
        self.assertEqual(events.record_ref, breached)
        self.assertEqual((events.old_value, events.new_value), ("95", "breached"))
        self.assertEqual(events.description, breached._breach_text())

        # A second refresh, by hand or by the cron, emits nothing more.
        self._refresh(self.agreement)
        self.Obligation._cron_refresh_obligations()
        self.assertEqual(self._breach_events(), events)

    def test_met_obligation_emits_nothing(self):
        self.on_time.target = 0.0
        self._refresh(self.agreement)
        self.assertFalse(self._breach_events())

    def test_dispute_sla_breached_is_an_event_type(self):
        types = dict(self.Event._fields["event_type"]._description_selection(self.env))
        self.assertIn("dispute_sla_breached", types)
        self.assertIn("obligation_breached", types)
        self.assertIn("tier_changed", types)
