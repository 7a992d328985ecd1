from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        deliveries = self.filtered(
            lambda picking: (
                picking.state == "done"
                and picking.picking_type_code == "outgoing"
                and not picking.return_id
                and picking.partner_id
            )
        )
        if deliveries:
            # sudo: enrolment is a side effect of validating the delivery;
            # programs are company configuration the user need not read.
            self.env["relationship.program"].sudo()._enrol_documents(
                "delivery_done", deliveries.sudo()
            )
        return result
