"""Back-test the customer analytics of relationship_mgmt on a filled database.

Hides the last ``--months`` complete months: the analytics are refreshed "as
of" the day before them (they then see no document after that day), and their
predictions are compared with what happened since:

- churn risk: a customer predicted to churn (risk >= 60) who placed no
  confirmed order afterwards is a true positive; precision and recall, next to
  a simple baseline (predict churn when the last order is older than 90 days);
- forecast: the expected revenue of the existing customers for each of the
  following full months (``monthly_forecast``, the rule of the report view)
  against their confirmed orders in those months; MAPE over the months, next
  to a naive baseline (each month equals the average month of the last year).

Everything runs in one transaction that is rolled back: the database keeps its
current analytics.

    python3 bench/backtest.py --db bench_m --months 3
"""

import argparse
import json
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from common import ADDONS_PATH, environment, load_registry

from odoo import fields
from odoo.tools import SQL

# The addon's engine, importable once load_registry() has set the addons path.
engine = None

BASELINE_INACTIVE_DAYS = 90


def month_end_before(day, months):
    """The day before the ``months`` last complete months before ``day``."""
    first = engine.add_months(day.replace(day=1), -months)
    return first - timedelta(days=1)


def ratio(numerator, denominator):
    return numerator / denominator if denominator else None


def churn_scores(predicted, actual):
    true_positive = len(predicted & actual)
    return {
        "predicted": len(predicted),
        "churned": len(actual),
        "true_positive": true_positive,
        "precision": ratio(true_positive, len(predicted)),
        "recall": ratio(true_positive, len(actual)),
    }


def monthly_orders(cr, company_id, customer_ids, start, end):
    """Confirmed order amounts (company currency) of ``customer_ids`` per month
    in ``[start, end)``."""
    cr.execute(
        SQL(
            """
            SELECT date_trunc('month', so.date_order)::date,
                   SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1))
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.company_id = %s AND so.state = 'sale'
               AND so.date_order >= %s AND so.date_order < %s
               AND p.commercial_partner_id = ANY(%s)
             GROUP BY 1
            """,
            company_id,
            datetime.combine(start, datetime.min.time()),
            datetime.combine(end, datetime.min.time()),
            list(customer_ids),
        )
    )
    return dict(cr.fetchall())


def backtest(registry, months):
    with environment(registry) as env:
        company = env.ref("base.main_company")
        today = fields.Date.context_today(env["res.partner"].with_company(company))
        as_of = month_end_before(today, months)
        first_month = as_of + timedelta(days=1)
        end = engine.add_months(first_month, months)
        Analytics = env["relationship.analytics"]
        start = time.perf_counter()
        Analytics._refresh_company(company, as_of=as_of)
        seconds = time.perf_counter() - start
        rows = Analytics.search(
            [("company_id", "=", company.id), ("order_count", ">", 0)]
        )
        customers = {row.partner_id.id: row for row in rows}

        env.cr.execute(
            SQL(
                """
                SELECT DISTINCT p.commercial_partner_id
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %s AND so.state = 'sale'
                   AND so.date_order >= %s
                """,
                company.id,
                datetime.combine(first_month, datetime.min.time()),
            )
        )
        bought_again = {row[0] for row in env.cr.fetchall()}
        churned = set(customers) - bought_again
        predicted = {
            pid for pid, row in customers.items() if row.churn_risk >= engine.HIGH_RISK
        }
        baseline = {
            pid
            for pid, row in customers.items()
            if row.days_since_last_order > BASELINE_INACTIVE_DAYS
        }

        forecast = {}
        for row in rows:
            values = {
                "order_count": row.order_count,
                "expected_gap_days": row.expected_gap_days,
                "churn_risk": row.churn_risk,
                "next_order_date": max(row.next_order_date, first_month),
                "next_order_value": row.next_order_value,
            }
            for month, amount in engine.monthly_forecast(values, first_month, months):
                forecast[month] = forecast.get(month, 0.0) + amount
        actual = monthly_orders(env.cr, company.id, customers, first_month, end)
        year_before = monthly_orders(
            env.cr,
            company.id,
            customers,
            engine.add_months(first_month, -12),
            first_month,
        )
        naive = sum(year_before.values()) / 12.0
        month_rows = []
        for index in range(months):
            month = engine.add_months(first_month, index)
            month_rows.append(
                {
                    "month": month.isoformat(),
                    "actual": actual.get(month, 0.0),
                    "forecast": forecast.get(month, 0.0),
                    "naive": naive,
                }
            )
        env.cr.rollback()

    def mape(key):
        errors = [
            abs(row["actual"] - row[key]) / row["actual"]
            for row in month_rows
            if row["actual"]
        ]
        return sum(errors) / len(errors) if errors else None

    return {
        "as_of": as_of.isoformat(),
        "months": months,
        "refresh_seconds": seconds,
        "customers": len(customers),
        "churn": churn_scores(predicted, churned),
        "churn_baseline": churn_scores(baseline, churned),
        "forecast_months": month_rows,
        "forecast_mape": mape("forecast"),
        "naive_mape": mape("naive"),
    }


def report(result):
    print(
        f"As of {result['as_of']}, {result['customers']:,} customers with orders, "
        f"{result['months']} months hidden (refresh {result['refresh_seconds']:.1f} s)"
    )
    for name in ("churn", "churn_baseline"):
        scores = result[name]
        print(
            f"{name:<15} predicted {scores['predicted']:>6,}  churned "
            f"{scores['churned']:>6,}  precision {scores['precision'] or 0:.2f}  "
            f"recall {scores['recall'] or 0:.2f}"
        )
    for row in result["forecast_months"]:
        print(
            f"{row['month']}  actual {row['actual']:>14,.0f}  forecast "
            f"{row['forecast']:>14,.0f}  naive {row['naive']:>14,.0f}"
        )
    print(
        f"forecast MAPE {result['forecast_mape'] or 0:.1%}   "
        f"naive MAPE {result['naive_mape'] or 0:.1%}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--output", help="JSON file")
    parser.add_argument("--addons-path", default=ADDONS_PATH)
    args = parser.parse_args(argv)
    registry = load_registry(args.db, args.addons_path)
    global engine  # noqa: PLW0603 (the addons path is known only now)
    from odoo.addons.relationship_mgmt.engine import analytics as engine

    result = backtest(registry, args.months)
    result["date"] = date.today().isoformat()
    report(result)
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
