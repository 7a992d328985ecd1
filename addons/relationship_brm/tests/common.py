from contextlib import contextmanager
from datetime import date, datetime, time

from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

# Every BRM test runs at this frozen date (a Monday in June 2026).
TODAY = fields.Date.to_date("2026-06-15")
YEAR_START = date(2026, 1, 1)


def day(text):
    return fields.Date.to_date(text)


class BrmCommon(AccountTestInvoicingCommon):
    """A fresh company with a chart of accounts (from the account test
    helpers), one user per Relationships group, a goods product, a customer,
    a vendor, and helpers building agreements and the documents they are
    measured on, at explicit dates.

    Self-contained on purpose (same users as relationship_mgmt's
    RelationshipCommon): importing that module's tests package would also
    import its test modules."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_plain, cls.user_relationship, cls.user_manager = (
            new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=cls.env.company.id,
                company_ids=[Command.set(cls.env.company.ids)],
            )
            for login, groups in (
                ("brm_plain", "base.group_user"),
                (
                    "brm_user",
                    "base.group_user,relationship_mgmt.group_relationship_user",
                ),
                (
                    "brm_manager",
                    "base.group_user,relationship_mgmt.group_relationship_manager",
                ),
            )
        )
        # The test user of the account helpers is a Relationships manager too.
        cls.env.user.groups_id = [
            Command.link(cls.env.ref("relationship_mgmt.group_relationship_manager").id)
        ]
        cls.Agreement = cls.env["relationship.agreement"]
        cls.Obligation = cls.env["relationship.agreement.obligation"]
        cls.Period = cls.env["relationship.obligation.period"]
        cls.Snapshot = cls.env["relationship.trust.snapshot"]
        cls.goods = cls._create_product(
            name="Agreement Goods",
            type="consu",
            lst_price=100.0,
            standard_price=60.0,
            taxes_id=[Command.clear()],
            supplier_taxes_id=[Command.clear()],
        )
        cls.customer = cls._customer("Reliable Retail")
        cls.vendor = cls._customer("Prompt Supplies")

    @classmethod
    def _customer(cls, name, **values):
        return cls.env["res.partner"].create(
            {"name": name, "is_company": True, "company_id": False, **values}
        )

    # ------------------------------------------------------------------
    # Agreements
    # ------------------------------------------------------------------

    @classmethod
    def _agreement(
        cls,
        partner,
        agreement_type="sales",
        date_start=YEAR_START,
        months=12,
        activate=True,
        **values,
    ):
        agreement = cls.env["relationship.agreement"].create(
            {
                "name": f"{agreement_type.title()} agreement with {partner.name}",
                "partner_id": partner.id,
                "agreement_type": agreement_type,
                "date_start": date_start,
                "duration_months": months,
                "amount_committed": 10000.0,
                **values,
            }
        )
        if activate:
            agreement.action_activate()
        return agreement

    @classmethod
    def _obligation(cls, agreement, kind, target, period="month", **values):
        return cls.env["relationship.agreement.obligation"].create(
            {
                "agreement_id": agreement.id,
                "kind": kind,
                "target": target,
                "period": period,
                **values,
            }
        )

    # ------------------------------------------------------------------
    # Documents
    # ------------------------------------------------------------------

    @classmethod
    def _sale(cls, partner, on, lines=((10.0, 100.0),), company=None, **values):
        """A confirmed sale order dated ``on`` with ``lines`` of (quantity,
        unit price) of the goods product, untaxed."""
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
                                "product_id": cls.goods.id,
                                "product_uom_qty": quantity,
                                "price_unit": price,
                                "tax_id": [Command.clear()],
                            }
                        )
                        for quantity, price in lines
                    ],
                    **values,
                }
            )
        )
        order.action_confirm()
        order.date_order = datetime.combine(on, time(9))
        return order

    @classmethod
    def _purchase(cls, partner, on, lines=((10.0, 50.0),), company=None, **values):
        company = company or cls.env.company
        order = (
            cls.env["purchase.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": cls.goods.id,
                                "product_qty": quantity,
                                "price_unit": price,
                                "taxes_id": [Command.clear()],
                            }
                        )
                        for quantity, price in lines
                    ],
                    **values,
                }
            )
        )
        order.button_confirm()
        order.date_approve = datetime.combine(on, time(9))
        return order

    @classmethod
    def _deliver(cls, picking, deadline, done_on=None, quantity=None, backorder=True):
        """Set the deadline of ``picking`` and, when ``done_on``, validate
        it on that day (all of it, or ``quantity`` of its single move, the
        rest going to a backorder or being cancelled)."""
        picking.move_ids.date_deadline = datetime.combine(deadline, time(12))
        if not done_on:
            return picking
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty if quantity is None else quantity
            move.picked = True
        picking.with_context(cancel_backorder=not backorder)._action_done()
        picking.date_done = datetime.combine(done_on, time(15))
        return picking

    @classmethod
    def _invoice(
        cls,
        partner,
        invoice_date,
        due,
        lines=((1.0, 100.0),),
        move_type="out_invoice",
        company=None,
        agreement=None,
    ):
        """A posted invoice or bill of the goods product, due on ``due``."""
        company = company or cls.env.company
        values = {
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": invoice_date,
            "invoice_date_due": due,
            "invoice_payment_term_id": False,
            "invoice_line_ids": [
                Command.create(
                    {
                        "product_id": cls.goods.id,
                        "quantity": quantity,
                        "price_unit": price,
                        "tax_ids": [Command.clear()],
                    }
                )
                for quantity, price in lines
            ],
        }
        if agreement is not None:
            values["agreement_id"] = agreement.id
        move = cls.env["account.move"].with_company(company).create(values)
        move.invoice_date_due = due
        move.action_post()
        return move

    @classmethod
    def _pay_on(cls, invoice, on, amount=None):
        """Register a payment of ``invoice`` (in full, or ``amount``) on ``on``."""
        values = {"payment_date": on}
        if amount is not None:
            values["amount"] = amount
        return (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(values)
            ._create_payments()
        )

    def _periods(self, obligation):
        return {
            period.date_from: period
            for period in self.Period.search([("obligation_id", "=", obligation.id)])
        }

    def _refresh(self, *agreements):
        return self.Obligation.refresh_obligations([a.id for a in agreements])

    @contextmanager
    def assertRefused(self, exception, text):
        """``assertRaises`` (which rolls back to a savepoint, so that the test
        can check that nothing changed) with the message containing ``text``."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertIn(text, str(caught.exception))
