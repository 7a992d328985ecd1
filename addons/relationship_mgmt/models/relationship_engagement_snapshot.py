from odoo import fields, models

from ..engine.engagement import RFM_SEGMENTS
from .relationship_engagement import TIERS


class RelationshipEngagementSnapshot(models.Model):
    _name = "relationship.engagement.snapshot"
    _description = "Customer Engagement Snapshot"
    _order = "date desc, id desc"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        ondelete="cascade",
    )  # indexed by the partner_company_date_uniq constraint, which leads with it
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade"
    )
    date = fields.Date(required=True, readonly=True, index=True)
    score = fields.Float(digits=(5, 1), readonly=True, aggregator="avg")
    tier = fields.Selection(TIERS, readonly=True)
    recency_score = fields.Float(string="Recency", readonly=True, aggregator="avg")
    frequency_score = fields.Float(string="Frequency", readonly=True, aggregator="avg")
    monetary_score = fields.Float(string="Monetary", readonly=True, aggregator="avg")
    payment_score = fields.Float(string="Payment", readonly=True, aggregator="avg")
    interaction_score = fields.Float(
        string="Interactions", readonly=True, aggregator="avg"
    )
    satisfaction_score = fields.Float(
        string="Satisfaction", readonly=True, aggregator="avg"
    )
    service_score = fields.Float(string="Service", readonly=True, aggregator="avg")
    rfm_segment = fields.Selection(RFM_SEGMENTS, string="RFM Segment", readonly=True)

    _sql_constraints = [
        (
            "partner_company_date_uniq",
            "unique(partner_id, company_id, date)",
            "One engagement snapshot per customer, company and day.",
        ),
    ]
