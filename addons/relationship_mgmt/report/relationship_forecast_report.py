from odoo import fields, models, tools
from odoo.tools import SQL

from ..engine.engagement import RFM_SEGMENTS


class RelationshipForecastReport(models.Model):
    """Expected revenue per month: the customers' purchase rhythm next to the
    open CRM pipeline (expected revenue weighted by probability)."""

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
        # The rhythm rows: each customer's expected orders, one every expected
        # gap from the expected next order, within the company's forecast
        # months from the month of the analysed day; each order counts its
        # average value times the probability that the customer still buys.
        # (Same rule as engine.analytics.monthly_forecast().)
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    WITH a AS (
                        SELECT a.*,
                               (date_trunc('month', a.date_as_of)
                                + make_interval(months => c.analytics_forecast_months)
                               )::date AS date_end
                          FROM relationship_analytics a
                          JOIN res_company c ON c.id = a.company_id
                         WHERE a.order_count > 0
                           AND a.expected_gap_days > 0
                           AND a.next_order_date IS NOT NULL
                    )
                    SELECT (a.id * 1000 + s.k) * 2 AS id, 'rhythm' AS source,
                           a.company_id, a.partner_id, p.user_id, a.rfm_segment,
                           date_trunc('month', a.next_order_date
                               + ROUND(s.k * a.expected_gap_days)::int)::date AS date,
                           a.next_order_value * (1.0 - a.churn_risk / 100.0)
                               AS expected_revenue
                      FROM a
                      JOIN res_partner p ON p.id = a.partner_id
                      CROSS JOIN LATERAL generate_series(
                          0,
                          LEAST(999, GREATEST(-1, CEIL(
                              (a.date_end - a.next_order_date) / a.expected_gap_days
                          )::int))
                      ) AS s(k)
                     WHERE a.next_order_date + ROUND(s.k * a.expected_gap_days)::int
                           < a.date_end
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
