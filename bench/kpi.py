"""Benchmark the KPI measurement of relationship_mgmt / relationship_brm.

Usage::

    python3 bench/kpi.py --db NAME [--month 2026-11] [--runs 3] [--output FILE.json]

Times ``relationship.kpi.measurement._measure`` of every KPI of the catalogue
for the main company (the one with the most confirmed orders) and one month
(by default the last complete one), forced so that a closed month is measured
again, and rolled back after each run. The reference is the bare SQL reads of
the same rows: for each KPI, one plain ``SELECT`` of the rows it counts
(orders of the month and the one before, invoices of the month, won
opportunities, answers, snapshots, enrolments, disputes, periods,
deliveries...), fetched to the client, with no grouping logic, no view and
no write. Median of ``--runs`` runs each. The issue's target: within 3x.
"""

import argparse
import json
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from common import environment, load_registry

from odoo.tools import SQL

TARGET_RATIO = 3.0

BARE_READS = {
    # retention and churn: the customers' orders of the month and the one before
    "orders (2 months) x2": (
        2,
        """
        SELECT p.commercial_partner_id, so.date_order
          FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
         WHERE so.company_id = %(company)s AND so.state = 'sale'
           AND so.date_order >= %(previous)s AND so.date_order < %(end)s
        """,
    ),
    # repeat purchase: every order up to the end of the month
    "orders to date": (
        1,
        """
        SELECT p.commercial_partner_id, so.date_order
          FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
         WHERE so.company_id = %(company)s AND so.state = 'sale'
           AND so.date_order < %(end)s
        """,
    ),
    # revenue at risk: the invoices of the month and the customers' analytics
    "invoices + analytics": (
        1,
        """
        SELECT am.commercial_partner_id, am.amount_untaxed_signed, ra.churn_risk
          FROM account_move am
          LEFT JOIN relationship_analytics ra
            ON ra.partner_id = am.commercial_partner_id
           AND ra.company_id = am.company_id
         WHERE am.company_id = %(company)s AND am.state = 'posted'
           AND am.move_type IN ('out_invoice', 'out_refund')
           AND am.invoice_date >= %(start)s AND am.invoice_date < %(end)s
        """,
    ),
    # conversion, days to first order: won opportunities of the month
    "won leads x2": (
        2,
        """
        SELECT l.id, l.partner_id, l.create_date, l.date_closed
          FROM crm_lead l JOIN crm_stage s ON s.id = l.stage_id AND s.is_won
         WHERE l.company_id = %(company)s
           AND l.date_closed >= %(start)s AND l.date_closed < %(end)s
        """,
    ),
    "satisfaction x2": (
        2,
        """
        SELECT id, value, nps_category FROM relationship_satisfaction
         WHERE company_id = %(company)s AND date >= %(start)s AND date < %(end)s
        """,
    ),
    "engagement snapshots x6": (
        6,
        """
        SELECT id, partner_id, date, tier FROM relationship_engagement_snapshot
         WHERE company_id = %(company)s AND date < %(end)s
        """,
    ),
    "program enrolments + lines": (
        1,
        """
        SELECT id, state FROM relationship_program_enrolment
         WHERE company_id = %(company)s
           AND date_start >= %(start)s AND date_start < %(end)s
        UNION ALL
        SELECT id, state FROM relationship_program_enrolment_line
         WHERE company_id = %(company)s
           AND date_done >= %(start)s AND date_done < %(end)s
        """,
    ),
    "disputes x4": (
        4,
        """
        SELECT id, sla_state, response_time_hours, resolution_time_hours
          FROM relationship_dispute
         WHERE company_id = %(company)s
           AND (date_open >= %(start)s AND date_open < %(end)s
                OR date_first_response >= %(start)s AND date_first_response < %(end)s
                OR date_closed >= %(start)s AND date_closed < %(end)s)
        """,
    ),
    "invoices of the month (dispute rate, credit notes) x2": (
        2,
        """
        SELECT id, move_type FROM account_move
         WHERE company_id = %(company)s AND state = 'posted'
           AND invoice_date >= %(start)s AND invoice_date < %(end)s
        """,
    ),
    "obligation periods + trust snapshots": (
        1,
        """
        SELECT id, status::text FROM relationship_obligation_period
         WHERE company_id = %(company)s AND date_to >= %(start)s AND date_to < %(end)s
        UNION ALL
        SELECT id, score::text FROM relationship_trust_snapshot
         WHERE company_id = %(company)s AND date < %(end)s
        """,
    ),
    "deliveries x2": (
        2,
        """
        SELECT sp.id, sp.state, sp.date_done, sm.quantity, sol.product_uom_qty
          FROM stock_picking sp
          JOIN stock_move sm ON sm.picking_id = sp.id
          LEFT JOIN sale_order_line sol ON sol.id = sm.sale_line_id
         WHERE sp.company_id = %(company)s
           AND COALESCE(sp.date_deadline, sp.scheduled_date) >= %(start)s
           AND COALESCE(sp.date_deadline, sp.scheduled_date) < %(end)s
        """,
    ),
}


