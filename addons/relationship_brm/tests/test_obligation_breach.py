from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, BrmCommon, day

MAY = day("2026-05-01")


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestObligationBreach(BrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agreement = cls._agreement(cls.customer, user_id=cls.user_manager.id)
        cls.on_time = cls._obligation(cls.agreement, "on_time_delivery", 95.0)
        cls.volume = cls._obligation(cls.agreement, "min_volume", 5000.0)
        order = cls._sale(cls.customer, MAY)
        cls._deliver(order.picking_ids, day("2026-05-10"), day("2026-05-14"))

    def _breach_activities(self):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "relationship.agreement"),
                ("res_id", "=", self.agreement.id),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref(
                        "relationship_brm.mail_activity_type_obligation_breach"
                    ).id,
                ),
            ]
        )

    def _breach_messages(self):
        return self.agreement.message_ids.filtered(
            lambda message: "Obligations breached" in (message.body or "")
        )

    def test_breach_creates_one_activity_and_one_message(self):
        result = self._refresh(self.agreement)
        # May's late delivery, and the minimum volume of January to May.
        self.assertEqual(result["breaches"], 6)
        activities = self._breach_activities()
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.user_manager)
        self.assertIn("On-time delivery rate", activities.summary)
        self.assertIn("0 %", activities.note)
        self.assertEqual(len(self._breach_messages()), 1)
        self.assertEqual(self.agreement.breach_count, 6)
        self.assertEqual(self.agreement.date_last_breach, day("2026-05-31"))
        self.assertIn(self.agreement, self.Agreement.search([("breach_count", ">", 0)]))
        # Running again, by hand or by the cron, records nothing new.
        self.assertEqual(self._refresh(self.agreement)["breaches"], 0)
        self.Obligation._cron_refresh_obligations()
        self.assertEqual(len(self._breach_activities()), 1)
        self.assertEqual(len(self._breach_messages()), 1)
        self.assertEqual(self.agreement.breach_count, 6)

    def test_breach_texts_read_as_each_period_tells_its_breach(self):
        self._refresh(self.agreement)
        periods = self.Period.search([("agreement_id", "=", self.agreement.id)])
        # Rates, amounts in the agreement's currency, and periods without data.
        self.assertEqual(
            set(periods.mapped("status")), {"breached", "no_data", "at_risk"}
        )
        texts = periods._breach_texts()
        self.assertEqual(
            texts,
            {
                period.id: (
                    self.agreement.id,
                    period.obligation_id.name,
                    period._breach_text(),
                )
                for period in periods
            },
        )
        may = periods.filtered(
            lambda p: p.obligation_id == self.volume and p.date_from == MAY
        )
        self.assertIn(self.agreement.currency_id.format(1000.0), texts[may.id][2])
        self.assertIn(self.agreement.currency_id.format(5000.0), texts[may.id][2])

    def test_changed_breached_period_is_not_notified_again(self):
        self.assertEqual(self._refresh(self.agreement)["breaches"], 6)
        march = day("2026-03-01")
        self._sale(self.customer, day("2026-03-10"), lines=((5.0, 100.0),))
        self.assertEqual(self._refresh(self.agreement)["breaches"], 0)
        period = self._periods(self.volume)[march]
        # Re-measured (a new figure), still breached, already notified.
        self.assertEqual((period.actual, period.status), (500.0, "breached"))
        self.assertTrue(period.breach_notified)
        self.assertEqual(len(self._breach_activities()), 1)
        self.assertEqual(len(self._breach_messages()), 1)
        self.assertEqual(self.agreement.breach_count, 6)

    def test_at_risk_is_not_a_breach(self):
        self.volume.unlink()
        order = self._sale(self.customer, day("2026-06-01"))
        self._deliver(order.picking_ids, day("2026-06-10"), day("2026-06-12"))
        self.on_time.period = "quarter"
        self._refresh(self.agreement)
        periods = self._periods(self.on_time)
        self.assertEqual(periods[day("2026-04-01")].status, "at_risk")
        self.assertFalse(self._breach_activities())
        self.assertEqual(self.agreement.breach_count, 0)
        self.assertIn(
            self.agreement,
            self.Agreement.search([("obligation_ids.status", "=", "at_risk")]),
        )

    def test_new_breach_of_a_later_period_is_recorded_once_more(self):
        self.volume.unlink()
        self._refresh(self.agreement)
        self.assertEqual(len(self._breach_activities()), 1)
        self._breach_activities().action_done()
        with freeze_time("2026-07-15"):
            order = self._sale(self.customer, day("2026-06-02"))
            self._deliver(order.picking_ids, day("2026-06-20"), day("2026-06-25"))
            self.assertEqual(self._refresh(self.agreement)["breaches"], 1)
        self.assertEqual(len(self._breach_activities()), 1)
        self.assertEqual(len(self._breach_messages()), 2)
        self.assertEqual(self.agreement.breach_count, 2)
