"""Set-based engagement scoring, in the database.

The engine builds SQL: one statement reads the order and invoice signals of a
company's customers into a temporary table, one statement computes the
company-wide percentile cut points of the ranked signals (``ranking_cuts()``:
the only input every customer's score shares), then, batch by batch, one
statement reads the payment behaviour, ranks the batch's signals on those cut
points, scores and tiers them into a second temporary table, and one
statement writes scores and snapshots from it. The cut points are computed
once and handed to every batch, so a batch (or a shard of customers scored by
another worker) gives exactly the values of a single pass. Raw values never
travel to Python and back (the cut points do: 4 x 101 numbers); the hooks
other features extend (interactions, satisfaction, disputes) return
``{partner_id: value}`` dicts read with one query each.
"""

from datetime import datetime, time, timedelta

from odoo.tools import SQL

from .signals import (
    LATENESS_PENALTY_PER_DAY,
    MAX_LATENESS_PENALTY,
    OPEN_DISPUTE_PENALTY,
    PAID_ON_TIME,
    array_literal,
    days_late,
    invoice_payments,
    is_profiled,
)

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
# Points a customer loses on the payment component while anything is overdue
# (see payment_component(); the lateness penalty is shared with trust).
OVERDUE_PENALTY = 20.0

# The temporary tables of one recompute. They are dropped at the end of the
# transaction that creates them (ON COMMIT DROP): behind a pooler in
# transaction mode the next transaction may run on another server connection,
# so a run that commits between batches loads them again for each batch.
SIGNALS_TABLE = "relationship_engagement_signals"
SCORED_TABLE = "relationship_engagement_scored"

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


