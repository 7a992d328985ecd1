from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, RelationshipCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestRefundMargin(RelationshipCommon):
    """The margin to date is the confirmed orders' margin: only the credit
    notes of what those orders invoiced lower it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Analytics = cls.env["relationship.analytics"]

    def _analytics(self, partner):
        self.Analytics._refresh_company(self.env.company)
        return self.Analytics.search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.env.company.id)]
        )

    def test_refunded_invoice_without_order_leaves_the_order_margin(self):
        # Two orders of 100 at a cost of 60, never invoiced; an invoice of 500
        # made without an order, refunded in full.
        customer = self._customer("Uninvoiced Orders")
        self._order(customer, 20)
        self._order(customer, 10)
        self._invoice(customer, 30, 500.0)
        self._invoice(customer, 25, 500.0, move_type="out_refund")

        row = self._analytics(customer)

        self.assertEqual(row.revenue_to_date, 0.0)
        self.assertEqual(row.refund_to_date, 500.0)
        self.assertEqual(row.margin_to_date, 80.0)
        self.assertEqual(row.margin_percent, 40.0)

    def test_credit_note_of_an_order_lowers_its_margin(self):
        customer = self._customer("Refunded Order")
        order = self._order(customer, 20)
        self._invoice(customer, 19, 100.0, sale_lines=order.order_line)
        self._invoice(
            customer, 5, 30.0, move_type="out_refund", sale_lines=order.order_line
        )

        row = self._analytics(customer)

        self.assertEqual(row.revenue_to_date, 70.0)
        self.assertEqual(row.refund_to_date, 30.0)
        self.assertEqual(row.margin_to_date, 10.0)
        self.assertEqual(row.margin_percent, 10.0)

    def test_only_the_order_part_of_refunds_counts(self):
        # One credit note per kind: 30 of an order's invoice, 200 of an
        # invoice without order.
        customer = self._customer("Both Kinds")
        order = self._order(customer, 20)
        self._invoice(customer, 19, 100.0, sale_lines=order.order_line)
        self._invoice(customer, 18, 200.0)
        self._invoice(
            customer, 5, 30.0, move_type="out_refund", sale_lines=order.order_line
        )
        self._invoice(customer, 4, 200.0, move_type="out_refund")

        row = self._analytics(customer)

        self.assertEqual(row.revenue_to_date, 70.0)
        self.assertEqual(row.refund_to_date, 230.0)
        self.assertEqual(row.margin_to_date, 10.0)
