# res_partner.py holds the engagement fields of customers; the post-sale
# program fields live in their own file so both features stay readable apart.
from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    relationship_program_opt_out = fields.Boolean(
        string="No Post-sale Programs",
        help="The customer asked not to receive post-sale program emails, "
        "surveys or calls: running enrolments stop at their next step.",
    )
    program_enrolment_count = fields.Integer(
        compute="_compute_program_enrolment_count",
        groups="relationship_mgmt.group_relationship_user",
    )

    def _compute_program_enrolment_count(self):
        counts = dict(
            self.env["relationship.program.enrolment"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.program_enrolment_count = counts.get(
                partner.commercial_partner_id, 0
            )

    def action_view_program_enrolments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_mgmt.relationship_program_enrolment_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action