def population(company_id):
    """The query of the company's population: commercial partners with a sale
    order or a customer invoice in the company, except the companies' own
    partners (internal documents) and the customers who asked not to be
    profiled."""
    return SQL(
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
         WHERE %(profiled)s
        """,
        company_id=company_id,
        profiled=is_profiled(SQL("customer_id"), customers=True),
    )


def population_ids(cr, company_id):
    """The ids of the company's population (see ``population()``), in order."""
    cr.execute(SQL("%s ORDER BY 1", population(company_id)))
    return [row[0] for row in cr.fetchall()]


def partner_filter(column, partner_ids, shard=None):
    """``column = ANY(partner_ids)``, or no filter when ``partner_ids`` is None
    (a full run reads every customer of the company in one pass); ``shard``
    ``(count, index)`` keeps the partners whose id modulo ``count`` is
    ``index`` (a stable split of the customers between workers)."""
    if partner_ids is None:
        if shard is None:
            return SQL("TRUE")
        count, index = shard
        return SQL("mod(%s, %s) = %s", SQL(column), count, index)
    return SQL("%s = ANY(%s::int[])", SQL(column), array_literal(partner_ids))


def signals_population():
    """The customers of ``SIGNALS_TABLE``, as ``population()``'s rows."""
    return SQL(
        "SELECT partner_id AS customer_id FROM %s", SQL.identifier(SIGNALS_TABLE)
    )


def count_new(cr):
    """How many customers of ``SIGNALS_TABLE`` have no history."""
    cr.execute(
        SQL(
            "SELECT COUNT(*) FILTER (WHERE NOT has_history) FROM %s",
            SQL.identifier(SIGNALS_TABLE),
        )
    )
    return cr.fetchone()[0]


def window_start(today, window_days):
    return today - timedelta(days=window_days)


def load_document_signals(cr, company_id, partner_ids, date_from, since=None):
    """Fill the temporary table ``SIGNALS_TABLE`` with one row per customer to
    score: whether it has history, its last confirmed order, the day of its
    last purchase (order, else invoice), its confirmed orders in the window and
    its untaxed revenue in the window (posted invoices minus refunds).

    ``partner_ids`` None scores the company's population: every commercial
    partner with a sale order or a customer invoice in the company (quotations
    and cancelled orders make a customer without history), except the
    companies' own partners, those who asked not to be profiled and, when
    ``since`` is given, those whose row was written since then (an interrupted
    full run resumes). Else exactly ``partner_ids``, with or without
    documents. One statement.
    """
    orders = SQL(
        """
        SELECT p.commercial_partner_id AS partner_id,
               (MAX(so.date_order) FILTER (WHERE so.state = 'sale'))::date
                   AS last_order_date,
               COUNT(so.id) FILTER (WHERE so.state = 'sale'
                                      AND so.date_order >= %(datetime_from)s)
                   AS order_count
          FROM sale_order so
          JOIN res_partner p ON p.id = so.partner_id
         WHERE so.company_id = %(company_id)s
           AND %(partner_filter)s
         GROUP BY p.commercial_partner_id
        """,
        company_id=company_id,
        partner_filter=partner_filter("p.commercial_partner_id", partner_ids),
        datetime_from=datetime.combine(date_from, time.min),
    )
    invoices = SQL(
        """
        SELECT am.commercial_partner_id AS partner_id,
               MAX(am.invoice_date) FILTER (WHERE am.state = 'posted'
                                              AND am.move_type = 'out_invoice')
                   AS last_invoice_date,
               COALESCE(SUM(am.amount_untaxed_signed)
                        FILTER (WHERE am.state = 'posted'
                                  AND am.invoice_date >= %(date_from)s), 0.0)
                   AS revenue,
               COUNT(*) FILTER (WHERE am.state = 'posted') AS posted_count
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
    # Plain subqueries, not CTEs: the planner then knows each has one row per
    # partner and estimates the joins right.
    if partner_ids is None:
        partner = SQL("COALESCE(o.partner_id, i.partner_id)")
        source = SQL(
            "(%s) o FULL JOIN (%s) i ON i.partner_id = o.partner_id", orders, invoices
        )
        keep = SQL(
            """
            %(profiled)s
            AND %(partner)s NOT IN (
                SELECT partner_id FROM relationship_engagement
                 WHERE company_id = %(company_id)s AND %(written)s
            )
            """,
            partner=partner,
            profiled=is_profiled(partner, customers=True),
            company_id=company_id,
            written=SQL("FALSE") if since is None else SQL("date_raw >= %s", since),
        )
    else:
        partner = SQL("c.partner_id")
        source = SQL(
            "unnest(%s::int[]) AS c(partner_id) "
            "LEFT JOIN (%s) o ON o.partner_id = c.partner_id "
            "LEFT JOIN (%s) i ON i.partner_id = c.partner_id",
            array_literal(partner_ids),
            orders,
            invoices,
        )
        keep = SQL("TRUE")
    cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(SIGNALS_TABLE)))
    cr.execute(
        SQL(
            """
            CREATE TEMPORARY TABLE %(table)s ON COMMIT DROP AS
            SELECT %(partner)s AS partner_id,
                   o.last_order_date IS NOT NULL
                       OR COALESCE(i.posted_count, 0) > 0 AS has_history,
                   o.last_order_date,
                   COALESCE(o.last_order_date, i.last_invoice_date)
                       AS last_purchase_date,
                   COALESCE(o.order_count, 0) AS order_count,
                   COALESCE(i.revenue, 0.0) AS revenue
              FROM %(source)s
             WHERE %(keep)s
            """,
            table=SQL.identifier(SIGNALS_TABLE),
            partner=partner,
            source=source,
            keep=keep,
        )
    )
    # Batches read it by partner; statistics for the planner of the scoring
    # statement (a fraction of the time of reading the documents).
    cr.execute(SQL("CREATE INDEX ON %s (partner_id)", SQL.identifier(SIGNALS_TABLE)))
    cr.execute(SQL("ANALYZE %s", SQL.identifier(SIGNALS_TABLE)))
    cr.execute(
        SQL(
            "SELECT partner_id FROM %s ORDER BY partner_id",
            SQL.identifier(SIGNALS_TABLE),
        )
    )
    return [row[0] for row in cr.fetchall()]


# The columns of a staged customer (``stage_signals()``): the signals table's,
# the payments' (``payment_signals()``) and the hooks' values, in that order.
STAGED_SIGNALS = (
    "has_history",
    "last_order_date",
    "last_purchase_date",
    "order_count",
    "revenue",
)
STAGED_PAYMENTS = ("due_count", "on_time_count", "avg_days_late", "overdue_amount")
STAGED_HOOKS = ("interaction_count", "satisfaction_value", "open_dispute_count")


def _hooks(partner_ids, options):
    """The hooks' values of ``partner_ids`` as a set of rows ``h``
    (``partner_id, interactions, satisfaction, disputes``)."""
    interactions = options["interactions"]
    satisfaction = options["satisfaction"]
    disputes = options["disputes"]
    return SQL(
        "unnest(%s::int[], %s::int[], %s::float8[], %s::int[]) "
        "AS h(partner_id, interactions, satisfaction, disputes)",
        array_literal(partner_ids),
        array_literal(interactions.get(pid) for pid in partner_ids),
        array_literal(satisfaction.get(pid) for pid in partner_ids),
        array_literal(
            None if disputes is None else disputes.get(pid) for pid in partner_ids
        ),
    )


def stage_signals(cr, table, company_id, date_run, partner_ids, run, options):
    """Copy the rows of ``SIGNALS_TABLE`` (``partner_ids``, the whole
    population of a full run) into the stage ``table`` for the run started
    at ``date_run``, with each customer's payments (one pass over the
    company's invoices, as a run in one batch reads them) and the hooks'
    values of ``options``. The shards read them back with
    ``load_staged_signals()``.

    The rows are computed into a temporary table first: PostgreSQL plans no
    parallel workers for the SELECT of an INSERT, and the payments read scans
    the company's invoice and reconciliation lines (11.6 s at size L in an
    INSERT against 4-5 s with two workers, then 0.2 s to copy the rows)."""
    ident = SQL.identifier
    columns = (*STAGED_SIGNALS, *STAGED_PAYMENTS, *STAGED_HOOKS)
    staging = ident("relationship_engagement_staging")
    cr.execute(SQL("DROP TABLE IF EXISTS %s", staging))
    cr.execute(
        SQL(
            """
            CREATE TEMPORARY TABLE %(staging)s ON COMMIT DROP AS
            SELECT %(company_id)s AS company_id, %(date_run)s::timestamp AS date_run,
                   s.partner_id, %(signals)s, %(payments)s,
                   h.interactions, h.satisfaction, h.disputes
              FROM %(signals_table)s s
              LEFT JOIN (%(payment_rows)s) p ON p.partner_id = s.partner_id
              LEFT JOIN %(hooks)s ON h.partner_id = s.partner_id
            """,
            staging=staging,
            company_id=company_id,
            date_run=date_run,
            signals=SQL(", ").join(SQL("s.%s", ident(c)) for c in STAGED_SIGNALS),
            payments=SQL(", ").join(SQL("p.%s", ident(c)) for c in STAGED_PAYMENTS),
            signals_table=ident(SIGNALS_TABLE),
            payment_rows=payment_signals(
                company_id,
                None,
                run["date_from"],
                run["today"],
                options["excluded_move_ids"],
            ),
            hooks=_hooks(partner_ids, options),
        )
    )
    cr.execute(
        SQL(
            "INSERT INTO %s (company_id, date_run, partner_id, %s) SELECT * FROM %s",
            ident(table),
            SQL(", ").join(ident(column) for column in columns),
            staging,
        )
    )
    cr.execute(SQL("DROP TABLE %s", staging))


def load_staged_signals(cr, table, company_id, date_run, since, shard, partners):
    """Fill ``SIGNALS_TABLE`` from the stage ``table`` (``stage_signals()``):
    the customers of ``shard`` ``(count, index)`` staged for the run started
    at ``date_run``, but those whose engagement row was written since
    ``since`` (a shard run again scores nobody twice). The table then holds
    the staged payments as well (``staged_payments()`` reads them). Returns
    ``(partner ids, hooks)``, the hooks as the options'
    ``{"interactions": {partner_id: value}, ...}`` (``disputes`` None when
    the run did not track them). ``partners`` joins the stage ``stage`` to
    the customers that still exist."""
    ident = SQL.identifier
    columns = (*STAGED_SIGNALS, *STAGED_PAYMENTS, *STAGED_HOOKS)
    cr.execute(SQL("DROP TABLE IF EXISTS %s", ident(SIGNALS_TABLE)))
    cr.execute(
        SQL(
            """
            CREATE TEMPORARY TABLE %(signals_table)s ON COMMIT DROP AS
            SELECT stage.partner_id, %(stage_columns)s
              FROM %(table)s stage %(partners)s
             WHERE stage.company_id = %(company_id)s
               AND stage.date_run = %(date_run)s
               AND %(stage_shard)s
               -- The shard's own written rows only: a small set, hashed
               -- once (an anti-join planned on a stale estimate of one
               -- written row scanned the other shards' rows once per
               -- customer: 20 s a shard at L).
               AND stage.partner_id NOT IN (
                   SELECT partner_id FROM relationship_engagement
                    WHERE company_id = %(company_id)s AND date_raw >= %(since)s
                      AND %(shard)s
               )
            """,
            signals_table=ident(SIGNALS_TABLE),
            stage_columns=SQL(", ").join(
                SQL("stage.%s", ident(column)) for column in columns
            ),
            partners=partners,
            stage_shard=partner_filter("stage.partner_id", None, shard),
            table=ident(table),
            company_id=company_id,
            date_run=date_run,
            since=since,
            shard=partner_filter("partner_id", None, shard),
        )
    )
    cr.execute(SQL("CREATE INDEX ON %s (partner_id)", ident(SIGNALS_TABLE)))
    cr.execute(SQL("ANALYZE %s", ident(SIGNALS_TABLE)))
    cr.execute(
        SQL(
            "SELECT partner_id, %s FROM %s ORDER BY partner_id",
            SQL(", ").join(ident(column) for column in STAGED_HOOKS),
            ident(SIGNALS_TABLE),
        )
    )
    rows = cr.fetchall()
    hooks = {
        "interactions": {pid: value for pid, value, __, __ in rows if value},
        "satisfaction": {
            pid: value for pid, __, value, __ in rows if value is not None
        },
        "disputes": {pid: value for pid, __, __, value in rows if value},
    }
    return [row[0] for row in rows], hooks


def staged_payments():
    """The payments of the customers loaded by ``load_staged_signals()``, as
    ``payment_signals()`` returns them."""
    return SQL(
        "SELECT partner_id, %s FROM %s",
        SQL(", ").join(SQL.identifier(column) for column in STAGED_PAYMENTS),
        SQL.identifier(SIGNALS_TABLE),
    )


def payment_signals(company_id, partner_ids, date_from, today, excluded_move_ids=()):
    """A query of the invoices due in the window, per customer: how many were
    paid on time, how late the others were on average (paid late, or still
    open past their due date), and the open overdue amount in company currency.

    Paid on time and the payment date are those of ``signals`` (shared with
    trust and obligations). ``excluded_move_ids`` are left out (e.g.
    invoices under an open dispute).
    """
    invoices = invoice_payments(
        SQL(
            """
            am.company_id = %(company_id)s
            AND %(partner_filter)s
            AND am.id != ALL(%(excluded)s::int[])
            AND (am.invoice_date_due >= %(date_from)s
                 OR am.payment_state IN ('not_paid', 'partial'))
            """,
            company_id=company_id,
            partner_filter=partner_filter("am.commercial_partner_id", partner_ids),
            excluded=list(excluded_move_ids),
            date_from=date_from,
        ),
        columns={
            "commercial_partner_id": SQL("am.commercial_partner_id"),
            "amount_residual_signed": SQL("am.amount_residual_signed"),
        },
    )
    return SQL(
        """
        WITH inv AS (%(invoices)s), judged AS (
            SELECT commercial_partner_id,
                   %(on_time)s AS on_time,
                   %(days_late)s AS days_late,
                   CASE WHEN NOT is_paid AND due < %(today)s
                        THEN amount_residual_signed ELSE 0.0
                   END AS overdue
              FROM inv
             WHERE is_paid OR due < %(today)s
        )
        SELECT commercial_partner_id AS partner_id,
               COUNT(*) AS due_count,
               COUNT(*) FILTER (WHERE on_time) AS on_time_count,
               COALESCE(AVG(days_late) FILTER (WHERE NOT on_time), 0.0)
                   AS avg_days_late,
               COALESCE(SUM(overdue), 0.0) AS overdue_amount
          FROM judged
         GROUP BY commercial_partner_id
        """,
        invoices=invoices,
        on_time=PAID_ON_TIME,
        days_late=days_late(today),
        today=today,
    )


def message_counts(cr, partner_ids, date_from, company_id):
    """Emails and logged notes with the customer in the window: messages on the
    customer's own contact records (but those tagged with another company, such
    as the note of an interaction logged there) and emails its contacts sent us
    about any document of the company (or of no company). Each message counts
    once."""
    cr.execute(
        SQL(
            """
            WITH contact AS (
                SELECT id, commercial_partner_id
                  FROM res_partner
                 WHERE commercial_partner_id = ANY(%(partner_ids)s::int[])
            ), msg AS (
                SELECT m.id, c.commercial_partner_id
                  FROM mail_message m
                  JOIN contact c ON m.model = 'res.partner' AND m.res_id = c.id
                 WHERE m.message_type IN ('email', 'comment')
                   AND m.date >= %(date_from)s
                   AND (m.record_company_id IS NULL
                        OR m.record_company_id = %(company_id)s)
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
            partner_ids=array_literal(partner_ids),
            date_from=datetime.combine(date_from, time.min),
            company_id=company_id,
        )
    )
    return dict(cr.fetchall())


