from markupsafe import Markup, escape

from odoo import Command, fields, models


class CreditControlRun(models.Model):
    _inherit = "credit.control.run"

    relationship_disputed_line_ids = fields.Many2many(
        "account.move.line",
        "relationship_credit_run_disputed_rel",
        "run_id",
        "line_id",
        string="Left Out: Under Open Dispute",
        readonly=True,
        copy=False,
        help="Due journal items the run left out because their invoice is under "
        "an open dispute; the first run after the dispute closes takes them again.",
    )
    relationship_disputed_count = fields.Integer(
        string="Disputed Items Left Out",
        compute="_compute_relationship_disputed_count",
    )

    def _compute_relationship_disputed_count(self):
        for run in self:
            run.relationship_disputed_count = len(run.relationship_disputed_line_ids)

    def _generate_credit_lines(self):
        self.relationship_disputed_line_ids = [Command.clear()]
        generated = super()._generate_credit_lines()
        disputed = self.relationship_disputed_line_ids
        if disputed:
            self.report = (self.report or Markup()) + Markup("%s<br/>") % escape(
                self.env._(
                    "%(count)s due items left out, their invoices being under an open "
                    "dispute: %(invoices)s.",
                    count=len(disputed),
                    invoices=", ".join(disputed.move_id.mapped("display_name")),
                )
            )
        return generated
