from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.relationship_brm.tests.common import TODAY, day
from odoo.addons.relationship_brm.tests.dispute_common import DisputeCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCreditControlDisputes(DisputeCommon):
    """An invoice under an open dispute stays out of the credit-control runs
    (recorded on the run and shown on its older lines) and comes back in the
    first run after the dispute closes, at what is still due; the reminders
    sent appear in the payment reason of the engagement."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id = [
            Command.link(
                cls.env.ref(
                    "account_credit_control.group_account_credit_control_manager"
                ).id
            )
        ]
        cls.policy = cls.env.ref("account_credit_control.credit_control_3_time")
        cls.policy.account_ids = cls.company_data["default_account_receivable"]
        cls.env.company.credit_policy_id = cls.policy
        cls._sale(cls.customer, day("2026-04-01"))
        # Both due on May 1st: 45 days late on TODAY, first reminder level.
        cls.disputed = cls._invoice(
            cls.customer, day("2026-04-01"), day("2026-05-01"), ((1.0, 400.0),)
        )
        cls.undisputed = cls._invoice(
            cls.customer, day("2026-04-02"), day("2026-05-01"), ((1.0, 100.0),)
        )
        cls.Run = cls.env["credit.control.run"]

    def _run(self, date):
        run = self.Run.create(
            {"date": date, "policy_ids": [Command.set(self.policy.ids)]}
        )
        run.generate_credit_lines()
        return run

    def _receivable(self, invoice):
        return invoice.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        )

    def test_disputed_invoice_is_left_out_and_back_after_resolution(self):
        dispute = self._dispute(move_id=self.disputed.id, amount_disputed=400.0)
        run = self._run(TODAY)
        self.assertEqual(run.line_ids.invoice_id, self.undisputed)
        self.assertEqual(
            run.relationship_disputed_line_ids, self._receivable(self.disputed)
        )
        self.assertEqual(run.relationship_disputed_count, 1)
        self.assertIn(
            f"1 due items left out, their invoices being under an open dispute: "
            f"{self.disputed.display_name}.",
            run.report,
        )
        # Resolved by a credit note of 150: the next run reminds the 250 left.
        dispute.resolve("credit_note", amount=150.0)
        self.env.invalidate_all()
        self.assertFalse(self.disputed.relationship_dispute_open)
        later = self._run(day("2026-06-25"))
        line = later.line_ids.filtered(lambda ln: ln.invoice_id == self.disputed)
        self.assertEqual(line.balance_due, 250.0)
        self.assertEqual(line.amount_due, 400.0)
        self.assertFalse(later.relationship_disputed_line_ids)
        self.assertFalse(line.relationship_dispute_reason)

    def test_fully_credited_dispute_does_not_come_back(self):
        dispute = self._dispute(move_id=self.disputed.id, amount_disputed=400.0)
        self._run(TODAY)
        dispute.resolve("credit_note")
        later = self._run(day("2026-06-25"))
        self.assertEqual(later.line_ids.invoice_id, self.undisputed)

    def test_older_line_shows_why_the_invoice_is_not_reminded(self):
        run = self._run(TODAY)
        line = run.line_ids.filtered(lambda ln: ln.invoice_id == self.disputed)
        self.assertFalse(line.relationship_dispute_reason)
        dispute = self._dispute(move_id=self.disputed.id, amount_disputed=400.0)
        self.env.invalidate_all()
        self.assertTrue(line.relationship_dispute_open)
        self.assertEqual(
            line.relationship_dispute_reason,
            f"Under open dispute {dispute.display_name}: left out of credit-control "
            "runs until it is closed",
        )

    def test_reminders_sent_appear_in_the_payment_reason(self):
        run = self._run(TODAY)
        run.line_ids.write({"state": "sent", "date_sent": TODAY})
        Engagement = self.env["relationship.engagement"]
        Engagement.recompute_engagement([self.customer.id])
        engagement = Engagement.search(
            [
                ("partner_id", "=", self.customer.id),
                ("company_id", "=", self.env.company.id),
            ]
        )
        payment = next(
            line
            for line in engagement.reasons.split("\n")
            if line.startswith("Payment")
        )
        self.assertTrue(
            payment.endswith(
                "; credit-control reminders sent: 2 (highest level 1, last on "
                "06/15/2026)"
            ),
            payment,
        )
        self.assertEqual(
            engagement._engagement_credit_control_histories(),
            {engagement.id: (2, 1, TODAY)},
        )
