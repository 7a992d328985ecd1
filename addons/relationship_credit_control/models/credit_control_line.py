from odoo import api, fields, models


class CreditControlLine(models.Model):
    _inherit = "credit.control.line"

    relationship_dispute_open = fields.Boolean(
        string="Under Open Dispute",
        related="invoice_id.relationship_dispute_open",
        help="The invoice is under an open dispute: runs leave it out until the "
        "dispute closes; do not remind the customer of it meanwhile.",
    )
    relationship_dispute_reason = fields.Char(
        string="Dispute",
        compute="_compute_relationship_dispute_reason",
    )

    @api.depends("invoice_id")
    def _compute_relationship_dispute_reason(self):
        # sudo: the reason names the disputes of the reminded invoice to the
        # credit controller, who may not be a Relationships user.
        groups = (
            self.env["relationship.dispute"]
            .sudo()
            ._read_group(
                [("move_id", "in", self.invoice_id.ids), ("is_closed", "=", False)],
                ["move_id"],
                ["id:array_agg"],
            )
        )
        disputes = {move.id: ids for move, ids in groups}
        Dispute = self.env["relationship.dispute"].sudo()
        for line in self:
            ids = disputes.get(line.invoice_id.id)
            line.relationship_dispute_reason = (
                self.env._(
                    "Under open dispute %(disputes)s: left out of credit-control "
                    "runs until it is closed",
                    disputes=", ".join(Dispute.browse(ids).mapped("display_name")),
                )
                if ids
                else False
            )