# ----------------------------------------------------------------------
# Scoring expressions (SQL over one row of raw signals)
# ----------------------------------------------------------------------


def percentile_component(value, cuts, reversed_cuts, lower_is_better):
    """0-100 mid-rank of ``value`` among the 101 percentile cut points of the
    company (``cuts``, ascending; ``reversed_cuts``, their negations ascending),
    rounded to 0.1; inverted when a lower value is the better one.

    ``width_bucket`` counts the cut points ``<= value`` by binary search; the
    points ``< value`` are all of them less those ``>= value``, counted the
    same way on the negated points."""
    rank = SQL(
        "(100.0 * ((cardinality(%(cuts)s) - width_bucket(-(%(value)s)::float8, "
        "%(reversed_cuts)s)) + width_bucket((%(value)s)::float8, %(cuts)s)) "
        "/ (2 * cardinality(%(cuts)s)))",
        value=value,
        cuts=cuts,
        reversed_cuts=reversed_cuts,
    )
    if lower_is_better:
        rank = SQL("(100.0 - %s)", rank)
    return SQL("ROUND(%s::numeric, 1)", rank)


def round_tenth(value):
    """``value`` (numeric) rounded to 0.1, half away from zero. It is first
    rounded to 10 decimals: a quotient such as 100/3 is not exact in decimals
    either, and 33.33... - 21.58... must give 11.75 (a tie rounded up), not
    11.7499...; with counts and days as operands, a value that is not a tie
    lies much further than 1e-10 from one."""
    return SQL("ROUND(ROUND(%s, 10), 1)", value)


