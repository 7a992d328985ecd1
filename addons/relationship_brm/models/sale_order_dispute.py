from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_confirm(self):
        self.filtered(
            lambda order: order.state in ("draft", "sent")
        )._apply_dispute_discounts()
        return super().action_confirm()

    def _apply_dispute_discounts(self):
        """Deduct the pending dispute discounts of each order's commercial
        partner from the order, through Odoo's own discount wizard, and mark
        them used so that no later order takes them again. A fixed amount
        larger than the order keeps its remainder for the next order."""
        if not self:
            return
        # sudo: salespeople confirming orders need not be Relationships users;
        # they only consume discounts granted on disputes, never choose them.
        Discount = self.env["relationship.dispute.discount"].sudo()
        pending = Discount.search(
            [
                ("state", "=", "pending"),
                ("partner_id", "in", self.partner_id.commercial_partner_id.ids),
                ("company_id", "in", self.company_id.ids),
            ]
        )
        if not pending:
            return
        for order in self:
            discounts = pending.filtered(
                lambda d, o=order: (
                    d.partner_id == o.partner_id.commercial_partner_id
                    and d.company_id == o.company_id
                    and d.state == "pending"
                )
            )
            for discount in discounts:
                order._apply_dispute_discount(discount)

    def _apply_dispute_discount(self, discount):
        self.ensure_one()
        total_before = self.amount_total
        if self.currency_id.compare_amounts(total_before, 0.0) <= 0:
            return
        date = fields.Date.context_today(self)
        wizard_values = {"sale_order_id": self.id}
        percent_cap = None
        dispute = discount.dispute_id
        if discount.discount_type == "percent" and dispute._amount_ceiling() > 0:
            # A percentage never grants more than is still disputed: past
            # that, the order gets the remaining amount instead.
            cap = dispute.currency_id._convert(
                dispute.amount_remaining, self.currency_id, self.company_id, date
            )
            worth = self.currency_id.round(total_before * discount.percent / 100.0)
            if self.currency_id.compare_amounts(worth, cap) > 0:
                percent_cap = cap
        if percent_cap is not None and self.currency_id.is_zero(percent_cap):
            # Everything disputed was granted meanwhile: nothing left to give.
            discount.write(
                {"state": "used", "sale_order_id": self.id, "amount_applied": 0.0}
            )
            return
        if percent_cap is not None:
            wizard_values.update(discount_type="amount", discount_amount=percent_cap)
        elif discount.discount_type == "percent":
            wizard_values.update(
                discount_type="so_discount",
                discount_percentage=discount.percent / 100.0,
            )
        else:
            amount = discount.currency_id._convert(
                discount.amount, self.currency_id, self.company_id, date
            )
            wizard_values.update(
                discount_type="amount",
                discount_amount=min(amount, total_before),
            )
        wizard = (
            self.env["sale.order.discount"]
            .with_company(self.company_id)
            .create(wizard_values)
        )
        # sudo: the discount product is one technical product per company that
        # Odoo otherwise asks an administrator to create on first use.
        wizard.sudo()._get_discount_product()
        wizard.action_apply_discount()
        applied = self.currency_id.round(total_before - self.amount_total)
        applied_in_discount_currency = self.currency_id._convert(
            applied, discount.currency_id, self.company_id, date
        )
        values = {
            "sale_order_id": self.id,
            "amount_applied": applied_in_discount_currency,
        }
        remainder = 0.0
        if discount.discount_type == "amount":
            remainder = discount.currency_id.round(
                discount.amount - applied_in_discount_currency
            )
        if discount.currency_id.compare_amounts(remainder, 0.0) > 0:
            # The order was smaller than the discount: the rest stays pending.
            discount.copy({"amount": remainder})
            values["amount"] = applied_in_discount_currency
        values["state"] = "used"
        discount.write(values)
        if discount.discount_type == "percent":
            # A percentage is worth something only once an order takes it.
            dispute.amount_resolved += discount.currency_id._convert(
                applied_in_discount_currency,
                dispute.currency_id,
                dispute.company_id,
                date,
            )
        dispute.message_post(
            body=self.env._(
                "Discount of %(amount)s taken by the sales order %(order)s.",
                amount=self.currency_id.format(applied),
                order=self.name,
            ),
            subtype_xmlid="mail.mt_note",
        )