def main_company(cr):
    cr.execute(
        "SELECT company_id FROM sale_order WHERE state = 'sale' "
        "GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1"
    )
    row = cr.fetchone()
    return row[0] if row else 1


def last_complete_month(today):
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def bare_reads(cr, company_id, month):
    end = (month + timedelta(days=32)).replace(day=1)
    previous = (month - timedelta(days=1)).replace(day=1)
    params = {
        "company": company_id,
        "start": datetime.combine(month, datetime.min.time()),
        "end": datetime.combine(end, datetime.min.time()),
        "previous": datetime.combine(previous, datetime.min.time()),
    }
    seconds, rows = 0.0, 0
    for count, query in BARE_READS.values():
        for _run in range(count):
            start = time.perf_counter()
            cr.execute(SQL(query, **params))
            rows += len(cr.fetchall())
            seconds += time.perf_counter() - start
    return seconds, rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--month", help="YYYY-MM (default: last complete month)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", help="JSON file for the results")
    args = parser.parse_args(argv)
    registry = load_registry(args.db)
    with environment(registry) as env:
        Measurement = env["relationship.kpi.measurement"]
        company = env["res.company"].browse(main_company(env.cr))
        month = (
            date.fromisoformat(args.month + "-01")
            if args.month
            else last_complete_month(date.today())
        )
        kpi_count = len(Measurement._kpi_catalogue())
        measure_times, bare_times = [], []
        measurements = None
        for _run in range(args.runs):
            env.invalidate_all()
            start = time.perf_counter()
            measurements = Measurement._measure(company, "month", month, force=True)
            measure_times.append(time.perf_counter() - start)
            values = {m.kpi: (m.numerator, m.denominator) for m in measurements}
            env.cr.rollback()
            bare, rows = bare_reads(env.cr, company.id, month)
            bare_times.append(bare)
            env.cr.rollback()
    measured = statistics.median(measure_times)
    bare = statistics.median(bare_times)
    result = {
        "db": args.db,
        "company_id": company.id,
        "month": month.isoformat(),
        "kpis": kpi_count,
        "measurements": len(values),
        "measure_seconds": round(measured, 3),
        "bare_sql_seconds": round(bare, 3),
        "bare_sql_rows": rows,
        "ratio": round(measured / bare, 2) if bare else None,
        "target_ratio": TARGET_RATIO,
        "runs": args.runs,
        "values": {key: list(value) for key, value in values.items()},
    }
    print(f"KPIs measured: {kpi_count} for company {company.id}, {month:%Y-%m}")
    print(f"measure (median of {args.runs}):   {measured:8.3f} s")
    print(f"bare SQL reads ({rows} rows):  {bare:8.3f} s")
    print(f"ratio: {result['ratio']}  (target <= {TARGET_RATIO})")
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2))
    return 0 if len(values) == kpi_count else 3


if __name__ == "__main__":
    sys.exit(main())