def payment_component(due, on_time, avg_days_late, overdue):
    """100 x share of due invoices paid on time, less up to 30 points for the
    average lateness (half a point a day) and 20 points while anything is
    overdue, within 0-100. NULL when no invoice was due in the window."""
    value = SQL(
        """
        GREATEST(0, LEAST(100,
            100.0 * %(on_time)s / %(due)s
            - LEAST(%(max_late)s, COALESCE(%(late)s, 0)::numeric * %(per_day)s::numeric)
            - CASE WHEN %(overdue)s > 0 THEN %(overdue_penalty)s ELSE 0 END
        ))
        """,
        due=due,
        on_time=on_time,
        late=avg_days_late,
        overdue=overdue,
        max_late=MAX_LATENESS_PENALTY,
        per_day=LATENESS_PENALTY_PER_DAY,
        overdue_penalty=OVERDUE_PENALTY,
    )
    return SQL("CASE WHEN %s > 0 THEN %s END", due, round_tenth(value))


def service_component(open_disputes):
    """100 less 25 points per open dispute, down to 0; NULL when disputes are
    not tracked."""
    # GREATEST() skips NULLs: test for one first.
    return SQL(
        "CASE WHEN %(count)s IS NOT NULL "
        "THEN GREATEST(0, 100 - %(penalty)s * %(count)s)::numeric END",
        count=open_disputes,
        penalty=OPEN_DISPUTE_PENALTY,
    )


