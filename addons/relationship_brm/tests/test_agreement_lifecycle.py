from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import TODAY, BrmCommon, day


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestAgreementLifecycle(BrmCommon):
    def _activities(self, agreement, xmlid):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "relationship.agreement"),
                ("res_id", "=", agreement.id),
                ("activity_type_id", "=", self.env.ref(xmlid).id),
            ]
        )

    def _past_agreement(self, date_start, months, **values):
        """An agreement activated back when it started."""
        with freeze_time(date_start):
            return self._agreement(
                self.customer, date_start=date_start, months=months, **values
            )

    def test_draft_negotiation_active_with_reference_and_signature(self):
        agreement = self._agreement(self.customer, activate=False)
        self.assertEqual(agreement.state, "draft")
        self.assertTrue(agreement.reference.startswith("AGR/2026/"))
        self.assertEqual(agreement.date_end, day("2026-12-31"))
        self.assertEqual(agreement.date_notice, day("2026-12-01"))
        agreement.action_start_negotiation()
        self.assertEqual(agreement.state, "negotiation")
        agreement.action_activate()
        self.assertEqual(agreement.state, "active")
        self.assertEqual(agreement.date_signature, TODAY)

    def test_form_computes_end_and_notice_dates(self):
        with Form(self.Agreement) as form:
            form.name = "Yearly supply"
            form.partner_id = self.customer
            form.agreement_type = "purchase"
            form.date_start = day("2026-03-01")
            form.duration_months = 6
            self.assertEqual(form.date_end, day("2026-08-31"))
            form.notice_days = 31
            self.assertEqual(form.date_notice, day("2026-07-31"))
            self.assertFalse(form.allow_overlap)
            form.agreement_type = "nda"
            self.assertTrue(form.allow_overlap)
        self.assertEqual(form.record.state, "draft")
        self.assertEqual(form.record.currency_id, self.env.company.currency_id)

    def test_contact_is_replaced_by_its_company(self):
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": self.customer.id}
        )
        agreement = self._agreement(contact, activate=False)
        self.assertEqual(agreement.partner_id, self.customer)

    def test_activation_inside_notice_period_is_expiring(self):
        agreement = self._agreement(
            self.customer, date_start=day("2025-07-01"), notice_days=30
        )
        self.assertEqual(agreement.date_end, day("2026-06-30"))
        self.assertEqual(agreement.state, "expiring")

    def test_cron_moves_to_expiring_and_reminds_the_owner_once(self):
        agreement = self._past_agreement(
            day("2025-07-11"), 12, notice_days=30, user_id=self.user_manager.id
        )
        self.assertEqual(agreement.state, "active")
        self.assertEqual(agreement.date_notice, day("2026-06-10"))
        counts = self.Agreement._cron_update_states()
        self.assertEqual(agreement.state, "expiring")
        self.assertEqual(counts["expiring"], 1)
        activities = self._activities(
            agreement, "relationship_brm.mail_activity_type_notice_deadline"
        )
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.user_manager)
        self.Agreement._cron_update_states()
        self.assertEqual(
            len(
                self._activities(
                    agreement, "relationship_brm.mail_activity_type_notice_deadline"
                )
            ),
            1,
        )

    def test_cron_reminds_before_the_notice_deadline(self):
        agreement = self._past_agreement(
            day("2025-09-01"), 12, notice_days=60, reminder_days=14
        )
        self.assertEqual(agreement.date_notice, day("2026-07-02"))
        self.Agreement._cron_update_states()
        self.assertFalse(
            self._activities(
                agreement, "relationship_brm.mail_activity_type_notice_deadline"
            )
        )
        agreement.reminder_days = 20
        self.Agreement._cron_update_states()
        activity = self._activities(
            agreement, "relationship_brm.mail_activity_type_notice_deadline"
        )
        self.assertEqual(activity.date_deadline, day("2026-07-02"))
        self.assertEqual(agreement.state, "active")

    def test_cron_expires_a_manual_agreement_after_its_end(self):
        agreement = self._past_agreement(day("2025-06-01"), 12, renewal_type="manual")
        self.assertEqual(agreement.date_end, day("2026-05-31"))
        counts = self.Agreement._cron_update_states()
        self.assertEqual(agreement.state, "expired")
        self.assertEqual(counts["expired"], 1)
        self.assertFalse(agreement.renewal_id)

    def test_cron_renews_an_automatic_agreement_keeping_history(self):
        agreement = self._past_agreement(
            day("2025-06-01"),
            12,
            renewal_type="automatic",
            renewal_months=6,
            notice_days=10,
        )
        self._obligation(agreement, "on_time_delivery", 95.0)
        agreement.price_ids = [(0, 0, {"product_id": self.goods.id, "price_unit": 9})]
        self.Agreement._cron_update_states()
        renewal = agreement.renewal_id
        self.assertEqual(agreement.state, "renewed")
        self.assertEqual(renewal.previous_id, agreement)
        self.assertEqual(renewal.state, "active")
        self.assertEqual(
            (renewal.date_start, renewal.date_end),
            (day("2026-06-01"), day("2026-11-30")),
        )
        self.assertNotEqual(renewal.reference, agreement.reference)
        self.assertEqual(renewal.obligation_ids.kind, "on_time_delivery")
        self.assertEqual(renewal.price_ids.price_unit, 9.0)
        self.assertEqual(agreement.obligation_ids.kind, "on_time_delivery")
        # Idempotent: a second run renews nothing more.
        self.Agreement._cron_update_states()
        self.assertEqual(
            self.Agreement.search_count([("partner_id", "=", self.customer.id)]), 2
        )

    def test_cron_catches_up_several_renewals(self):
        agreement = self._past_agreement(
            day("2026-01-01"),
            1,
            renewal_type="automatic",
            renewal_months=1,
            notice_days=0,
        )
        counts = self.Agreement._cron_update_states()
        self.assertEqual(counts["renewed"], 5)
        current = self.Agreement.search(
            [("partner_id", "=", self.customer.id), ("state", "=", "active")]
        )
        self.assertEqual(
            (current.date_start, current.date_end),
            (day("2026-06-01"), day("2026-06-30")),
        )
        self.assertEqual(current.previous_id.previous_id.date_start, day("2026-04-01"))
        self.assertEqual(agreement.state, "renewed")

    def test_manual_renewal_of_an_expired_agreement(self):
        agreement = self._past_agreement(day("2025-06-01"), 12)
        self.Agreement._cron_update_states()
        action = agreement.action_renew()
        renewal = self.Agreement.browse(action["res_id"])
        self.assertEqual(agreement.state, "renewed")
        self.assertEqual(renewal.date_start, day("2026-06-01"))
        self.assertEqual(renewal.state, "active")

    def test_early_renewal_keeps_the_agreement_running_until_its_end(self):
        agreement = self._past_agreement(
            day("2025-07-01"), 12, renewal_type="automatic", notice_days=30
        )
        self.Agreement._cron_update_states()
        self.assertEqual(agreement.state, "expiring")
        renewal = self.Agreement.browse(agreement.action_renew()["res_id"])
        self.assertEqual(agreement.state, "expiring")
        self.assertEqual(renewal.date_start, day("2026-07-01"))
        self.assertEqual(renewal.state, "active")
        # Orders still fall under the agreement of today's period.
        self.assertEqual(self._sale(self.customer, TODAY).agreement_id, agreement)
        with self.assertRefused(UserError, "already renewed by"):
            agreement.action_renew()
        with freeze_time("2026-07-02"):
            counts = self.Agreement._cron_update_states()
            self.assertEqual(counts["renewed"], 0)
            self.assertEqual(agreement.state, "renewed")
            self.assertEqual(renewal.state, "active")
            self.assertEqual(self._sale(self.customer, TODAY).agreement_id, renewal)
        self.assertEqual(agreement.renewal_ids, renewal)

    def test_terminate_with_the_wizard_records_the_reason(self):
        agreement = self._agreement(self.customer)
        action = agreement.action_terminate()
        self.assertEqual(action["res_model"], "relationship.agreement.terminate")
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        wizard.reason = "Partner moved to another market"
        wizard.save().action_confirm()
        self.assertEqual(agreement.state, "terminated")
        self.assertEqual(
            agreement.termination_reason, "Partner moved to another market"
        )
        self.assertEqual(agreement.date_termination, TODAY)

    def test_terminate_over_rpc_needs_a_reason(self):
        agreement = self._agreement(self.customer)
        with self.assertRefused(UserError, "reason"):
            agreement.action_terminate(reason="  ")
        self.assertEqual(agreement.state, "active")
        self.assertTrue(agreement.action_terminate(reason="Fraud"))
        self.assertEqual(agreement.state, "terminated")

    def test_terminated_agreement_cannot_be_renewed_or_terminated_again(self):
        agreement = self._agreement(self.customer)
        agreement.action_terminate(reason="Closed")
        with self.assertRefused(UserError, "was terminated on"):
            agreement.action_renew()
        with self.assertRefused(UserError, "Cannot terminate"):
            agreement.action_terminate(reason="Again")
        self.assertEqual(agreement.state, "terminated")
        self.assertFalse(agreement.renewal_ids)

    def test_activation_refused_for_an_ended_or_undated_agreement(self):
        undated = self._agreement(self.customer, activate=False, date_start=False)
        with self.assertRefused(UserError, "needs a start and an end date"):
            undated.action_activate()
        ended = self._agreement(
            self.customer, activate=False, date_start=day("2025-01-01")
        )
        with self.assertRefused(UserError, "ended on 2025-12-31"):
            ended.action_activate()
        self.assertEqual((undated + ended).mapped("state"), ["draft", "draft"])

    def test_cron_moves_back_to_active_when_the_end_date_moves_later(self):
        agreement = self._agreement(
            self.customer, date_start=day("2025-07-01"), notice_days=30
        )
        self.assertEqual(agreement.state, "expiring")
        agreement.date_end = day("2027-06-30")
        self.Agreement._cron_update_states()
        self.assertEqual(agreement.state, "active")
