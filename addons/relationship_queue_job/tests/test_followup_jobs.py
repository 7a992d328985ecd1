from datetime import timedelta

import psycopg2
from freezegun import freeze_time

from odoo.sql_db import connection_info_for
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import PENDING
from odoo.addons.relationship_brm.tests.dispute_common import T0, DisputeCommon
from odoo.addons.relationship_mgmt.tests.common import TODAY
from odoo.addons.relationship_mgmt.tests.test_program import ProgramCommon
from odoo.addons.relationship_mgmt.tools import batch_runner

from .common import QueueingMixin

CHANNEL = "root.relationship.followup"


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestProgramStepJobs(QueueingMixin, ProgramCommon):
    """The post-sale program steps: a job per company with due steps."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Line = cls.env["relationship.program.enrolment.line"]
        cls.company_2 = cls.setup_other_company(name="Second Program Company")[
            "company"
        ]
        cls.lines = {}
        for company in (cls.env.company, cls.company_2):
            program = cls._program("order_confirmed", company_id=company.id)
            customer = cls._customer(
                f"Program customer of {company.name}", email="steps@example.com"
            )
            cls._order(customer, 0, company=company)
            cls.lines[company] = program.enrolment_ids.line_ids

    def _due(self, company):
        return self.lines[company].filtered(lambda line: not line.step_id.delay_days)

    def test_cron_queues_one_job_per_company_with_due_steps_once(self):
        self.Line.sudo()._cron_run_due_steps()
        self.Line.sudo()._cron_run_due_steps()

        records = self.QueueJob.search([("method_name", "=", "_job_run_due_steps")])
        companies = self.env.company | self.company_2
        self.assertEqual(
            sorted(records.mapped("identity_key")),
            sorted(f"relationship.program_steps:{c.id}" for c in companies),
        )
        self.assertEqual(set(records.mapped("channel")), {CHANNEL})
        self.assertEqual(set(records.mapped("state")), {PENDING})
        self.assertEqual(records.company_id, companies)
        # Queued, not run.
        for company in companies:
            self.assertEqual(self._due(company).state, "scheduled")

        # A company's job runs that company's due steps only.
        self._perform(records.filtered(lambda job: job.company_id == self.env.company))
        self.assertEqual(self._due(self.env.company).state, "done")
        self.assertEqual(
            self._due(self.env.company).mail_message_id.model, "sale.order"
        )
        self.assertEqual(self._due(self.company_2).state, "scheduled")
        later = self.lines[self.env.company] - self._due(self.env.company)
        self.assertEqual(later.state, "scheduled")

        # Done jobs no longer block: the next run queues the company left.
        self.Line.sudo()._cron_run_due_steps()
        waiting = self.QueueJob.search(
            [("method_name", "=", "_job_run_due_steps"), ("state", "=", PENDING)]
        )
        self.assertEqual(waiting.company_id, self.company_2)

    def test_no_company_without_due_steps_is_queued(self):
        self._due(self.company_2).state = "skipped"
        self.Line.sudo()._cron_run_due_steps()
        records = self.QueueJob.search([("method_name", "=", "_job_run_due_steps")])
        self.assertEqual(records.company_id, self.env.company)

    def test_no_delay_runs_the_steps_now(self):
        count = self.QueueJob.search_count([])
        processed = self.Line.with_context(
            queue_job__no_delay=True
        )._cron_run_due_steps()
        self.assertEqual(processed, 2)
        self.assertEqual(self.QueueJob.search_count([]), count)
        self.assertEqual(self._due(self.company_2).state, "done")


@tagged("post_install", "-at_install")
class TestDisputeSlaJobs(QueueingMixin, DisputeCommon):
    """The dispute SLA update: a job per company with open disputes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company(name="Second Dispute Company")[
            "company"
        ]
        with freeze_time(T0):
            cls.dispute = cls._dispute(priority="3")
            cls.dispute_2 = cls._dispute(
                priority="3",
                company_id=cls.company_2.id,
                team_id=False,
                user_id=cls.env.user.id,
            )

    def _cron(self):
        self.Dispute.sudo()._cron_update_sla()

    def test_cron_queues_one_job_per_company_once(self):
        with freeze_time(T0 + timedelta(hours=5)):
            self._cron()
            self._cron()
        records = self.QueueJob.search([("method_name", "=", "_job_update_sla")])
        companies = self.env.company | self.company_2
        self.assertEqual(
            sorted(records.mapped("identity_key")),
            sorted(f"relationship.dispute_sla:{c.id}" for c in companies),
        )
        self.assertEqual(set(records.mapped("channel")), {CHANNEL})
        self.assertEqual(records.company_id, companies)
        self.assertEqual(
            set((self.dispute | self.dispute_2).mapped("sla_state")), {"ok"}
        )

        # A company's job judges and escalates that company's disputes only.
        first = records.filtered(lambda job: job.company_id == self.env.company)
        with freeze_time(T0 + timedelta(hours=5)):
            job = self._perform(first)
        self.assertIn("1 disputes escalated", job.result)
        self.assertEqual(self.dispute.sla_state, "breached")
        self.assertTrue(self.dispute.escalated)
        self.assertEqual(self.dispute_2.sla_state, "ok")
        self.assertFalse(self.dispute_2.escalated)
        with freeze_time(T0 + timedelta(hours=5)):
            self._perform(records - first)
        self.assertTrue(self.dispute_2.escalated)

    def test_a_closed_companys_disputes_queue_nothing(self):
        self.dispute_2.active = False
        self._cron()
        records = self.QueueJob.search([("method_name", "=", "_job_update_sla")])
        self.assertEqual(records.company_id, self.env.company)

    def test_the_job_is_retried_while_another_worker_holds_the_company(self):
        worker = psycopg2.connect(**connection_info_for(self.env.cr.dbname)[1])
        try:
            with worker.cursor() as cursor:
                lock = batch_runner.lock_query("dispute_sla", self.env.company.id)
                cursor.execute(lock.code, lock.params)
                with (
                    freeze_time(T0 + timedelta(hours=5)),
                    self.assertRaises(RetryableJobError),
                ):
                    self.Dispute._job_update_sla(self.env.company)
                # The other company is not held: its job runs.
                with freeze_time(T0 + timedelta(hours=5)):
                    self.Dispute._job_update_sla(self.company_2)
            worker.rollback()
        finally:
            worker.close()
        self.assertFalse(self.dispute.escalated)
        self.assertTrue(self.dispute_2.escalated)