def weighted_score(parts, weights):
    """Weighted mean of the components that apply (``parts``: ``{component:
    SQL}``), the weights renormalised over them, rounded to 0.1; NULL when
    none applies."""
    total = SQL(" + ").join(
        SQL("CASE WHEN %s IS NULL THEN 0 ELSE %s::numeric END", part, weights[name])
        for name, part in parts.items()
    )
    weighted = SQL(" + ").join(
        SQL("%s::numeric * COALESCE(%s, 0)", weights[name], part)
        for name, part in parts.items()
    )
    return round_tenth(SQL("(%s) / NULLIF(%s, 0)", weighted, total))


def tier_of(score, bounds):
    """``bounds`` is ``[(tier, lower_bound), ...]`` from the best tier down; no
    score is "new", below every bound "dormant"."""
    return SQL(
        "CASE WHEN %s IS NULL THEN 'new' %s ELSE 'dormant' END",
        score,
        SQL(" ").join(
            SQL("WHEN %s >= %s THEN %s", score, lower, tier) for tier, lower in bounds
        ),
    )


def quintile(component):
    """1-5 quintile of a 0-100 percentile-rank component (5 = best fifth)."""
    # Not LEAST(), which skips NULLs: a missing component has no quintile.
    return SQL(
        "CASE WHEN %(part)s >= 100 THEN 5 ELSE FLOOR(%(part)s / 20)::int + 1 END",
        part=component,
    )


