import psycopg2
from freezegun import freeze_time

from odoo.sql_db import connection_info_for
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import PENDING, WAIT_DEPENDENCIES
from odoo.addons.relationship_mgmt.tests.common import TODAY
from odoo.addons.relationship_mgmt.tools import batch_runner

from .common import QueueJobCommon

RETRY_PATTERN = {1: 10, 3: 60, 5: 300}


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestJobs(QueueJobCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company(name="Second Queue Company")["company"]
        cls.customer = cls._customer("Queued Customer")
        cls._order(cls.customer, 5, 300.0)

    def _as_manager(self, model):
        return self.env[model].with_user(self.user_manager)

    # ---- The full engagement recompute ----

    def test_recompute_all_queues_a_run_per_company_on_the_engagement_channel(self):
        self._set_shards(3)
        companies = self.env.company | self.company_2
        result = (
            self.env["relationship.engagement"]
            .with_context(allowed_company_ids=companies.ids)
            .recompute_engagement(None)
        )

        self.assertEqual(result["computed"], 0)
        self.assertEqual(sorted(result["companies"]), sorted(companies.ids))
        records = self._jobs(result["jobs"])
        self.assertEqual(len(records), 2 * (1 + 3 + 1))
        self.assertEqual(
            set(records.mapped("channel")), {"root.relationship.engagement"}
        )
        for company in companies:
            key = f"relationship.engagement:{company.id}"
            mine = records.filtered(
                lambda job, key=key: job.identity_key.startswith(key)
            )
            self.assertEqual(
                sorted(mine.mapped("identity_key")),
                sorted(
                    [f"{key}:prepare", f"{key}:finish"]
                    + [f"{key}:shard:{index}/3" for index in range(3)]
                ),
            )
            self.assertEqual(len(set(mine.mapped("graph_uuid"))), 1)
            prepare = mine.filtered(lambda job: job.identity_key.endswith("prepare"))
            self.assertEqual(prepare.state, PENDING)
            self.assertEqual(set((mine - prepare).mapped("state")), {WAIT_DEPENDENCIES})
            run = self.Run.search([("graph_uuid", "=", prepare.graph_uuid)])
            self.assertEqual((run.company_id, run.shard_count), (company, 3))

    def test_second_recompute_while_one_waits_queues_nothing(self):
        Engagement = self.env["relationship.engagement"].with_context(
            allowed_company_ids=self.env.company.ids
        )
        first = Engagement.recompute_engagement(None)
        count = self.QueueJob.search_count([])
        action = Engagement.action_recompute_all()

        self.assertEqual(self.QueueJob.search_count([]), count)
        self.assertEqual(self.Run.search_count([]), 1)
        self.assertEqual(
            sorted(Engagement.recompute_engagement(None)["jobs"]), sorted(first["jobs"])
        )
        params = action["params"]
        self.assertEqual(params["type"], "warning")
        self.assertIn("already waiting", params["message"])
        for uuid in first["jobs"]:
            self.assertIn(uuid, params["message"])

    def test_a_run_with_a_failed_job_does_not_block_the_next_one(self):
        Engagement = self.env["relationship.engagement"].with_context(
            allowed_company_ids=self.env.company.ids
        )
        first = self._jobs(Engagement.recompute_engagement(None)["jobs"])
        __, shards, __ = self._steps(first.mapped("uuid"))
        shards[1].write({"state": "failed"})

        second = Engagement.recompute_engagement(None)["jobs"]

        self.assertFalse(set(second) & set(first.mapped("uuid")))
        self.assertEqual(self.Run.search_count([]), 2)

    def test_button_names_the_queued_jobs(self):
        action = (
            self._as_manager("relationship.engagement")
            .with_context(allowed_company_ids=self.env.company.ids)
            .action_recompute_all()
        )

        params = action["params"]
        self.assertEqual(params["type"], "success")
        run = self.Run.search([])
        for job in self.QueueJob.search([("graph_uuid", "=", run.graph_uuid)]):
            self.assertIn(job.uuid, params["message"])
            self.assertIn(job.name, params["message"])
        self.assertIn(self.env.company.name, params["message"])

    def test_users_still_refused_and_ids_still_computed_now(self):
        user_engagement = self.env["relationship.engagement"].with_user(
            self.user_relationship
        )
        with self.assertRaises(Exception) as refusal:
            user_engagement.recompute_engagement(None)
        self.assertEqual(type(refusal.exception).__name__, "AccessError")
        count = self.QueueJob.search_count([])
        result = user_engagement.recompute_engagement(self.customer.ids)
        self.assertEqual(result["computed"], 1)
        self.assertEqual(self.QueueJob.search_count([]), count)

    def test_no_delay_runs_the_batches_now(self):
        count = self.QueueJob.search_count([])
        result = (
            self.env["relationship.engagement"]
            .with_context(queue_job__no_delay=True)
            .recompute_engagement(None)
        )
        self.assertEqual(result["computed"], 1)
        self.assertNotIn("jobs", result)
        self.assertEqual(self.QueueJob.search_count([]), count)

    # ---- The other batches: one job per company ----

    def test_crons_queue_one_job_per_company_once(self):
        # The analytics refresh queues a graph per company
        # (test_sharded_analytics.py).
        cases = [
            (
                "relationship.product.affinity",
                "_cron_refresh_all",
                "crosssell",
                "root.relationship.analytics",
            ),
            (
                "relationship.trust.snapshot",
                "_cron_recompute_trust",
                "trust",
                "root.relationship.brm",
            ),
            (
                "relationship.agreement.obligation",
                "_cron_refresh_obligations",
                "obligations",
                "root.relationship.brm",
            ),
        ]
        companies = self.env["res.company"].search([])
        for model, cron, batch, channel in cases:
            with self.subTest(batch=batch):
                # As the cron does: the superuser, in every company.
                getattr(self.env[model].sudo(), cron)()
                getattr(self.env[model].sudo(), cron)()
                records = self.QueueJob.search(
                    [("identity_key", "=like", f"relationship.{batch}:%")]
                )
                self.assertEqual(
                    sorted(records.mapped("identity_key")),
                    sorted(f"relationship.{batch}:{c.id}" for c in companies),
                )
                self.assertEqual(set(records.mapped("channel")), {channel})
                self.assertEqual(set(records.mapped("model_name")), {model})

    def test_rpc_methods_return_the_job_uuids(self):
        # The analytics: its inputs, 4 shards (the default), its summary.
        calls = [
            ("relationship.analytics", "refresh_analytics", "customers", 6),
            ("relationship.product.affinity", "refresh_crosssell", "rules", 1),
            ("relationship.trust.snapshot", "recompute_trust", "computed", 1),
            ("relationship.agreement.obligation", "refresh_obligations", "periods", 1),
        ]
        for model, method, count, jobs in calls:
            with self.subTest(method=method):
                result = getattr(self._as_manager(model), method)()
                self.assertEqual(result[count], 0)
                records = self._jobs(result["jobs"])
                self.assertEqual(len(records), jobs)
                self.assertEqual(records.company_id, self.env.company)

    def test_marked_customers_queue_a_job_for_their_company(self):
        self.Engagement._mark_for_recompute([(self.customer.id, self.env.company.id)])
        self.Engagement._cron_recompute_marked()
        self.Engagement._cron_recompute_marked()

        # queue_job's trap_jobs helper does not import on this Odoo 18 build:
        # the stored job is read and performed.
        record = self.QueueJob.search([("method_name", "=", "_job_recompute_marked")])
        self.assertEqual(len(record), 1)
        self.assertEqual(record.channel, "root.relationship.engagement")
        self.assertEqual(
            record.identity_key,
            f"relationship.engagement_marked:{self.env.company.id}",
        )
        self._perform(record)
        self.assertEqual(record.state, "done")
        self.assertFalse(self._engagement(self.customer).needs_recompute)
        self.assertEqual(self._engagement(self.customer).order_count, 1)

    def test_job_functions_retry_and_use_the_relationship_channels(self):
        functions = (
            self.env["queue.job.function"]
            .sudo()
            .search([("channel_id.complete_name", "=like", "root.relationship%")])
        )
        self.assertEqual(len(functions), 13)
        for function in functions:
            self.assertEqual(function._parse_retry_pattern(), RETRY_PATTERN)
        channels = (
            self.env["queue.job.channel"]
            .sudo()
            .search([("complete_name", "=like", "root.relationship%")])
        )
        self.assertEqual(
            sorted(channels.mapped("complete_name")),
            [
                "root.relationship",
                "root.relationship.analytics",
                "root.relationship.brm",
                "root.relationship.engagement",
                "root.relationship.followup",
            ],
        )

    def test_a_job_is_retried_while_another_worker_holds_the_company(self):
        worker = psycopg2.connect(**connection_info_for(self.env.cr.dbname)[1])
        try:
            with worker.cursor() as cursor:
                lock = batch_runner.lock_query("analytics", self.env.company.id)
                cursor.execute(lock.code, lock.params)
                with self.assertRaises(RetryableJobError):
                    self.env["relationship.analytics"]._job_refresh_company(
                        self.env.company
                    )
            worker.rollback()
        finally:
            worker.close()
        # The holder is gone: the job runs.
        result = self.env["relationship.analytics"]._job_refresh_company(
            self.env.company
        )
        self.assertIn("1", result)
