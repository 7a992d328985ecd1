from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.delay import chain, group
from odoo.addons.queue_job.job import DONE, ENQUEUED, FAILED, PENDING, WAIT_DEPENDENCIES
from odoo.addons.relationship_mgmt.models.relationship_engagement import (
    FULL_RUN_BATCH,
    Scope,
)
from odoo.addons.relationship_mgmt.tools import batch_runner
from odoo.addons.relationship_mgmt.tools.texts import plural

from ..tools import jobs

DEFAULT_SHARDS = 4
# Per batch run in shards: the system parameter with its number of shards,
# its channel, the table whose rows the shards write (and the column that
# says when), and the job methods of its three steps.
BATCHES = {
    "engagement": {
        "shards": "relationship_queue_job.engagement_shards",
        "channel": "root.relationship.engagement",
        "table": ("relationship.engagement", "date_raw"),
        "jobs": ("_job_prepare", "_job_score_shard", "_job_finish"),
        "whole": "_job_engagement_whole",
    },
    "analytics": {
        "shards": "relationship_queue_job.analytics_shards",
        "channel": "root.relationship.analytics",
        "table": ("relationship.analytics", "date_computed"),
        "jobs": (
            "_job_analytics_prepare",
            "_job_analytics_shard",
            "_job_analytics_finish",
        ),
        "whole": "_job_analytics_whole",
    },
}
WAITING = (WAIT_DEPENDENCIES, PENDING, ENQUEUED)


