from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    dispute_sla_calendar_id = fields.Many2one(
        related="company_id.dispute_sla_calendar_id", readonly=False
    )
