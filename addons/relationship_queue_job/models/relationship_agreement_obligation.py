from odoo import api, models

from odoo.addons.relationship_brm.models.relationship_agreement import RUNNING_STATES

from ..tools import jobs

CHANNEL = "root.relationship.brm"
COUNTS = ("agreements", "obligations", "periods", "breaches")


class RelationshipAgreementObligation(models.Model):
    _inherit = "relationship.agreement.obligation"

    @api.model
    def refresh_obligations(self, agreement_ids=None):
        """Without ids (managers): a job per company instead of now; returns
        the counts at 0 and the jobs' uuids. With ids: measured now."""
        if (
            agreement_ids is not None
            or not jobs.enqueues(self.env)
            or not self.env.user.has_group(
                "relationship_mgmt.group_relationship_manager"
            )
        ):
            return super().refresh_obligations(agreement_ids)
        found, __ = self._obligations_enqueue(self.env.companies)
        return {**dict.fromkeys(COUNTS, 0), "jobs": [job.uuid for job in found]}

    @api.model
    def action_refresh_all(self):
        if not jobs.enqueues(self.env) or not self.env.user.has_group(
            "relationship_mgmt.group_relationship_manager"
        ):
            return super().action_refresh_all()
        found, queued = self._obligations_enqueue(self.env.companies)
        return jobs.notification(
            self.env, self.env._("Obligation measurement queued"), found, queued
        )

    @api.model
    def _cron_refresh_obligations(self):
        if not jobs.enqueues(self.env):
            return super()._cron_refresh_obligations()
        self._obligations_enqueue(self.env["res.company"].search([]))

    @api.model
    def _obligations_enqueue(self, companies):
        return jobs.enqueue_companies(
            self,
            "_job_refresh_company",
            "obligations",
            companies,
            CHANNEL,
            lambda company: self.env._(
                "Obligations of %(company)s", company=company.name
            ),
        )

    @api.model
    def _job_refresh_company(self, company):
        """Job: measure the obligations of the running agreements of
        ``company``."""

        def work(run):
            return self.search(
                [
                    ("company_id", "=", company.id),
                    ("agreement_id.state", "in", RUNNING_STATES),
                ]
            )._refresh()

        counts = jobs.run_locked(self.env, "obligations", company, work)
        return self.env._(
            "%(obligations)s obligations of %(agreements)s agreements: "
            "%(periods)s periods measured, %(breaches)s new breaches.",
            **counts,
        )
