import json

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import BrmCommon


class DisputeResolutionCommon(BrmCommon):
    """Stages, a second product, a Relationships user who also bills and
    ships, and invoice and dispute helpers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Dispute = cls.env["relationship.dispute"]
        cls.stage_new = cls.env.ref("relationship_brm.dispute_stage_new")
        cls.stage_resolved = cls.env.ref("relationship_brm.dispute_stage_resolved")
        cls.stage_rejected = cls.env.ref("relationship_brm.dispute_stage_rejected")
        cls.other_goods = cls._create_product(
            name="Spare Parts",
            type="consu",
            lst_price=50.0,
            taxes_id=[Command.clear()],
        )
        # Relationships users who resolve disputes also bill and ship.
        cls.user_relationship.groups_id = [
            Command.link(cls.env.ref(xmlid).id)
            for xmlid in (
                "account.group_account_invoice",
                "stock.group_stock_user",
                "sales_team.group_sale_salesman_all_leads",
            )
        ]
        cls.today = fields.Date.today()

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _invoice_two_lines(self, taxes=None):
        """A posted invoice: 2 x goods at 100 and 3 x spare parts at 50."""
        taxes = taxes or self.env["account.tax"]
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": self.today,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "quantity": quantity,
                            "price_unit": price,
                            "tax_ids": [Command.set(taxes.ids)],
                        }
                    )
                    for product, quantity, price in (
                        (self.goods, 2.0, 100.0),
                        (self.other_goods, 3.0, 50.0),
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _dispute(self, **values):
        return self.Dispute.create(
            {
                "name": "Damaged goods",
                "partner_id": self.customer.id,
                "dispute_type": "quality",
                "stage_id": self.stage_new.id,
                **values,
            }
        )

    def _refunds(self):
        return self.env["account.move"].search(
            [("move_type", "=", "out_refund"), ("partner_id", "=", self.customer.id)]
        )

    def _delivered_sale(self, quantity=5.0):
        order = self._sale(self.customer, self.today, lines=((quantity, 100.0),))
        delivery = order.picking_ids
        self._deliver(delivery, self.today, done_on=self.today)
        self.assertEqual(delivery.state, "done")
        return order, delivery

    def assertUnchanged(self, dispute, refunds_before, messages_before):
        self.assertEqual(dispute.stage_id, self.stage_new)
        self.assertFalse(dispute.resolution_type)
        self.assertFalse(dispute.credit_note_ids)
        self.assertEqual(dispute.amount_resolved, 0.0)
        self.assertEqual(self._refunds(), refunds_before)
        self.assertEqual(len(dispute.message_ids), messages_before)


@tagged("post_install", "-at_install")
class TestDisputeResolution(DisputeResolutionCommon):
    """Each resolution of a dispute does its real effect (credit note,
    return, replacement delivery, discount taken by the next order,
    rejection), is recorded on the dispute and refuses bad input without
    changing anything."""

    # ------------------------------------------------------------------
    # Credit notes
    # ------------------------------------------------------------------

    def test_full_credit_note_settles_invoice(self):
        invoice = self._invoice_two_lines()
        dispute = self._dispute(move_id=invoice.id, amount_disputed=350.0)
        result = dispute.resolve("credit_note")
        credit = dispute.credit_note_ids
        self.assertEqual(len(credit), 1)
        self.assertEqual(credit.move_type, "out_refund")
        self.assertEqual(credit.state, "posted")
        self.assertEqual(credit.reversed_entry_id, invoice)
        self.assertAlmostEqual(credit.amount_total, 350.0)
        self.assertEqual(len(credit.invoice_line_ids), 2)
        self.assertAlmostEqual(invoice.amount_residual, 0.0)
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertAlmostEqual(dispute.amount_resolved, 350.0)
        self.assertAlmostEqual(dispute.amount_remaining, 0.0)
        self.assertEqual(dispute.resolution_type, "credit_note")
        self.assertEqual(dispute.stage_id, self.stage_resolved)
        self.assertTrue(dispute.is_closed)
        self.assertTrue(dispute.date_closed)
        self.assertIn(credit.name, dispute.message_ids[0].body)
        self.assertEqual(result["credit_note_ids"], credit.ids)
        self.assertEqual(result["stage_kind"], "resolved")
        json.dumps(result)

    def test_partial_credit_note_for_disputed_line_lowers_its_price(self):
        invoice = self._invoice_two_lines(taxes=self.tax_sale_a)
        self.assertEqual(self.tax_sale_a.amount, 15.0)
        parts_line = invoice.invoice_line_ids.filtered(
            lambda line: line.product_id == self.other_goods
        )
        dispute = self._dispute(
            move_id=invoice.id,
            move_line_ids=[Command.set(parts_line.ids)],
            amount_disputed=172.5,  # 3 x 50 + 15 % tax
        )
        dispute.resolve("credit_note", amount=69.0, close=False)
        credit = dispute.credit_note_ids
        # Only the disputed line, same quantity, unit price 20 instead of 50.
        self.assertEqual(credit.invoice_line_ids.product_id, self.other_goods)
        self.assertEqual(credit.invoice_line_ids.quantity, 3.0)
        self.assertAlmostEqual(credit.invoice_line_ids.price_unit, 20.0)
        self.assertAlmostEqual(credit.amount_untaxed, 60.0)
        self.assertAlmostEqual(credit.amount_total, 69.0)
        # Reconciled with the invoice: 402.5 - 69.
        self.assertAlmostEqual(invoice.amount_total, 402.5)
        self.assertAlmostEqual(invoice.amount_residual, 333.5)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertAlmostEqual(dispute.amount_resolved, 69.0)
        self.assertAlmostEqual(dispute.amount_remaining, 103.5)
        self.assertEqual(dispute.stage_id, self.stage_new)

    def test_second_credit_limited_to_what_is_still_disputed(self):
        invoice = self._invoice_two_lines()
        dispute = self._dispute(move_id=invoice.id, amount_disputed=175.0)
        dispute.resolve("credit_note", amount=70.0, close=False)
        first = dispute.credit_note_ids
        with self.assertRefused(UserError, "cannot credit"):
            dispute.resolve("credit_note", amount=105.01)
        self.assertEqual(dispute.credit_note_ids, first)
        self.assertAlmostEqual(dispute.amount_resolved, 70.0)
        result = dispute.resolve("credit_note")  # the 105 left
        self.assertEqual(len(dispute.credit_note_ids), 2)
        second = dispute.credit_note_ids - first
        self.assertAlmostEqual(second.amount_total, 105.0)
        self.assertAlmostEqual(dispute.amount_resolved, 175.0)
        self.assertAlmostEqual(invoice.amount_residual, 175.0)
        self.assertTrue(result["is_closed"])

    def test_credit_note_on_vendor_bill(self):
        bill = self._invoice(
            self.vendor,
            self.today,
            self.today,
            lines=((4.0, 25.0),),
            move_type="in_invoice",
        )
        dispute = self._dispute(
            partner_id=self.vendor.id, move_id=bill.id, amount_disputed=40.0
        )
        dispute.resolve("credit_note")
        refund = dispute.credit_note_ids
        self.assertEqual(refund.move_type, "in_refund")
        self.assertEqual(refund.invoice_line_ids.quantity, 4.0)
        self.assertAlmostEqual(refund.invoice_line_ids.price_unit, 10.0)
        self.assertAlmostEqual(refund.amount_total, 40.0)
        self.assertAlmostEqual(bill.amount_residual, 60.0)

    def test_draft_credit_note_option(self):
        invoice = self._invoice_two_lines()
        dispute = self._dispute(move_id=invoice.id, amount_disputed=350.0)
        dispute.resolve("credit_note", amount=35.0, post=False)
        credit = dispute.credit_note_ids
        self.assertEqual(credit.state, "draft")
        self.assertAlmostEqual(credit.amount_total, 35.0)
        self.assertAlmostEqual(invoice.amount_residual, 350.0)
        self.assertAlmostEqual(dispute.amount_resolved, 35.0)

    def test_credit_note_on_paid_invoice_stays_open_credit(self):
        invoice = self._invoice_two_lines()
        self._pay_on(invoice, self.today)
        self.assertEqual(
            invoice.payment_state,
            self.env["account.move"]._get_invoice_in_payment_state(),
        )
        dispute = self._dispute(move_id=invoice.id, amount_disputed=70.0)
        dispute.resolve("credit_note")
        credit = dispute.credit_note_ids
        self.assertEqual(credit.state, "posted")
        self.assertAlmostEqual(credit.amount_total, 70.0)
        # Nothing left to settle on the invoice: the customer has a credit.
        self.assertAlmostEqual(credit.amount_residual, 70.0)
        self.assertAlmostEqual(invoice.amount_residual, 0.0)

    def test_partial_credit_credits_exactly_the_amount_on_clean_lines(self):
        invoice = self._invoice_two_lines()
        dispute = self._dispute(move_id=invoice.id, amount_disputed=100.0)
        dispute.resolve("credit_note", close=False)
        credit = dispute.credit_note_ids
        # 100 of 350, by line total: 57.14 = 2 x 28.57 keeps its quantity;
        # 42.86 does not divide into 3 unit prices: one unit of 42.86.
        self.assertEqual(
            [(line.quantity, line.price_unit) for line in credit.invoice_line_ids],
            [(2.0, 28.57), (1.0, 42.86)],
        )
        self.assertAlmostEqual(credit.amount_total, 100.0)
        self.assertAlmostEqual(dispute.amount_resolved, 100.0)
        self.assertAlmostEqual(dispute.amount_remaining, 0.0)

    def test_partial_credit_with_tax_credits_exactly_the_amount(self):
        invoice = self._invoice_two_lines(taxes=self.tax_sale_a)  # 402.50
        dispute = self._dispute(move_id=invoice.id, amount_disputed=402.5)
        dispute.resolve("credit_note", amount=100.0, close=False)
        credit = dispute.credit_note_ids
        self.assertAlmostEqual(credit.amount_total, 100.0)
        for line in credit.invoice_line_ids:
            self.assertEqual(line.price_unit, round(line.price_unit, 2))
        self.assertAlmostEqual(dispute.amount_resolved, 100.0)

    def test_over_credit_refused_nothing_changed(self):
        invoice = self._invoice_two_lines()
        dispute = self._dispute(move_id=invoice.id, amount_disputed=150.0)
        refunds, messages = self._refunds(), len(dispute.message_ids)
        with self.assertRefused(UserError, "cannot credit"):
            dispute.resolve("credit_note", amount=150.01)
        self.assertUnchanged(dispute, refunds, messages)
        for bad in (-10.0, 0.0, "100", True):
            with self.assertRefused(UserError, "positive number"):
                dispute.resolve("credit_note", amount=bad)
        with self.assertRefused(UserError, "product lines of its invoice"):
            dispute.resolve("credit_note", line_ids=[invoice.line_ids[-1].id + 1000])
        self.assertUnchanged(dispute, refunds, messages)

    def test_credit_note_needs_posted_invoice(self):
        with self.assertRefused(UserError, "no invoice"):
            self._dispute().resolve("credit_note", amount=10.0)
        invoice = self._invoice_two_lines()
        dispute = self._dispute(move_id=invoice.id)
        invoice.button_draft()
        refunds, messages = self._refunds(), len(dispute.message_ids)
        with self.assertRefused(UserError, "only a posted invoice"):
            dispute.resolve("credit_note")
        invoice.button_cancel()
        with self.assertRefused(UserError, "only a posted invoice"):
            dispute.resolve("credit_note")
        self.assertUnchanged(dispute, refunds, messages)

    # ------------------------------------------------------------------
    # Bad input common to every resolution
    # ------------------------------------------------------------------

    def test_resolution_type_required(self):
        invoice = self._invoice_two_lines()
        dispute = self._dispute(move_id=invoice.id, amount_disputed=100.0)
        refunds, messages = self._refunds(), len(dispute.message_ids)
        with self.assertRefused(UserError, "choose a resolution type"):
            dispute.resolve(False)
        with self.assertRefused(UserError, "Unknown resolution type"):
            dispute.resolve("refund")
        with self.assertRefused(UserError, "Unknown options"):
            dispute.resolve("credit_note", amount=10.0, color="red")
        with self.assertRefused(UserError, "true or false"):
            dispute.resolve("credit_note", amount=10.0, post="yes")
        with self.assertRefused(UserError, "true or false"):
            dispute.resolve("discount", amount=10.0, close=1)
        with self.assertRefused(UserError, "must be text"):
            dispute.resolve("discount", amount=10.0, note=["a"])
        with self.assertRefused(UserError, "Unknown dispute ids"):
            self.Dispute.browse(2**31).resolve("rejection", reason="No")
        with self.assertRefused(UserError, "one at a time (2 given)"):
            (dispute | self._dispute()).resolve("rejection", reason="No")
        wizard = self.env["relationship.dispute.resolve"].create(
            {"dispute_id": dispute.id}
        )
        with self.assertRefused(UserError, "choose a resolution type"):
            wizard.action_resolve()
        self.assertUnchanged(dispute, refunds, messages)

    def test_closed_dispute_cannot_be_resolved_again(self):
        invoice = self._invoice_two_lines()
        dispute = self._dispute(move_id=invoice.id, amount_disputed=100.0)
        dispute.action_reject("Goods were fine on arrival")
        refunds = self._refunds()
        with self.assertRefused(UserError, "already closed"):
            dispute.resolve("credit_note", amount=10.0)
        self.assertEqual(self._refunds(), refunds)
        self.assertEqual(dispute.stage_id, self.stage_rejected)
        self.assertFalse(dispute.credit_note_ids)

    def test_other_company_dispute_refused(self):
        other_company = self.env["res.company"].create({"name": "Other Branch"})
        dispute = self._dispute(company_id=other_company.id, amount_disputed=10.0)
        # A user of this company only cannot resolve it...
        with self.assertRefused(AccessError, "a company you do not work in"):
            dispute.with_user(self.user_relationship).resolve("discount", amount=5.0)
        with self.assertRefused(AccessError, "a company you do not work in"):
            dispute.with_user(self.user_relationship).action_reject("No")
        # ... nor one of both companies working in the other one only.
        self.env.user.company_ids = [Command.link(other_company.id)]
        with self.assertRefused(AccessError, "a company you do not work in"):
            dispute.with_context(allowed_company_ids=self.env.company.ids).resolve(
                "discount", amount=5.0
            )
        self.assertEqual(dispute.stage_id, self.stage_new)
        self.assertFalse(dispute.sudo().discount_ids)
        self.assertEqual(dispute.amount_resolved, 0.0)

    # ------------------------------------------------------------------
    # Returns and replacements
    # ------------------------------------------------------------------

    def test_return_creates_return_picking_of_disputed_goods(self):
        order, delivery = self._delivered_sale(5.0)
        dispute = self._dispute(
            sale_order_id=order.id, picking_id=delivery.id, dispute_type="delivery"
        )
        with self.assertRefused(UserError, "only 5.0 are returnable"):
            dispute.resolve(
                "return", lines=[{"product_id": self.goods.id, "quantity": 6.0}]
            )
        with self.assertRefused(UserError, "was not delivered"):
            dispute.resolve(
                "return", lines=[{"product_id": self.other_goods.id, "quantity": 1.0}]
            )
        self.assertFalse(delivery.return_ids)
        result = dispute.resolve(
            "return", lines=[{"product_id": self.goods.id, "quantity": 2.0}]
        )
        returned = dispute.picking_ids
        self.assertEqual(len(returned), 1)
        self.assertEqual(returned, delivery.return_ids)
        self.assertEqual(returned.picking_type_id.code, "incoming")
        self.assertEqual(returned.move_ids.product_id, self.goods)
        self.assertEqual(returned.move_ids.product_uom_qty, 2.0)
        self.assertEqual(returned.move_ids.origin_returned_move_id, delivery.move_ids)
        self.assertEqual(result["picking_ids"], returned.ids)
        self.assertEqual(dispute.resolution_type, "return")
        self.assertEqual(dispute.stage_id, self.stage_resolved)
        # Receiving the goods back lowers the delivered quantity of the order.
        returned.move_ids.quantity = 2.0
        returned.move_ids.picked = True
        returned._action_done()
        self.assertEqual(order.order_line.qty_delivered, 3.0)

    def test_return_defaults_to_disputed_invoice_quantities(self):
        order, delivery = self._delivered_sale(5.0)
        invoice = order._create_invoices()
        invoice.invoice_line_ids.quantity = 5.0
        invoice.action_post()
        dispute = self._dispute(
            move_id=invoice.id,
            move_line_ids=[Command.set(invoice.invoice_line_ids.ids)],
            picking_id=delivery.id,
        )
        dispute.resolve("return")
        self.assertEqual(dispute.picking_ids.move_ids.product_uom_qty, 5.0)

    def test_replacement_returns_and_delivers_again(self):
        order, delivery = self._delivered_sale(5.0)
        dispute = self._dispute(sale_order_id=order.id, picking_id=delivery.id)
        dispute.resolve(
            "replacement",
            lines=[{"product_id": self.goods.id, "quantity": 3.0}],
            note="Broken in transit",
        )
        returned = dispute.picking_ids.filtered(
            lambda p: p.picking_type_id.code == "incoming"
        )
        replacement = dispute.picking_ids - returned
        self.assertEqual(returned, delivery.return_ids)
        self.assertEqual(returned.move_ids.product_uom_qty, 3.0)
        self.assertEqual(len(replacement), 1)
        self.assertEqual(replacement.picking_type_id.code, "outgoing")
        self.assertEqual(replacement.partner_id, self.customer)
        self.assertEqual(replacement.move_ids.product_id, self.goods)
        self.assertEqual(replacement.move_ids.product_uom_qty, 3.0)
        self.assertEqual(replacement.move_ids.sale_line_id, order.order_line)
        self.assertEqual(dispute.resolution_type, "replacement")
        self.assertEqual(dispute.resolution_note, "Broken in transit")
        self.assertIn(replacement.name, dispute.message_ids[0].body)

    def test_return_needs_done_delivery(self):
        order = self._sale(self.customer, self.today, lines=((5.0, 100.0),))
        dispute = self._dispute(sale_order_id=order.id, picking_id=order.picking_ids.id)
        with self.assertRefused(UserError, "done"):
            dispute.resolve("return")
        self.assertFalse(dispute.picking_ids)
        self.assertEqual(dispute.stage_id, self.stage_new)

    # ------------------------------------------------------------------
    # Discount on the next order
    # ------------------------------------------------------------------

    def test_discount_taken_by_next_order_once(self):
        dispute = self._dispute(amount_disputed=100.0)
        with self.assertRefused(UserError, "more than the"):
            dispute.resolve("discount", amount=100.5)
        dispute.resolve("discount", amount=30.0)
        discount = dispute.discount_ids
        self.assertEqual(discount.state, "pending")
        self.assertEqual(self.customer.relationship_pending_discount_ids, discount)
        self.assertAlmostEqual(dispute.amount_resolved, 30.0)
        self.assertEqual(dispute.stage_id, self.stage_resolved)
        first = self._sale(self.customer, self.today, lines=((10.0, 100.0),))
        self.assertAlmostEqual(first.amount_total, 970.0)
        self.assertEqual(len(first.order_line), 2)
        self.assertEqual(discount.state, "used")
        self.assertEqual(discount.sale_order_id, first)
        self.assertAlmostEqual(discount.amount_applied, 30.0)
        self.assertFalse(self.customer.relationship_pending_discount_ids)
        second = self._sale(self.customer, self.today, lines=((10.0, 100.0),))
        self.assertAlmostEqual(second.amount_total, 1000.0)
        self.assertEqual(len(second.order_line), 1)

    def test_salesman_confirming_order_takes_discount(self):
        salesman = new_test_user(
            self.env,
            login="brm_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=self.env.company.id,
        )
        self.env.company.sale_discount_product_id = False
        dispute = self._dispute(amount_disputed=100.0)
        dispute.resolve("discount", amount=25.0)
        order = (
            self.env["sale.order"]
            .with_user(salesman)
            .create(
                {
                    "partner_id": self.customer.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.goods.id,
                                "product_uom_qty": 1.0,
                                "price_unit": 100.0,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertAlmostEqual(order.amount_total, 75.0)
        self.assertEqual(dispute.discount_ids.sale_order_id, order)

    def test_percent_discount_counts_once_taken(self):
        dispute = self._dispute(amount_disputed=500.0)
        with self.assertRefused(UserError, "between 0 and 100"):
            dispute.resolve("discount", percent=120.0)
        with self.assertRefused(UserError, "either a discount amount"):
            dispute.resolve("discount", amount=5.0, percent=5.0)
        dispute.resolve("discount", percent=10.0)
        self.assertEqual(dispute.amount_resolved, 0.0)
        other = self._sale(self.vendor, self.today, lines=((1.0, 100.0),))
        self.assertAlmostEqual(other.amount_total, 100.0)
        order = self._sale(self.customer, self.today, lines=((10.0, 100.0),))
        self.assertAlmostEqual(order.amount_total, 900.0)
        self.assertAlmostEqual(dispute.amount_resolved, 100.0)
        self.assertEqual(dispute.discount_ids.state, "used")

    def test_percent_discount_never_grants_more_than_disputed(self):
        dispute = self._dispute(amount_disputed=50.0)
        dispute.resolve("discount", percent=10.0)
        order = self._sale(self.customer, self.today, lines=((10.0, 100.0),))
        # 10 % of 1,000 would be 100: the order gets the 50 still disputed.
        self.assertAlmostEqual(order.amount_total, 950.0)
        self.assertAlmostEqual(dispute.amount_resolved, 50.0)
        self.assertEqual(dispute.amount_remaining, 0.0)

    def test_users_cannot_grant_discounts_outside_a_resolution(self):
        dispute = self._dispute(amount_disputed=100.0)
        Discount = self.env["relationship.dispute.discount"].with_user(
            self.user_relationship
        )
        with self.assertRaises(AccessError):
            Discount.create(
                {
                    "dispute_id": dispute.id,
                    "partner_id": self.customer.id,
                    "discount_type": "amount",
                    "amount": 500.0,
                }
            )
        dispute.with_user(self.user_relationship).resolve("discount", amount=20.0)
        granted = dispute.discount_ids
        self.assertEqual(granted.amount, 20.0)
        with self.assertRaises(AccessError):
            granted.with_user(self.user_relationship).write({"amount": 900.0})

    def test_closing_needs_a_resolution(self):
        dispute = self._dispute(amount_disputed=100.0)
        for stage in (self.stage_resolved, self.stage_rejected):
            with self.assertRefused(UserError, "without a resolution"):
                dispute.stage_id = stage
            self.assertEqual(dispute.stage_id, self.stage_new)
        with self.assertRefused(UserError, "without a resolution"):
            self._dispute(stage_id=self.stage_resolved.id)
        # Resolved in steps (close=False), the user may close it by hand.
        dispute.resolve("discount", amount=10.0, close=False)
        self.assertFalse(dispute.is_closed)
        dispute.stage_id = self.stage_resolved
        self.assertTrue(dispute.is_closed)

    def test_resolution_and_sla_fields_cannot_be_set_by_hand(self):
        dispute = self._dispute(amount_disputed=100.0)
        as_user = dispute.with_user(self.user_relationship)
        for values in (
            {"amount_resolved": 100.0},
            {"resolution_type": "credit_note"},
            {"sla_state": "met"},
            {"escalated": True},
            {"date_closed": fields.Datetime.now()},
        ):
            with self.assertRefused(UserError, "not by hand"):
                as_user.write(values)
        with self.assertRefused(UserError, "not by hand"):
            self.Dispute.with_user(self.user_relationship).create(
                {
                    "name": "Forged",
                    "partner_id": self.customer.id,
                    "amount_resolved": 50.0,
                }
            )
        self.assertEqual(dispute.amount_resolved, 0.0)
        self.assertFalse(dispute.resolution_type)
        # The resolution itself sets them.
        as_user.resolve("discount", amount=40.0)
        self.assertEqual(dispute.amount_resolved, 40.0)
        self.assertEqual(dispute.resolution_type, "discount")

    def test_closed_stages_are_the_resolved_and_rejected_kinds(self):
        with self.assertRaises(ValidationError):
            self.stage_resolved.is_closed = False
        with self.assertRaises(ValidationError):
            self.env["relationship.dispute.stage"].create(
                {"name": "Parked", "kind": "investigation", "is_closed": True}
            )

    def test_discount_larger_than_order_keeps_the_rest(self):
        dispute = self._dispute(amount_disputed=500.0)
        dispute.resolve("discount", amount=300.0)
        small = self._sale(self.customer, self.today, lines=((2.0, 100.0),))
        self.assertAlmostEqual(small.amount_total, 0.0)
        rest = self.customer.relationship_pending_discount_ids
        self.assertAlmostEqual(rest.amount, 100.0)
        self.assertAlmostEqual(dispute.amount_resolved, 300.0)
        order = self._sale(self.customer, self.today, lines=((10.0, 100.0),))
        self.assertAlmostEqual(order.amount_total, 900.0)
        self.assertFalse(self.customer.relationship_pending_discount_ids)

    # ------------------------------------------------------------------
    # Rejection
    # ------------------------------------------------------------------

    def test_rejection_needs_a_reason(self):
        dispute = self._dispute(amount_disputed=100.0)
        for reason in (None, "", "   "):
            with self.assertRefused(UserError, "reason"):
                dispute.resolve("rejection", reason=reason)
        self.assertEqual(dispute.stage_id, self.stage_new)
        result = dispute.resolve("rejection", reason="Delivered as ordered")
        self.assertEqual(dispute.stage_id, self.stage_rejected)
        self.assertEqual(dispute.resolution_type, "rejection")
        self.assertEqual(dispute.resolution_note, "Delivered as ordered")
        self.assertEqual(dispute.amount_resolved, 0.0)
        self.assertTrue(dispute.is_closed)
        self.assertEqual(result["stage_kind"], "rejected")

    # ------------------------------------------------------------------
    # Wizard and access
    # ------------------------------------------------------------------

    def test_relationship_user_resolves_through_wizard(self):
        invoice = self._invoice_two_lines()
        parts_line = invoice.invoice_line_ids.filtered(
            lambda line: line.product_id == self.other_goods
        )
        dispute = self._dispute(
            move_id=invoice.id,
            move_line_ids=[Command.set(parts_line.ids)],
            amount_disputed=150.0,
        ).with_user(self.user_relationship)
        action = dispute.action_open_resolve_wizard()
        wizard_form = Form(
            self.env["relationship.dispute.resolve"]
            .with_user(self.user_relationship)
            .with_context(**action["context"])
        )
        wizard_form.resolution_type = "credit_note"
        self.assertEqual(wizard_form.amount, 150.0)
        wizard_form.amount = 75.0
        wizard_form.save().action_resolve()
        credit = dispute.credit_note_ids
        self.assertEqual(credit.invoice_line_ids.product_id, self.other_goods)
        self.assertAlmostEqual(credit.amount_total, 75.0)
        self.assertAlmostEqual(credit.invoice_line_ids.price_unit, 25.0)
        self.assertAlmostEqual(dispute.amount_resolved, 75.0)
        self.assertEqual(dispute.stage_id, self.stage_resolved)

    def test_wizard_return_lines_and_rejection(self):
        order, delivery = self._delivered_sale(4.0)
        dispute = self._dispute(sale_order_id=order.id, picking_id=delivery.id)
        wizard_form = Form(
            self.env["relationship.dispute.resolve"].with_context(
                default_dispute_id=dispute.id
            )
        )
        wizard_form.resolution_type = "return"
        with wizard_form.line_ids.edit(0) as line:
            self.assertEqual(line.quantity_returnable, 4.0)
            line.quantity = 1.0
        wizard_form.save().action_resolve()
        self.assertEqual(dispute.picking_ids.move_ids.product_uom_qty, 1.0)

        other = self._dispute(amount_disputed=10.0)
        action = other.action_open_reject_wizard()
        wizard = (
            self.env["relationship.dispute.resolve"]
            .with_context(**action["context"])
            .create({"note": "Out of warranty"})
        )
        self.assertEqual(wizard.resolution_type, "rejection")
        wizard.action_resolve()
        self.assertEqual(other.stage_id, self.stage_rejected)
        self.assertEqual(other.resolution_note, "Out of warranty")

    def test_plain_user_cannot_resolve(self):
        invoice = self._invoice_two_lines()
        dispute = self._dispute(move_id=invoice.id, amount_disputed=100.0)
        refunds = self._refunds()
        with self.assertRefused(AccessError, "Only Relationships users"):
            dispute.with_user(self.user_plain).resolve("credit_note")
        with self.assertRefused(AccessError, "Only Relationships users"):
            dispute.with_user(self.user_plain).action_resolve_credit_note()
        with self.assertRaises(AccessError):
            self.env["relationship.dispute.resolve"].with_user(self.user_plain).create(
                {"dispute_id": dispute.id, "resolution_type": "credit_note"}
            )
        self.assertEqual(self._refunds(), refunds)
        self.assertEqual(dispute.stage_id, self.stage_new)


@tagged("post_install", "-at_install")
class TestDisputeResolutionTour(DisputeResolutionCommon, HttpCase):
    """In a real browser: from an invoice to its credit note."""

    def test_invoice_dispute_resolved_with_credit_note_from_status_bar(self):
        invoice = self._invoice_two_lines()
        self.start_tour(
            f"/odoo/action-account.action_move_out_invoice_type/{invoice.id}",
            "relationship_brm_dispute_credit_note",
            login=self.user_relationship.login,
        )
        dispute = self.env["relationship.dispute"].search(
            [("move_id", "=", invoice.id)]
        )
        self.assertEqual(dispute.stage_id.kind, "resolved")
        self.assertAlmostEqual(dispute.credit_note_ids.amount_total, 100.0)
        self.assertAlmostEqual(invoice.amount_residual, 250.0)

    def test_moving_to_a_closed_stage_opens_the_resolution(self):
        invoice = self._invoice_two_lines()
        dispute = self._dispute(move_id=invoice.id, amount_disputed=50.0)
        Stage = self.env["relationship.dispute.stage"]
        investigation = Stage.search([("kind", "=", "investigation")], limit=1)
        self.assertFalse(dispute.action_move_to_stage(investigation.id))
        self.assertEqual(dispute.stage_id, investigation)
        action = dispute.action_move_to_stage(self.stage_resolved.id)
        self.assertEqual(action["res_model"], "relationship.dispute.resolve")
        rejected = Stage.search([("kind", "=", "rejected")], limit=1)
        action = dispute.action_move_to_stage(rejected.id)
        self.assertEqual(action["context"]["default_resolution_type"], "rejection")
        # Nothing closed until the resolution is made.
        self.assertEqual(dispute.stage_id, investigation)
        with self.assertRaises(UserError):
            dispute.action_move_to_stage(999999)