class RelationshipJobRun(models.Model):
    """A full run of one company's batch as a graph of jobs: a first job
    computes the company-wide inputs, shard jobs write the customers of their
    shard (partner id modulo the number of shards) in parallel, a last job
    finishes the run.

    - ``engagement``: the inputs are the run's dates and the percentile cut
      points; the shards score; the last job turns the customers without
      documents New and purges old snapshots;
    - ``analytics``: the first job reads every customer's documents once and
      stages their figures (``relationship.analytics.stage``); the inputs are
      the company's customer-base model, fitted once on them and stored, and
      the run's analysed day and horizon; the shards predict from them and
      write the analytics; the last job removes the rows of the customers who
      left and the staged figures.

    Progress is read from the jobs and the rows written since the run
    started."""

    _name = "relationship.job.run"
    _description = "Full run in jobs"
    _order = "id desc"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    batch = fields.Selection(
        [("engagement", "Engagement recompute"), ("analytics", "Customer analytics")],
        required=True,
        default="engagement",
        readonly=True,
    )
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        compute="_compute_progress",
    )
    shard_count = fields.Integer(required=True, readonly=True)
    # The graph's uuid; a run of one shard is one job, without a graph: its
    # uuid.
    graph_uuid = fields.Char(readonly=True, index=True)
    # What the first job computed (relationship.engagement's
    # _engagement_run_inputs: dates and cut points every shard scores with;
    # relationship.analytics' _analytics_run_inputs: the fitted model every
    # shard predicts with).
    inputs = fields.Json(readonly=True, copy=False)
    customers_total = fields.Integer(readonly=True, string="Customers to do")
    customers_done = fields.Integer(
        compute="_compute_progress", string="Customers done"
    )
    jobs_total = fields.Integer(compute="_compute_progress")
    jobs_done = fields.Integer(compute="_compute_progress")
    jobs_failed = fields.Integer(compute="_compute_progress")

    def _compute_progress(self):
        # sudo: the job states of the run's own graph, read-only (queue.job is
        # readable by job queue managers only).
        Job = self.env["queue.job"].sudo()
        uuids = self.mapped("graph_uuid")
        states = {
            (uuid, state): count
            for uuid, state, count in Job._read_group(
                [("graph_uuid", "in", uuids)],
                ["graph_uuid", "state"],
                ["__count"],
            )
        }
        for uuid, state in Job.search([("uuid", "in", uuids)]).mapped(
            lambda job: (job.uuid, job.state)
        ):
            states[uuid, state] = 1
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
        """The rows of the run's batch written since the run started."""
        if not self.inputs:
            return 0
        model, column = BATCHES[self.batch]["table"]
        Rows = self.env[model]
        Rows.flush_model([column])
        self.env.cr.execute(
            SQL(
                "SELECT COUNT(*) FROM %s WHERE company_id = %s AND %s >= %s",
                SQL.identifier(Rows._table),
                self.company_id.id,
                SQL.identifier(column),
                fields.Datetime.to_datetime(self.inputs["now"]),
            )
        )
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------
    # Enqueueing
    # ------------------------------------------------------------------

    @api.model
    def _enqueue_engagement(self, company):
        """The full engagement recompute of ``company`` as a graph of jobs
        (``_enqueue_run``)."""
        return self._enqueue_run("engagement", company)

    @api.model
    def _enqueue_analytics(self, company):
        """The analytics refresh of ``company`` as a graph of jobs
        (``_enqueue_run``)."""
        return self._enqueue_run("analytics", company)

    @api.model
    def _enqueue_companies(self, batch, companies):
        """The full run of ``batch`` for each of ``companies``
        (``_enqueue_run``). Returns ``(jobs, queued)``: every graph's jobs,
        and for each job whether it was queued now."""
        found, queued = [], []
        for company in companies:
            graph, new = self._enqueue_run(batch, company)
            found += graph
            queued += [new] * len(graph)
        return found, queued

    @api.model
    def _enqueue_run(self, batch, company):
        """The full run of ``batch`` for ``company`` as a graph of jobs.
        Returns ``(jobs, queued)``: the graph's jobs, and False when a run of
        the company was still waiting (nothing is queued then). A graph with
        a failed job does not count as waiting: its other shards are kept,
        and a new run does everything again."""
        key = jobs.identity_key(batch, company)
        # sudo: queue.job is readable by job queue managers only; the
        # identity keys of the company's own runs are looked up.
        Job = self.env["queue.job"].sudo()
        for waiting in Job.search(
            [
                ("identity_key", "in", [f"{key}:finish", f"{key}:whole"]),
                ("state", "in", WAITING),
            ]
        ):
            graph = waiting
            if waiting.graph_uuid:
                graph = Job.search([("graph_uuid", "=", waiting.graph_uuid)])
            if FAILED not in graph.mapped("state"):
                return list(graph), False
        count = int(
            self.env["ir.config_parameter"]
            .sudo()  # sudo: a technical setting every manager's run reads
            .get_param(BATCHES[batch]["shards"], DEFAULT_SHARDS)
        )
        # The jobs belong to the run's company (queue_job stores the current
        # one), whichever company the caller works in.
        run = self.with_company(company).create(
            {"company_id": company.id, "batch": batch, "shard_count": max(1, count)}
        )
        if run.shard_count == 1:
            # One shard: the batch as it runs without queue_job, in one job
            # (nothing to stage for other workers).
            whole = getattr(
                run._step("whole", run.env._("every customer")),
                BATCHES[batch]["whole"],
            )()
            whole.delay()
            run.graph_uuid = whole._generated_job.uuid
            return [whole._generated_job], True
        prepare, score, finish = BATCHES[batch]["jobs"]
        steps = [
            getattr(run._step("prepare", run.env._("company-wide inputs")), prepare)()
        ]
        shards = [
            getattr(
                run._step(
                    f"shard:{index}/{run.shard_count}",
                    run.env._(
                        "shard %(index)s of %(count)s",
                        index=index + 1,
                        count=run.shard_count,
                    ),
                ),
                score,
            )(index)
            for index in range(run.shard_count)
        ]
        last = getattr(run._step("finish", run.env._("summary")), finish)()
        chain(steps[0], group(*shards), last).delay()
        delayables = [*steps, *shards, last]
        run.graph_uuid = last._generated_job.graph_uuid
        return [delayable._generated_job for delayable in delayables], True

    def _step(self, name, what):
        if self.batch == "analytics":
            description = self.env._(
                "Customer analytics of %(company)s: %(what)s",
                company=self.company_id.name,
                what=what,
            )
        else:
            description = self.env._(
                "Engagement of %(company)s: %(what)s",
                company=self.company_id.name,
                what=what,
            )
        return self.delayable(
            channel=BATCHES[self.batch]["channel"],
            identity_key=f"{jobs.identity_key(self.batch, self.company_id)}:{name}",
            description=description,
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

    def _job_engagement_whole(self):
        """Job: every customer of the company scored in one job, as the
        nightly run without queue_job does (a run of one shard), then the old
        snapshots purged."""
        self.ensure_one()
        company = self.company_id
        Engagement = self.env["relationship.engagement"].with_company(company)
        self.inputs = {"now": fields.Datetime.to_string(fields.Datetime.now())}
        counts = jobs.run_locked(
            self.env,
            "engagement",
            company,
            lambda run: Engagement._recompute_company_locked(run, Scope(full=True)),
            batch_runner.BatchOptions(batch_size=FULL_RUN_BATCH),
        )
        Engagement._purge_snapshots(company)
        self.customers_total = counts["computed"]
        return self.env._(
            "%(count)s customers scored (%(new)s new).",
            count=counts["computed"],
            new=counts["new"],
        )

    def _job_analytics_whole(self):
        """Job: the analytics of every customer of the company in one job, as
        the refresh without queue_job (a run of one shard)."""
        self.ensure_one()
        company = self.company_id
        Analytics = self.env["relationship.analytics"].with_company(company)
        self.inputs = {"now": fields.Datetime.to_string(fields.Datetime.now())}
        counts = jobs.run_locked(
            self.env,
            "analytics",
            company,
            lambda run: Analytics._analytics_refresh(company),
        )
        self.customers_total = counts["customers"]
        return plural(
            counts["customers"],
            self.env._("1 customer analysed."),
            self.env._("%(count)s customers analysed.", count=counts["customers"]),
        )

    def _job_analytics_prepare(self):
        """Job: every customer's figures read once and staged, the company's
        customer-base model fitted once on them and stored, with what the
        shards predict with (under the company's analytics lock: the fit
        record and the staged figures are the company's)."""
        self.ensure_one()
        company = self.company_id
        Analytics = self.env["relationship.analytics"].with_company(company)
        inputs = jobs.run_locked(
            self.env,
            "analytics",
            company,
            lambda run: Analytics._analytics_run_inputs(company),
        )
        self.write({"inputs": inputs, "customers_total": inputs["customers"]})
        return plural(
            inputs["customers"],
            self.env._("1 customer to analyse."),
            self.env._("%(count)s customers to analyse.", count=inputs["customers"]),
        )

    def _job_analytics_shard(self, index):
        """Job: predict and write the analytics of the customers of shard
        ``index`` from the stored model."""
        self.ensure_one()
        company = self.company_id
        counts = (
            self.env["relationship.analytics"]
            .with_company(company)
            ._analytics_refresh_shard(company, self.inputs, (self.shard_count, index))
        )
        return plural(
            counts["customers"],
            self.env._("1 customer analysed."),
            self.env._("%(count)s customers analysed.", count=counts["customers"]),
        )

    def _job_analytics_finish(self):
        """Job: the rows of the customers who left removed (under the
        company's analytics lock, like a refresh in one job)."""
        self.ensure_one()
        company = self.company_id
        Analytics = self.env["relationship.analytics"].with_company(company)
        counts = jobs.run_locked(
            self.env,
            "analytics",
            company,
            lambda run: Analytics._analytics_finish_run(company, self.inputs),
        )
        return self.env._(
            "Run finished: %(count)s customers analysed; departed customers "
            "removed: %(removed)s.",
            count=self._customers_written(),
            removed=counts["removed"],
        )
