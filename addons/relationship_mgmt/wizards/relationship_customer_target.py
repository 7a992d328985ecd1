from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine.engagement import RFM_SEGMENTS

# Records a wizard can start from, and how to reach their customer.
SOURCE_PARTNER_FIELDS = {
    "relationship.engagement": "partner_id",
    "relationship.analytics": "partner_id",
    "relationship.recommendation": "partner_id",
    "res.partner": "commercial_partner_id",
}


class RelationshipCustomerTarget(models.AbstractModel):
    """The customers a manager wizard acts on: the selected ones (from a list
    of customers, engagements, analytics or recommendations) or a whole RFM
    segment of a company."""

    _name = "relationship.customer.target"
    _description = "Customers a Wizard Acts On"

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

    def _target_partners(self, company):
        """The commercial partners to act on (the segment's in ``company``)."""
        self.ensure_one()
        if self.target == "segment":
            if not self.rfm_segment:
                raise UserError(self.env._("Choose the RFM segment to act on."))
            return (
                self.env["relationship.engagement"]
                .search(
                    [
                        ("rfm_segment", "=", self.rfm_segment),
                        ("company_id", "=", company.id),
                    ]
                )
                .partner_id
            )
        return self.partner_ids.commercial_partner_id