def rfm_segment(r, f, m):
    """The RFM segment of quintiles ``r``, ``f``, ``m`` (1-5, 5 = best).

    Recent buyers (R 4-5) are Champions when they also buy often and much
    (F, M >= 4), Loyal when often, Potential loyalists with 2-3 orders' worth of
    frequency, New customers with the lowest frequency; R 3 is Loyal when
    frequent, else Needs attention; lapsed buyers (R 1-2) are Cannot lose when
    they were frequent big buyers, At risk when they were regular, else
    Hibernating (R 2) or Lost (R 1)."""
    return SQL(
        """
        CASE WHEN %(r)s >= 4 THEN
                  CASE WHEN %(f)s >= 4 AND %(m)s >= 4 THEN 'champions'
                       WHEN %(f)s >= 4 THEN 'loyal'
                       WHEN %(f)s >= 2 THEN 'potential_loyalist'
                       ELSE 'recent' END
             WHEN %(r)s = 3 THEN
                  CASE WHEN %(f)s >= 4 THEN 'loyal' ELSE 'needs_attention' END
             WHEN %(f)s >= 4 AND %(m)s >= 4 THEN 'cannot_lose'
             WHEN %(f)s >= 3 THEN 'at_risk'
             WHEN %(r)s = 2 THEN 'hibernating'
             ELSE 'lost'
        END
        """,
        r=r,
        f=f,
        m=m,
    )


def ranked_signals(today):
    """The raw signal of each ranked component, as SQL on a signals row ``s``
    and its hooks row ``h`` (NULL for a customer without history)."""
    return {
        "days_since_last_order": SQL("%s::date - s.last_purchase_date", today),
        "order_count": SQL("CASE WHEN s.has_history THEN s.order_count END"),
        "revenue": SQL("CASE WHEN s.has_history THEN s.revenue END"),
        "interaction_count": SQL(
            "CASE WHEN s.has_history THEN COALESCE(h.interactions, 0) END"
        ),
    }


