from odoo import fields, models
from odoo.exceptions import UserError

from ..tools import actions


class RelationshipProgramEnrolWizard(models.TransientModel):
    _name = "relationship.program.enrol.wizard"
    _inherit = "relationship.customer.target"
    _description = "Enrol Customers in a Post-sale Program"

    program_id = fields.Many2one(
        "relationship.program",
        required=True,
        domain="[('trigger', '=', 'manual'), "
        "('company_id', 'in', allowed_company_ids)]",
    )

    def action_enrol(self):
        """Enrol the customers in one batch; customers already enrolled by
        hand in the program, or outside its tier and segment, are skipped."""
        self.ensure_one()
        partners = self._target_partners(self.program_id.company_id)
        if not partners:
            raise UserError(self.env._("There is no customer to enrol."))
        enrolments = self.program_id._enrol_partners(partners)
        return actions.notification(
            self.env._("Customers enrolled"),
            self.env._(
                "%(created)s customers enrolled in %(program)s, %(skipped)s "
                "skipped (already enrolled or outside its filters).",
                created=len(enrolments),
                program=self.program_id.display_name,
                skipped=len(partners) - len(enrolments),
            ),
            "success",
            actions.CLOSE_WINDOW,
        )
