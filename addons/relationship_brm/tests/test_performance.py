from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, BrmCommon, day


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPerformance(BrmCommon):
    """Measuring obligations and trust costs the same number of queries for 2
    agreements (or partners) as for 10: no query per record."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agreements = cls.Agreement
        for index in range(10):
            partner = cls._customer(f"Partner {index}")
            agreement = cls._agreement(partner)
            for kind, target in (
                ("on_time_delivery", 50.0),
                ("in_full_delivery", 50.0),
                ("payment_punctuality", 0.0),
                ("min_volume", 0.0),
                ("max_volume", 1e9),
                ("price_compliance", 0.0),
            ):
                cls._obligation(agreement, kind, target)
            order = cls._sale(partner, day("2026-05-04"))
            cls._deliver(order.picking_ids, day("2026-05-10"), day("2026-05-09"))
            invoice = cls._invoice(partner, day("2026-05-04"), day("2026-05-10"))
            cls._pay_on(invoice, day("2026-05-08"))
            cls.agreements |= agreement

    def _queries(self, function, *args):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        function(*args)
        return self.env.cr.sql_log_count - before

    def test_obligation_refresh_does_not_query_per_agreement(self):
        refresh = self.Obligation.refresh_obligations
        few, many = self.agreements[:2].ids, self.agreements.ids
        # Warm up (first periods created, caches filled), then measure.
        refresh(many)
        few_count = self._queries(refresh, few)
        many_count = self._queries(refresh, many)
        self.assertEqual(few_count, many_count)
        self.assertLess(many_count, 40)
        self.assertEqual(
            self.Period.search_count([("agreement_id", "in", many)]), 10 * 6 * 6
        )

    def test_cron_refresh_does_not_query_per_agreement(self):
        self.Obligation._cron_refresh_obligations()
        self.assertEqual(
            set(
                self.Period.search(
                    [("agreement_id", "in", self.agreements.ids)]
                ).mapped("status")
            )
            - {"no_data"},
            {"met"},
        )

    def test_trust_recompute_does_not_query_per_partner(self):
        recompute = self.Snapshot.recompute_trust
        partners = self.agreements.partner_id
        self.Obligation.refresh_obligations(self.agreements.ids)
        recompute(partners.ids)
        few_count = self._queries(recompute, partners[:2].ids)
        many_count = self._queries(recompute, partners.ids)
        self.assertEqual(few_count, many_count)
