from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    relationship_dispute_open = fields.Boolean(
        string="Under Open Dispute",
        related="move_id.relationship_dispute_open",
        help="The line's invoice is under an open dispute: leave it out of "
        "payment reminders (Community has no follow-up blocking flag).",
    )
