"""Set-based customer analytics: purchase rhythm, churn risk, lifetime value,
profitability and purchase patterns.

Each reader runs one query over all the confirmed orders (or posted invoices)
of one company up to a day included (``as_of``: today, or an earlier day for
a back-test, which then sees nothing that happened after it). The per-customer
arithmetic is pure Python on the aggregated rows.
"""

import math
from datetime import datetime, time, timedelta

from odoo.tools import SQL

# A customer with one order has no rhythm of their own: the company's typical
# gap is used, or this when the company has no repeat customer yet.
DEFAULT_GAP_DAYS = 90.0
# Risk while a customer is still within their rhythm (0 at the last order,
# this at the expected next order), then it grows towards 100 with the delay.
IN_RHYTHM_RISK = 25.0
# Up to this many points for a falling engagement score (half its fall).
TREND_RISK = 10.0
HIGH_RISK = 60.0
MEDIUM_RISK = 30.0
# A month is "a buying month" when it has this many times its fair share.
SEASON_FACTOR = 1.5
SEASON_MIN_ORDERS = 4
DAYS_PER_MONTH = 365.25 / 12


def order_rhythm(cr, company_id, as_of):
    """Per commercial partner: confirmed orders up to ``as_of`` (count,
    first and last date, untaxed amount and margin in company currency, average
    gap in days between consecutive orders, orders per calendar month)."""
    cr.execute(
        SQL(
            """
            SELECT p.commercial_partner_id, COUNT(*),
                   MIN(so.date_order)::date, MAX(so.date_order)::date,
                   SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1)),
                   SUM(COALESCE(so.margin, 0.0)
                       / COALESCE(NULLIF(so.currency_rate, 0), 1)),
                   array_agg(EXTRACT(MONTH FROM so.date_order)::int2)
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.company_id = %(company_id)s
               AND so.state = 'sale'
               AND so.date_order < %(until)s
             GROUP BY p.commercial_partner_id
            """,
            company_id=company_id,
            until=datetime.combine(as_of + timedelta(days=1), time.min),
        )
    )
    return {
        row[0]: {
            "order_count": row[1],
            "first_order_date": row[2],
            "last_order_date": row[3],
            "order_amount": row[4] or 0.0,
            "order_margin": row[5] or 0.0,
            # The mean gap between consecutive orders is the span over the
            # number of gaps.
            "mean_gap": (row[3] - row[2]).days / (row[1] - 1) if row[1] > 1 else None,
            "month_counts": month_counts(row[6]),
        }
        for row in cr.fetchall()
    }


def month_counts(months):
    """Orders per calendar month (index 0 = January) from their months."""
    counts = [0] * 12
    for month in months:
        counts[month - 1] += 1
    return counts


def line_patterns(cr, company_id, as_of):
    """Per commercial partner: the product category it spends most on and
    the discounts granted on its confirmed order lines (company currency)."""
    cr.execute(
        SQL(
            """
            WITH c AS (
                SELECT p.commercial_partner_id AS customer_id, pt.categ_id,
                       SUM(sol.price_subtotal
                           / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS amount,
                       SUM(sol.price_unit * sol.product_uom_qty * sol.discount / 100.0
                           / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS discount
                  FROM sale_order_line sol
                  JOIN sale_order so ON so.id = sol.order_id
                  JOIN res_partner p ON p.id = so.partner_id
                  JOIN product_product pp ON pp.id = sol.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE so.company_id = %(company_id)s
                   AND so.state = 'sale'
                   AND so.date_order < %(until)s
                   AND sol.display_type IS NULL
                 GROUP BY 1, 2
            )
            SELECT DISTINCT ON (customer_id) customer_id, categ_id,
                   SUM(discount) OVER (PARTITION BY customer_id)
              FROM c
             ORDER BY customer_id, amount DESC, categ_id
            """,
            company_id=company_id,
            until=datetime.combine(as_of + timedelta(days=1), time.min),
        )
    )
    return {
        customer_id: {"categ_id": categ_id, "discount": discount or 0.0}
        for customer_id, categ_id, discount in cr.fetchall()
    }


def invoiced_values(cr, company_id, as_of):
    """Per commercial partner: untaxed revenue invoiced up to ``as_of`` net of
    refunds, the refunded amount (positive), and the part of it that refunds
    sale orders (credit note lines linked to order lines, as the reversal of
    an order's invoice leaves them), in company currency."""
    cr.execute(
        SQL(
            """
            SELECT am.commercial_partner_id,
                   SUM(am.amount_untaxed_signed),
                   -SUM(am.amount_untaxed_signed)
                       FILTER (WHERE am.move_type = 'out_refund'),
                   SUM(ordered.amount) FILTER (WHERE am.move_type = 'out_refund')
              FROM account_move am
              LEFT JOIN LATERAL (
                   SELECT SUM(aml.balance) AS amount
                     FROM account_move_line aml
                    WHERE aml.move_id = am.id
                      AND aml.display_type = 'product'
                      AND EXISTS (SELECT 1 FROM sale_order_line_invoice_rel rel
                                   WHERE rel.invoice_line_id = aml.id)
                   ) ordered ON am.move_type = 'out_refund'
             WHERE am.company_id = %(company_id)s
               AND am.state = 'posted'
               AND am.move_type IN ('out_invoice', 'out_refund')
               AND am.invoice_date <= %(as_of)s
               AND am.commercial_partner_id IS NOT NULL
             GROUP BY am.commercial_partner_id
            """,
            company_id=company_id,
            as_of=as_of,
        )
    )
    return {
        customer_id: {
            "revenue": revenue or 0.0,
            "refunds": refunds or 0.0,
            "order_refunds": order_refunds or 0.0,
        }
        for customer_id, revenue, refunds, order_refunds in cr.fetchall()
    }


