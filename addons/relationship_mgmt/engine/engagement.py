"""Set-based engagement scoring.

Pure functions over a database cursor: they read the ERP signals of a batch of
commercial partners of one company with one query per signal, and turn raw
values into 0-100 components and a score. They never loop over partners with a
query; the caller writes the results in chunks.
"""

from bisect import bisect_left, bisect_right
from datetime import datetime, time, timedelta

from odoo.tools import SQL

COMPONENTS = (
    "recency",
    "frequency",
    "monetary",
    "payment",
    "interaction",
    "satisfaction",
    "service",
)
# Components ranked against the company's own customers (percentile rank), with
# the raw column they rank and whether a lower raw value is the better one.
RANKED_COMPONENTS = {
    "recency": ("days_since_last_order", True),
    "frequency": ("order_count", False),
    "monetary": ("revenue", False),
    "interaction": ("interaction_count", False),
}
QUANTILES = [i / 100 for i in range(101)]
# Points a customer loses on the payment component (see payment_component()).
MAX_LATENESS_PENALTY = 30.0
OVERDUE_PENALTY = 20.0
# Points a customer loses on the service component per open dispute.
DISPUTE_PENALTY = 25.0


def excluded_partner_ids(cr):
    """Partners never profiled: the companies' own (internal documents) and
    the customers who asked not to be (``relationship_no_profiling``)."""
    cr.execute(
        SQL(
            "SELECT partner_id FROM res_company UNION "
            "SELECT id FROM res_partner WHERE relationship_no_profiling"
        )
    )
    return {row[0] for row in cr.fetchall()}


def population_ids(cr, company_id):
    """Commercial partners with a sale order or a customer invoice in the
    company, except the companies' own partners (internal documents) and the
    customers who asked not to be profiled."""
    cr.execute(
        SQL(
            """
            SELECT customer_id FROM (
                SELECT p.commercial_partner_id AS customer_id
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(company_id)s
                 UNION
                SELECT am.commercial_partner_id
                  FROM account_move am
                 WHERE am.company_id = %(company_id)s
                   AND am.move_type IN ('out_invoice', 'out_refund')
                   AND am.commercial_partner_id IS NOT NULL
            ) customers
             WHERE customer_id NOT IN (SELECT partner_id FROM res_company)
               AND customer_id NOT IN (
                   SELECT id FROM res_partner WHERE relationship_no_profiling
               )
             ORDER BY 1
            """,
            company_id=company_id,
        )
    )
    return [row[0] for row in cr.fetchall()]


def partner_filter(column, partner_ids):
    """``column = ANY(partner_ids)``, or no filter when ``partner_ids`` is None
    (a full run reads every customer of the company in one pass)."""
    if partner_ids is None:
        return SQL("TRUE")
    return SQL("%s = ANY(%s)", SQL(column), list(partner_ids))


def order_signals(cr, company_id, partner_ids, date_from):
    """Last confirmed order and confirmed orders in the window, per partner
    with any sale order in the company (quotations and cancelled orders make a
    customer without history)."""
    cr.execute(
        SQL(
            """
            SELECT p.commercial_partner_id,
                   MAX(so.date_order) FILTER (WHERE so.state = 'sale'),
                   COUNT(so.id) FILTER (WHERE so.state = 'sale'
                                          AND so.date_order >= %(date_from)s)
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.company_id = %(company_id)s
               AND %(partner_filter)s
             GROUP BY p.commercial_partner_id
            """,
            company_id=company_id,
            partner_filter=partner_filter("p.commercial_partner_id", partner_ids),
            date_from=datetime.combine(date_from, time.min),
        )
    )
    return {
        pid: {"last_order_date": last and last.date(), "order_count": count}
        for pid, last, count in cr.fetchall()
    }


