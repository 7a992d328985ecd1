from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL

from odoo.addons.relationship_mgmt.engine import signals

# Documents of the demo agreements, one per month from the agreement's start
# (months ago, counting the current month as 0): how their delivery and
# invoice went, so that the obligation periods come out met, at risk and
# breached. ``late``: days the delivery (or receipt) came after its deadline;
# ``short``: share of the quantity not delivered; ``price``: unit price
# charged instead of the agreed one; ``paid``: days after the due date the
# invoice was paid (None: still open).
DISTRIBUTION_PLAN = [
    {"months_ago": 4, "qty": 12, "late": 0, "paid": -5},
    {"months_ago": 3, "qty": 10, "late": 4, "price": 850.0, "paid": 12},
    {"months_ago": 2, "qty": 8, "late": 0, "paid": -2},
    {"months_ago": 1, "qty": 10, "late": 0, "paid": 0},
    {"months_ago": 0, "qty": 6, "late": 0, "paid": None},
]
PURCHASE_PLAN = [
    {"months_ago": 4, "qty": 200, "late": 0},
    {"months_ago": 3, "qty": 150, "late": 3, "short": 0.1},
    {"months_ago": 2, "qty": 180, "late": 0},
    {"months_ago": 1, "qty": 160, "late": 0, "price": 15.5},
    {"months_ago": 0, "qty": 120, "late": 0},
]
# The day of the month (at most today) documents are dated on.
DOCUMENT_DAY = 6


