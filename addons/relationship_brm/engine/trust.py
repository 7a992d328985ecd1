"""Trust score of business partners: signals read set-based per company, and
the pure functions that turn them into 0-100 components and a score.

Signals are read for all the partners of a company in one query each;
nothing here writes.
"""

from bisect import bisect_left, bisect_right

from odoo.tools import SQL

from odoo.addons.relationship_mgmt.engine import signals
from odoo.addons.relationship_mgmt.engine.signals import (
    LATENESS_PENALTY_PER_DAY,
    MAX_LATENESS_PENALTY,
    WINDOW_DISPUTE_PENALTY,
)

# Weight of each component in the score; components that do not apply (no
# obligation measured, no invoice due, no dispute tracking) are left out and
# the others weigh proportionally more.
WEIGHTS = {
    "compliance": 35.0,
    "payment": 25.0,
    "dispute": 15.0,
    "age": 10.0,
    "volume": 15.0,
}
COMPONENTS = tuple(WEIGHTS)
# A relationship this old (in days) scores 100 on age.
FULL_AGE_DAYS = 5 * 365


def population(cr, company_id):
    """Commercial partners with an agreement in the company, except those
    who asked not to be profiled (``relationship_no_profiling``)."""
    cr.execute(
        SQL(
            """
            SELECT DISTINCT a.partner_id
              FROM relationship_agreement a
             WHERE a.company_id = %s AND %s
             ORDER BY 1
            """,
            company_id,
            signals.is_profiled(SQL("a.partner_id")),
        )
    )
    return [row[0] for row in cr.fetchall()]


def compliance(cr, company_id, partner_ids, date_from):
    """``{partner: (measured, met, at risk, breached)}``: obligation periods
    of the partner's agreements in the company that ended on or after
    ``date_from`` and could be judged."""
    cr.execute(
        SQL(
            """
            SELECT partner_id, COUNT(*),
                   COUNT(*) FILTER (WHERE status = 'met'),
                   COUNT(*) FILTER (WHERE status = 'at_risk'),
                   COUNT(*) FILTER (WHERE status = 'breached')
              FROM relationship_obligation_period
             WHERE company_id = %(company_id)s
               AND partner_id = ANY(%(partner_ids)s)
               AND date_to >= %(date_from)s
               AND status IN ('met', 'at_risk', 'breached')
             GROUP BY partner_id
            """,
            company_id=company_id,
            partner_ids=list(partner_ids),
            date_from=date_from,
        )
    )
    return {row[0]: row[1:] for row in cr.fetchall()}


def payments(cr, company_id, partner_ids, date_from, today, excluded_move_ids=()):
    """``{partner: (due, on time, average days late)}``: the partner's
    customer invoices in the company due between ``date_from`` and today,
    paid on time or not as ``signals`` judges it (still open past the due
    date: late until today). ``excluded_move_ids`` (invoices under an open
    dispute) are left out."""
    invoices = signals.invoice_payments(
        SQL(
            """
            am.company_id = %(company_id)s
            AND am.commercial_partner_id = ANY(%(partner_ids)s)
            AND am.invoice_date_due >= %(date_from)s
            AND am.invoice_date_due < %(today)s
            AND am.id != ALL(%(excluded)s)
            """,
            company_id=company_id,
            partner_ids=signals.array(partner_ids),
            date_from=date_from,
            today=today,
            excluded=signals.array(excluded_move_ids),
        ),
        columns={"partner_id": SQL("am.commercial_partner_id")},
    )
    cr.execute(
        SQL(
            """
            WITH invoice AS (%(invoices)s), judged AS (
                SELECT partner_id, %(on_time)s AS on_time,
                       %(days_late)s AS days_late
                  FROM invoice
            )
            SELECT partner_id, COUNT(*), COUNT(*) FILTER (WHERE on_time),
                   COALESCE(AVG(days_late) FILTER (WHERE NOT on_time), 0)
              FROM judged
             GROUP BY partner_id
            """,
            invoices=invoices,
            on_time=signals.PAID_ON_TIME,
            days_late=signals.days_late(today),
        )
    )
    return {
        partner_id: (due, on_time, float(late))
        for partner_id, due, on_time, late in cr.fetchall()
    }


