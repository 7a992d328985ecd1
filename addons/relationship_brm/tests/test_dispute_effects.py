from datetime import datetime, time

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, day
from .dispute_common import DisputeCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDisputeEffects(DisputeCommon):
    """Disputes on scores and obligations: an invoice under an open dispute
    leaves the payment behaviour (engagement and trust) until the dispute is
    closed; open disputes lower the engagement service component, disputes
    of the year the trust; the max_disputes obligations count them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agreement = cls._agreement(cls.customer, date_start=day("2025-07-01"))
        cls._sale(cls.customer, day("2026-04-01"))
        # Paid on time in April, and one overdue since the start of June.
        paid = cls._invoice(cls.customer, day("2026-04-01"), day("2026-05-01"))
        cls._pay_on(paid, day("2026-04-20"))
        cls.overdue = cls._invoice(
            cls.customer, day("2026-05-02"), day("2026-06-01"), ((1.0, 400.0),)
        )
        cls.Engagement = cls.env["relationship.engagement"]

    def _engagement(self):
        self.Engagement.recompute_engagement([self.customer.id])
        return self.Engagement.search(
            [
                ("partner_id", "=", self.customer.id),
                ("company_id", "=", self.env.company.id),
            ]
        )

    def _trust(self):
        self.Snapshot.recompute_trust([self.customer.id])
        return self.Snapshot.search(
            [("partner_id", "=", self.customer.id), ("is_current", "=", True)]
        )

    def test_engagement_ignores_an_invoice_under_open_dispute(self):
        engagement = self._engagement()
        self.assertEqual(engagement.invoice_due_count, 2)
        self.assertEqual(engagement.invoice_late_count, 1)
        self.assertEqual(engagement.overdue_amount, 400.0)
        self.assertEqual(engagement.service_score, 100.0)
        late_payment_score = engagement.payment_score
        dispute = self._dispute(move_id=self.overdue.id, amount_disputed=400.0)
        engagement = self._engagement()
        self.assertEqual(engagement.invoice_due_count, 1)
        self.assertEqual(engagement.invoice_late_count, 0)
        self.assertEqual(engagement.overdue_amount, 0.0)
        self.assertEqual(engagement.payment_score, 100.0)
        self.assertGreater(engagement.payment_score, late_payment_score)
        # One open dispute: the service component drops.
        self.assertEqual(engagement.open_dispute_count, 1)
        self.assertEqual(engagement.service_score, 75.0)
        dispute.resolve("rejection", reason="Paid late by our own mistake")
        engagement = self._engagement()
        self.assertEqual(engagement.invoice_late_count, 1)
        self.assertEqual(engagement.overdue_amount, 400.0)
        self.assertEqual(engagement.payment_score, late_payment_score)
        self.assertEqual(engagement.open_dispute_count, 0)
        self.assertEqual(engagement.service_score, 100.0)

    def test_trust_ignores_an_invoice_under_open_dispute_and_counts_disputes(self):
        before = self._trust()
        self.assertEqual((before.invoices_due, before.invoices_on_time), (2, 1))
        self.assertTrue(before.has_dispute_data)
        self.assertEqual(before.dispute_score, 100.0)
        dispute = self._dispute(move_id=self.overdue.id, amount_disputed=400.0)
        during = self._trust()
        self.assertEqual((during.invoices_due, during.invoices_on_time), (1, 1))
        self.assertEqual(during.payment_score, 100.0)
        self.assertEqual(during.dispute_count, 1)
        self.assertEqual(during.dispute_score, 80.0)
        dispute.resolve("rejection", reason="Invoice confirmed as due")
        after = self._trust()
        self.assertEqual((after.invoices_due, after.invoices_on_time), (2, 1))
        self.assertEqual(after.payment_score, before.payment_score)
        # Closed, the dispute still counts against trust for a year.
        self.assertEqual(after.dispute_count, 1)
        self.assertIn("1 dispute in the last year", after.reasons)

    def test_max_disputes_obligation_counts_the_disputes_of_each_period(self):
        obligation = self._obligation(self.agreement, "max_disputes", 1.0)
        other_agreement = self._agreement(
            self.customer, agreement_type="purchase", date_start=day("2025-07-01")
        )
        may = datetime.combine(day("2026-05-10"), time(9))
        june = datetime.combine(day("2026-06-02"), time(9))
        self._dispute(agreement_id=self.agreement.id, date_open=may)
        self._dispute(date_open=may)  # the partner's, tied to no agreement
        self._dispute(agreement_id=other_agreement.id, date_open=may)
        self._dispute(partner=self.vendor, date_open=may)
        self._dispute(agreement_id=self.agreement.id, date_open=june)
        self._refresh(self.agreement)
        periods = self._periods(obligation)
        self.assertEqual(periods[day("2026-05-01")].actual, 2.0)
        self.assertEqual(periods[day("2026-05-01")].status, "breached")
        self.assertEqual(periods[day("2026-06-01")].actual, 1.0)
        self.assertEqual(periods[day("2026-04-01")].actual, 0.0)
        self.assertEqual(periods[day("2026-04-01")].status, "met")
