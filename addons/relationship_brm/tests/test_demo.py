from odoo.tests import tagged

from .common import TODAY, BrmCommon


@tagged("post_install", "-at_install")
class TestDemoDisputes(BrmCommon):
    """The demo gives disputes to its portal customer only when it is a
    customer: never to one of the companies' own partners or a colleague
    (the rule of the scores, relationship_mgmt's signals.not_customer_ids)."""

    def _as_demo(self, xmlid, record):
        module, name = xmlid.split(".")
        self.env["ir.model.data"].search(
            [("module", "=", module), ("name", "=", name)]
        ).unlink()
        self.env["ir.model.data"].create(
            {
                "module": module,
                "name": name,
                "model": record._name,
                "res_id": record.id,
            }
        )
        self.env.registry.clear_cache()

    def _demo_disputes(self, partner):
        self._as_demo("base.partner_demo_portal", partner)
        self._as_demo("product.product_product_8", self.goods)
        # sudo: the demo runs as the superuser at install.
        self.env["relationship.demo"].sudo()._demo_portal_disputes(TODAY)
        return self.env["relationship.dispute"].search(
            [("commercial_partner_id", "=", partner.id)]
        )

    def test_demo_disputes_go_to_a_customer(self):
        self.assertEqual(len(self._demo_disputes(self.customer)), 2)

    def test_no_demo_dispute_for_the_company_or_a_colleague(self):
        self.assertFalse(self._demo_disputes(self.env.company.partner_id))
        self.assertFalse(self._demo_disputes(self.user_relationship.partner_id))
