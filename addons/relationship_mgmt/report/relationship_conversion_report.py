from odoo import fields, models, tools
from odoo.tools import SQL


class RelationshipConversionReport(models.Model):
    """Won opportunities and whether (and how fast) they turned into a
    customer's first confirmed order in the same company."""

    _name = "relationship.conversion.report"
    _description = "Lead Conversion"
    _auto = False
    _order = "date_won desc"
    _rec_name = "lead_id"

    lead_id = fields.Many2one("crm.lead", string="Opportunity", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    date_won = fields.Date(string="Won On", readonly=True)
    date_first_order = fields.Date(string="First Order", readonly=True)
    is_new_customer = fields.Boolean(
        string="New Customer",
        readonly=True,
        help="The customer's first confirmed order came with or after this "
        "opportunity.",
    )
    is_converted = fields.Boolean(
        string="Ordered",
        readonly=True,
        help="The customer has a confirmed order since the opportunity was created.",
    )
    days_to_first_order = fields.Integer(
        string="Days to First Order", readonly=True, aggregator="avg"
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    WITH won AS (
                        SELECT l.id, l.company_id, p.commercial_partner_id,
                               l.user_id, l.team_id, l.create_date,
                               COALESCE(l.date_closed, l.write_date)::date AS date_won
                          FROM crm_lead l
                          JOIN crm_stage s ON s.id = l.stage_id AND s.is_won
                          JOIN res_partner p ON p.id = l.partner_id
                         WHERE l.type = 'opportunity' AND l.company_id IS NOT NULL
                    ), orders AS (
                        SELECT so.company_id, p.commercial_partner_id,
                               MIN(so.date_order) AS first_order
                          FROM sale_order so
                          JOIN res_partner p ON p.id = so.partner_id
                         WHERE so.state = 'sale'
                         GROUP BY 1, 2
                    )
                    SELECT won.id, won.id AS lead_id, won.company_id,
                           won.commercial_partner_id AS partner_id, won.user_id,
                           won.team_id, won.date_won,
                           o.first_order::date AS date_first_order,
                           COALESCE(o.first_order >= won.create_date, FALSE)
                               AS is_new_customer,
                           EXISTS (
                               SELECT 1 FROM sale_order so2
                                 JOIN res_partner p2 ON p2.id = so2.partner_id
                                WHERE so2.state = 'sale'
                                  AND so2.company_id = won.company_id
                                  AND p2.commercial_partner_id
                                      = won.commercial_partner_id
                                  AND so2.date_order >= won.create_date
                           ) AS is_converted,
                           CASE WHEN o.first_order >= won.create_date
                                THEN o.first_order::date - won.create_date::date
                           END AS days_to_first_order
                      FROM won
                      LEFT JOIN orders o
                        ON o.company_id = won.company_id
                       AND o.commercial_partner_id = won.commercial_partner_id
                )
                """,
                SQL.identifier(self._table),
            )
        )
