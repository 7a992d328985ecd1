from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import TODAY, BrmCommon, day


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDocumentLinks(BrmCommon):
    def test_sale_order_defaults_to_the_single_running_sales_agreement(self):
        agreement = self._agreement(self.customer, "distribution")
        self._agreement(self.customer, "purchase")
        with Form(self.env["sale.order"]) as order_form:
            order_form.partner_id = self.customer
            self.assertEqual(order_form.agreement_id, agreement)
        contact = self.env["res.partner"].create(
            {"name": "Store Manager", "parent_id": self.customer.id}
        )
        order = self._sale(contact, TODAY)
        self.assertEqual(order.agreement_id, agreement)

    def test_changing_the_customer_changes_the_agreement(self):
        agreement = self._agreement(self.customer)
        other = self._customer("Other Retail")
        other_agreement = self._agreement(other)
        order = self._sale(self.customer, TODAY)
        self.assertEqual(order.agreement_id, agreement)
        order.partner_id = other
        self.assertEqual(order.agreement_id, other_agreement)
        order.partner_id = self._customer("No Agreement")
        self.assertFalse(order.agreement_id)

    def test_partner_profile_counts_open_agreements(self):
        self._agreement(self.customer)
        self._agreement(self.customer, "purchase", activate=False)
        terminated = self._agreement(self.customer, "framework")
        terminated.action_terminate(reason="Replaced")
        self.assertEqual(self.customer.agreement_open_count, 2)
        self.assertEqual(self.customer.agreement_running_count, 1)
        self.assertEqual(self.customer.dispute_open_count, 0)
        action = self.customer.action_view_agreements()
        self.assertEqual(self.Agreement.search_count(action["domain"]), 3)

    def test_no_default_without_exactly_one_running_agreement(self):
        draft = self._agreement(self.customer, activate=False)
        self.assertFalse(self._sale(self.customer, TODAY).agreement_id)
        draft.action_activate()
        self._agreement(self.customer, "distribution")
        self.assertFalse(self._sale(self.customer, TODAY).agreement_id)

    def test_purchase_order_and_bill_default_to_the_purchase_agreement(self):
        sales = self._agreement(self.vendor, "sales")
        agreement = self._agreement(self.vendor, "purchase")
        order = self._purchase(self.vendor, TODAY)
        self.assertEqual(order.agreement_id, agreement)
        bill = self._invoice(
            self.vendor, TODAY, TODAY, move_type="in_invoice", lines=((2.0, 50.0),)
        )
        self.assertEqual(bill.agreement_id, agreement)
        invoice = self._invoice(self.vendor, TODAY, TODAY)
        self.assertEqual(invoice.agreement_id, sales)
        entry = self.env["account.move"].create(
            {"move_type": "entry", "partner_id": self.vendor.id}
        )
        self.assertFalse(entry.agreement_id)

    def test_invoice_of_an_order_takes_its_agreement(self):
        agreement = self._agreement(self.customer)
        order = self._sale(self.customer, TODAY, lines=((2.0, 100.0),))
        picking = order.picking_ids
        self._deliver(picking, TODAY, done_on=TODAY)
        invoice = order._create_invoices()
        self.assertEqual(invoice.agreement_id, agreement)

    def test_agreement_shows_its_documents_and_consumption(self):
        agreement = self._agreement(self.customer, amount_committed=2000.0)
        self._sale(self.customer, day("2026-03-01"), lines=((5.0, 100.0),))
        self._sale(self.customer, day("2026-04-01"), lines=((3.0, 100.0),))
        quotation = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": self.goods.id,
                            "product_uom_qty": 100,
                            "price_unit": 10,
                        },
                    )
                ],
            }
        )
        self.assertEqual(quotation.agreement_id, agreement)
        invoice = self._invoice(self.customer, TODAY, TODAY, lines=((4.0, 100.0),))
        refund = self._invoice(
            self.customer, TODAY, TODAY, lines=((1.0, 100.0),), move_type="out_refund"
        )
        self.assertEqual((invoice + refund).agreement_id, agreement)
        agreement.invalidate_recordset()
        self.assertEqual(agreement.sale_order_count, 3)
        self.assertEqual(agreement.invoice_count, 2)
        self.assertEqual(agreement.amount_ordered, 800.0)
        self.assertEqual(agreement.amount_invoiced, 300.0)
        self.assertEqual(agreement.amount_remaining, 1200.0)
        self.assertEqual(agreement.consumption_rate, 40.0)
        action = agreement.action_view_sale_orders()
        self.assertEqual(
            self.env["sale.order"].search(action["domain"]),
            agreement.sale_order_ids,
        )

    def test_document_of_another_partner_or_side_is_refused(self):
        agreement = self._agreement(self.customer)
        purchase = self._agreement(self.customer, "purchase")
        other = self._customer("Someone Else")
        order = self._sale(other, TODAY)
        with self.assertRefused(ValidationError, "binds Reliable Retail"):
            order.agreement_id = agreement
        mine = self._sale(self.customer, TODAY)
        with self.assertRefused(ValidationError, "other side of the business"):
            mine.agreement_id = purchase
        self.assertEqual(mine.agreement_id, agreement)
        self.assertFalse(order.agreement_id)

    def test_document_of_another_company_is_refused(self):
        agreement = self._agreement(self.customer)
        other_company = self.setup_other_company(name="Other Co")["company"]
        order = self._sale(self.customer, TODAY, company=other_company)
        self.assertFalse(order.agreement_id)
        with self.assertRefused(UserError, "Incompatible companies"):
            order.agreement_id = agreement
        self.assertFalse(order.agreement_id)
