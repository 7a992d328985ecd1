from datetime import datetime, time, timedelta

from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

# Every engagement test runs at this frozen date.
TODAY = fields.Date.to_date("2026-06-15")


class RelationshipCommon(AccountTestInvoicingCommon):
    """A fresh company with a chart of accounts (from the account test
    helpers), a product, and one user per Relationships group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Engagement = cls.env["relationship.engagement"]
        cls.product = cls._create_product(
            name="Relationship Product", lst_price=100.0, standard_price=60.0
        )
        cls.user_plain, cls.user_relationship, cls.user_manager = (
            new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=cls.env.company.id,
                company_ids=[Command.set(cls.env.company.ids)],
            )
            for login, groups in (
                ("rel_plain", "base.group_user"),
                (
                    "rel_user",
                    "base.group_user,relationship_mgmt.group_relationship_user",
                ),
                (
                    "rel_manager",
                    "base.group_user,relationship_mgmt.group_relationship_manager",
                ),
            )
        )
        # The test user of the account helpers is a Relationships manager too.
        cls.env.user.groups_id = [
            Command.link(cls.env.ref("relationship_mgmt.group_relationship_manager").id)
        ]

    @classmethod
    def _customer(cls, name, **values):
        return cls.env["res.partner"].create(
            {"name": name, "is_company": True, "company_id": False, **values}
        )

    @classmethod
    def _order(cls, partner, days_ago, amount=100.0, confirm=True, company=None):
        """A sale order of ``amount`` (untaxed) dated ``days_ago`` before TODAY."""
        company = company or cls.env.company
        order = (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
                                "product_uom_qty": 1.0,
                                "price_unit": amount,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        if confirm:
            order.action_confirm()
        order.date_order = datetime.combine(TODAY - timedelta(days=days_ago), time(10))
        return order

    @classmethod
    def _invoice(
        cls,
        partner,
        days_ago,
        amount,
        move_type="out_invoice",
        company=None,
        sale_lines=None,
    ):
        """A posted customer invoice (or refund) with untaxed ``amount``, dated
        and due ``days_ago`` before TODAY (immediate payment term), invoicing
        (or refunding) ``sale_lines`` when given."""
        company = company or cls.env.company
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": TODAY - timedelta(days=days_ago),
                    "invoice_date_due": TODAY - timedelta(days=days_ago),
                    "invoice_payment_term_id": False,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Goods",
                                "quantity": 1.0,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                                "sale_line_ids": [
                                    Command.set(sale_lines.ids if sale_lines else [])
                                ],
                            }
                        )
                    ],
                }
            )
        )
        move.action_post()
        return move

    @classmethod
    def _pay(cls, invoice, days_ago, amount=None):
        """Register a payment of the invoice ``days_ago`` before TODAY."""
        values = {"payment_date": TODAY - timedelta(days=days_ago)}
        if amount is not None:
            values["amount"] = amount
        return (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(values)
            ._create_payments()
        )

    def _engagement(self, partner, company=None):
        company = company or self.env.company
        return self.Engagement.search(
            [("partner_id", "=", partner.id), ("company_id", "=", company.id)]
        )

    def _recompute(self, *partners):
        ids = [partner.id for partner in partners]
        return self.Engagement.recompute_engagement(ids)
