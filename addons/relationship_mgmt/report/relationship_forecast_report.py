from odoo import fields, models, tools
from odoo.tools import SQL

from ..engine.engagement import RFM_SEGMENTS


class RelationshipForecastReport(models.Model):
    """Expected revenue per month: the customers' expected purchases (the
    customer-base model of their company) next to the open CRM pipeline
    (expected revenue weighted by probability)."""

    _name = "relationship.forecast.report"
    _description = "Revenue Forecast and Pipeline"
    _auto = False
    _order = "date"
    _rec_name = "partner_id"

    source = fields.Selection(
        [("rhythm", "Purchase rhythm"), ("pipeline", "CRM pipeline")], readonly=True
    )
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    rfm_segment = fields.Selection(RFM_SEGMENTS, string="RFM Segment", readonly=True)
    date = fields.Date(string="Month", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    expected_revenue = fields.Monetary(readonly=True)

    def init(self):
        # The model rows: each customer's expected purchases per forecast
        # month, stored by the refresh (the customer-base model's cumulative
        # purchases at the month ends, differenced, times the seasonal index),
        # times the expected value of a purchase. Month k of the array is the
        # k-th month from the day after the analysed day, so nothing lands
        # before the window. (Same rule as engine.analytics.monthly_forecast().)
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    SELECT (a.id * 1000 + m.k) * 2 AS id, 'rhythm' AS source,
                           a.company_id, a.partner_id, p.user_id, a.rfm_segment,
                           (date_trunc('month', a.date_as_of + 1)
                               + make_interval(months => m.k::int - 1))::date AS date,
                           m.purchases::float8 * a.next_order_value::float8
                               AS expected_revenue
                      FROM relationship_analytics a
                      JOIN res_partner p ON p.id = a.partner_id
                      CROSS JOIN LATERAL jsonb_array_elements_text(
                          a.forecast_purchases
                      ) WITH ORDINALITY AS m(purchases, k)
                     WHERE a.order_count > 0
                       AND jsonb_typeof(a.forecast_purchases) = 'array'
                       AND m.k <= 999
                       AND m.purchases::float8 * a.next_order_value::float8 >= 0.005
                    UNION ALL
                    SELECT l.id * 2 + 1, 'pipeline', l.company_id,
                           p.commercial_partner_id, l.user_id, e.rfm_segment,
                           date_trunc('month', l.date_deadline)::date,
                           l.expected_revenue * l.probability / 100.0
                      FROM crm_lead l
                      LEFT JOIN res_partner p ON p.id = l.partner_id
                      LEFT JOIN relationship_engagement e
                        ON e.partner_id = p.commercial_partner_id
                       AND e.company_id = l.company_id
                      LEFT JOIN crm_stage s ON s.id = l.stage_id
                     WHERE l.active
                       AND l.type = 'opportunity'
                       AND l.date_deadline IS NOT NULL
                       AND l.company_id IS NOT NULL
                       AND NOT COALESCE(s.is_won, FALSE)
                )
                """,
                SQL.identifier(self._table),
            )
        )