def typical_gap(rhythms):
    """The company's median of its repeat customers' average gaps."""
    gaps = sorted(r["mean_gap"] for r in rhythms.values() if r["mean_gap"])
    if not gaps:
        return DEFAULT_GAP_DAYS
    middle = len(gaps) // 2
    if len(gaps) % 2:
        return float(gaps[middle])
    return (gaps[middle - 1] + gaps[middle]) / 2.0


def churn_risk(days_since, expected_gap, trend=None):
    """0-100 risk that the customer has stopped buying: it grows from 0 to
    25 within the customer's rhythm, then towards 100 as the delay past the
    expected next order grows (63 % of the remaining way after one more gap,
    95 % after three), plus up to 10 points for a falling engagement."""
    gap = max(float(expected_gap), 1.0)
    if days_since <= gap:
        risk = IN_RHYTHM_RISK * days_since / gap
    else:
        overdue = (days_since - gap) / gap
        risk = IN_RHYTHM_RISK + (100.0 - IN_RHYTHM_RISK) * (1.0 - math.exp(-overdue))
    if trend is not None and trend < 0:
        risk += min(TREND_RISK, -trend / 2.0)
    return round(max(0.0, min(100.0, risk)), 1)


def risk_level(risk):
    if risk is None:
        return False
    if risk >= HIGH_RISK:
        return "high"
    if risk >= MEDIUM_RISK:
        return "medium"
    return "low"


def season_mask(month_counts):
    """Bit ``m - 1`` set for each month ``m`` with at least 1.5 times its fair
    share of the customer's orders (needs 4 orders or more)."""
    total = sum(month_counts)
    if total < SEASON_MIN_ORDERS:
        return 0
    threshold = SEASON_FACTOR * total / 12.0
    mask = 0
    for index, count in enumerate(month_counts):
        if count >= threshold:
            mask |= 1 << index
    return mask


def customer_analytics(
    rhythm, lines, invoiced, company_gap, as_of, horizon_days, trend
):
    """Every stored analytic of one customer (see the model's fields)."""
    rhythm = rhythm or {}
    invoiced = invoiced or {}
    lines = lines or {}
    order_count = rhythm.get("order_count", 0)
    revenue = invoiced.get("revenue", 0.0)
    refunds = invoiced.get("refunds", 0.0)
    order_amount = rhythm.get("order_amount", 0.0)
    # The margin is the orders': only the refunds of what orders invoiced
    # lower it (a credit note of an invoice made without an order does not).
    margin = rhythm.get("order_margin", 0.0) - invoiced.get("order_refunds", 0.0)
    values = {
        "order_count": order_count,
        "first_order_date": rhythm.get("first_order_date"),
        "last_order_date": rhythm.get("last_order_date"),
        "revenue_to_date": revenue,
        "refund_to_date": refunds,
        "discount_to_date": lines.get("discount", 0.0),
        "margin_to_date": margin,
        "margin_percent": round(100.0 * margin / order_amount, 1)
        if order_amount
        else None,
        "categ_id": lines.get("categ_id"),
        "average_order_value": order_amount / order_count if order_count else None,
        "season_mask": season_mask(rhythm.get("month_counts") or [0] * 12),
        "own_gap_days": rhythm.get("mean_gap"),
        "expected_gap_days": None,
        "days_since_last_order": None,
        "churn_risk": None,
        "next_order_date": None,
        "next_order_value": None,
        "predicted_revenue": None,
        "predicted_margin": None,
    }
    if not order_count:
        return values
    expected_gap = float(rhythm.get("mean_gap") or company_gap)
    days_since = (as_of - rhythm["last_order_date"]).days
    risk = churn_risk(days_since, expected_gap, trend)
    average = values["average_order_value"]
    expected_orders = horizon_days / max(expected_gap, 1.0) * (1.0 - risk / 100.0)
    predicted = expected_orders * average
    margin_rate = max(0.0, margin / order_amount) if order_amount else 0.0
    next_date = rhythm["last_order_date"] + timedelta(days=round(expected_gap))
    values.update(
        expected_gap_days=round(expected_gap, 1),
        days_since_last_order=days_since,
        churn_risk=risk,
        next_order_date=max(next_date, as_of),
        next_order_value=average,
        predicted_revenue=round(predicted, 2),
        predicted_margin=round(predicted * margin_rate, 2),
    )
    return values


def add_months(day, count):
    """First day of the month ``count`` months after ``day``'s month."""
    year, month = divmod(day.month - 1 + count, 12)
    return day.replace(year=day.year + year, month=month + 1, day=1)


def monthly_forecast(values, as_of, months):
    """Expected revenue of one customer in each of the ``months`` calendar
    months from ``as_of``'s: its rhythm places an order every expected gap
    from the expected next order on; each counts its average order value
    times the probability that the customer still buys (100 - churn risk).
    ``[(month start, amount), ...]``, months without an order left out. The
    report view ``relationship.forecast.report`` applies the same rule in SQL;
    this one serves the back-tests."""
    if not values.get("order_count"):
        return []
    gap = max(values["expected_gap_days"], 1.0)
    amount = values["next_order_value"] * (1.0 - values["churn_risk"] / 100.0)
    first = as_of.replace(day=1)
    end = add_months(first, months)
    totals = {}
    day = values["next_order_date"]
    step = 0
    while day < end:
        month = day.replace(day=1)
        totals[month] = totals.get(month, 0.0) + amount
        step += 1
        day = values["next_order_date"] + timedelta(days=round(step * gap))
    return sorted((month, round(total, 2)) for month, total in totals.items())
