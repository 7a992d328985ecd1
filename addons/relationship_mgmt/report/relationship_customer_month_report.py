from odoo import fields, models, tools
from odoo.tools import SQL


class RelationshipCustomerMonthReport(models.Model):
    """One row per customer, company and month: confirmed orders and their
    margin, invoiced revenue net of refunds, and deliveries done (all amounts
    untaxed, in company currency)."""

    _name = "relationship.customer.month.report"
    _description = "Customers by Month"
    _auto = False
    _order = "date desc, partner_id"
    _rec_name = "partner_id"

    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    date = fields.Date(string="Month", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    order_count = fields.Integer(string="Orders", readonly=True)
    order_amount = fields.Monetary(string="Ordered", readonly=True)
    margin = fields.Monetary(readonly=True)
    invoiced_amount = fields.Monetary(string="Invoiced", readonly=True)
    delivery_count = fields.Integer(string="Deliveries", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    WITH facts AS (
                        SELECT so.company_id, p.commercial_partner_id AS partner_id,
                               date_trunc('month', so.date_order)::date AS date,
                               1 AS order_count,
                               so.amount_untaxed
                                   / COALESCE(NULLIF(so.currency_rate, 0), 1)
                                   AS order_amount,
                               COALESCE(so.margin, 0.0)
                                   / COALESCE(NULLIF(so.currency_rate, 0), 1)
                                   AS margin,
                               0.0 AS invoiced_amount, 0 AS delivery_count
                          FROM sale_order so
                          JOIN res_partner p ON p.id = so.partner_id
                         WHERE so.state = 'sale'
                        UNION ALL
                        SELECT am.company_id, am.commercial_partner_id,
                               date_trunc('month', am.invoice_date)::date,
                               0, 0.0, 0.0, am.amount_untaxed_signed, 0
                          FROM account_move am
                         WHERE am.state = 'posted'
                           AND am.move_type IN ('out_invoice', 'out_refund')
                           AND am.commercial_partner_id IS NOT NULL
                           AND am.invoice_date IS NOT NULL
                        UNION ALL
                        SELECT sp.company_id, p.commercial_partner_id,
                               date_trunc('month', sp.date_done)::date,
                               0, 0.0, 0.0, 0.0, 1
                          FROM stock_picking sp
                          JOIN stock_picking_type spt
                            ON spt.id = sp.picking_type_id AND spt.code = 'outgoing'
                          JOIN res_partner p ON p.id = sp.partner_id
                         WHERE sp.state = 'done' AND sp.date_done IS NOT NULL
                    )
                    SELECT ROW_NUMBER() OVER (
                               ORDER BY f.company_id, f.partner_id, f.date
                           ) AS id,
                           f.company_id, f.partner_id, cp.user_id, f.date,
                           SUM(f.order_count) AS order_count,
                           SUM(f.order_amount) AS order_amount,
                           SUM(f.margin) AS margin,
                           SUM(f.invoiced_amount) AS invoiced_amount,
                           SUM(f.delivery_count) AS delivery_count
                      FROM facts f
                      JOIN res_partner cp ON cp.id = f.partner_id
                     WHERE f.partner_id NOT IN (SELECT partner_id FROM res_company)
                     GROUP BY f.company_id, f.partner_id, cp.user_id, f.date
                )
                """,
                SQL.identifier(self._table),
            )
        )
