from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL

from ..engine import engagement as engine
from .common import TODAY, RelationshipCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestEngagementSignals(RelationshipCommon):
    def test_recent_frequent_big_buyer_beats_lapsed_beats_new(self):
        loyal = self._customer("Loyal Buyer")
        lapsed = self._customer("Lapsed Buyer")
        never = self._customer("Never Bought")
        for days_ago in (5, 35, 65, 95, 125, 155):
            self._order(loyal, days_ago, 900.0)
            self._pay(self._invoice(loyal, days_ago, 900.0), days_ago)
        self._order(lapsed, 300, 150.0)
        self._pay(self._invoice(lapsed, 300, 150.0), 280)

        result = self._recompute(loyal, lapsed, never)

        self.assertEqual(result["computed"], 3)
        self.assertEqual(result["new"], 1)
        loyal_e, lapsed_e, never_e = (
            self._engagement(p) for p in (loyal, lapsed, never)
        )
        self.assertGreater(loyal_e.score, lapsed_e.score)
        self.assertEqual(never_e.tier, "new")
        self.env.cr.execute(
            "SELECT score FROM relationship_engagement WHERE id = %s", [never_e.id]
        )
        self.assertIsNone(self.env.cr.fetchone()[0], "a new customer has no score")
        self.assertIn(loyal_e.tier, ("champion", "engaged"))
        self.assertIn(lapsed_e.tier, ("at_risk", "dormant"))

    def test_recency_counts_days_since_last_confirmed_order(self):
        recent = self._customer("Recent")
        older = self._customer("Older")
        self._order(recent, 12)
        self._order(recent, 400)
        self._order(older, 90)
        self._order(older, 3, confirm=False)  # a quotation is not an order

        self._recompute(recent, older)

        recent_e, older_e = self._engagement(recent), self._engagement(older)
        self.assertEqual(recent_e.days_since_last_order, 12)
        self.assertEqual(older_e.days_since_last_order, 90)
        self.assertGreater(recent_e.recency_score, older_e.recency_score)
        self.assertIn("Last order 12 days ago", recent_e.reasons)

    def test_reasons_count_in_words(self):
        """No "0 days ago", no "1 orders": today, one day, one of each."""
        today = self._customer("Today")
        yesterday = self._customer("Yesterday")
        self._order(today, 0)
        self._pay(self._invoice(today, 0, 100.0), 0)
        self._order(yesterday, 1)
        self._order(yesterday, 3)

        self._recompute(today, yesterday)

        reasons = self._engagement(today).reasons
        self.assertIn("Last order today", reasons)
        self.assertIn("1 confirmed order in the last 365 days", reasons)
        self.assertIn("1 of 1 invoice paid on time", reasons)
        self.assertNotIn("0 days", reasons)
        reasons = self._engagement(yesterday).reasons
        self.assertIn("Last order 1 day ago", reasons)
        self.assertIn("2 confirmed orders in the last 365 days", reasons)

    def test_frequency_counts_confirmed_orders_in_window_only(self):
        busy = self._customer("Busy")
        quiet = self._customer("Quiet")
        for days_ago in (10, 40, 70):
            self._order(busy, days_ago)
        self._order(busy, 500)  # outside the 365-day window
        self._order(quiet, 20)
        cancelled = self._order(quiet, 30)
        cancelled._action_cancel()

        self._recompute(busy, quiet)

        busy_e, quiet_e = self._engagement(busy), self._engagement(quiet)
        self.assertEqual(busy_e.order_count, 3)
        self.assertEqual(quiet_e.order_count, 1)
        self.assertGreater(busy_e.frequency_score, quiet_e.frequency_score)

    def test_refunds_are_deducted_from_revenue(self):
        refunded = self._customer("Refunded")
        full = self._customer("Full Price")
        self._invoice(refunded, 30, 1000.0)
        self._invoice(refunded, 10, 300.0, move_type="out_refund")
        self._invoice(full, 30, 1000.0)
        self._invoice(full, 400, 5000.0)  # outside the window

        self._recompute(refunded, full)

        refunded_e, full_e = self._engagement(refunded), self._engagement(full)
        self.assertAlmostEqual(refunded_e.revenue, 700.0)
        self.assertAlmostEqual(full_e.revenue, 1000.0)
        self.assertGreater(full_e.monetary_score, refunded_e.monetary_score)

    def test_late_payment_and_overdue_lower_payment_component(self):
        good = self._customer("Pays On Time")
        bad = self._customer("Pays Late")
        for days_ago in (60, 30):
            self._pay(self._invoice(good, days_ago, 100.0), days_ago)
        self._pay(self._invoice(bad, 60, 100.0), 60)  # on time
        self._pay(self._invoice(bad, 55, 100.0), 58)  # early is on time
        self._pay(self._invoice(bad, 50, 100.0), 30)  # 20 days late
        overdue = self._invoice(bad, 40, 500.0)  # open, 40 days overdue

        self._recompute(good, bad)
        good_e, bad_e = self._engagement(good), self._engagement(bad)
        self.assertEqual(good_e.payment_score, 100.0)
        self.assertEqual(
            (
                bad_e.invoice_due_count,
                bad_e.invoice_on_time_count,
                bad_e.invoice_late_count,
            ),
            (4, 2, 2),
        )
        self.assertAlmostEqual(bad_e.avg_days_late, 30.0)
        self.assertAlmostEqual(bad_e.overdue_amount, overdue.amount_residual)
        # 100 x 2/4 on time, -15 for 30 days late on average, -20 while overdue
        self.assertAlmostEqual(bad_e.payment_score, 15.0)
        self.assertIn("2 of 4 invoices paid on time", bad_e.reasons)
        self.assertIn("2 paid late or overdue, 30 days late on average", bad_e.reasons)

    def test_messages_with_customer_count_as_interactions(self):
        chatty = self._customer("Chatty")
        silent = self._customer("Silent")
        self._order(chatty, 10)
        self._order(silent, 10)
        chatty.message_post(body="Called about the next order", message_type="comment")
        chatty.message_post(body="Sent the catalogue", message_type="comment")

        self._recompute(chatty, silent)

        chatty_e, silent_e = self._engagement(chatty), self._engagement(silent)
        self.assertEqual(chatty_e.interaction_count, 2)
        self.assertEqual(silent_e.interaction_count, 0)
        self.assertGreater(chatty_e.interaction_score, silent_e.interaction_score)

    def test_contact_documents_count_for_commercial_partner(self):
        company = self._customer("Company Customer")
        contact = self.env["res.partner"].create(
            {"name": "Buyer Contact", "parent_id": company.id}
        )
        self._order(contact, 15, 400.0)
        self._invoice(contact, 15, 400.0)

        result = self._recompute(contact)

        self.assertEqual(result["computed"], 1)
        self.assertFalse(self._engagement(contact))
        engagement = self._engagement(company)
        self.assertEqual(engagement.order_count, 1)
        self.assertAlmostEqual(engagement.revenue, 400.0)
        self.assertEqual(contact.engagement_id, engagement)
        self.assertEqual(contact.engagement_tier, engagement.tier)

    def _sql_value(self, expression):
        self.env.cr.execute(SQL("SELECT %s", expression))
        return self.env.cr.fetchone()[0]

    def test_component_formulas(self):
        def payment(due, on_time, avg_days_late, overdue):
            return self._sql_value(
                engine.payment_component(
                    SQL("%s::int", due),
                    SQL("%s::int", on_time),
                    SQL("%s::float8", avg_days_late),
                    SQL("%s::numeric", overdue),
                )
            )

        # Share paid on time, less half a point per day late (at most 30) and
        # 20 points while anything is overdue, within 0-100.
        self.assertEqual(payment(4, 4, 0.0, 0.0), 100)
        self.assertEqual(payment(4, 3, 10.0, 0.0), 70)
        self.assertEqual(payment(4, 3, 100.0, 0.0), 45)
        self.assertEqual(payment(4, 3, 10.0, 50.0), 50)
        self.assertEqual(payment(3, 0, 90.0, 500.0), 0)
        self.assertIsNone(payment(0, 0, 0.0, 0.0))
        # Ties round half up, also when the operands are not exact decimals:
        # 50 - 27.5 / 2 = 36.25; 100 x 3/9 - (259/6) / 2 = 11.75.
        self.assertEqual(payment(4, 2, 27.5, 0.0), 36.3)
        self.assertEqual(
            self._sql_value(
                engine.payment_component(
                    SQL("9"), SQL("3"), SQL("(259 / 6.0)"), SQL("0")
                )
            ),
            11.8,
        )

        def service(disputes):
            return self._sql_value(engine.service_component(SQL("%s::int", disputes)))

        self.assertEqual(service(0), 100)
        self.assertEqual(service(1), 75)
        self.assertEqual(service(9), 0)
        self.assertIsNone(service(None), "not tracked: the component does not apply")

        def score(parts, weights):
            return self._sql_value(
                engine.weighted_score(
                    {name: SQL("%s::numeric", part) for name, part in parts.items()},
                    weights,
                )
            )

        weights = {"recency": 3.0, "payment": 1.0, "service": 0.0}
        self.assertEqual(
            score({"recency": 80.0, "payment": 40.0, "service": 0.0}, weights), 70
        )
        # A component that does not apply is left out, weights renormalised.
        self.assertEqual(
            score({"recency": 80.0, "payment": None, "service": 0.0}, weights), 80
        )
        self.assertIsNone(
            score({"recency": None, "payment": None, "service": 10.0}, weights)
        )

        bounds = [("champion", 80.0), ("engaged", 60.0)]
        for value, tier in ((None, "new"), (80.0, "champion"), (79.9, "engaged")):
            self.assertEqual(
                self._sql_value(engine.tier_of(SQL("%s::numeric", value), bounds)),
                tier,
            )
        self.assertEqual(
            self._sql_value(engine.tier_of(SQL("%s::numeric", 10.0), bounds)),
            "dormant",
        )
