from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.sql_db import db_connect
from odoo.tests import tagged

from odoo.addons.relationship_mgmt.tools import batch_runner

from .common import TODAY, BrmCommon, day

MAY = day("2026-05-01")


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestTrust(BrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.unreliable = cls._customer("Unreliable Retail")
        for partner, paid_on, delivered_on in (
            (cls.customer, "2026-05-09", "2026-05-09"),
            (cls.unreliable, "2026-06-05", "2026-05-20"),
        ):
            agreement = cls._agreement(partner, date_start=day("2025-07-01"))
            cls._obligation(agreement, "on_time_delivery", 95.0)
            order = cls._sale(partner, MAY, lines=((10.0, 100.0),))
            cls._deliver(order.picking_ids, day("2026-05-10"), day(delivered_on))
            invoice = cls._invoice(partner, MAY, day("2026-05-10"), ((10.0, 100.0),))
            cls._pay_on(invoice, day(paid_on))
        cls.env["relationship.agreement.obligation"].refresh_obligations(None)

    def _current(self, partner):
        return self.Snapshot.search(
            [("partner_id", "=", partner.id), ("is_current", "=", True)]
        )

    def test_reliable_partner_trusted_more_than_an_unreliable_one(self):
        result = self.Snapshot.recompute_trust([self.customer.id, self.unreliable.id])
        self.assertEqual(result, {"computed": 2, "companies": 1})
        reliable, unreliable = (
            self._current(self.customer),
            self._current(self.unreliable),
        )
        self.assertGreater(reliable.score, unreliable.score)
        self.assertEqual(reliable.compliance_score, 100.0)
        self.assertEqual(unreliable.compliance_score, 0.0)
        self.assertEqual(reliable.payment_score, 100.0)
        # Paid 26 days late: 13 points off the share paid on time (0).
        self.assertEqual(unreliable.payment_score, 0.0)
        self.assertEqual(reliable.volume_score, unreliable.volume_score)
        self.assertEqual(reliable.age_score, unreliable.age_score)
        self.assertIn("1 of 1 invoice paid on time", reliable.reasons)
        self.assertIn("0 of 1 periods met", unreliable.reasons)
        self.assertIn("0 disputes in the last year", unreliable.reasons)
        self.assertEqual(self.customer.trust_score, reliable.score)
        self.assertEqual(self.customer.trust_snapshot_id, reliable)
        self.assertIn("Obligation compliance", self.customer.trust_breakdown)

    def test_a_company_scored_by_another_worker_is_skipped(self):
        with db_connect(self.env.cr.dbname).cursor() as worker:
            self.assertTrue(batch_runner.try_lock(worker, "trust", self.env.company.id))
            skipped = self.Snapshot.recompute_trust([self.customer.id])
            worker.rollback()
        self.assertEqual(skipped, {"computed": 0, "companies": 0})
        self.assertFalse(self._current(self.customer))
        self.assertEqual(
            self.Snapshot.recompute_trust([self.customer.id]),
            {"computed": 1, "companies": 1},
        )

    def test_history_keeps_one_snapshot_per_day(self):
        with freeze_time("2026-06-14"):
            self.Snapshot.recompute_trust([self.customer.id])
        self.Snapshot.recompute_trust([self.customer.id])
        self.Snapshot.recompute_trust([self.customer.id])
        history = self.Snapshot.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(history.mapped("date"), [TODAY, day("2026-06-14")])
        self.assertEqual(history.mapped("is_current"), [True, False])

    def test_cron_scores_every_partner_with_an_agreement(self):
        computed = self.Snapshot._cron_recompute_trust()
        self.assertGreaterEqual(computed, 2)
        self.assertTrue(self._current(self.customer))
        self.assertTrue(self._current(self.unreliable))

    def test_contact_is_scored_as_its_company(self):
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": self.customer.id}
        )
        self.Snapshot.recompute_trust([contact.id])
        self.assertTrue(self._current(self.customer))
        self.assertEqual(contact.trust_score, self._current(self.customer).score)

    def test_bad_partner_ids_and_rights(self):
        with self.assertRefused(UserError, "list of integers"):
            self.Snapshot.recompute_trust("1")
        with self.assertRefused(UserError, "Unknown partner ids: 999999999"):
            self.Snapshot.recompute_trust([999999999])
        user_model = self.Snapshot.with_user(self.user_relationship)
        with self.assertRefused(AccessError, "managers"):
            user_model.recompute_trust(None)
        self.assertEqual(user_model.recompute_trust([self.customer.id])["computed"], 1)
        with self.assertRaises(AccessError):
            self.Snapshot.with_user(self.user_plain).recompute_trust([self.customer.id])
