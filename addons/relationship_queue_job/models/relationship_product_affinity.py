from odoo import api, models

from ..tools import jobs

CHANNEL = "root.relationship.analytics"


class RelationshipProductAffinity(models.Model):
    _inherit = "relationship.product.affinity"

    @api.model
    def refresh_crosssell(self):
        """Managers: a job per company instead of now; returns the counts at
        0 with the companies and the jobs' uuids."""
        if not jobs.enqueues(self.env) or not self.env.user.has_group(
            "relationship_mgmt.group_relationship_manager"
        ):
            return super().refresh_crosssell()  # its refusal
        found, __ = self._crosssell_enqueue(self.env.companies)
        return jobs.rpc_result(
            found, self.env.companies, totals=("rules", "recommendations")
        )

    @api.model
    def action_refresh_all(self):
        if not jobs.enqueues(self.env) or not self.env.user.has_group(
            "relationship_mgmt.group_relationship_manager"
        ):
            return super().action_refresh_all()
        found, queued = self._crosssell_enqueue(self.env.companies)
        return jobs.notification(
            self.env, self.env._("Cross-sell recompute queued"), found, queued
        )

    @api.model
    def _cron_refresh_all(self):
        if not jobs.enqueues(self.env):
            return super()._cron_refresh_all()
        self._crosssell_enqueue(self.env["res.company"].search([]))

    @api.model
    def _crosssell_enqueue(self, companies):
        return jobs.enqueue_companies(
            self,
            "_job_refresh_company",
            "crosssell",
            companies,
            CHANNEL,
            lambda company: self.env._(
                "Cross-sell rules of %(company)s", company=company.name
            ),
        )

    @api.model
    def _job_refresh_company(self, company):
        """Job: mine the rules and rebuild the recommendations of ``company``."""
        # sudo: computed rules and recommendations no user writes by hand (as
        # refresh_crosssell does).
        counts = jobs.run_locked(
            self.env,
            "crosssell",
            company,
            lambda run: self.sudo().with_company(company)._crosssell_mine(company),
        )
        return self.env._(
            "%(rules)s product and %(categories)s category rules, "
            "%(recommendations)s recommendations.",
            rules=counts["product_rules"],
            categories=counts["category_rules"],
            recommendations=counts["recommendations"],
        )
