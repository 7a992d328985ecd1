from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine.engagement import RFM_SEGMENTS
from .relationship_activity_wizard import SOURCE_PARTNER_FIELDS


class RelationshipProgramEnrolWizard(models.TransientModel):
    _name = "relationship.program.enrol.wizard"
    _description = "Enrol Customers in a Post-sale Program"

    program_id = fields.Many2one(
        "relationship.program",
        required=True,
        domain="[('trigger', '=', 'manual'), "
        "('company_id', 'in', allowed_company_ids)]",
    )
    target = fields.Selection(
        [("selection", "Selected customers"), ("segment", "An RFM segment")],
        required=True,
        default="selection",
    )
    rfm_segment = fields.Selection(RFM_SEGMENTS, string="RFM Segment")
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        default=lambda self: self._default_partner_ids(),
    )

    @api.model
    def _default_partner_ids(self):
        model = self.env.context.get("active_model")
        ids = self.env.context.get("active_ids") or []
        if model not in SOURCE_PARTNER_FIELDS or not ids:
            return False
        records = self.env[model].browse(ids).exists()
        return records.mapped(SOURCE_PARTNER_FIELDS[model]).commercial_partner_id

    def _target_partners(self):
        self.ensure_one()
        if self.target == "segment":
            if not self.rfm_segment:
                raise UserError(self.env._("Choose the RFM segment to enrol."))
            return (
                self.env["relationship.engagement"]
                .search(
                    [
                        ("rfm_segment", "=", self.rfm_segment),
                        ("company_id", "=", self.program_id.company_id.id),
                    ]
                )
                .partner_id
            )
        return self.partner_ids.commercial_partner_id

    def action_enrol(self):
        """Enrol the customers in one batch; customers already enrolled by
        hand in the program, or outside its tier and segment, are skipped."""
        self.ensure_one()
        partners = self._target_partners()
        if not partners:
            raise UserError(self.env._("There is no customer to enrol."))
        enrolments = self.program_id._enrol_partners(partners)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Customers enrolled"),
                "message": self.env._(
                    "%(created)s customers enrolled in %(program)s, %(skipped)s "
                    "skipped (already enrolled or outside its filters).",
                    created=len(enrolments),
                    program=self.program_id.display_name,
                    skipped=len(partners) - len(enrolments),
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
