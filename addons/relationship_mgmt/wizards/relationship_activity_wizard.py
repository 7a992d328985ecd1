from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import actions


class RelationshipActivityWizard(models.TransientModel):
    _name = "relationship.activity.wizard"
    _inherit = "relationship.customer.target"
    _description = "Schedule Activities for Customers"

    activity_type_id = fields.Many2one(
        "mail.activity.type",
        required=True,
        default=lambda self: self.env.ref(
            "mail.mail_activity_data_call", raise_if_not_found=False
        ),
        domain="[('res_model', 'in', (False, 'res.partner'))]",
    )
    summary = fields.Char()
    note = fields.Html()
    deadline_days = fields.Integer(
        string="Due in (days)",
        default=3,
        help="Days from today until the activities are due.",
    )
    assign_to = fields.Selection(
        [
            ("salesperson", "Each customer's salesperson"),
            ("user", "A given user"),
        ],
        required=True,
        default="salesperson",
        help="Customers without a salesperson get an activity for you.",
    )
    user_id = fields.Many2one(
        "res.users", string="Assigned User", domain="[('share', '=', False)]"
    )

    @api.constrains("deadline_days")
    def _check_deadline_days(self):
        for wizard in self:
            if wizard.deadline_days < 0:
                raise ValidationError(
                    self.env._(
                        "Activities cannot be due in the past (%(days)s days).",
                        days=wizard.deadline_days,
                    )
                )

    def action_schedule(self):
        """Create one activity per customer in one batch, skipping customers
        who already have an open activity of this type with this summary."""
        self.ensure_one()
        if self.assign_to == "user" and not self.user_id:
            raise UserError(self.env._("Choose the user the activities are for."))
        partners = self._target_partners(self.env.company)
        if not partners:
            raise UserError(self.env._("There is no customer to schedule for."))
        model = self.env["ir.model"]._get_id("res.partner")
        existing = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                ("activity_type_id", "=", self.activity_type_id.id),
                ("summary", "=", self.summary or False),
            ]
        )
        skipped = set(existing.mapped("res_id"))
        deadline = fields.Date.context_today(self) + timedelta(days=self.deadline_days)
        values = [
            {
                "res_model_id": model,
                "res_id": partner.id,
                "activity_type_id": self.activity_type_id.id,
                "summary": self.summary,
                "note": self.note,
                "date_deadline": deadline,
                "user_id": (
                    self.user_id.id
                    if self.assign_to == "user"
                    else (partner.user_id.id or self.env.uid)
                ),
            }
            for partner in partners
            if partner.id not in skipped
        ]
        activities = self.env["mail.activity"].create(values)
        return actions.notification(
            self.env._("Activities scheduled"),
            self.env._(
                "%(created)s activities scheduled, %(skipped)s customers "
                "already had one.",
                created=len(activities),
                skipped=len(skipped),
            ),
            "success",
            actions.CLOSE_WINDOW,
        )
