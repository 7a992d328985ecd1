from datetime import timedelta

import psycopg2
from freezegun import freeze_time

from odoo import fields
from odoo.sql_db import connection_info_for, db_connect
from odoo.tests import tagged

from ..tools import batch_runner
from .common import TODAY, RelationshipCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestBatchRunnerLock(RelationshipCommon):
    """The per-company lock of the batches, with a second real connection: a
    transaction-level advisory lock, so a pooler in transaction mode or a
    second Odoo node never sees it held across commits, and a dead
    connection never keeps it."""

    def _other_worker(self):
        """A second connection to the database, as another worker has."""
        return db_connect(self.env.cr.dbname).cursor()

    def _engagement_run_holds_lock(self, worker):
        self.assertTrue(
            batch_runner.try_lock(worker, "engagement", self.env.company.id)
        )

    def test_concurrent_run_skips_the_company_until_the_holder_commits(self):
        customer = self._customer("Busy")
        self._order(customer, 5)
        with self._other_worker() as worker:
            self._engagement_run_holds_lock(worker)
            skipped = self._recompute(customer)
            # The holder ends its transaction (a batch committed): the lock
            # goes with it, nothing is held across the commit.
            worker.commit()
            done = self._recompute(customer)
        self.assertEqual(
            (skipped["computed"], skipped["companies"], skipped["skipped_companies"]),
            (0, [], [self.env.company.id]),
        )
        self.assertEqual(
            (done["computed"], done["companies"], done["skipped_companies"]),
            (1, [self.env.company.id], []),
        )
        self.assertTrue(self._engagement(customer).date_computed)

    def test_every_batch_skips_a_company_another_worker_runs(self):
        company = self.env.company
        with self._other_worker() as worker:
            for name in ("analytics", "crosssell"):
                self.assertTrue(batch_runner.try_lock(worker, name, company.id))
            analytics = self.env["relationship.analytics"].refresh_analytics()
            crosssell = self.env["relationship.product.affinity"].refresh_crosssell()
            worker.rollback()
        self.assertEqual(analytics["skipped_companies"], [company.id])
        self.assertEqual(crosssell["skipped_companies"], [company.id])
        self.assertEqual((analytics["customers"], crosssell["rules"]), (0, 0))

    def test_the_run_in_this_transaction_keeps_the_lock_until_it_ends(self):
        customer = self._customer("Held")
        self._order(customer, 5)
        self.assertEqual(self._recompute(customer)["computed"], 1)
        with self._other_worker() as worker:
            # Taken by this (uncommitted) transaction: the other worker waits
            # for its end, not for an unlock that pooling could misroute.
            self.assertFalse(
                batch_runner.try_lock(worker, "engagement", self.env.company.id)
            )
            worker.rollback()

    def test_killed_connection_releases_the_lock_and_the_next_run_resumes(self):
        done = self._customer("Written Before The Crash")
        pending = self._customer("Not Written Yet")
        self._order(done, 5, 100.0)
        self._order(pending, 5, 100.0)
        # A worker runs the company's full recompute and holds its lock ...
        worker = psycopg2.connect(**connection_info_for(self.env.cr.dbname)[1])
        try:
            with worker.cursor() as cursor:
                lock = batch_runner.lock_query("engagement", self.env.company.id)
                cursor.execute(lock.code, lock.params)
                self.assertTrue(cursor.fetchone()[0])
                self.assertIsNone(
                    self.Engagement._recompute_company(self.env.company, full=True)
                )
                # ... and dies.
                self.env.cr.execute(
                    "SELECT pg_terminate_backend(%s, 10000)", [worker.get_backend_pid()]
                )
                self.assertTrue(self.env.cr.fetchone()[0])
        finally:
            worker.close()
        # What its run had committed: started an hour ago, "done"'s batch
        # written (before "done"'s second order).
        self.env.company.engagement_run_started_at = fields.Datetime.now() - (
            timedelta(hours=1)
        )
        self._recompute(done)
        self._order(done, 1, 100.0)

        counts = self.Engagement._recompute_company(self.env.company, full=True)

        # The lock went with the connection; the run resumed after "done",
        # which keeps what the first run wrote (one order, not two).
        self.assertEqual(counts["computed"], 1)
        self.assertFalse(self.env.company.engagement_run_started_at)
        self.assertEqual(self._engagement(done).order_count, 1)
        self.assertEqual(self._engagement(pending).order_count, 1)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestBatchStatementsWithoutJit(RelationshipCommon):
    """The batches' statements run without PostgreSQL's JIT compilation
    (``tools.bulk.disable_jit``), for their own transaction only."""

    def _jit(self):
        self.env.cr.execute("SELECT current_setting('jit')")
        return self.env.cr.fetchone()[0]

    def test_engagement_and_analytics_turn_jit_off_until_the_transaction_ends(self):
        customer = self._customer("Compiled")
        self._order(customer, 5)
        for run in (
            lambda: self.Engagement._recompute_company(self.env.company, full=True),
            lambda: self.env["relationship.analytics"]._refresh_company(
                self.env.company
            ),
        ):
            before = self._jit()
            with self.subTest(run=run), self.env.cr.savepoint(flush=False) as point:
                self.env.cr.execute("SET LOCAL jit = on")
                run()
                self.assertEqual(self._jit(), "off")
                # Undone with the transaction (here its savepoint).
                point.rollback()
                self.assertEqual(self._jit(), before)
