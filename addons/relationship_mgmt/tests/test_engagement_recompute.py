from datetime import timedelta
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo import fields
from odoo.sql_db import db_connect
from odoo.tests import tagged

from ..engine import engagement as engine
from ..models.relationship_engagement import ENGAGEMENT_LOCK_KEY
from .common import TODAY, RelationshipCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestEngagementRecompute(RelationshipCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company(name="Second Company")["company"]

    def test_each_company_scores_from_its_own_documents(self):
        shared = self._customer("Shared Customer")
        self._order(shared, 10, 200.0)
        for days_ago in (20, 50, 80):
            self._order(shared, days_ago, 700.0, company=self.company_2)
        self._invoice(shared, 20, 700.0, company=self.company_2)

        both = self.Engagement.with_context(
            allowed_company_ids=[self.env.company.id, self.company_2.id]
        )
        result = both.recompute_engagement([shared.id])

        self.assertCountEqual(
            result["companies"], [self.env.company.id, self.company_2.id]
        )
        first = self._engagement(shared)
        second = self._engagement(shared, self.company_2)
        self.assertEqual((first.order_count, first.revenue), (1, 0.0))
        self.assertEqual((second.order_count, second.revenue), (3, 700.0))
        self.assertEqual(second.days_since_last_order, 20)
        # A user of the first company only never sees the second company's row.
        visible = self.Engagement.with_user(self.user_relationship).search(
            [("partner_id", "=", shared.id)]
        )
        self.assertEqual(visible, first)

    def test_document_changes_mark_customer_and_cron_recomputes(self):
        customer = self._customer("Marked Customer")
        order = self._order(customer, 0, 300.0)
        engagement = self._engagement(customer)
        self.assertTrue(engagement.needs_recompute, "confirming an order marks")
        self.assertEqual(engagement.tier, "new")

        self.Engagement._cron_recompute_marked()

        engagement.invalidate_recordset()
        self.assertFalse(engagement.needs_recompute)
        self.assertEqual(engagement.order_count, 1)
        self.assertNotEqual(engagement.tier, "new")

        invoice = self._invoice(customer, 0, 300.0)
        self.assertTrue(engagement.needs_recompute, "posting an invoice marks")
        self.Engagement._cron_recompute_marked()
        self.assertFalse(engagement.needs_recompute)
        self.assertAlmostEqual(engagement.revenue, 300.0)

        self._pay(invoice, 0)
        self.assertTrue(engagement.needs_recompute, "reconciling a payment marks")
        self.Engagement._cron_recompute_marked()
        self.assertEqual(engagement.invoice_on_time_count, 1)

        order._action_cancel()
        self.assertTrue(engagement.needs_recompute, "cancelling an order marks")
        self.Engagement._cron_recompute_marked()
        self.assertEqual(engagement.order_count, 0)

    def test_snapshot_per_day_and_trend_since_previous_day(self):
        customer = self._customer("Trending")
        other = self._customer("Reference")
        self._order(other, 5, 1000.0)
        self._order(customer, 200, 100.0)
        self._recompute(customer, other)
        engagement = self._engagement(customer)
        first_score = engagement.score
        # A first score has no trend: shown as a dash, not as 0.0.
        self.assertFalse(engagement.has_previous_score)
        self.assertEqual(engagement.score_trend_display, "—")
        self.assertEqual(customer.engagement_trend_display, "—")
        self._recompute(customer, other)  # same day: the snapshot is replaced
        engagement.invalidate_recordset()
        self.assertEqual(engagement.score_trend_display, "—")
        Snapshot = self.env["relationship.engagement.snapshot"]
        self.assertEqual(Snapshot.search_count([("partner_id", "=", customer.id)]), 1)

        with freeze_time(TODAY + timedelta(days=1)):
            for days_ago in (1, 2, 3):
                self._order(customer, days_ago - 1, 2000.0)
            self._recompute(customer, other)

        snapshots = Snapshot.search([("partner_id", "=", customer.id)], order="date")
        self.assertEqual(snapshots.mapped("date"), [TODAY, TODAY + timedelta(days=1)])
        self.assertEqual(snapshots[0].score, first_score)
        self.assertEqual(engagement.score_previous, first_score)
        self.assertAlmostEqual(engagement.score_trend, engagement.score - first_score)
        self.assertGreater(engagement.score_trend, 0)
        self.assertTrue(engagement.has_previous_score)
        self.assertEqual(
            engagement.score_trend_display, f"+{engagement.score_trend:.1f}"
        )

    def test_old_snapshots_purged_after_retention(self):
        customer = self._customer("Historic")
        self._order(customer, 5)
        self.env.company.engagement_snapshot_retention_days = 30
        with freeze_time(TODAY - timedelta(days=40)):
            self._recompute(customer)
        self._recompute(customer)
        Snapshot = self.env["relationship.engagement.snapshot"]
        self.assertEqual(Snapshot.search_count([("partner_id", "=", customer.id)]), 2)

        self.Engagement._purge_snapshots(self.env.company)

        remaining = Snapshot.search([("partner_id", "=", customer.id)])
        self.assertEqual(remaining.mapped("date"), [TODAY])

    def test_recompute_skips_company_locked_by_another_worker(self):
        customer = self._customer("Locked")
        self._order(customer, 5)
        with db_connect(self.env.cr.dbname).cursor() as other_worker:
            other_worker.execute(
                "SELECT pg_advisory_lock(%s, %s)",
                [ENGAGEMENT_LOCK_KEY, self.env.company.id],
            )
            result = self._recompute(customer)
            other_worker.execute(
                "SELECT pg_advisory_unlock(%s, %s)",
                [ENGAGEMENT_LOCK_KEY, self.env.company.id],
            )
        self.assertEqual(result["skipped_companies"], [self.env.company.id])
        self.assertEqual(result["computed"], 0)
        self.assertFalse(self._engagement(customer).date_computed)
        self.assertEqual(self._recompute(customer)["computed"], 1)

    def test_failed_recompute_releases_the_lock_and_changes_nothing(self):
        customer = self._customer("Failing")
        self._order(customer, 5)
        # A stored row, from marking rather than from a run: a run that
        # succeeds holds the company's (transaction-level) lock until its
        # transaction ends, which in a test is never.
        self.Engagement._mark_for_recompute([(customer.id, self.env.company.id)])
        before = self._engagement(customer).read(["score", "order_count"])
        self._order(customer, 2)
        Engagement = type(self.Engagement)

        def broken_hook(self, company, partner_ids, date_from):
            # A statement that fails in the database, aborting the transaction.
            self.env.cr.execute("SELECT 1 / 0")

        with (
            patch.object(Engagement, "_engagement_satisfaction_values", broken_hook),
            self.assertRaises(psycopg2.errors.DivisionByZero),
        ):
            self.Engagement._recompute_company(self.env.company, full=True)

        # The transaction is usable, nothing was written, and another worker
        # can take the company's lock at once.
        self.Engagement.invalidate_model()
        self.assertEqual(
            self._engagement(customer).read(["score", "order_count"]), before
        )
        self.assertFalse(self.env.company.engagement_run_started_at)
        with db_connect(self.env.cr.dbname).cursor() as other_worker:
            other_worker.execute(
                "SELECT pg_try_advisory_lock(%s, %s)",
                [ENGAGEMENT_LOCK_KEY, self.env.company.id],
            )
            self.assertTrue(other_worker.fetchone()[0])
            other_worker.execute(
                "SELECT pg_advisory_unlock(%s, %s)",
                [ENGAGEMENT_LOCK_KEY, self.env.company.id],
            )
        self.assertEqual(self._recompute(customer)["computed"], 1)

    def test_full_recompute_resumes_interrupted_run(self):
        done = self._customer("Already Read")
        pending = self._customer("Not Read Yet")
        self._order(done, 5, 100.0)
        self._order(pending, 5, 100.0)
        run_start = fields.Datetime.now() - timedelta(hours=1)
        self.env.company.engagement_run_started_at = run_start
        # The interrupted run had read "done"'s signals (before its new order).
        self._recompute(done)
        engagement_done = self._engagement(done)
        written = engagement_done.date_computed
        self._order(done, 1, 100.0)
        engagement_done.invalidate_recordset()

        counts = self.Engagement._recompute_company(self.env.company, full=True)

        # Resumed, not restarted: only "pending" is read and written; "done"
        # keeps what the first run wrote.
        self.assertEqual(counts["computed"], 1)
        self.assertFalse(self.env.company.engagement_run_started_at)
        self.assertEqual(engagement_done.order_count, 1)
        self.assertEqual(engagement_done.date_computed, written)
        self.assertEqual(self._engagement(pending).order_count, 1)
        self.assertTrue(self._engagement(pending).date_computed)

    def test_query_count_does_not_grow_with_customers(self):
        def queries_for(count, prefix):
            customers = self.env["res.partner"]
            for index in range(count):
                customer = self._customer(f"{prefix} {index}")
                self._order(customer, index + 1, 100.0 * (index + 1))
                self._invoice(customer, index + 1, 100.0 * (index + 1))
                customers |= customer
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            self.Engagement.recompute_engagement(customers.ids)
            return self.env.cr.sql_log_count - before

        queries_for(1, "Warm-up")  # fills the registry caches (groups, xmlids)
        small = queries_for(2, "Small")
        large = queries_for(12, "Large")
        self.assertEqual(small, large)

    def test_partner_search_by_tier_and_score(self):
        top = self._customer("Top")
        low = self._customer("Low")
        for days_ago in (3, 30, 60):
            self._order(top, days_ago, 5000.0)
        self._order(low, 330, 10.0)
        self._recompute(top, low)
        top_tier = self._engagement(top).tier

        Partner = self.env["res.partner"]
        self.assertIn(top, Partner.search([("engagement_tier", "=", top_tier)]))
        self.assertNotIn(low, Partner.search([("engagement_tier", "=", top_tier)]))
        above = Partner.search([("engagement_score", ">", self._engagement(low).score)])
        self.assertIn(top, above)
        self.assertNotIn(low, above)

    def test_full_recompute_skips_the_companys_own_partner(self):
        customer = self._customer("Real Customer")
        self._order(customer, 5)
        self._invoice(self.env.company.partner_id, 5, 100.0)

        counts = self.Engagement._recompute_company(self.env.company, full=True)

        self.assertEqual(counts["computed"], 1)
        self.assertTrue(self._engagement(customer).date_computed)
        own = self._engagement(self.env.company.partner_id)
        self.assertFalse(own.date_computed)

    def _constructed_population(self):
        customers = self.env["res.partner"]
        for index in range(7):
            customer = self._customer(f"Population {index}")
            for order in range(index + 1):
                self._order(customer, 5 + 40 * order + index, 100.0 * (index + 1))
            self._invoice(customer, 5 + index, 250.0 * (7 - index))
            customers |= customer
        return customers

    @staticmethod
    def _mid_rank(value, population):
        """Reference percentile rank, worked out in Python: the mid-rank of
        ``value`` among the 101 percentiles of ``population`` interpolated
        linearly (PostgreSQL's ``percentile_cont``)."""
        ordered = sorted(population)
        last = len(ordered) - 1
        cuts = []
        for step in range(101):
            position = step / 100 * last
            low = int(position)
            high = min(low + 1, last)
            cuts.append(
                ordered[low] + (ordered[high] - ordered[low]) * (position - low)
            )
        below = sum(1 for cut in cuts if cut < value)
        up_to = sum(1 for cut in cuts if cut <= value)
        return 100.0 * (below + up_to) / (2 * len(cuts))

    def test_full_run_ranks_like_the_stored_percentiles(self):
        customers = self._constructed_population()
        self.Engagement._recompute_company(self.env.company, full=True)
        full = {c.id: self._engagement(c).score for c in customers}
        self.assertEqual(len(set(full.values())), len(customers), "scores differ")

        # Each ranked component is the customer's mid-rank in the company.
        engagements = [self._engagement(c) for c in customers]
        for name, (column, lower_is_better) in engine.RANKED_COMPONENTS.items():
            population = [float(e[column]) for e in engagements]
            for engagement in engagements:
                rank = self._mid_rank(float(engagement[column]), population)
                expected = round(100.0 - rank if lower_is_better else rank, 1)
                self.assertAlmostEqual(
                    engagement[f"{name}_score"], expected, places=6, msg=name
                )

        # The partner path ranks against the stored rows: same scores.
        self.Engagement._recompute_company(self.env.company, partner_ids=customers.ids)
        self.Engagement.invalidate_model()
        self.assertEqual({c.id: self._engagement(c).score for c in customers}, full)

    def test_full_run_writes_snapshot_and_trend_in_one_pass(self):
        customer = self._customer("Trend Customer")
        self._order(customer, 100, 100.0)
        other = self._customer("Steady Other")
        self._order(other, 10, 100.0)
        with freeze_time(fields.Date.to_date(TODAY) - timedelta(days=1)):
            self.Engagement._recompute_company(self.env.company, full=True)
        yesterday = self._engagement(customer).score
        self._order(customer, 1, 900.0)

        self.Engagement._recompute_company(self.env.company, full=True)

        engagement = self._engagement(customer)
        self.assertEqual(engagement.score_previous, yesterday)
        self.assertAlmostEqual(
            engagement.score_trend, round(engagement.score - yesterday, 1), places=1
        )
        self.assertGreater(engagement.score_trend, 0)
        snapshots = self.env["relationship.engagement.snapshot"].search(
            [("partner_id", "=", customer.id)], order="date"
        )
        self.assertEqual(len(snapshots), 2)
        self.assertEqual(snapshots[-1].score, engagement.score)
        self.assertEqual(snapshots[-1].tier, engagement.tier)
        self.assertEqual(snapshots[-1].recency_score, engagement.recency_score)

    def test_full_run_refreshes_stale_new_rows_without_documents(self):
        # A response marks a customer without sales documents: a New row
        # waiting for a recompute that has nothing to score.
        quiet = self._customer("Quiet Customer")
        self.Engagement._mark_for_recompute([(quiet.id, self.env.company.id)])
        engagement = self._engagement(quiet)
        self.assertEqual((engagement.tier, engagement.needs_recompute), ("new", True))
        self.assertFalse(engagement.date_computed)
        events = self.env["relationship.event"].search_count([])

        self.Engagement._recompute_company(self.env.company, full=True)

        engagement.invalidate_recordset()
        self.assertEqual(engagement.tier, "new")
        self.assertFalse(engagement.needs_recompute)
        self.assertFalse(engagement.date_computed)
        self.assertEqual(self.env["relationship.event"].search_count([]), events)
        marked = self.Engagement.search([("needs_recompute", "=", True)])
        self.assertNotIn(engagement, marked)

    def test_full_run_turns_customers_without_documents_new(self):
        leaving = self._customer("Leaving Customer")
        order = self._order(leaving, 10, 100.0)
        staying = self._customer("Staying Customer")
        self._order(staying, 10, 100.0)
        self.Engagement._recompute_company(self.env.company, full=True)
        self.assertNotEqual(self._engagement(leaving).tier, "new")

        order._action_cancel()
        order.unlink()
        self.Engagement._recompute_company(self.env.company, full=True)

        engagement = self._engagement(leaving)
        self.assertEqual(engagement.tier, "new")
        self.assertFalse(engagement.score)
        self.assertFalse(engagement.order_count)
        self.assertNotEqual(self._engagement(staying).tier, "new")
