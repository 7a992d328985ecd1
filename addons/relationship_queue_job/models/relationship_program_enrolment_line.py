from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.relationship_mgmt.models.relationship_program_enrolment_line import (
    RUN_BATCH,
)

from ..tools import jobs

CHANNEL = "root.relationship.followup"


class RelationshipProgramEnrolmentLine(models.Model):
    _inherit = "relationship.program.enrolment.line"

    @api.model
    def _cron_run_due_steps(self, batch_size=RUN_BATCH):
        """Every 15 minutes: a job per company with due steps (none while one
        is waiting)."""
        if not jobs.enqueues(self.env):
            return super()._cron_run_due_steps(batch_size)
        self.flush_model(["state", "date_due", "company_id"])
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT company_id FROM relationship_program_enrolment_line "
                "WHERE state = 'scheduled' AND date_due <= %s",
                fields.Datetime.now(),
            )
        )
        companies = self.env["res.company"].browse(
            row[0] for row in self.env.cr.fetchall()
        )
        return jobs.enqueue_companies(
            self,
            "_job_run_due_steps",
            "program_steps",
            companies,
            CHANNEL,
            lambda company: self.env._(
                "Post-sale program steps of %(company)s", company=company.name
            ),
        )

    @api.model
    def _job_run_due_steps(self, company):
        """Job: the due steps of ``company``, in the job's transaction (each
        line locked, so a step runs once even beside a cron or another job)."""
        count = self.with_company(company)._run_due_steps(company=company)
        return self.env._("%(count)s due steps processed.", count=count)
