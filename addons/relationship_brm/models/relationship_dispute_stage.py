from odoo import api, fields, models
from odoo.exceptions import ValidationError

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
    _inherit = ["relationship.input.check"]
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
    sla_paused = fields.Boolean(
        string="Pauses the SLA",
        help="The SLA clock stands still while a dispute is in this stage (e.g. "
        "waiting for the partner's answer): its due dates move by the time "
        "spent here.",
    )
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)

    @api.constrains("kind", "is_closed")
    def _check_closed_kind(self):
        """Resolving or rejecting moves a dispute to a stage of that kind and
        closes it: such stages are closed, and only they are."""
        for stage in self:
            if stage.is_closed != (stage.kind in CLOSED_KINDS):
                raise ValidationError(
                    self.env._(
                        "Stage %(stage)s: stages of kind Resolved or Rejected are "
                        "the closed ones, and only they are (kind %(kind)s, "
                        "closed: %(closed)s).",
                        stage=stage.name,
                        kind=dict(STAGE_KINDS)[stage.kind],
                        closed=self.env._("yes")
                        if stage.is_closed
                        else self.env._("no"),
                    )
                )
