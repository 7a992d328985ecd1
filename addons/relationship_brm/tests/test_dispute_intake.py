from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import day
from .dispute_common import T0, DisputeCommon

EMAIL = """Return-Path: <{sender}>
From: Buyer <{sender}>
To: {to}
Subject: {subject}
Message-ID: <{message_id}@mail.example.com>
Date: Mon, 15 Jun 2026 08:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

{body}
"""


@freeze_time(T0)
@tagged("post_install", "-at_install")
class TestDisputeIntake(DisputeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = cls.env["res.partner"].create(
            {
                "name": "Rita Buyer",
                "parent_id": cls.customer.id,
                "email": "rita@reliable-retail.example.com",
            }
        )
        cls.invoice = cls._invoice(
            cls.customer, day("2026-05-04"), day("2026-06-03"), ((2.0, 300.0),)
        )

    def _open_from(self, action, **changes):
        """Save the dispute form ``action`` opens, as a Relationships user."""
        self.assertEqual(action["res_model"], "relationship.dispute")
        dispute_form = Form(
            self.Dispute.with_user(self.user_relationship).with_context(
                **action["context"]
            )
        )
        for fname, value in changes.items():
            setattr(dispute_form, fname, value)
        return dispute_form.save()

    def _email(self, sender, subject, body, to="disputes@example.com", number=1):
        return EMAIL.format(
            sender=sender,
            to=to,
            subject=subject,
            message_id=f"dispute-{number}",
            body=body,
        )

    def test_open_dispute_from_the_invoice(self):
        action = self.invoice.with_user(
            self.user_relationship
        ).action_open_relationship_dispute()
        dispute = self._open_from(action)
        self.assertEqual(dispute.partner_id, self.customer)
        self.assertEqual(dispute.move_id, self.invoice)
        self.assertEqual(dispute.amount_disputed, 600.0)
        self.assertEqual(dispute.dispute_type, "billing")
        self.assertEqual(dispute.company_id, self.invoice.company_id)
        self.assertTrue(self.invoice.relationship_dispute_open)
        self.assertEqual(self.invoice.relationship_dispute_count, 1)
        self.assertIn(
            self.invoice,
            self.env["account.move"].search([("relationship_dispute_open", "=", True)]),
        )
        lines = self.env["account.move.line"].search(
            [
                ("move_id", "=", self.invoice.id),
                ("relationship_dispute_open", "=", True),
            ]
        )
        self.assertEqual(lines, self.invoice.line_ids)
        self.assertEqual(self.customer.dispute_open_count, 1)
        self.assertEqual(self.buyer.dispute_open_count, 1)
        dispute.resolve("rejection", reason="Invoice confirmed as due")
        self.invoice.invalidate_recordset()
        self.assertFalse(self.invoice.relationship_dispute_open)
        self.assertNotIn(
            self.invoice,
            self.env["account.move"].search([("relationship_dispute_open", "=", True)]),
        )
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.dispute_open_count, 0)

    def test_open_dispute_from_orders_pickings_and_partner(self):
        order = self._sale(self.customer, day("2026-06-01"), lines=((3.0, 100.0),))
        dispute = self._open_from(order.action_open_relationship_dispute())
        self.assertEqual(
            (dispute.sale_order_id, dispute.amount_disputed), (order, 300.0)
        )
        picking = order.picking_ids
        dispute = self._open_from(picking.action_open_relationship_dispute())
        self.assertEqual(dispute.picking_id, picking)
        self.assertEqual(dispute.sale_order_id, order)
        self.assertEqual(dispute.dispute_type, "delivery")
        purchase = self._purchase(self.vendor, day("2026-06-01"))
        dispute = self._open_from(purchase.action_open_relationship_dispute())
        self.assertEqual(dispute.purchase_order_id, purchase)
        self.assertEqual(dispute.partner_id, self.vendor)
        self.assertEqual(dispute.amount_disputed, 500.0)
        receipt = purchase.picking_ids
        dispute = self._open_from(receipt.action_open_relationship_dispute())
        self.assertEqual(dispute.picking_id, receipt)
        self.assertEqual(dispute.purchase_order_id, purchase)
        dispute = self._open_from(
            self.buyer.action_open_relationship_dispute(), name="Contract terms"
        )
        self.assertEqual(dispute.partner_id, self.customer)
        action = self.buyer.action_view_disputes()
        self.assertEqual(self.Dispute.search(action["domain"]).sale_order_id, order)

    def test_server_action_opens_one_dispute_per_invoice(self):
        second = self._invoice(self.vendor, day("2026-05-04"), day("2026-06-03"))
        already = self._dispute(move_id=self.invoice.id, amount_disputed=10.0)
        server_action = self.env.ref(
            "relationship_brm.account_move_action_open_disputes"
        )
        invoices = self.invoice | second
        result = (
            server_action.with_user(self.user_relationship)
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .run()
        )
        created = self.Dispute.search(result["domain"])
        self.assertEqual(created.move_id, second)
        self.assertEqual(created.partner_id, self.vendor)
        self.assertEqual(created.amount_disputed, 100.0)
        self.assertEqual(
            self.Dispute.search([("move_id", "=", self.invoice.id)]), already
        )
        # Run again: every invoice has its open dispute, nothing new.
        result = server_action.with_context(
            active_model="account.move", active_ids=invoices.ids
        ).run()
        self.assertFalse(self.Dispute.search(result["domain"]))
        with self.assertRaises(UserError):
            self.Dispute._create_for_invoices(self.env["account.move"].create({}))

    def test_incoming_email_opens_a_dispute_for_the_sender(self):
        message = self._email(
            self.buyer.email,
            "Pallets arrived crushed",
            "Two pallets of the last delivery were damaged.",
        )
        dispute_id = self.env["mail.thread"].message_process(
            "relationship.dispute", message
        )
        dispute = self.Dispute.browse(dispute_id)
        self.assertEqual(dispute.partner_id, self.customer)
        self.assertEqual(dispute.name, "Pallets arrived crushed")
        self.assertIn("Two pallets", dispute.description)
        self.assertIn("rita@reliable-retail.example.com", dispute.email_from)
        self.assertFalse(dispute.user_id)
        self.assertEqual(dispute.sla_state, "ok")
        self.assertTrue(dispute.date_response_due)
        self.assertFalse(dispute.date_first_response)

    def test_alias_accepts_known_partners_only(self):
        domain = self.env["mail.alias.domain"].create({"name": "example.com"})
        alias = self.env.ref("relationship_brm.mail_alias_dispute")
        alias.alias_domain_id = domain
        self.env.company.alias_domain_id = domain
        known = self._email(self.buyer.email, "Wrong price", "Price list ignored")
        self.env["mail.thread"].message_process(False, known)
        dispute = self.Dispute.search([("name", "=", "Wrong price")])
        self.assertEqual(dispute.partner_id, self.customer)
        unknown = self._email(
            "stranger@nowhere.example.org", "Spam", "Buy now", number=2
        )
        self.env["mail.thread"].message_process(False, unknown)
        self.assertFalse(self.Dispute.search([("name", "=", "Spam")]))
        self.assertFalse(
            self.env["res.partner"].search(
                [("email", "=", "stranger@nowhere.example.org")]
            )
        )

    def test_bad_input_is_refused(self):
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self._dispute(move_id=self.invoice.id, amount_disputed=600.01)
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self._dispute(move_id=self.invoice.id, amount_disputed=-1.0)
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self._dispute(partner=self.vendor, move_id=self.invoice.id)
        dispute = self._dispute(move_id=self.invoice.id, amount_disputed=100.0)
        with self.assertRaises(ValidationError), self.cr.savepoint():
            dispute.amount_disputed = 700.0
        self.assertEqual(dispute.amount_disputed, 100.0)
        other_company = self.setup_other_company(name="Dispute Elsewhere")["company"]
        foreign = self._invoice(
            self.customer,
            day("2026-05-04"),
            day("2026-06-03"),
            company=other_company,
        )
        with self.assertRaises(UserError), self.cr.savepoint():
            self._dispute(move_id=foreign.id)
        agreement = self._agreement(self.customer)
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self._dispute(partner=self.vendor, agreement_id=agreement.id)
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self._dispute(amount_disputed="a lot")
        with self.assertRaisesRegex(UserError, "not by hand"), self.cr.savepoint():
            dispute.date_closed = T0 + timedelta(days=1)
        # Even the code that sets it cannot close before the opening.
        with self.assertRaises(ValidationError), self.cr.savepoint():
            dispute._internal().date_closed = T0 - timedelta(days=1)
        self.assertFalse(dispute.date_closed)
        self.assertEqual(self.Dispute.search_count([]), 1)

    def test_views_load_and_intake_buttons_need_the_relationships_group(self):
        views = self.Dispute.with_user(self.user_relationship).get_views(
            [
                (False, kind)
                for kind in ("form", "kanban", "list", "pivot", "graph", "search")
            ],
            {"load_filters": True, "toolbar": True},
        )
        self.assertIn('name="stage_id"', views["views"]["form"]["arch"])
        self.assertIn("filter_breached", views["views"]["search"]["arch"])
        accountant = new_test_user(
            self.env,
            login="brm_accountant",
            groups="base.group_user,account.group_account_invoice",
        )
        for user, shown in ((self.user_relationship, True), (accountant, False)):
            for model in ("account.move", "sale.order", "stock.picking"):
                arch = (
                    self.env[model]
                    .with_user(user)
                    .get_views([(False, "form")])["views"]["form"]["arch"]
                )
                self.assertEqual(
                    "action_open_relationship_dispute" in arch, shown, (model, user)
                )
