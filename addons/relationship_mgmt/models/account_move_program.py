# account_move.py holds the engagement hooks of invoices; the post-sale
# program hook lives in its own file so both features stay readable apart.
from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _invoice_paid_hook(self):
        result = super()._invoice_paid_hook()
        invoices = self.filtered(lambda move: move.move_type == "out_invoice")
        if invoices:
            # sudo: enrolment is a side effect of the payment; programs are
            # company configuration the accountant need not read.
            self.env["relationship.program"].sudo()._enrol_documents(
                "invoice_paid", invoices.sudo()
            )
        return result