def ranking_cuts(cr, company_id, partner_ids, today, options):
    """The company-wide inputs of the ranked components: for each ranked
    signal, its 101 percentile cut points (``QUANTILES``) among the company's
    customers with history, ``{column: [float, ...] or None}``. One statement.

    The pool is the rows of ``SIGNALS_TABLE`` (``partner_ids``, in order),
    plus the stored rows of the company's other customers that
    ``options["pool_filter"]`` (SQL on ``e``) keeps; ``options["interactions"]``
    gives their interaction counts (see ``score_signals()``).
    """
    interactions = options["interactions"]
    ranked_columns = [column for column, __ in RANKED_COMPONENTS.values()]
    ranked = SQL(", ").join(SQL.identifier(column) for column in ranked_columns)
    cr.execute(
        SQL(
            """
            WITH hooks AS (
                SELECT * FROM unnest(%(ids)s::int[], %(interactions)s::int[])
                       AS h(partner_id, interactions)
            ), raw AS (
                SELECT s.has_history, %(signals_columns)s
                  FROM %(signals)s s
                  LEFT JOIN hooks h ON h.partner_id = s.partner_id
            ), pool AS (
                SELECT %(ranked)s FROM raw WHERE has_history
                 UNION ALL
                SELECT %(ranked)s FROM relationship_engagement e
                 WHERE e.company_id = %(company_id)s
                   AND e.tier != 'new'
                   AND %(pool_filter)s
                   AND NOT EXISTS (
                       SELECT 1 FROM %(signals)s s WHERE s.partner_id = e.partner_id
                   )
            )
            SELECT %(cuts)s FROM pool
            """,
            signals=SQL.identifier(SIGNALS_TABLE),
            ids=array_literal(partner_ids),
            interactions=array_literal(interactions.get(pid) for pid in partner_ids),
            signals_columns=SQL(", ").join(
                SQL("%s AS %s", expression, SQL.identifier(column))
                for column, expression in ranked_signals(today).items()
            ),
            ranked=ranked,
            company_id=company_id,
            pool_filter=options["pool_filter"],
            cuts=SQL(", ").join(
                SQL(
                    "percentile_cont(%s::float8[]) WITHIN GROUP (ORDER BY %s::float8)",
                    QUANTILES,
                    SQL.identifier(column),
                )
                for column in ranked_columns
            ),
        )
    )
    return dict(zip(ranked_columns, cr.fetchone(), strict=True))


