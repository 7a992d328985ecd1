from odoo import api, models

from odoo.addons.relationship_mgmt.tools.texts import plural

from ..tools import jobs


class RelationshipAnalytics(models.Model):
    _inherit = "relationship.analytics"

    @api.model
    def refresh_analytics(self):
        """Managers: a graph of jobs per company instead of now; returns the
        counts at 0 with the companies and the jobs' uuids."""
        if not jobs.enqueues(self.env) or not self.env.user.has_group(
            "relationship_mgmt.group_relationship_manager"
        ):
            return super().refresh_analytics()  # its refusal
        found, __ = self._analytics_enqueue(self.env.companies)
        return jobs.rpc_result(found, self.env.companies, totals=("customers",))

    @api.model
    def action_refresh_all(self):
        if not jobs.enqueues(self.env) or not self.env.user.has_group(
            "relationship_mgmt.group_relationship_manager"
        ):
            return super().action_refresh_all()
        found, queued = self._analytics_enqueue(self.env.companies)
        return jobs.notification(
            self.env, self.env._("Customer analytics queued"), found, queued
        )

    @api.model
    def _cron_refresh_all(self):
        if not jobs.enqueues(self.env):
            return super()._cron_refresh_all()
        self._analytics_enqueue(self.env["res.company"].search([]))

    @api.model
    def _analytics_enqueue(self, companies):
        """Each company's refresh as a graph of jobs (``relationship.job.run``:
        the model fitted once, the customers predicted and written in shards,
        the departed ones removed). Returns ``(jobs, queued)``."""
        return self.env["relationship.job.run"]._enqueue_companies(
            "analytics", companies
        )

    @api.model
    def _job_refresh_company(self, company):
        """Job: the analytics of every customer of ``company`` in one job (a
        job queued before the refresh was split in shards; see
        ``relationship.job.run``)."""
        counts = jobs.run_locked(
            self.env,
            "analytics",
            company,
            lambda run: self.with_company(company)._analytics_refresh(company),
        )
        return plural(
            counts["customers"],
            self.env._("1 customer analysed."),
            self.env._("%(count)s customers analysed.", count=counts["customers"]),
        )
