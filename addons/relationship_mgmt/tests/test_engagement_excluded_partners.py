from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from .common import TODAY, RelationshipCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestExcludedPartners(RelationshipCommon):
    """Internal users and the companies' own partners buy and get invoiced
    like customers (staff purchases, internal documents) but are never
    scored, whatever starts the computation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.colleague = new_test_user(
            cls.env, login="rel_colleague", groups="base.group_user"
        ).partner_id
        cls.own_company = cls.env.company.partner_id
        cls.customer = cls._customer("Real Customer")
        cls.portal_customer = new_test_user(
            cls.env, login="rel_portal_customer", groups="base.group_portal"
        ).partner_id
        cls.everyone = cls.colleague | cls.own_company | cls.customer
        cls.everyone |= cls.portal_customer
        for partner in cls.everyone:
            # An order shipped to the company itself would need an
            # inter-warehouse route: an invoice makes it a customer as well.
            if partner != cls.own_company:
                cls._order(partner, 10)
            cls._invoice(partner, 9, 100.0)

    def _scored(self):
        return (
            self.Engagement.search([("partner_id", "in", self.everyone.ids)])
            .filtered(lambda row: not row.needs_recompute)
            .partner_id
        )

    def test_recompute_from_selected_contacts(self):
        self.everyone.action_recompute_engagement()

        self.assertEqual(self._scored(), self.customer | self.portal_customer)

    def test_recompute_engagement_api(self):
        # What XML-RPC and the web client's list action call.
        result = self.Engagement.recompute_engagement(self.everyone.ids)

        self.assertEqual(result["computed"], 2)
        self.assertEqual(self._scored(), self.customer | self.portal_customer)

    def test_incremental_marks(self):
        self.Engagement._mark_for_recompute(
            [(partner.id, self.env.company.id) for partner in self.everyone]
        )

        marked = self.Engagement.search([("partner_id", "in", self.everyone.ids)])
        self.assertEqual(marked.partner_id, self.customer | self.portal_customer)
        self.Engagement._cron_recompute_marked()
        self.assertEqual(self._scored(), self.customer | self.portal_customer)

    def test_full_run(self):
        self.Engagement.recompute_engagement(None)

        self.assertEqual(self._scored(), self.customer | self.portal_customer)