def invoice_signals(cr, company_id, partner_ids, date_from):
    """Last posted invoice date, untaxed revenue (invoices minus refunds) and
    the number of posted ones, per partner with any customer invoice or refund
    in the company (drafts and cancelled ones make no history)."""
    cr.execute(
        SQL(
            """
            SELECT am.commercial_partner_id,
                   MAX(am.invoice_date) FILTER (WHERE am.state = 'posted'
                                                  AND am.move_type = 'out_invoice'),
                   COALESCE(SUM(am.amount_untaxed_signed)
                            FILTER (WHERE am.state = 'posted'
                                      AND am.invoice_date >= %(date_from)s), 0.0),
                   COUNT(*) FILTER (WHERE am.state = 'posted')
              FROM account_move am
             WHERE am.company_id = %(company_id)s
               AND am.move_type IN ('out_invoice', 'out_refund')
               AND am.commercial_partner_id IS NOT NULL
               AND %(partner_filter)s
             GROUP BY am.commercial_partner_id
            """,
            company_id=company_id,
            partner_filter=partner_filter("am.commercial_partner_id", partner_ids),
            date_from=date_from,
        )
    )
    return {
        pid: {"last_invoice_date": last, "revenue": revenue, "posted_count": posted}
        for pid, last, revenue, posted in cr.fetchall()
    }


def payment_signals(
    cr, company_id, partner_ids, date_from, today, excluded_move_ids=()
):
    """Invoices due in the window: how many were paid on time, how late the
    others were (paid late, or still open past their due date), and the open
    overdue amount in company currency.

    The payment date of an invoice is the latest reconciliation date of its
    receivable (payment term) lines. ``excluded_move_ids`` are left out (e.g.
    invoices under an open dispute).
    """
    cr.execute(
        SQL(
            """
            WITH inv AS (
                SELECT am.commercial_partner_id, am.invoice_date_due,
                       am.amount_residual_signed,
                       am.payment_state IN ('paid', 'in_payment') AS is_paid,
                       MAX(apr.max_date) AS paid_date
                  FROM account_move am
                  JOIN account_move_line aml
                    ON aml.move_id = am.id AND aml.display_type = 'payment_term'
                  LEFT JOIN account_partial_reconcile apr
                    ON apr.debit_move_id = aml.id
                 WHERE am.company_id = %(company_id)s
                   AND am.state = 'posted'
                   AND am.move_type = 'out_invoice'
                   AND am.payment_state != 'reversed'
                   AND %(partner_filter)s
                   AND am.invoice_date_due IS NOT NULL
                   AND am.id != ALL(%(excluded)s)
                   AND (am.invoice_date_due >= %(date_from)s
                        OR am.payment_state IN ('not_paid', 'partial'))
                 GROUP BY am.id
            ), judged AS (
                SELECT inv.commercial_partner_id,
                       inv.is_paid
                           AND COALESCE(inv.paid_date, inv.invoice_date_due)
                               <= inv.invoice_date_due AS on_time,
                       CASE WHEN inv.is_paid
                            THEN COALESCE(inv.paid_date, inv.invoice_date_due)
                            ELSE %(today)s::date
                       END - inv.invoice_date_due AS days_late,
                       CASE WHEN NOT inv.is_paid AND inv.invoice_date_due < %(today)s
                            THEN inv.amount_residual_signed ELSE 0.0
                       END AS overdue
                  FROM inv
                 WHERE inv.is_paid OR inv.invoice_date_due < %(today)s
            )
            SELECT commercial_partner_id,
                   COUNT(*),
                   COUNT(*) FILTER (WHERE on_time),
                   COALESCE(AVG(days_late) FILTER (WHERE NOT on_time), 0.0),
                   COALESCE(SUM(overdue), 0.0)
              FROM judged
             GROUP BY commercial_partner_id
            """,
            company_id=company_id,
            partner_filter=partner_filter("am.commercial_partner_id", partner_ids),
            date_from=date_from,
            today=today,
            excluded=list(excluded_move_ids),
        )
    )
    return {
        pid: {
            "invoice_due_count": due,
            "invoice_on_time_count": on_time,
            "invoice_late_count": due - on_time,
            "avg_days_late": float(avg_late),
            "overdue_amount": overdue,
        }
        for pid, due, on_time, avg_late, overdue in cr.fetchall()
    }