class RelationshipDemo(models.AbstractModel):
    _inherit = "relationship.demo"

    @api.model
    def _run_demo_batches_before_engagement(self):
        """Obligations and trust first: the engagement reads the disputes and
        the trust reads the obligation periods."""
        result = super()._run_demo_batches_before_engagement()
        self.env["relationship.agreement.obligation"].refresh_obligations(None)
        self.env["relationship.trust.snapshot"].recompute_trust(None)
        return result

    # ------------------------------------------------------------------
    # Documents of the demo agreements
    # ------------------------------------------------------------------

    @api.model
    def _generate_agreement_documents(self):
        """Sale orders, deliveries, invoices and payments under the demo
        distribution agreement; purchase orders, receipts and bills under the
        demo purchase agreement; an order, a delivery and an invoice of the
        portal demo customer with two disputes about them."""
        distribution = self.env.ref(
            "relationship_brm.relationship_agreement_demo_distribution"
        )
        purchase = self.env.ref("relationship_brm.relationship_agreement_demo_purchase")
        if distribution.sale_order_ids or purchase.purchase_order_ids:
            return
        today = fields.Date.context_today(self)
        for plan in DISTRIBUTION_PLAN:
            self._demo_sale(distribution, plan, today)
        for plan in PURCHASE_PLAN:
            self._demo_purchase(purchase, plan, today)
        self._demo_portal_disputes(today)

    def _demo_day(self, months_ago, today):
        day = today.replace(day=1) - relativedelta(months=months_ago)
        return min(day.replace(day=DOCUMENT_DAY), today)

    def _set_dates(self, table, record_id, **columns):
        """Backdate a document: the ORM stamps confirmations and validations
        with the current time."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET %s WHERE id = %s",
                SQL.identifier(table),
                SQL(", ").join(
                    SQL("%s = %s", SQL.identifier(column), value)
                    for column, value in columns.items()
                ),
                record_id,
            )
        )
        self.env.invalidate_all()

    def _demo_deliver(self, pickings, day, plan):
        """Deliver (or receive) the pickings in full or short, ``late`` days
        after their deadline ``day``."""
        for move in pickings.move_ids:
            move.quantity = move.product_uom_qty * (1.0 - plan.get("short", 0.0))
            move.picked = True
        # No backorder for a short delivery, no SMS confirmation wizard.
        pickings.with_context(
            skip_backorder=True,
            picking_ids_not_to_backorder=pickings.ids,
            skip_sms=True,
        ).button_validate()
        deadline = datetime.combine(day, time(12))
        done = min(deadline + timedelta(days=plan["late"]), fields.Datetime.now())
        for picking in pickings:
            self._set_dates(
                "stock_picking",
                picking.id,
                scheduled_date=deadline,
                date_deadline=deadline,
                date_done=done,
            )
            for move in picking.move_ids:
                self._set_dates(
                    "stock_move", move.id, date=done, date_deadline=deadline
                )

    def _demo_pay(self, invoice, plan, today):
        if plan.get("paid") is None:
            return
        pay_day = min(invoice.invoice_date_due + timedelta(days=plan["paid"]), today)
        pay_day = max(pay_day, invoice.invoice_date)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": pay_day})._create_payments()

    def _demo_sale(self, agreement, plan, today):
        day = self._demo_day(plan["months_ago"], today)
        prices = {price.product_id: price.price_unit for price in agreement.price_ids}
        product = next(iter(prices))
        order = self.env["sale.order"].create(
            {
                "partner_id": agreement.partner_id.id,
                "agreement_id": agreement.id,
                "user_id": agreement.user_id.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": plan["qty"],
                            "price_unit": plan.get("price", prices[product]),
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        self._set_dates(
            "sale_order", order.id, date_order=datetime.combine(day, time(9))
        )
        self._demo_deliver(order.picking_ids, day, plan)
        invoice = order._create_invoices()
        invoice.invoice_date = day
        invoice.action_post()
        self._demo_pay(invoice, plan, today)
        return order

    def _demo_purchase(self, agreement, plan, today):
        day = self._demo_day(plan["months_ago"], today)
        price = agreement.price_ids[:1]
        order = self.env["purchase.order"].create(
            {
                "partner_id": agreement.partner_id.id,
                "agreement_id": agreement.id,
                "date_planned": datetime.combine(day, time(12)),
                "order_line": [
                    Command.create(
                        {
                            "product_id": price.product_id.id,
                            "product_qty": plan["qty"],
                            "price_unit": plan.get("price", price.price_unit),
                        }
                    )
                ],
            }
        )
        order.button_confirm()
        ordered_on = datetime.combine(day, time(9)) - timedelta(
            days=agreement.lead_time_days or 0
        )
        self._set_dates(
            "purchase_order", order.id, date_order=ordered_on, date_approve=ordered_on
        )
        self._demo_deliver(order.picking_ids, day, plan)
        order.action_create_invoice()
        bill = order.invoice_ids
        bill.invoice_date = day
        bill.action_post()
        return order

    def _demo_portal_disputes(self, today):
        """The portal demo customer's order, delivered and invoiced, with an
        open delivery dispute and a billing dispute under negotiation."""
        partner = self.env.ref("base.partner_demo_portal", raise_if_not_found=False)
        product = self.env.ref("product.product_product_8", raise_if_not_found=False)
        if not partner or not product:
            return
        # Disputes are a customer's: never one of the companies' own partners
        # or a colleague's (the rule of the scores).
        self.env["res.users"].flush_model(["partner_id", "share"])
        if partner.commercial_partner_id.id in signals.not_customer_ids(self.env.cr):
            return
        day = today - timedelta(days=12)
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": 2})
                ],
            }
        )
        order.action_confirm()
        self._set_dates(
            "sale_order", order.id, date_order=datetime.combine(day, time(9))
        )
        self._demo_deliver(order.picking_ids, day + timedelta(days=3), {"late": 2})
        invoice = order._create_invoices()
        invoice.invoice_date = day + timedelta(days=5)
        invoice.action_post()
        # With xml ids, as records of demo files have: uninstalling the addon
        # deletes them before the stages they are in.
        self.env["relationship.dispute"]._load_records(
            [
                {
                    "xml_id": "relationship_brm.dispute_demo_portal_quality",
                    "noupdate": True,
                    "values": {
                        "name": self.env._("One desk arrived with a scratched top"),
                        "partner_id": partner.id,
                        "dispute_type": "quality",
                        "sale_order_id": order.id,
                        "picking_id": order.picking_ids[:1].id,
                        "amount_disputed": order.order_line[:1].price_unit,
                        "description": self.env._(
                            "<p>The second desk of the delivery has a long scratch "
                            "on its top; photos sent by email.</p>"
                        ),
                    },
                },
                {
                    "xml_id": "relationship_brm.dispute_demo_portal_billing",
                    "noupdate": True,
                    "values": {
                        "name": self.env._("Delivery charged twice"),
                        "partner_id": partner.id,
                        "dispute_type": "billing",
                        "move_id": invoice.id,
                        "stage_id": self.env.ref(
                            "relationship_brm.dispute_stage_negotiation"
                        ).id,
                        "amount_disputed": round(invoice.amount_untaxed * 0.1, 2),
                        "date_open": fields.Datetime.now() - timedelta(days=4),
                        "date_first_response": fields.Datetime.now()
                        - timedelta(days=3),
                        "description": self.env._(
                            "<p>The invoice adds a delivery fee the quotation did "
                            "not have.</p>"
                        ),
                    },
                },
            ]
        )
