from odoo import fields, models


class RelationshipInteraction(models.Model):
    _inherit = "relationship.interaction"

    mailing_trace_id = fields.Many2one(
        "mailing.trace",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The mass mailing trace this interaction was logged from; it "
        "follows the trace: sent, opened, replied, bounced.",
    )

    _sql_constraints = [
        (
            "mailing_trace_uniq",
            "unique(mailing_trace_id)",
            "A mailing trace is logged as one interaction at most.",
        ),
    ]
