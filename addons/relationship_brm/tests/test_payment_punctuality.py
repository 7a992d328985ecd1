from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.relationship_mgmt.engine import engagement as engagement_engine

from ..engine import trust as trust_engine
from .common import TODAY, BrmCommon, day

MAY = day("2026-05-01")
WINDOW_START = TODAY - timedelta(days=365)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPaymentPunctuality(BrmCommon):
    """Engagement (relationship_mgmt), trust and the payment punctuality
    obligation judge the same invoices paid on time: one definition of the
    payment date (the latest reconciled entry's date) in engine/signals.py."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agreement = cls._agreement(cls.customer)
        cls.obligation = cls._obligation(cls.agreement, "payment_punctuality", 90.0)
        invoice = cls._invoice
        cls.early = invoice(cls.customer, MAY, day("2026-05-10"))
        cls._pay(cls.early, "2026-05-05")
        cls.on_due_date = invoice(cls.customer, MAY, day("2026-05-12"))
        cls._pay(cls.on_due_date, "2026-05-12")
        cls.late = invoice(cls.customer, MAY, day("2026-05-14"))
        cls._pay(cls.late, "2026-05-20")
        cls.partial = invoice(cls.customer, MAY, day("2026-05-16"))
        cls._pay(cls.partial, "2026-05-10", 50.0)
        cls.two_steps_on_time = invoice(cls.customer, MAY, day("2026-05-18"))
        cls._pay(cls.two_steps_on_time, "2026-05-10", 40.0)
        cls._pay(cls.two_steps_on_time, "2026-05-18", 60.0)
        cls.two_steps_late = invoice(cls.customer, MAY, day("2026-05-20"))
        cls._pay(cls.two_steps_late, "2026-05-15", 40.0)
        cls._pay(cls.two_steps_late, "2026-05-25", 60.0)
        # Booked in the accounting period after its payment: the reconciliation's
        # max_date is the invoice's accounting date (after the due date), the
        # payment itself came before the due date.
        cls.booked_later = cls._invoice_booked_on(day("2026-05-22"), day("2026-05-28"))
        cls._pay(cls.booked_later, "2026-05-21")
        cls.invoices = (
            cls.early
            + cls.on_due_date
            + cls.late
            + cls.partial
            + cls.two_steps_on_time
            + cls.two_steps_late
            + cls.booked_later
        )
        cls.on_time = (
            cls.early + cls.on_due_date + cls.two_steps_on_time + cls.booked_later
        )

    @classmethod
    def _invoice_booked_on(cls, due, accounting_date):
        move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": MAY,
                "date": accounting_date,
                "invoice_date_due": due,
                "invoice_payment_term_id": False,
                "invoice_line_ids": [
                    Command.create({"product_id": cls.goods.id, "price_unit": 100.0})
                ],
            }
        )
        move.invoice_date_due = due
        move.action_post()
        return move

    @classmethod
    def _pay(cls, invoice, on, amount=None):
        return cls._pay_on(invoice, day(on), amount)

    def _engagement_on_time(self, invoice):
        """Engagement's judgement of ``invoice`` alone (the others excluded)."""
        self.env.flush_all()
        self.env.cr.execute(
            engagement_engine.payment_signals(
                self.env.company.id,
                [self.customer.id],
                WINDOW_START,
                TODAY,
                excluded_move_ids=(self.invoices - invoice).ids,
            )
        )
        ((__, due, on_time, __, __),) = self.env.cr.fetchall()
        self.assertEqual(due, 1)
        return bool(on_time)

    def _trust_on_time(self, invoice):
        self.env.flush_all()
        payments = trust_engine.payments(
            self.env.cr,
            self.env.company.id,
            [self.customer.id],
            WINDOW_START,
            TODAY,
            excluded_move_ids=(self.invoices - invoice).ids,
        )
        due, on_time, __ = payments[self.customer.id]
        self.assertEqual(due, 1)
        return bool(on_time)

    def test_the_documents_are_what_the_test_says(self):
        self.assertEqual(self.invoices.agreement_id, self.agreement)
        self.assertEqual(self.booked_later.date, day("2026-05-28"))
        self.assertEqual(self.partial.payment_state, "partial")
        self.assertLessEqual(
            set((self.invoices - self.partial).mapped("payment_state")),
            {"paid", "in_payment"},
        )

    def test_engagement_trust_and_obligations_agree_on_time(self):
        expected = {invoice.name: invoice in self.on_time for invoice in self.invoices}
        engagement = {
            invoice.name: self._engagement_on_time(invoice) for invoice in self.invoices
        }
        trust = {
            invoice.name: self._trust_on_time(invoice) for invoice in self.invoices
        }
        self.Obligation.refresh_obligations([self.agreement.id])
        (may,) = self.Period.search(
            [("obligation_id", "=", self.obligation.id), ("date_from", "=", MAY)]
        )
        failing = set(may.failing_refs["account.move"])
        obligations = {
            invoice.name: invoice.id not in failing for invoice in self.invoices
        }
        self.assertEqual(engagement, expected)
        self.assertEqual(trust, expected)
        self.assertEqual(obligations, expected)
        self.assertEqual(may.measured_count, 7)
        self.assertAlmostEqual(may.actual, 57.14)

    def test_stored_counts_agree(self):
        self.env["relationship.engagement"].recompute_engagement([self.customer.id])
        engagement = self.env["relationship.engagement"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.Snapshot.recompute_trust([self.customer.id])
        trust = self.Snapshot.search(
            [("partner_id", "=", self.customer.id), ("is_current", "=", True)]
        )
        self.assertEqual(
            (engagement.invoice_due_count, engagement.invoice_on_time_count), (7, 4)
        )
        self.assertEqual((trust.invoices_due, trust.invoices_on_time), (7, 4))
        # Late on average: 6 days (paid 05-20 for 05-14), 30 (partial, open
        # since 05-16), 5 (the rest paid 05-25 for 05-20).
        self.assertAlmostEqual(engagement.avg_days_late, 41 / 3, places=2)
