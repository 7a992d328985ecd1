# In its own file: res_config_settings.py belongs to another engineer.
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crosssell_window_days = fields.Integer(
        related="company_id.crosssell_window_days", readonly=False
    )
    crosssell_min_support = fields.Float(
        related="company_id.crosssell_min_support", readonly=False
    )
    crosssell_min_confidence = fields.Float(
        related="company_id.crosssell_min_confidence", readonly=False
    )
    crosssell_min_lift = fields.Float(
        related="company_id.crosssell_min_lift", readonly=False
    )
    crosssell_max_recommendations = fields.Integer(
        related="company_id.crosssell_max_recommendations", readonly=False
    )
