from odoo import api, fields, models


class ResPartner(models.Model):
    """Interactions logged with the customer (smart button, quick logging)."""

    _inherit = "res.partner"

    relationship_interaction_count = fields.Integer(
        string="Interactions",
        compute="_compute_relationship_interaction_count",
        groups="relationship_mgmt.group_relationship_user",
    )

    @api.depends_context("allowed_company_ids")
    def _compute_relationship_interaction_count(self):
        commercial = self.commercial_partner_id
        counts = dict(
            self.env["relationship.interaction"]._read_group(
                [
                    ("partner_id", "in", commercial.ids),
                    ("company_id", "in", self.env.companies.ids),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.relationship_interaction_count = counts.get(
                partner.commercial_partner_id, 0
            )

    def action_view_relationship_interactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_mgmt.relationship_interaction_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = self._relationship_interaction_defaults()
        return action

    def action_log_relationship_interaction(self):
        """Open a new interaction of this customer in a dialog."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Interaction"),
            "res_model": "relationship.interaction",
            "view_mode": "form",
            "views": [
                (
                    self.env.ref(
                        "relationship_mgmt.relationship_interaction_view_form_quick"
                    ).id,
                    "form",
                )
            ],
            "target": "new",
            "context": self._relationship_interaction_defaults(),
        }

    def _relationship_interaction_defaults(self):
        commercial = self.commercial_partner_id
        return {
            "default_partner_id": commercial.id,
            "default_contact_id": self.id if self != commercial else False,
        }
