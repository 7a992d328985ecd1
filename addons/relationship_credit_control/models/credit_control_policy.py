from odoo import Command, models


class CreditControlPolicy(models.Model):
    _inherit = "credit.control.policy"

    def _get_move_lines_to_process(self, credit_control_run):
        """The journal items of invoices under an open dispute are left out of
        the run (recorded on it, with the reason) until the dispute closes;
        the next run after that takes them again, at their residual amount
        (a credit note of the resolution is reconciled with the invoice)."""
        lines = super()._get_move_lines_to_process(credit_control_run)
        # A search, not the cached flag: a dispute closed earlier in the same
        # transaction must count as closed.
        disputed = lines.search(
            [("id", "in", lines.ids), ("move_id.relationship_dispute_open", "=", True)]
        )
        if disputed:
            credit_control_run.relationship_disputed_line_ids = [
                Command.link(line.id) for line in disputed
            ]
        return lines - disputed
