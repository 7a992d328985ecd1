# sale_order.py holds the engagement hooks of sale orders; the post-sale
# program hooks live in their own file so both features stay readable apart.
from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    program_enrolment_ids = fields.One2many(
        "relationship.program.enrolment",
        "sale_order_id",
        string="Program Enrolments",
        groups="relationship_mgmt.group_relationship_user",
    )
    program_enrolment_count = fields.Integer(
        compute="_compute_program_enrolment_count",
        groups="relationship_mgmt.group_relationship_user",
    )

    def _compute_program_enrolment_count(self):
        counts = dict(
            self.env["relationship.program.enrolment"]._read_group(
                [("sale_order_id", "in", self.ids)], ["sale_order_id"], ["__count"]
            )
        )
        for order in self:
            order.program_enrolment_count = counts.get(order, 0)

    def action_confirm(self):
        result = super().action_confirm()
        self._enrol_in_programs()
        return result

    def action_view_program_enrolments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_mgmt.relationship_program_enrolment_action"
        )
        action["domain"] = [("sale_order_id", "=", self.id)]
        action["context"] = {}
        return action

    def _enrol_in_programs(self):
        """Enrol the customers of the confirmed orders in the programs of
        confirmed orders, and of first orders for their first one."""
        orders = self.filtered(lambda order: order.state == "sale")
        if not orders:
            return
        # sudo: enrolment is a side effect of confirming the order; programs
        # are company configuration the salesperson need not read.
        Program = self.env["relationship.program"].sudo()
        Program._enrol_documents("order_confirmed", orders.sudo())
        Program._enrol_documents("first_order", orders.sudo()._first_orders())

    def _first_orders(self):
        """The orders of ``self`` that are their customer's first confirmed
        order in the company (the oldest of the batch for each customer)."""
        earlier = self.env["sale.order"]._read_group(
            [
                ("partner_id", "child_of", self.partner_id.commercial_partner_id.ids),
                ("state", "=", "sale"),
                ("id", "not in", self.ids),
                ("company_id", "in", self.company_id.ids),
            ],
            ["partner_id", "company_id"],
        )
        seen = {
            (partner.commercial_partner_id, company) for partner, company in earlier
        }
        first = self.browse()
        for order in self.sorted("id"):
            key = (order.partner_id.commercial_partner_id, order.company_id)
            if key not in seen:
                seen.add(key)
                first |= order
        return first
