from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import TODAY, RelationshipCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestNoProfiling(RelationshipCommon):
    def _rows(self, model, partner):
        return self.env[model].search([("partner_id", "=", partner.id)])

    def test_opted_out_customer_is_never_profiled(self):
        private = self._customer("Private", relationship_no_profiling=True)
        contact = self.env["res.partner"].create(
            {"name": "Private Buyer", "parent_id": private.id}
        )
        self._order(contact, 5, 300.0)  # marks the customer: must not
        self._invoice(private, 5, 300.0)
        other = self._customer("Profiled")
        self._order(other, 5, 300.0)

        self.assertFalse(self._rows("relationship.engagement", private))
        self.Engagement._recompute_company(self.env.company, full=True)
        self.Engagement.recompute_engagement([contact.id])
        self.Engagement._cron_recompute_marked()
        self.env["relationship.analytics"]._refresh_company(self.env.company)

        for model in ("relationship.engagement", "relationship.analytics"):
            self.assertFalse(self._rows(model, private), model)
            self.assertTrue(self._rows(model, other), model)
        self.assertFalse(private.engagement_id)

    def test_opting_out_deletes_scores_history_and_analytics(self):
        customer = self._customer("Changes Mind")
        self._order(customer, 5, 300.0)
        self.Engagement._recompute_company(self.env.company, full=True)
        self.env["relationship.analytics"]._refresh_company(self.env.company)
        self.assertTrue(self._rows("relationship.engagement.snapshot", customer))

        # A salesperson of this company only records the request; the rows of
        # every company go.
        salesperson = new_test_user(
            self.env,
            login="rel_sales",
            groups="base.group_user,sales_team.group_sale_salesman",
            company_id=self.env.company.id,
            company_ids=[Command.set(self.env.company.ids)],
        )
        customer.with_user(salesperson).relationship_no_profiling = True

        for model in (
            "relationship.engagement",
            "relationship.engagement.snapshot",
            "relationship.analytics",
        ):
            self.assertFalse(self._rows(model, customer), model)
        self.Engagement._recompute_company(self.env.company, full=True)
        self.assertFalse(self._rows("relationship.engagement", customer))
