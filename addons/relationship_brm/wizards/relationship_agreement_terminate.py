from odoo import fields, models


class RelationshipAgreementTerminate(models.TransientModel):
    _name = "relationship.agreement.terminate"
    _description = "Terminate Agreements"

    agreement_ids = fields.Many2many(
        "relationship.agreement", string="Agreements", required=True
    )
    reason = fields.Text(required=True)
    date_termination = fields.Date(
        string="Termination Date", required=True, default=fields.Date.context_today
    )

    def action_confirm(self):
        self.ensure_one()
        self.agreement_ids._terminate(self.reason, self.date_termination)
        return {"type": "ir.actions.act_window_close"}