def score_signals(cr, company_id, partner_ids, date_from, today, options):
    """Fill the temporary table ``SCORED_TABLE`` from the rows of
    ``SIGNALS_TABLE`` of ``partner_ids``: every raw signal, the seven
    components, score, tier and RFM quintiles and segment. One statement.

    Ranked components are percentile ranks on ``options["cuts"]`` (see
    ``ranking_cuts()``): the same cut points for every batch of a run.

    :param partner_ids: the customers to score (in ``SIGNALS_TABLE``), in order
    :param options: ``weights``, ``bounds`` (see ``tier_of()``), ``cuts``,
        ``excluded_move_ids``, ``interactions``, ``satisfaction`` and
        ``disputes`` (``{partner_id: value}``, disputes None when not tracked)
        and either ``payments`` (a query of the customers' payment rows,
        ``staged_payments()``) or ``payment_partner_ids`` (whose invoices
        ``payment_signals()`` reads; None: the company's whole population)
    """
    ranked = {
        name: percentile_component(
            SQL.identifier(column),
            SQL.identifier(f"{column}_cuts"),
            SQL.identifier(f"{column}_reversed"),
            lower_is_better,
        )
        for name, (column, lower_is_better) in RANKED_COMPONENTS.items()
    }
    parts = {
        **ranked,
        "payment": payment_component(
            SQL("invoice_due_count"),
            SQL("invoice_on_time_count"),
            SQL("avg_days_late"),
            SQL("overdue_amount"),
        ),
        "satisfaction": SQL("ROUND(satisfaction_value::numeric, 1)"),
        "service": service_component(SQL("open_dispute_count")),
    }
    ranked_columns = [column for column, __ in RANKED_COMPONENTS.values()]
    signals_columns = ranked_signals(today)
    cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(SCORED_TABLE)))
    cr.execute(
        SQL(
            """
            CREATE TEMPORARY TABLE %(scored)s ON COMMIT DROP AS
            WITH payments AS (%(payments)s),
            hooks AS (SELECT * FROM %(hooks)s),
            raw AS (
                SELECT s.partner_id, s.has_history, s.last_order_date,
                       %(days_since_last_order)s AS days_since_last_order,
                       %(order_count)s AS order_count,
                       %(revenue)s AS revenue,
                       COALESCE(p.due_count, 0)::int AS invoice_due_count,
                       COALESCE(p.on_time_count, 0)::int AS invoice_on_time_count,
                       (COALESCE(p.due_count, 0) - COALESCE(p.on_time_count, 0))::int
                           AS invoice_late_count,
                       COALESCE(p.avg_days_late, 0) AS avg_days_late,
                       COALESCE(p.overdue_amount, 0) AS overdue_amount,
                       %(interaction_count)s AS interaction_count,
                       h.satisfaction AS satisfaction_value,
                       CASE WHEN %(disputes_tracked)s THEN COALESCE(h.disputes, 0)
                       END AS open_dispute_count
                  FROM %(signals)s s
                  JOIN hooks h ON h.partner_id = s.partner_id
                  LEFT JOIN payments p ON p.partner_id = s.partner_id
            ), cuts AS MATERIALIZED (
                SELECT %(cuts)s
            ), ranges AS MATERIALIZED (
                SELECT cuts.*, %(reversed_cuts)s FROM cuts
            )
            -- Each step in its own LATERAL subquery (OFFSET 0 keeps it one):
            -- later steps read its columns instead of repeating its
            -- expressions.
            SELECT raw.*, parts.*, scored.score, %(tier)s AS tier, quintiles.*,
                   CASE WHEN has_history THEN %(segment)s END AS rfm_segment
              FROM raw
             CROSS JOIN ranges
             CROSS JOIN LATERAL (SELECT %(parts)s OFFSET 0) parts
             CROSS JOIN LATERAL (SELECT %(score)s AS score OFFSET 0) scored
             CROSS JOIN LATERAL (
                   SELECT CASE WHEN has_history
                               THEN COALESCE(%(r)s, 1) END AS rfm_recency,
                          CASE WHEN has_history
                               THEN COALESCE(%(f)s, 1) END AS rfm_frequency,
                          CASE WHEN has_history
                               THEN COALESCE(%(m)s, 1) END AS rfm_monetary
                   OFFSET 0
             ) quintiles
            """,
            scored=SQL.identifier(SCORED_TABLE),
            signals=SQL.identifier(SIGNALS_TABLE),
            payments=options.get("payments")
            or payment_signals(
                company_id,
                options["payment_partner_ids"],
                date_from,
                today,
                options["excluded_move_ids"],
            ),
            hooks=_hooks(partner_ids, options),
            disputes_tracked=options["disputes"] is not None,
            **signals_columns,
            cuts=SQL(", ").join(
                SQL(
                    "%s::float8[] AS %s",
                    options["cuts"][column],
                    SQL.identifier(f"{column}_cuts"),
                )
                for column in ranked_columns
            ),
            reversed_cuts=SQL(", ").join(
                SQL(
                    "ARRAY(SELECT -c FROM unnest(%s) WITH ORDINALITY AS u(c, i) "
                    "ORDER BY i DESC) AS %s",
                    SQL.identifier(f"{column}_cuts"),
                    SQL.identifier(f"{column}_reversed"),
                )
                for column in ranked_columns
            ),
            parts=SQL(", ").join(
                SQL(
                    "CASE WHEN has_history THEN %s END AS %s",
                    part,
                    SQL.identifier(f"{name}_score"),
                )
                for name, part in parts.items()
            ),
            score=weighted_score(
                {name: SQL.identifier(f"{name}_score") for name in COMPONENTS},
                options["weights"],
            ),
            tier=tier_of(SQL("scored.score"), options["bounds"]),
            r=quintile(SQL("recency_score")),
            f=quintile(SQL("frequency_score")),
            m=quintile(SQL("monetary_score")),
            segment=rfm_segment(
                SQL("rfm_recency"), SQL("rfm_frequency"), SQL("rfm_monetary")
            ),
        )
    )
    # The writes read the table batch by batch, by partner.
    cr.execute(
        SQL(
            "CREATE INDEX ON %s (partner_id)",
            SQL.identifier(SCORED_TABLE),
        )
    )


def drop_tables(cr):
    for table in (SCORED_TABLE, SIGNALS_TABLE):
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(table)))