def first_dates(cr, company_id, partner_ids):
    """``{partner: date}`` the relationship started in the company: the start
    date on the partner's profile, else its first agreement, confirmed order
    (sale or purchase) or posted invoice, whichever came first."""
    cr.execute(
        SQL(
            """
            WITH dates AS (
                SELECT id AS partner_id, relationship_start_date AS day
                  FROM res_partner
                 WHERE id = ANY(%(partner_ids)s)
                   AND relationship_start_date IS NOT NULL
                 UNION ALL
                SELECT partner_id, COALESCE(date_start, create_date::date)
                  FROM relationship_agreement
                 WHERE company_id = %(company_id)s
                   AND partner_id = ANY(%(partner_ids)s)
                 UNION ALL
                SELECT p.commercial_partner_id, MIN(so.date_order)::date
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(company_id)s AND so.state = 'sale'
                   AND p.commercial_partner_id = ANY(%(partner_ids)s)
                 GROUP BY p.commercial_partner_id
                 UNION ALL
                SELECT p.commercial_partner_id,
                       MIN(COALESCE(po.date_approve, po.date_order))::date
                  FROM purchase_order po
                  JOIN res_partner p ON p.id = po.partner_id
                 WHERE po.company_id = %(company_id)s
                   AND po.state IN ('purchase', 'done')
                   AND p.commercial_partner_id = ANY(%(partner_ids)s)
                 GROUP BY p.commercial_partner_id
                 UNION ALL
                SELECT am.commercial_partner_id, MIN(am.invoice_date)
                  FROM account_move am
                 WHERE am.company_id = %(company_id)s AND am.state = 'posted'
                   AND am.move_type IN ('out_invoice', 'in_invoice')
                   AND am.commercial_partner_id = ANY(%(partner_ids)s)
                 GROUP BY am.commercial_partner_id
            )
            SELECT partner_id, MIN(day) FROM dates GROUP BY partner_id
            """,
            company_id=company_id,
            partner_ids=list(partner_ids),
        )
    )
    return dict(cr.fetchall())


def volumes(cr, company_id, partner_ids, date_from):
    """``{partner: amount}``: untaxed amount, in company currency, of the
    sale and purchase orders confirmed with the partner since ``date_from``."""
    cr.execute(
        SQL(
            """
            WITH orders AS (
                SELECT p.commercial_partner_id AS partner_id,
                       so.amount_untaxed / NULLIF(so.currency_rate, 0) AS amount
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(company_id)s AND so.state = 'sale'
                   AND so.date_order >= %(date_from)s
                   AND p.commercial_partner_id = ANY(%(partner_ids)s)
                 UNION ALL
                SELECT p.commercial_partner_id,
                       po.amount_untaxed / NULLIF(po.currency_rate, 0)
                  FROM purchase_order po
                  JOIN res_partner p ON p.id = po.partner_id
                 WHERE po.company_id = %(company_id)s
                   AND po.state IN ('purchase', 'done')
                   AND COALESCE(po.date_approve, po.date_order) >= %(date_from)s
                   AND p.commercial_partner_id = ANY(%(partner_ids)s)
            )
            SELECT partner_id, COALESCE(SUM(amount), 0) FROM orders GROUP BY 1
            """,
            company_id=company_id,
            partner_ids=list(partner_ids),
            date_from=date_from,
        )
    )
    return {partner_id: float(amount) for partner_id, amount in cr.fetchall()}


def compliance_component(measured, met, at_risk):
    """100 x share of periods met, an at-risk period counting half."""
    if not measured:
        return None
    return 100.0 * (met + 0.5 * at_risk) / measured


def payment_component(due, on_time, avg_days_late):
    """100 x share of invoices paid on time, less half a point per day late
    on average (30 points at most)."""
    if not due:
        return None
    value = 100.0 * on_time / due
    value -= min(MAX_LATENESS_PENALTY, avg_days_late * LATENESS_PENALTY_PER_DAY)
    return max(0.0, value)


def dispute_component(disputes):
    if disputes is None:
        return None
    return max(0.0, 100.0 - WINDOW_DISPUTE_PENALTY * disputes)


def age_component(days):
    return min(100.0, 100.0 * max(days, 0) / FULL_AGE_DAYS)


def volume_component(value, ordered_values):
    """Mid-rank percentile of ``value`` among the company's partners
    (``ordered_values`` sorted)."""
    if not ordered_values:
        return 50.0
    low = bisect_left(ordered_values, value)
    high = bisect_right(ordered_values, value)
    return 100.0 * (low + high) / (2 * len(ordered_values))


def weighted_score(parts):
    """Weighted mean of the components that apply, rounded to 0.1."""
    total = score = 0.0
    for name, value in parts.items():
        if value is not None:
            total += WEIGHTS[name]
            score += WEIGHTS[name] * value
    if not total:
        return None
    return round(score / total, 1)
