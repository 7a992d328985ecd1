from odoo import api, models

from odoo.addons.relationship_mgmt.tools.texts import plural

from ..tools import jobs

CHANNEL = "root.relationship.brm"


class RelationshipTrustSnapshot(models.Model):
    _inherit = "relationship.trust.snapshot"

    @api.model
    def recompute_trust(self, partner_ids=None):
        """Without ids (managers): a job per company instead of now; returns
        ``{"computed": 0, "companies": n, "jobs": [uuids]}``. With ids:
        computed now."""
        if (
            partner_ids is not None
            or not jobs.enqueues(self.env)
            or not self.env.user.has_group(
                "relationship_mgmt.group_relationship_manager"
            )
        ):
            return super().recompute_trust(partner_ids)
        found, __ = self._trust_enqueue(self.env.companies)
        return {
            "computed": 0,
            "companies": len(self.env.companies),
            "jobs": [job.uuid for job in found],
        }

    @api.model
    def action_recompute_all(self):
        if not jobs.enqueues(self.env) or not self.env.user.has_group(
            "relationship_mgmt.group_relationship_manager"
        ):
            return super().action_recompute_all()
        found, queued = self._trust_enqueue(self.env.companies)
        return jobs.notification(
            self.env, self.env._("Trust recompute queued"), found, queued
        )

    @api.model
    def _cron_recompute_trust(self):
        if not jobs.enqueues(self.env):
            return super()._cron_recompute_trust()
        self._trust_enqueue(self.env["res.company"].search([]))

    @api.model
    def _trust_enqueue(self, companies):
        return jobs.enqueue_companies(
            self,
            "_job_recompute_company",
            "trust",
            companies,
            CHANNEL,
            lambda company: self.env._("Trust of %(company)s", company=company.name),
        )

    @api.model
    def _job_recompute_company(self, company):
        """Job: the trust of every business partner of ``company``."""
        counts = jobs.run_locked(
            self.env,
            "trust",
            company,
            lambda run: self.with_company(company)._trust_score_company(company, None),
        )
        return plural(
            counts["computed"],
            self.env._("1 partner scored."),
            self.env._("%(count)s partners scored.", count=counts["computed"]),
        )
