from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.delay import chain, group
from odoo.addons.queue_job.job import DONE, ENQUEUED, FAILED, PENDING, WAIT_DEPENDENCIES

from ..tools import jobs

SHARDS_PARAMETER = "relationship_queue_job.engagement_shards"
DEFAULT_SHARDS = 4
CHANNEL = "root.relationship.engagement"
WAITING = (WAIT_DEPENDENCIES, PENDING, ENQUEUED)


class RelationshipJobRun(models.Model):
    """A full engagement recompute of one company as a graph of jobs: a first
    job computes the company-wide inputs (the run's dates and the percentile
    cut points), shard jobs score the customers of their shard (partner id
    modulo the number of shards) in parallel, a last job turns the customers
    without documents New and purges old snapshots. Progress is read from the
    jobs and the rows written since the run started."""

    _name = "relationship.job.run"
    _description = "Engagement recompute in jobs"
    _order = "id desc"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        compute="_compute_progress",
    )
    shard_count = fields.Integer(required=True, readonly=True)
    graph_uuid = fields.Char(readonly=True, index=True)
    # What the first job computed (see relationship.engagement's
    # _engagement_run_inputs): dates and cut points every shard scores with.
    inputs = fields.Json(readonly=True, copy=False)
    customers_total = fields.Integer(readonly=True, string="Customers to score")
    customers_done = fields.Integer(
        compute="_compute_progress", string="Customers scored"
    )
    jobs_total = fields.Integer(compute="_compute_progress")
    jobs_done = fields.Integer(compute="_compute_progress")
    jobs_failed = fields.Integer(compute="_compute_progress")

    def _compute_progress(self):
        # sudo: the job states of the run's own graph, read-only (queue.job is
        # readable by job queue managers only).
        Job = self.env["queue.job"].sudo()
        states = {
            (uuid, state): count
            for uuid, state, count in Job._read_group(
                [("graph_uuid", "in", [uuid for uuid in self.mapped("graph_uuid")])],
                ["graph_uuid", "state"],
                ["__count"],
            )
        }
        for run in self:
            counts = {
                state: count
                for (uuid, state), count in states.items()
                if uuid == run.graph_uuid
            }
            run.jobs_total = sum(counts.values())
            run.jobs_done = counts.get(DONE, 0)
            run.jobs_failed = counts.get(FAILED, 0)
            if run.jobs_failed:
                run.state = "failed"
            elif run.jobs_total and run.jobs_done == run.jobs_total:
                run.state = "done"
            else:
                run.state = "running"
            run.customers_done = run._customers_written()

    def _customers_written(self):
        if not self.inputs:
            return 0
        self.env["relationship.engagement"].flush_model(["date_raw"])
        self.env.cr.execute(
            SQL(
                "SELECT COUNT(*) FROM relationship_engagement "
                "WHERE company_id = %s AND date_raw >= %s",
                self.company_id.id,
                fields.Datetime.to_datetime(self.inputs["now"]),
            )
        )
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------
    # Enqueueing
    # ------------------------------------------------------------------

    @api.model
    def _enqueue_engagement(self, company):
        """The full engagement recompute of ``company`` as a graph of jobs.
        Returns ``(jobs, queued)``: the graph's jobs, and False when a run of
        the company was still waiting (nothing is queued then). A graph with
        a failed job does not count as waiting: its other shards are kept,
        and a new run scores everything again."""
        key = jobs.identity_key("engagement", company)
        # sudo: queue.job is readable by job queue managers only; the
        # identity keys of the company's own runs are looked up.
        Job = self.env["queue.job"].sudo()
        for waiting in Job.search(
            [("identity_key", "=", f"{key}:finish"), ("state", "in", WAITING)]
        ):
            graph = Job.search([("graph_uuid", "=", waiting.graph_uuid)])
            if FAILED not in graph.mapped("state"):
                return list(graph), False
        count = int(
            self.env["ir.config_parameter"]
            .sudo()  # sudo: a technical setting every manager's run reads
            .get_param(SHARDS_PARAMETER, DEFAULT_SHARDS)
        )
        run = self.create({"company_id": company.id, "shard_count": max(1, count)})
        steps = [run._step("prepare", run.env._("company-wide inputs"))._job_prepare()]
        shards = [
            run._step(
                f"shard:{index}/{run.shard_count}",
                run.env._(
                    "shard %(index)s of %(count)s",
                    index=index + 1,
                    count=run.shard_count,
                ),
            )._job_score_shard(index)
            for index in range(run.shard_count)
        ]
        finish = run._step("finish", run.env._("summary"))._job_finish()
        chain(steps[0], group(*shards), finish).delay()
        delayables = [*steps, *shards, finish]
        run.graph_uuid = finish._generated_job.graph_uuid
        return [delayable._generated_job for delayable in delayables], True

    def _step(self, name, what):
        return self.delayable(
            channel=CHANNEL,
            identity_key=f"{jobs.identity_key('engagement', self.company_id)}:{name}",
            description=self.env._(
                "Engagement of %(company)s: %(what)s",
                company=self.company_id.name,
                what=what,
            ),
        )

    # ------------------------------------------------------------------
    # Jobs
    # ------------------------------------------------------------------

    def _job_prepare(self):
        """Job: the run's dates and the company's percentile cut points."""
        self.ensure_one()
        company = self.company_id
        inputs = (
            self.env["relationship.engagement"]
            .with_company(company)
            ._engagement_run_inputs(company)
        )
        self.write({"inputs": inputs, "customers_total": inputs["computed"]})
        return self.env._(
            "%(count)s customers to score (%(new)s new).",
            count=inputs["computed"],
            new=inputs["new"],
        )

    def _job_score_shard(self, index):
        """Job: score and write the customers of shard ``index``."""
        self.ensure_one()
        company = self.company_id
        counts = (
            self.env["relationship.engagement"]
            .with_company(company)
            ._engagement_score_shard(company, self.inputs, (self.shard_count, index))
        )
        return self.env._(
            "%(count)s customers scored (%(new)s new).",
            count=counts["computed"],
            new=counts["new"],
        )

    def _job_finish(self):
        """Job: customers without documents New again, old snapshots purged
        (under the company's engagement lock, like the incremental runs)."""
        self.ensure_one()
        company = self.company_id
        Engagement = self.env["relationship.engagement"].with_company(company)

        def work(run):
            Engagement._engagement_finish_run(company, self.inputs)
            return True

        jobs.run_locked(self.env, "engagement", company, work)
        return self.env._("Run finished.")