def message_counts(cr, partner_ids, date_from, company_id):
    """Emails and logged notes with the customer in the window: messages on the
    customer's own contact records and emails its contacts sent us about any
    document of the company (or of no company). Each message counts once."""
    cr.execute(
        SQL(
            """
            WITH contact AS (
                SELECT id, commercial_partner_id
                  FROM res_partner
                 WHERE commercial_partner_id = ANY(%(partner_ids)s)
            ), msg AS (
                SELECT m.id, c.commercial_partner_id
                  FROM mail_message m
                  JOIN contact c ON m.model = 'res.partner' AND m.res_id = c.id
                 WHERE m.message_type IN ('email', 'comment')
                   AND m.date >= %(date_from)s
                 UNION
                SELECT m.id, c.commercial_partner_id
                  FROM mail_message m
                  JOIN contact c ON m.author_id = c.id
                 WHERE m.message_type = 'email'
                   AND m.date >= %(date_from)s
                   AND (m.record_company_id IS NULL
                        OR m.record_company_id = %(company_id)s)
            )
            SELECT commercial_partner_id, COUNT(*) FROM msg GROUP BY 1
            """,
            partner_ids=list(partner_ids),
            date_from=datetime.combine(date_from, time.min),
            company_id=company_id,
        )
    )
    return dict(cr.fetchall())


def window_start(today, window_days):
    return today - timedelta(days=window_days)


def quantile_cuts(cr, company_id):
    """The 101 percentiles of each ranked raw value over the company's scored
    customers (those with history), in one pass."""
    columns = [column for column, __ in RANKED_COMPONENTS.values()]
    cr.execute(
        SQL(
            "SELECT %s FROM relationship_engagement "
            "WHERE company_id = %s AND tier != 'new'",
            SQL(", ").join(
                SQL(
                    "percentile_cont(%s::float8[]) WITHIN GROUP (ORDER BY %s)",
                    QUANTILES,
                    SQL.identifier(column),
                )
                for column in columns
            ),
            company_id,
        )
    )
    row = cr.fetchone()
    return {column: (cuts or []) for column, cuts in zip(columns, row, strict=True)}


def quantiles_of(values):
    """The 101 percentiles of ``values`` (``None`` left out), interpolated like
    PostgreSQL's ``percentile_cont``, so that a full run scoring from values in
    memory ranks exactly like ``quantile_cuts()`` on the stored rows."""
    ordered = sorted(value for value in values if value is not None)
    if not ordered:
        return []
    last = len(ordered) - 1
    cuts = []
    for quantile in QUANTILES:
        position = quantile * last
        low = int(position)
        high = min(low + 1, last)
        fraction = position - low
        cuts.append(
            float(ordered[low])
            + (float(ordered[high]) - float(ordered[low])) * fraction
        )
    return cuts


def percentile_rank(value, cuts):
    """Mid-rank of ``value`` among the sorted quantile cut points, 0-100."""
    if not cuts:
        return 50.0
    low = bisect_left(cuts, value)
    high = bisect_right(cuts, value)
    return 100.0 * (low + high) / (2 * len(cuts))


def payment_component(raw):
    """100 x share of due invoices paid on time, less up to 30 points for the
    average lateness (half a point a day) and 20 points while anything is
    overdue. ``None`` when no invoice was due in the window."""
    if not raw.get("invoice_due_count"):
        return None
    value = 100.0 * raw["invoice_on_time_count"] / raw["invoice_due_count"]
    value -= min(MAX_LATENESS_PENALTY, (raw.get("avg_days_late") or 0.0) / 2.0)
    if (raw.get("overdue_amount") or 0.0) > 0:
        value -= OVERDUE_PENALTY
    return max(0.0, min(100.0, value))


