from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import TODAY, BrmCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestNegotiation(BrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Round = cls.env["relationship.agreement.round"]
        cls.term_30 = cls.env.ref("account.account_payment_term_30days")

    def _round(self, agreement, proposed_by="us", amount=12000.0, price=95.0, **vals):
        return self.Round.create(
            {
                "agreement_id": agreement.id,
                "proposed_by": proposed_by,
                "amount": amount,
                "lead_time_days": 5,
                "note": "<p>Proposal</p>",
                "price_ids": [
                    Command.create({"product_id": self.goods.id, "price_unit": price})
                ],
                **vals,
            }
        )

    def test_first_round_opens_the_negotiation_and_rounds_are_numbered(self):
        agreement = self._agreement(self.customer, activate=False)
        first = self._round(agreement)
        second = self._round(agreement, proposed_by="partner")
        self.assertEqual(agreement.state, "negotiation")
        self.assertEqual((first.sequence, second.sequence), (1, 2))

    def test_counter_proposal_starts_a_round_from_the_other_side(self):
        agreement = self._agreement(self.customer, activate=False)
        first = self._round(agreement, payment_term_id=self.term_30.id)
        action = first.action_counter()
        counter = self.Round.browse(action["res_id"])
        self.assertEqual(first.state, "countered")
        self.assertEqual(counter.proposed_by, "partner")
        self.assertEqual(counter.sequence, 2)
        self.assertEqual(counter.amount, 12000.0)
        self.assertEqual(counter.payment_term_id, self.term_30)
        self.assertEqual(counter.price_ids.price_unit, 95.0)
        self.assertEqual(counter.state, "proposed")

    def test_accepted_round_gives_the_final_terms(self):
        agreement = self._agreement(self.customer, activate=False)
        ours = self._round(agreement, amount=12000.0, price=95.0)
        ours.action_counter()
        theirs = agreement.round_ids - ours
        theirs.write(
            {
                "amount": 10000.0,
                "lead_time_days": 7,
                "payment_term_id": self.term_30.id,
                "note": "<p>Ten thousand, 7 days</p>",
                "price_ids": [Command.clear()]
                + [Command.create({"product_id": self.goods.id, "price_unit": 90.0})],
            }
        )
        other = self._round(agreement, amount=15000.0)
        with self.assertRefused(UserError, "accept a round"):
            agreement.action_activate()
        theirs.action_accept()
        self.assertEqual(theirs.state, "accepted")
        self.assertEqual(other.state, "rejected")
        self.assertEqual(ours.state, "countered")
        self.assertEqual(agreement.accepted_round_id, theirs)
        self.assertEqual(agreement.amount_committed, 10000.0)
        self.assertEqual(agreement.lead_time_days, 7)
        self.assertEqual(agreement.payment_term_id, self.term_30)
        self.assertIn("Ten thousand", agreement.terms)
        self.assertEqual(agreement.price_ids.mapped("price_unit"), [90.0])
        # The round keeps its own proposed prices.
        self.assertEqual(theirs.price_ids.price_unit, 90.0)
        agreement.action_activate()
        self.assertEqual(agreement.state, "active")

    def test_decided_rounds_are_history(self):
        agreement = self._agreement(self.customer, activate=False)
        first = self._round(agreement)
        second = self._round(agreement)
        first.action_accept()
        with self.assertRefused(UserError, "already answered"):
            second.action_accept()
        with self.assertRefused(UserError, "cannot change"):
            first.amount = 1.0
        self.assertEqual(first.amount, 12000.0)

    def test_no_rounds_once_the_agreement_is_active(self):
        agreement = self._agreement(self.customer)
        with self.assertRefused(UserError, "Cannot negotiate"):
            self._round(agreement)
        self.assertFalse(agreement.round_ids)
