import psycopg2
from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.relationship_mgmt.tests.common import TODAY

from .common import QueueJobCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestShardedRun(QueueJobCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env["res.partner"]
        # Customers of every kind the scoring tells apart: frequent and big,
        # lapsed, paying late, with an open overdue invoice, quotations only
        # (no history: New), and ties on every ranked signal.
        for index in range(11):
            customer = cls._customer(f"Sharded Customer {index}")
            cls.customers |= customer
            if index == 10:
                cls._order(customer, 3, 500.0, confirm=False)
                continue
            for order in range(index % 4 + 1):
                cls._order(
                    customer, 5 + 40 * order + 7 * index, 100.0 * (index % 3 + 1)
                )
            invoice = cls._invoice(customer, 10 + 5 * index, 80.0 * (index % 5 + 1))
            if index % 3 == 0:
                cls._pay(invoice, 10 + 5 * index)
            elif index % 3 == 1:
                cls._pay(invoice, 5 * index - 20 if 5 * index > 20 else 1)
        # The hooks' values travel through the staged signals as well.
        cls.env["relationship.interaction"].create(
            {"partner_id": cls.customers[1].id, "name": "Call", "channel": "phone"}
        )
        cls.env["relationship.satisfaction"].create(
            {"partner_id": cls.customers[2].id, "kind": "csat", "value": 2}
        )
        cls.env.flush_all()
        # Yesterday's scores: today's run changes tiers and writes trends.
        with freeze_time(TODAY.replace(day=TODAY.day - 1)):
            cls.Engagement._recompute_company(cls.env.company, full=True)
        for customer in cls.customers[:4]:
            cls._order(customer, 1, 2000.0)
        cls.env.flush_all()

    def _results(self, run):
        """``run()``'s engagement rows, today's snapshots and tier events,
        then undone."""
        Event = self.env["relationship.event"]
        last_event = Event.search([], order="id desc", limit=1).id
        with self.env.cr.savepoint() as savepoint:
            run()
            self.env.invalidate_all()
            values = self._engagement_values()
            snapshots = {
                (s.partner_id.id, s.score, s.tier, s.rfm_segment)
                for s in self.env["relationship.engagement.snapshot"].search(
                    [("company_id", "=", self.env.company.id), ("date", "=", TODAY)]
                )
            }
            events = sorted(
                (e.partner_id.id, e.event_type, e.old_value, e.new_value)
                for e in Event.search(
                    [
                        ("id", ">", last_event),
                        ("event_type", "in", ("tier_changed", "first_scored")),
                    ]
                )
            )
            savepoint.close(rollback=True)
        self.env.invalidate_all()
        return values, snapshots, events

    def _sharded(self, fail_shard=None):
        self._set_shards(3)
        jobs, queued = self.Run._enqueue_engagement(self.env.company)
        self.assertTrue(queued)
        prepare, shards, finish = self._steps(job.uuid for job in jobs)
        for job in (prepare, *shards, finish):
            self._perform(job)

    def test_sharded_run_equals_single_run_value_for_value(self):
        single = self._results(
            lambda: self.Engagement._recompute_company(self.env.company, full=True)
        )
        sharded = self._results(self._sharded)

        self.assertEqual(len(single[0]), len(self.customers))
        self.assertEqual(sharded[0], single[0])
        self.assertEqual(sharded[1], single[1])
        self.assertEqual(sharded[2], single[2])
        # The run changed something worth comparing: scores, new tiers and a
        # customer without history.
        self.assertTrue(single[2])
        self.assertIn("new", {row["tier"] for row in single[0].values()})
        self.assertGreater(len({row["score"] for row in single[0].values()}), 5)

    def test_one_shard_is_one_job_equal_to_the_single_run(self):
        single = self._results(
            lambda: self.Engagement._recompute_company(self.env.company, full=True)
        )

        def one_job():
            self._set_shards(1)
            jobs, queued = self.Run._enqueue_engagement(self.env.company)
            self.assertTrue(queued)
            (job,) = self._jobs(job.uuid for job in jobs)
            self.assertEqual(job.channel, "root.relationship.engagement")
            self.assertTrue(job.identity_key.endswith(":whole"))
            self.assertFalse(job.graph_uuid)
            # Queued again while it waits: the same job, nothing new.
            again, queued = self.Run._enqueue_engagement(self.env.company)
            self.assertFalse(queued)
            self.assertEqual([record.uuid for record in again], [job.uuid])
            self._perform(job)
            run = self.Run.search([("graph_uuid", "=", job.uuid)])
            self.assertEqual((run.state, run.jobs_total, run.jobs_done), ("done", 1, 1))
            self.assertEqual(run.customers_done, len(self.customers))
            self.assertEqual(run.customers_total, len(self.customers))
            # Nothing staged: no other worker reads the signals.
            self.assertFalse(
                self.env["relationship.engagement.stage"].sudo().search_count([])
            )

        self.assertEqual(self._results(one_job), single)

    def test_sharded_run_scores_the_hooks_values(self):
        sharded = self._results(self._sharded)[0]

        self.assertTrue(sharded[self.customers[1].id]["interaction_count"])
        self.assertTrue(sharded[self.customers[2].id]["satisfaction_value"])

    # ---- The staged signals ----

    def _staged(self):
        Stage = self.env["relationship.engagement.stage"]
        return {
            row.partner_id.id: row
            for row in Stage.search([("company_id", "=", self.env.company.id)])
        }

    def _graph(self, shards=3):
        self._set_shards(shards)
        jobs, __ = self.Run._enqueue_engagement(self.env.company)
        run = self.Run.search([("company_id", "=", self.env.company.id)], limit=1)
        return run, self._steps(job.uuid for job in jobs)

    def test_shards_score_what_the_first_step_read_and_the_last_step_clears_it(self):
        run, (prepare, shards, finish) = self._graph()
        self._perform(prepare)
        staged = self._staged()
        self.assertEqual(set(staged), set(self.customers.ids))
        buyer = self.customers[3]
        counted = staged[buyer.id].order_count
        self.assertTrue(counted)
        self.assertFalse(self._engagement(buyer).needs_recompute)
        # An order after the first step: the shards score what it read, and
        # the customer stays marked for the incremental run.
        self._order(buyer, 1, 900.0)
        self.env.flush_all()
        self.assertTrue(self._engagement(buyer).needs_recompute)
        for job in shards:
            self._perform(job)

        row = self._engagement(buyer)
        self.assertEqual(row.order_count, counted)
        self.assertTrue(row.needs_recompute)
        self.assertFalse(self._engagement(self.customers[4]).needs_recompute)
        self._perform(finish)
        self.assertFalse(self._staged())
        self.Engagement._recompute_company(self.env.company, marked_only=True)
        self.assertEqual(self._engagement(buyer).order_count, counted + 1)

    def test_a_shard_whose_staged_signals_are_gone_fails_and_writes_nothing(self):
        run, (prepare, shards, finish) = self._graph()
        self._perform(prepare)
        self.env["relationship.engagement.stage"]._unstage(self.env.company)
        values = self._engagement_values()

        with self.assertRaisesRegex(UserError, "recompute the engagement again"):
            self.Engagement._engagement_score_shard(
                self.env.company, run.inputs, (3, 0)
            )

        self.env.invalidate_all()
        self.assertEqual(self._engagement_values(), values)

    def test_the_finish_without_staged_signals_keeps_the_scored_customers(self):
        run, (prepare, shards, finish) = self._graph()
        for job in (prepare, *shards):
            self._perform(job)
        self.env["relationship.engagement.stage"]._unstage(self.env.company)
        self._perform(finish)

        tiers = {row["tier"] for row in self._engagement_values().values()}
        self.assertGreater(len(tiers - {"new"}), 1)

    def test_a_staged_customer_gone_since_the_first_step_is_skipped(self):
        # The stage has no foreign keys (see relationship.stage.mixin): a
        # customer merged away after the first step stays staged.
        run, (prepare, shards, finish) = self._graph(shards=2)
        self._perform(prepare)
        self.env.cr.execute("SELECT MAX(id) + 1000 FROM res_partner")
        gone = self.env.cr.fetchone()[0]
        self.env["relationship.engagement.stage"].sudo().create(
            {
                "company_id": self.env.company.id,
                "date_run": run.inputs["now"],
                "partner_id": gone,
                "has_history": True,
                "order_count": 3,
            }
        )
        for job in (*shards, finish):
            self._perform(job)

        run.invalidate_recordset()
        self.assertEqual(run.customers_done, len(self.customers))
        self.assertFalse(self.Engagement.search([("partner_id", "=", gone)]))

    def test_the_stages_are_unlogged_tables_without_foreign_keys(self):
        for model in ("relationship.engagement.stage", "relationship.analytics.stage"):
            self.env.cr.execute(
                """
                SELECT c.relpersistence,
                       (SELECT COUNT(*) FROM pg_constraint k
                         WHERE k.conrelid = c.oid AND k.contype = 'f')
                  FROM pg_class c WHERE c.relname = %s
                """,
                [self.env[model]._table],
            )
            self.assertEqual(self.env.cr.fetchone(), ("u", 0), model)

    def test_a_customer_opting_out_mid_run_leaves_the_staged_signals(self):
        run, (prepare, shards, finish) = self._graph()
        self._perform(prepare)
        leaving = self.customers[2]
        self.assertIn(leaving.id, self._staged())

        leaving.relationship_no_profiling = True
        self.env.flush_all()
        for job in (*shards, finish):
            self._perform(job)

        self.assertNotIn(leaving.id, self._staged())
        self.assertFalse(self.Engagement.search([("partner_id", "=", leaving.id)]))

    def test_sharded_run_reports_progress(self):
        self._set_shards(2)
        jobs, __ = self.Run._enqueue_engagement(self.env.company)
        run = self.Run.search([("company_id", "=", self.env.company.id)], limit=1)
        prepare, shards, finish = self._steps(job.uuid for job in jobs)
        self.assertEqual((run.state, run.jobs_total, run.jobs_done), ("running", 4, 0))
        self._perform(prepare)
        run.invalidate_recordset()
        self.assertEqual(run.customers_total, len(self.customers))
        self.assertEqual(run.customers_done, 0)
        for record in (*shards, finish):
            self._perform(record)
        run.invalidate_recordset()
        self.assertEqual((run.state, run.jobs_done), ("done", 4))
        self.assertEqual(run.customers_done, len(self.customers))

    def test_failed_shard_keeps_the_others_and_its_rerun_finishes_the_work(self):
        single = self._results(
            lambda: self.Engagement._recompute_company(self.env.company, full=True)
        )

        def run_with_a_failure():
            self._set_shards(3)
            jobs, __ = self.Run._enqueue_engagement(self.env.company)
            prepare, shards, finish = self._steps(job.uuid for job in jobs)
            self._perform(prepare)
            run = self.Run.search([("company_id", "=", self.env.company.id)], limit=1)
            # Shard 2 fails half-way: a job is one transaction, nothing of it
            # stays (here: its savepoint, for the job runner: a rollback).
            with self.assertRaises(psycopg2.errors.DivisionByZero):
                with self.env.cr.savepoint():
                    self.Engagement._engagement_score_shard(
                        self.env.company, run.inputs, (3, 1)
                    )
                    self.env.cr.execute("SELECT 1 / 0")
            self.env.invalidate_all()
            self._perform(shards[0])
            self._perform(shards[2])
            written = self.Engagement.search(
                [
                    ("company_id", "=", self.env.company.id),
                    ("date_raw", ">=", run.inputs["now"]),
                ]
            )
            expected = {c.id for c in self.customers if c.id % 3 != 1}
            self.assertEqual(set(written.partner_id.ids), expected)
            self.assertFalse(finish.state == "pending")
            # The retry of shard 2 scores its customers, the summary follows.
            self._perform(shards[1])
            finish.invalidate_recordset()
            self.assertEqual(finish.state, "pending")
            # Run twice (a second runner, a requeued job): nobody scored twice.
            self.assertEqual(
                self.Engagement._engagement_score_shard(
                    self.env.company, run.inputs, (3, 1)
                ),
                {"computed": 0, "new": 0},
            )
            self._perform(finish)
            # After the summary the staged signals are gone: a shard requeued
            # then writes nothing and says so.
            with self.assertRaisesRegex(UserError, "the run finished"):
                with self.env.cr.savepoint():
                    self.Engagement._engagement_score_shard(
                        self.env.company, run.inputs, (3, 1)
                    )

        self.assertEqual(self._results(run_with_a_failure), single)