def service_component(open_disputes):
    if open_disputes is None:
        return None
    return max(0.0, 100.0 - DISPUTE_PENALTY * open_disputes)


def components(raw, cuts, ranks=None):
    """The seven 0-100 components of one customer, rounded to 0.1; ``None``
    where the signal does not apply (no invoice due yet, no satisfaction
    data...).

    ``ranks`` is an optional dict the caller keeps across the customers of one
    batch: many share a value (order counts, days), ranked once."""
    result = {}
    ranks = {} if ranks is None else ranks
    for name, (column, lower_is_better) in RANKED_COMPONENTS.items():
        value = raw.get(column)
        if value is None:
            result[name] = None
            continue
        key = (name, value)
        part = ranks.get(key)
        if part is None:
            rank = percentile_rank(value, cuts.get(column) or [])
            part = ranks[key] = round(100.0 - rank if lower_is_better else rank, 1)
        result[name] = part
    for name, value in (
        ("payment", payment_component(raw)),
        ("satisfaction", raw.get("satisfaction_value")),
        ("service", service_component(raw.get("open_dispute_count"))),
    ):
        result[name] = None if value is None else round(float(value), 1)
    return result


def weighted_score(parts, weights):
    """Weighted mean of the components that apply, weights renormalised."""
    total = score = 0.0
    for name, value in parts.items():
        if value is not None:
            weight = weights[name]
            total += weight
            score += weight * value
    if not total:
        return None
    return round(score / total, 1)


def tier_of(score, bounds):
    """``bounds`` is ``[(tier, lower_bound), ...]`` from the best tier down."""
    if score is None:
        return "new"
    for tier, lower in bounds:
        if score >= lower:
            return tier
    return "dormant"


# RFM segments, from the best down (keys stored on the engagement rows).
RFM_SEGMENTS = [
    ("champions", "Champions"),
    ("loyal", "Loyal"),
    ("potential_loyalist", "Potential loyalist"),
    ("recent", "New customers"),
    ("needs_attention", "Needs attention"),
    ("cannot_lose", "Cannot lose"),
    ("at_risk", "At risk"),
    ("hibernating", "Hibernating"),
    ("lost", "Lost"),
]


def quintile(component):
    """1-5 quintile of a 0-100 percentile-rank component (5 = best fifth)."""
    if component is None:
        return None
    return min(5, int(component // 20) + 1)


def rfm(parts):
    """``(R, F, M, segment)`` of a customer with history, from its recency,
    frequency and monetary components (percentile ranks in the company, so the
    quintiles are the company's own). A customer without a purchase date ranks
    last on recency.

    Segments: recent buyers (R 4-5) are Champions when they also buy often and
    much (F, M >= 4), Loyal when often, Potential loyalists with 2-3 orders'
    worth of frequency, New customers with the lowest frequency; R 3 is Loyal
    when frequent, else Needs attention; lapsed buyers (R 1-2) are Cannot lose
    when they were frequent big buyers, At risk when they were regular, else
    Hibernating (R 2) or Lost (R 1)."""
    r = quintile(parts.get("recency")) or 1
    f = quintile(parts.get("frequency")) or 1
    m = quintile(parts.get("monetary")) or 1
    if r >= 4:
        if f >= 4:
            segment = "champions" if m >= 4 else "loyal"
        elif f >= 2:
            segment = "potential_loyalist"
        else:
            segment = "recent"
    elif r == 3:
        segment = "loyal" if f >= 4 else "needs_attention"
    elif f >= 4 and m >= 4:
        segment = "cannot_lose"
    elif f >= 3:
        segment = "at_risk"
    else:
        segment = "hibernating" if r == 2 else "lost"
    return r, f, m, segment
