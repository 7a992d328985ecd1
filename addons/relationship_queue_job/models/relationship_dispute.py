from odoo import api, models

from ..tools import jobs

CHANNEL = "root.relationship.followup"


class RelationshipDispute(models.Model):
    _inherit = "relationship.dispute"

    @api.model
    def _cron_update_sla(self, companies=None):
        """Every 15 minutes: a job per company with open disputes (none while
        one is waiting). With ``companies``: updated now."""
        if companies is not None or not jobs.enqueues(self.env):
            return super()._cron_update_sla(companies)
        self.flush_model(["active", "is_closed", "company_id"])
        self.env.cr.execute(
            "SELECT DISTINCT company_id FROM relationship_dispute "
            "WHERE active AND NOT COALESCE(is_closed, FALSE)"
        )
        companies = self.env["res.company"].browse(
            row[0] for row in self.env.cr.fetchall()
        )
        return jobs.enqueue_companies(
            self,
            "_job_update_sla",
            "dispute_sla",
            companies,
            CHANNEL,
            lambda company: self.env._(
                "Dispute SLA of %(company)s", company=company.name
            ),
        )

    @api.model
    def _job_update_sla(self, company):
        """Job: the SLA status, age and escalation of the open disputes of
        ``company``, under its lock (retried while another worker has it)."""
        counts = jobs.run_locked(
            self.env,
            "dispute_sla",
            company,
            lambda run: self.with_company(company)._update_sla_locked(company)[0],
        )
        return self.env._(
            "%(changed)s statuses changed, %(escalated)s disputes escalated.",
            **counts,
        )
