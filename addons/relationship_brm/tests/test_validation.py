from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import TODAY, BrmCommon, day


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestValidation(BrmCommon):
    def _count(self):
        return self.Agreement.search_count([])

    def test_end_before_start_is_refused(self):
        before = self._count()
        with self.assertRefused(
            ValidationError, "ends on 2026-01-31, before it starts"
        ):
            self._agreement(
                self.customer,
                activate=False,
                date_end=day("2026-01-31"),
                date_start=day("2026-03-01"),
                months=0,
            )
        self.assertEqual(self._count(), before)
        agreement = self._agreement(self.customer, activate=False)
        with self.assertRefused(ValidationError, "before it starts"):
            agreement.date_end = day("2025-12-01")
        self.assertEqual(agreement.date_end, day("2026-12-31"))

    def test_negative_values_are_refused(self):
        agreement = self._agreement(self.customer, activate=False)
        with self.assertRefused(ValidationError, "Committed Value of agreement"):
            agreement.amount_committed = -5.0
        with self.assertRefused(ValidationError, "cannot be negative (-3)"):
            agreement.notice_days = -3
        with self.assertRefused(ValidationError, "at least one month (not 0)"):
            agreement.write({"renewal_type": "automatic", "renewal_months": 0})
        self.assertEqual(agreement.amount_committed, 10000.0)
        self.assertEqual(agreement.notice_days, 30)
        self.assertEqual(agreement.renewal_type, "manual")
        with self.assertRefused(ValidationError, "negative value (-1.0)"):
            self.env["relationship.agreement.round"].create(
                {"agreement_id": agreement.id, "amount": -1.0}
            )
        with self.assertRefused(ValidationError, "cannot be negative (-2.0)"):
            agreement.price_ids = [
                Command.create({"product_id": self.goods.id, "price_unit": -2.0})
            ]
        self.assertFalse(agreement.round_ids or agreement.price_ids)
        self.assertEqual(agreement.state, "draft")

    def test_bad_obligation_targets_are_refused(self):
        agreement = self._agreement(self.customer)
        with self.assertRefused(ValidationError, "cannot be negative (-1.0)"):
            self._obligation(agreement, "min_volume", -1.0)
        with self.assertRefused(ValidationError, "a percentage, not 120.0"):
            self._obligation(agreement, "on_time_delivery", 120.0)
        self.assertFalse(agreement.obligation_ids)

    def test_overlapping_running_agreements_of_a_type_are_refused(self):
        running = self._agreement(self.customer, "sales")
        second = self._agreement(
            self.customer, "sales", activate=False, date_start=day("2026-06-01")
        )
        with self.assertRefused(
            ValidationError, "overlaps the running Sales agreement"
        ):
            second.action_activate()
        self.assertEqual(second.state, "draft")
        self.assertEqual(running.state, "active")
        # Another type, dates after the running one, or allowed overlap: fine.
        self._agreement(self.customer, "distribution")
        self._agreement(self.customer, "sales", date_start=day("2027-01-01"))
        second.allow_overlap = True
        second.action_activate()
        self.assertEqual(second.state, "active")
        # Framework agreements may overlap by default.
        self._agreement(self.customer, "framework")
        self._agreement(self.customer, "framework")

    def test_renewing_a_terminated_or_draft_agreement_is_refused(self):
        draft = self._agreement(self.customer, activate=False)
        with self.assertRefused(UserError, "Cannot renew"):
            draft.action_renew()
        not_renewable = self._agreement(self.customer, renewal_type="none")
        with self.assertRefused(UserError, "is not renewable"):
            not_renewable.action_renew()
        self.assertEqual(self._count(), 2)
