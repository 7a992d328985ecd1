from odoo import fields, models

# What a stage means to the dispute workflow. Stages are configurable (name,
# order, folded in the kanban, closed or not); the kind tells the code which
# stage a step moves the dispute to: resolving moves it to the first stage of
# kind "resolved", rejecting to "rejected", an SLA breach to "escalated".
STAGE_KINDS = [
    ("new", "New"),
    ("investigation", "Under Investigation"),
    ("negotiation", "In Negotiation"),
    ("escalated", "Escalated"),
    ("resolved", "Resolved"),
    ("rejected", "Rejected"),
]
CLOSED_KINDS = ("resolved", "rejected")


class RelationshipDisputeStage(models.Model):
    _name = "relationship.dispute.stage"
    _description = "Dispute Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(
        STAGE_KINDS,
        required=True,
        default="investigation",
        help="What the stage means to the workflow: resolving a dispute moves it "
        "to the first stage of kind Resolved, rejecting it to Rejected, an SLA "
        "breach to Escalated; leaving a stage of kind New counts as the first "
        "response.",
    )
    fold = fields.Boolean(
        string="Folded in Kanban",
        help="Folded columns of the disputes kanban (e.g. closed stages).",
    )
    is_closed = fields.Boolean(
        string="Closed Stage",
        help="Disputes in this stage are closed: they no longer count as open, "
        "their SLA clock stops and their invoices are chased again.",
    )
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)
