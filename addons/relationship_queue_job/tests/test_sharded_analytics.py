from datetime import datetime, time, timedelta
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.sql_db import connection_info_for
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import PENDING, WAIT_DEPENDENCIES
from odoo.addons.relationship_mgmt.engine import analytics as engine
from odoo.addons.relationship_mgmt.engine import clv
from odoo.addons.relationship_mgmt.tests.common import TODAY
from odoo.addons.relationship_mgmt.tools import batch_runner

from .common import QueueJobCommon

SHARDS = 3
# The fields of a row that say when it was written, not what it holds.
BOOKKEEPING = {"id", "create_uid", "create_date", "write_uid", "write_date"}


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestShardedAnalytics(QueueJobCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Analytics = cls.env["relationship.analytics"]
        cls.Fit = cls.env["relationship.analytics.fit"]
        cls.env["ir.config_parameter"].set_param(
            "relationship_queue_job.analytics_shards", str(SHARDS)
        )
        # A shop the customer-base model fits: regular buyers, lapsed ones,
        # one-time buyers; customers with invoices only, with a refund, and a
        # customer whose only order is cancelled after yesterday's refresh
        # (it leaves the population).
        histories = {}
        for index in range(12):
            histories[f"Sharded Regular {index}"] = [
                2 + 3 * index + (20 + 2 * index) * k for k in range(4 + index % 4)
            ]
        for index in range(8):
            histories[f"Sharded Lapsed {index}"] = [
                180 + 25 * index + 30 * k for k in range(3 + index % 3)
            ]
        for index in range(10):
            histories[f"Sharded Once {index}"] = [5 + 40 * index]
        histories["Sharded Departing"] = [40]
        cls.customers, orders = cls._histories(histories)
        cls.departing = cls.customers[-1]
        for index, customer in enumerate(cls.customers[:6]):
            cls._invoice(customer, 3 + index, 150.0 + 10 * index)
        cls._invoice(cls.customers[1], 2, 40.0, move_type="out_refund")
        for index in range(2):
            invoiced = cls._customer(f"Sharded Invoiced Only {index}")
            cls._invoice(invoiced, 30 + index, 500.0)
            cls.customers |= invoiced
        # Engagement segments and trends, read by the analytics.
        cls.Engagement._recompute_company(cls.env.company, full=True)
        # Yesterday's analytics: today's run writes over them.
        with freeze_time(TODAY - timedelta(days=1)):
            cls.Analytics._refresh_company(cls.env.company)
        orders[cls.departing]._action_cancel()
        cls.env.flush_all()

    @classmethod
    def _histories(cls, histories):
        """``{name: [days ago, ...]}`` -> customers with one confirmed order
        on each of those days (baskets varying from 60 to 140), created in
        one batch, and the orders of each customer."""
        customers = cls.env["res.partner"].create(
            [{"name": name, "is_company": True} for name in histories]
        )
        orders = cls.env["sale.order"].create(
            [
                {
                    "partner_id": customer.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
                                "product_uom_qty": 1.0,
                                "price_unit": 60.0 + 20.0 * ((3 * c + 7 * k) % 5),
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
                for c, (customer, ago) in enumerate(
                    zip(customers, histories.values(), strict=True)
                )
                for k in range(len(ago))
            ]
        )
        orders.action_confirm()
        days = [day for ago in histories.values() for day in ago]
        for order, ago in zip(orders, days, strict=True):
            order.date_order = datetime.combine(TODAY - timedelta(days=ago), time(10))
        return customers, {
            customer: orders.filtered(lambda o, c=customer: o.partner_id == c)
            for customer in customers
        }

    # ---- Helpers ----

    def _analytics_values(self):
        """Every stored value of the company's analytics rows except the time
        they were written, by partner."""
        rows = self.Analytics.search([("company_id", "=", self.env.company.id)])
        names = [
            name
            for name, field in self.Analytics._fields.items()
            if field.store and name not in BOOKKEEPING | {"date_computed"}
        ]
        return {row.partner_id.id: {name: row[name] for name in names} for row in rows}

    def _fit_values(self):
        fit = self.Fit.search([("company_id", "=", self.env.company.id)])
        names = [
            name
            for name, field in self.Fit._fields.items()
            if field.store and name not in BOOKKEEPING | {"date_fit"}
        ]
        return {name: fit[name] for name in names}

    def _results(self, run):
        """``run()``'s analytics rows and model fit, then undone."""
        with self.env.cr.savepoint() as savepoint:
            run()
            self.env.invalidate_all()
            values = self._analytics_values(), self._fit_values()
            savepoint.close(rollback=True)
        self.env.invalidate_all()
        return values

    def _single(self):
        self.Analytics._refresh_company(self.env.company)

    def _enqueue(self):
        jobs, queued = self.Run._enqueue_analytics(self.env.company)
        self.assertTrue(queued)
        run = self.Run.search([("graph_uuid", "=", jobs[0].graph_uuid)])
        return run, self._steps(job.uuid for job in jobs)

    def _sharded(self):
        __, (prepare, shards, finish) = self._enqueue()
        for job in (prepare, *shards, finish):
            self._perform(job)

    # ---- The result ----

    def test_sharded_refresh_equals_the_single_refresh_value_for_value(self):
        single = self._results(self._single)
        sharded = self._results(self._sharded)

        self.assertEqual(len(single[0]), len(self.customers) - 1)
        self.assertNotIn(self.departing.id, single[0])
        self.assertEqual(sharded[0], single[0])
        self.assertEqual(sharded[1], single[1])
        # Something worth comparing: a fitted model, its predictions spread
        # over months, and the customers without orders.
        self.assertFalse(single[1]["is_fallback"], single[1]["fallback_reason"])
        rows = single[0].values()
        self.assertGreater(len({row["p_alive"] for row in rows}), 10)
        self.assertGreater(len({row["next_order_value"] for row in rows}), 10)
        self.assertTrue(
            all(row["forecast_purchases"] for row in rows if row["order_count"])
        )
        self.assertTrue([row for row in rows if not row["order_count"]])
        self.assertTrue([row for row in rows if row["refund_to_date"]])
        self.assertTrue([row for row in rows if row["rfm_segment"]])

    def test_one_shard_is_one_job_equal_to_the_single_refresh(self):
        single = self._results(self._single)

        def one_job():
            self.env["ir.config_parameter"].set_param(
                "relationship_queue_job.analytics_shards", "1"
            )
            jobs, queued = self.Run._enqueue_analytics(self.env.company)
            self.assertTrue(queued)
            (job,) = self._jobs(job.uuid for job in jobs)
            self.assertEqual(job.channel, "root.relationship.analytics")
            self.assertTrue(job.identity_key.endswith(":whole"))
            self.assertFalse(job.graph_uuid)
            # Queued again while it waits: the same job, nothing new.
            again, queued = self.Run._enqueue_analytics(self.env.company)
            self.assertFalse(queued)
            self.assertEqual([record.uuid for record in again], [job.uuid])
            self._perform(job)
            run = self.Run.search([("graph_uuid", "=", job.uuid)])
            self.assertEqual((run.state, run.jobs_total, run.jobs_done), ("done", 1, 1))
            self.assertEqual(run.customers_done, len(self.customers) - 1)
            self.assertEqual(run.customers_total, len(self.customers) - 1)
            # Nothing staged: no other worker reads the figures.
            self.assertFalse(
                self.env["relationship.analytics.stage"].sudo().search_count([])
            )

        self.assertEqual(self._results(one_job), single)

    def test_the_model_is_fitted_once_per_run_and_the_shards_read_it(self):
        run, (prepare, shards, finish) = self._enqueue()
        fits = patch.object(
            engine, "fit_customer_model", wraps=engine.fit_customer_model
        )
        likelihoods = patch.object(clv, "fit_best", wraps=clv.fit_best)
        with fits as fitted, likelihoods as maximised:
            self._perform(prepare)
            self.assertEqual(fitted.call_count, 1)
            calls = maximised.call_count
            self.assertTrue(calls)
            for job in (*shards, finish):
                self._perform(job)
            self.assertEqual(fitted.call_count, 1)
            self.assertEqual(maximised.call_count, calls)

        fit = self.Fit.search([("company_id", "=", self.env.company.id)])
        self.assertEqual(len(fit), 1)
        self.assertEqual(run.inputs["fit_id"], fit.id)
        self.assertEqual(run.inputs["model"]["params"], fit.parameters)
        self.assertEqual(run.inputs["as_of"], str(TODAY))
        rows = self.Analytics.search([("company_id", "=", self.env.company.id)])
        self.assertEqual(set(rows.mapped("fit_id")), {fit})
        self.assertEqual(set(rows.mapped("date_as_of")), {TODAY})

    def test_a_shard_run_twice_writes_nothing_the_second_time(self):
        run, (prepare, shards, finish) = self._enqueue()
        self._perform(prepare)
        self._perform(shards[1])
        written = self._analytics_values()
        stamps = dict(
            self.Analytics.search([]).mapped(lambda row: (row.id, row.write_date))
        )

        again = self.Analytics._analytics_refresh_shard(
            self.env.company, run.inputs, (SHARDS, 1)
        )

        self.assertEqual(again, {"customers": 0})
        self.env.invalidate_all()
        self.assertEqual(self._analytics_values(), written)
        self.assertEqual(
            dict(
                self.Analytics.search([]).mapped(lambda row: (row.id, row.write_date))
            ),
            stamps,
        )

    def test_a_failed_shard_keeps_the_others_and_its_rerun_finishes_the_work(self):
        single = self._results(self._single)

        def run_with_a_failure():
            run, (prepare, shards, finish) = self._enqueue()
            self._perform(prepare)
            # Shard 2 fails half-way: a job is one transaction, nothing of it
            # stays (here: its savepoint, for the job runner: a rollback).
            with self.assertRaises(psycopg2.errors.DivisionByZero):
                with self.env.cr.savepoint():
                    self.Analytics._analytics_refresh_shard(
                        self.env.company, run.inputs, (SHARDS, 1)
                    )
                    self.env.cr.execute("SELECT 1 / 0")
            self.env.invalidate_all()
            self._perform(shards[0])
            self._perform(shards[2])
            written = self.Analytics.search(
                [
                    ("company_id", "=", self.env.company.id),
                    ("date_computed", ">=", run.inputs["now"]),
                ]
            )
            self.assertEqual(
                set(written.partner_id.ids),
                {c.id for c in self.customers - self.departing if c.id % SHARDS != 1},
            )
            finish.invalidate_recordset()
            self.assertEqual(finish.state, WAIT_DEPENDENCIES)
            # The retry of shard 2 writes its customers, the summary follows.
            self._perform(shards[1])
            finish.invalidate_recordset()
            self.assertEqual(finish.state, PENDING)
            self._perform(finish)

        self.assertEqual(self._results(run_with_a_failure), single)

    # ---- The staged figures ----

    def _staged_partners(self):
        Stage = self.env["relationship.analytics.stage"]
        return set(
            Stage.search([("company_id", "=", self.env.company.id)]).partner_id.ids
        )

    def test_shards_write_what_the_first_step_read_and_the_last_step_clears_it(self):
        run, (prepare, shards, finish) = self._enqueue()
        self._perform(prepare)
        analysed = {c.id for c in self.customers - self.departing}
        self.assertEqual(self._staged_partners(), analysed)
        # A document after the first step: the shards predict from what it
        # read (the fit's own figures), not from the documents again.
        first = self.customers[0]
        before = self.Analytics.search([("partner_id", "=", first.id)]).order_count
        self._histories({"Sharded Late Buyer": [1]})
        self.env["sale.order"].search([("partner_id", "=", first.id)], limit=1).copy()
        self.env["sale.order"].search(
            [("partner_id", "=", first.id), ("state", "=", "draft")]
        ).action_confirm()
        self.env.flush_all()
        for job in shards:
            self._perform(job)

        row = self.Analytics.search([("partner_id", "=", first.id)])
        written = self.Analytics.search(
            [("date_computed", ">=", run.inputs["now"])]
        ).partner_id
        self.assertEqual(set(written.ids), analysed)
        self.assertEqual(row.order_count, before)
        self._perform(finish)
        self.assertFalse(self._staged_partners())

    def test_a_shard_whose_staged_figures_are_gone_fails_and_writes_nothing(self):
        run, (prepare, shards, finish) = self._enqueue()
        self._perform(prepare)
        self.env["relationship.analytics.stage"]._unstage(self.env.company)
        values = self._analytics_values()

        with self.assertRaisesRegex(UserError, "refresh the analytics again"):
            self.Analytics._analytics_refresh_shard(
                self.env.company, run.inputs, (SHARDS, 0)
            )

        self.env.invalidate_all()
        self.assertEqual(self._analytics_values(), values)

    def test_a_customer_opting_out_mid_run_leaves_the_staged_figures(self):
        run, (prepare, shards, finish) = self._enqueue()
        self._perform(prepare)
        leaving = self.customers[2]
        self.assertIn(leaving.id, self._staged_partners())

        leaving.relationship_no_profiling = True
        self.env.flush_all()
        for job in (*shards, finish):
            self._perform(job)

        self.assertNotIn(leaving.id, self._staged_partners())
        self.assertFalse(self.Analytics.search([("partner_id", "=", leaving.id)]))

    # ---- The departed, progress ----

    def test_the_finish_job_removes_the_departed_customer(self):
        run, (prepare, shards, finish) = self._enqueue()
        departed = [("partner_id", "=", self.departing.id)]
        self.assertTrue(self.Analytics.search(departed))
        for job in (prepare, *shards):
            self._perform(job)
        run.invalidate_recordset()
        self.assertEqual(run.customers_total, len(self.customers) - 1)
        self.assertEqual(run.customers_done, len(self.customers) - 1)
        self.assertEqual(run.state, "running")
        # Not written by its shard, removed by the last job only.
        self.assertTrue(self.Analytics.search(departed))

        job = self._perform(finish)

        self.assertFalse(self.Analytics.search(departed))
        self.assertIn("departed customers removed: 1.", job.result)
        run.invalidate_recordset()
        self.assertEqual((run.state, run.jobs_done, run.jobs_total), ("done", 5, 5))

    # ---- Enqueueing ----

    def test_refresh_queues_one_graph_per_company_on_the_analytics_channel(self):
        company_2 = self.setup_other_company(name="Second Sharded Company")["company"]
        companies = self.env.company | company_2
        result = (
            self.env["relationship.analytics"]
            .with_context(allowed_company_ids=companies.ids)
            .refresh_analytics()
        )

        self.assertEqual(result["customers"], 0)
        records = self._jobs(result["jobs"])
        self.assertEqual(len(records), 2 * (1 + SHARDS + 1))
        self.assertEqual(
            set(records.mapped("channel")), {"root.relationship.analytics"}
        )
        for company in companies:
            key = f"relationship.analytics:{company.id}"
            mine = records.filtered(
                lambda job, key=key: job.identity_key.startswith(key)
            )
            self.assertEqual(
                sorted(mine.mapped("identity_key")),
                sorted(
                    [f"{key}:prepare", f"{key}:finish"]
                    + [f"{key}:shard:{index}/{SHARDS}" for index in range(SHARDS)]
                ),
            )
            prepare = mine.filtered(lambda job: job.identity_key.endswith("prepare"))
            self.assertEqual(prepare.state, PENDING)
            self.assertEqual(set((mine - prepare).mapped("state")), {WAIT_DEPENDENCIES})
            run = self.Run.search([("graph_uuid", "=", prepare.graph_uuid)])
            self.assertEqual(
                (run.company_id, run.batch, run.shard_count),
                (company, "analytics", SHARDS),
            )

    def test_a_second_refresh_while_one_waits_queues_nothing(self):
        Analytics = self.Analytics.with_context(
            allowed_company_ids=self.env.company.ids
        )
        first = Analytics.refresh_analytics()
        count = self.QueueJob.search_count([])
        action = Analytics.action_refresh_all()
        Analytics.sudo()._cron_refresh_all()
        Analytics.sudo()._cron_refresh_all()

        self.assertEqual(
            self.QueueJob.search_count(
                [
                    (
                        "identity_key",
                        "=like",
                        f"relationship.analytics:{self.env.company.id}:%",
                    )
                ]
            ),
            1 + SHARDS + 1,
        )
        self.assertEqual(
            self.Run.search_count(
                [("company_id", "=", self.env.company.id), ("batch", "=", "analytics")]
            ),
            1,
        )
        # The cron queued the other companies' runs only.
        self.assertEqual(
            self.QueueJob.search_count([]) - count,
            (1 + SHARDS + 1) * (self.env["res.company"].search_count([]) - 1),
        )
        self.assertEqual(
            sorted(Analytics.refresh_analytics()["jobs"]), sorted(first["jobs"])
        )
        params = action["params"]
        self.assertEqual(params["type"], "warning")
        self.assertIn("already waiting", params["message"])

    def test_the_inputs_job_is_retried_while_another_worker_holds_the_company(self):
        # Another company: this transaction holds the lock of the first one
        # since yesterday's refresh of the fixtures.
        company = self.setup_other_company(name="Locked Sharded Company")["company"]
        customer = self._customer("Locked Sharded Customer")
        self._order(customer, 5, 300.0, company=company)
        jobs, __ = self.Run._enqueue_analytics(company)
        run = self.Run.search([("graph_uuid", "=", jobs[0].graph_uuid)])
        prepare, __, __ = self._steps(job.uuid for job in jobs)
        worker = psycopg2.connect(**connection_info_for(self.env.cr.dbname)[1])
        try:
            with worker.cursor() as cursor:
                lock = batch_runner.lock_query("analytics", company.id)
                cursor.execute(lock.code, lock.params)
                with self.assertRaises(RetryableJobError):
                    run._job_analytics_prepare()
            worker.rollback()
        finally:
            worker.close()
        self.assertFalse(run.inputs)
        # The holder is gone: the job runs.
        self._perform(prepare)
        self.assertEqual(run.inputs["customers"], 1)
