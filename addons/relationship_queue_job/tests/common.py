import os
from unittest.mock import patch

from odoo.addons.queue_job.job import Job
from odoo.addons.relationship_mgmt.tests.common import RelationshipCommon


class QueueingMixin:
    """Batches going to the queue on top of a fixture class: the test suite
    runs the other addons' tests with ``QUEUE_JOB__NO_DELAY`` (the batches run
    now, as without this addon), cleared here; stored jobs performed as the
    job runner's worker does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(patch.dict(os.environ))
        os.environ.pop("QUEUE_JOB__NO_DELAY", None)
        # sudo: the jobs are read as a job queue manager would.
        cls.QueueJob = cls.env["queue.job"].sudo()

    def _jobs(self, uuids):
        return self.QueueJob.search([("uuid", "in", list(uuids))])

    def _perform(self, record):
        """Run a stored job as the job runner's worker does (its own user
        and company), without the HTTP round trip; mark it done and release
        the jobs depending on it."""
        job = Job.load(self.env, record.uuid)
        job.set_started()
        job.perform()
        job.set_done()
        job.store()
        # The dependent jobs are released in SQL: the states must be written.
        self.env.flush_all()
        job.enqueue_waiting()
        self.env.invalidate_all()
        return job


class QueueJobCommon(QueueingMixin, RelationshipCommon):
    """The Relationships fixtures, with the batches going to the queue."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Run = cls.env["relationship.job.run"]

    def _set_shards(self, count):
        self.env["ir.config_parameter"].set_param(
            "relationship_queue_job.engagement_shards", str(count)
        )

    def _steps(self, uuids):
        """A run's jobs in the order of their dependencies: ``(prepare,
        [shard 0, shard 1, ...], finish)``."""
        records = self._jobs(uuids)

        def step(name):
            return records.filtered(lambda job: job.identity_key.endswith(name))

        shards = records.filtered(lambda job: ":shard:" in job.identity_key)
        return (
            step(":prepare"),
            shards.sorted(
                lambda job: int(job.identity_key.split(":")[-1].split("/")[0])
            ),
            step(":finish"),
        )

    def _engagement_values(self, company=None):
        """Every stored value of the company's engagement rows, with the
        reasons shown to users, by partner."""
        company = company or self.env.company
        rows = self.Engagement.search([("company_id", "=", company.id)])
        names = [
            name
            for name, field in self.Engagement._fields.items()
            if field.store
            and name
            not in {
                "id",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
                "date_raw",
                "date_computed",
            }
        ]
        return {
            row.partner_id.id: {
                **{name: row[name] for name in names},
                "reasons": row.reasons,
            }
            for row in rows
        }
