from odoo import api, models

from odoo.addons.relationship_mgmt.models.relationship_engagement import Scope
from odoo.addons.relationship_mgmt.tools.texts import plural

from ..tools import jobs


class RelationshipEngagement(models.Model):
    _inherit = "relationship.engagement"

    # ---- Public API: every customer in jobs instead of now ----

    @api.model
    def recompute_engagement(self, partner_ids=None):
        """Without ids (managers): one full recompute per company, queued as
        jobs (``relationship.job.run``); returns the counts at 0 with the
        companies and the jobs' uuids. With ids: computed now."""
        if (
            partner_ids
            or not jobs.enqueues(self.env)
            or not self.env.user.has_group(
                "relationship_mgmt.group_relationship_manager"
            )
        ):
            # Some customers now, or the refusal of the original method.
            return super().recompute_engagement(partner_ids)
        found, __ = self._engagement_enqueue_full(self.env.companies)
        return jobs.rpc_result(found, self.env.companies, totals=("computed", "new"))

    @api.model
    def action_recompute_all(self):
        if not jobs.enqueues(self.env) or not self.env.user.has_group(
            "relationship_mgmt.group_relationship_manager"
        ):
            return super().action_recompute_all()
        found, queued = self._engagement_enqueue_full(self.env.companies)
        return jobs.notification(
            self.env, self.env._("Engagement recompute queued"), found, queued
        )

    @api.model
    def _engagement_enqueue_full(self, companies):
        return self.env["relationship.job.run"]._enqueue_companies(
            "engagement", companies
        )

    # ---- Crons: they enqueue ----

    @api.model
    def _cron_recompute_all(self):
        """Nightly: every company's full recompute, as jobs."""
        if not jobs.enqueues(self.env):
            return super()._cron_recompute_all()
        self._engagement_enqueue_full(self.env["res.company"].search([]))

    @api.model
    def _cron_recompute_marked(self):
        """Every few minutes: a job per company with customers marked for
        recompute (none while one is waiting)."""
        if not jobs.enqueues(self.env):
            return super()._cron_recompute_marked()
        self.flush_model(["needs_recompute"])
        self.env.cr.execute(
            "SELECT DISTINCT company_id FROM relationship_engagement "
            "WHERE needs_recompute"
        )
        companies = self.env["res.company"].browse(
            row[0] for row in self.env.cr.fetchall()
        )
        return jobs.enqueue_companies(
            self,
            "_job_recompute_marked",
            "engagement_marked",
            companies,
            "root.relationship.engagement",
            lambda company: self.env._(
                "Engagement of %(company)s: customers marked for recompute",
                company=company.name,
            ),
        )

    # ---- Jobs ----

    @api.model
    def _job_recompute_marked(self, company):
        """Job: the customers of ``company`` marked for recompute."""

        counts = jobs.run_locked(
            self.with_company(company).env,
            "engagement",
            company,
            lambda run: self._recompute_company_locked(run, Scope(marked_only=True)),
        )
        return plural(
            counts["computed"],
            self.env._("1 customer scored."),
            self.env._("%(count)s customers scored.", count=counts["computed"]),
        )
