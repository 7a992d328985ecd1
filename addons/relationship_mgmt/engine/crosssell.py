"""Set-based cross-sell mining.

Pure functions over a database cursor. ``load_history`` reads the confirmed
order lines of one company into a temporary table of (customer, product)
purchases, with one ``GROUP BY``; ``mine_affinities`` turns it into association
rules a -> b (products, and product categories) with one ``INSERT ... SELECT``
per kind; ``recommend`` ranks for every customer the products of those rules
they have not bought in the window, with one ``INSERT ... SELECT``. Nothing
loops over orders or customers in Python.

Definitions, over the customers who bought anything in the window (N):

- support(a -> b) = customers who bought both a and b / N
- confidence(a -> b) = customers who bought both / customers who bought a
- lift(a -> b) = confidence(a -> b) / (customers who bought b / N)
"""

import math
from datetime import datetime, time, timedelta

from odoo.tools import SQL

HISTORY_TABLE = "relationship_crosssell_history"
PRODUCT_TABLE = "relationship_crosssell_product"
# Item column of the history table mined for each kind of rule.
KIND_COLUMNS = {"product": "product_id", "category": "categ_id"}
# How much a customer's RFM segment weighs on the scores of its recommendations:
# customers buying often and recently are the likeliest to take one more product.
SEGMENT_FACTORS = {
    "champions": 1.2,
    "loyal": 1.15,
    "potential_loyalist": 1.1,
    "recent": 1.0,
    "needs_attention": 1.0,
    "cannot_lose": 0.9,
    "at_risk": 0.9,
    "hibernating": 0.8,
    "lost": 0.7,
}
DEFAULT_SEGMENT_FACTOR = 1.0
# The product's margin rate (0-1) moves its score between these factors.
MARGIN_FACTOR_MIN = 0.75
MARGIN_FACTOR_SPAN = 0.5
# A confidence of 1 would make the combined affinity certain; cap it.
MAX_CONFIDENCE = 0.99


def window_bounds(as_of, window_days):
    """``(start, end)`` timestamps of the mining window: the ``window_days``
    days up to ``as_of`` included."""
    end = datetime.combine(as_of + timedelta(days=1), time.min)
    return end - timedelta(days=window_days), end


def load_history(cr, company_id, as_of, window_days, excluded_ids):
    """Fill the temporary history table: one row per commercial customer and
    product bought on a confirmed order of the company up to ``as_of``, with
    the number of orders and the first and last order date in the window
    (``window_orders`` = 0 when the product was only bought before it), and
    the last purchase date ever. Customers in ``excluded_ids`` (opted out of
    profiling, the companies' own partners) are left out.

    :return: the number of customers who bought something in the window
    """
    start, end = window_bounds(as_of, window_days)
    table = SQL.identifier(HISTORY_TABLE)
    cr.execute(SQL("DROP TABLE IF EXISTS %s", table))
    cr.execute(
        SQL(
            """
            CREATE TEMP TABLE %(table)s ON COMMIT DROP AS
            SELECT p.commercial_partner_id AS customer_id,
                   sol.product_id,
                   pt.categ_id,
                   COUNT(DISTINCT so.id) FILTER (WHERE so.date_order >= %(start)s)
                       AS window_orders,
                   MIN(so.date_order) FILTER (WHERE so.date_order >= %(start)s)
                       AS first_window,
                   MAX(so.date_order) FILTER (WHERE so.date_order >= %(start)s)
                       AS last_window,
                   MAX(so.date_order)::date AS last_date
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
              JOIN res_partner p ON p.id = so.partner_id
              JOIN product_product pp ON pp.id = sol.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
             WHERE so.company_id = %(company)s
               AND so.state = 'sale'
               AND so.date_order < %(end)s
               AND sol.display_type IS NULL
               AND NOT COALESCE(sol.is_downpayment, FALSE)
               AND NOT (p.commercial_partner_id = ANY(%(excluded)s))
             GROUP BY 1, 2, 3
            """,
            table=table,
            start=start,
            end=end,
            company=company_id,
            excluded=sorted(excluded_ids),
        )
    )
    cr.execute(SQL("CREATE INDEX ON %s (customer_id, product_id)", table))
    cr.execute(SQL("ANALYZE %s", table))
    cr.execute(
        SQL(
            "SELECT COUNT(DISTINCT customer_id) FROM %s WHERE window_orders > 0",
            table,
        )
    )
    return cr.fetchone()[0]


def min_customers(customer_count, min_support):
    """Fewest customers an item or a pair needs to reach ``min_support``."""
    return max(1, math.ceil(min_support * customer_count - 1e-9))


def mine_affinities(cr, company_id, kind, customer_count, thresholds, uid):
    """Replace the company's rules of ``kind`` ('product' or 'category') by
    those mined from the history table: one DELETE and one INSERT ... SELECT.
    ``thresholds`` is ``(min_support, min_confidence, min_lift)``.
    Items below the minimum support are dropped before the self-join of the
    baskets, which keeps the pairs to count small.

    :return: the number of rules written
    """
    column = SQL.identifier(KIND_COLUMNS[kind])
    cr.execute(
        SQL(
            "DELETE FROM relationship_product_affinity "
            "WHERE company_id = %s AND kind = %s",
            company_id,
            kind,
        )
    )
    if not customer_count:
        return 0
    min_support, min_confidence, min_lift = thresholds
    a_column, b_column = (
        ("product_a_id", "product_b_id")
        if kind == "product"
        else ("categ_a_id", "categ_b_id")
    )
    cr.execute(
        SQL(
            """
            WITH basket AS (
                SELECT DISTINCT customer_id, %(column)s AS item
                  FROM %(table)s
                 WHERE window_orders > 0 AND %(column)s IS NOT NULL
            ), frequent AS (
                SELECT item, COUNT(*) AS customers
                  FROM basket
                 GROUP BY item
                HAVING COUNT(*) >= %(min_count)s
            ), frequent_basket AS (
                SELECT b.customer_id, b.item
                  FROM basket b
                  JOIN frequent f ON f.item = b.item
            ), pairs AS (
                SELECT a.item AS item_a, b.item AS item_b, COUNT(*) AS both_count
                  FROM frequent_basket a
                  JOIN frequent_basket b
                    ON b.customer_id = a.customer_id AND b.item <> a.item
                 GROUP BY a.item, b.item
                HAVING COUNT(*) >= %(min_count)s
            )
            INSERT INTO relationship_product_affinity (
                company_id, kind, %(a_column)s, %(b_column)s, customer_count,
                customers_a, customers_b, customers_both, support, confidence,
                lift, create_uid, create_date, write_uid, write_date)
            SELECT %(company)s, %(kind)s, pairs.item_a, pairs.item_b, %(n)s,
                   fa.customers, fb.customers, pairs.both_count,
                   pairs.both_count::float8 / %(n)s,
                   pairs.both_count::float8 / fa.customers,
                   pairs.both_count::float8 * %(n)s / (fa.customers * fb.customers),
                   %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s,
                   now() AT TIME ZONE 'UTC'
              FROM pairs
              JOIN frequent fa ON fa.item = pairs.item_a
              JOIN frequent fb ON fb.item = pairs.item_b
             WHERE pairs.both_count::float8 / fa.customers >= %(min_confidence)s
               AND pairs.both_count::float8 * %(n)s / (fa.customers * fb.customers)
                   >= %(min_lift)s
            """,
            column=column,
            table=SQL.identifier(HISTORY_TABLE),
            min_count=min_customers(customer_count, min_support),
            a_column=SQL.identifier(a_column),
            b_column=SQL.identifier(b_column),
            company=company_id,
            kind=kind,
            n=customer_count,
            min_confidence=min_confidence,
            min_lift=min_lift,
            uid=uid,
        )
    )
    return cr.rowcount


def recommend(cr, company_id, limit, uid):
    """Replace the company's open recommendations by the best ``limit``
    products per customer: products b of the product rules a -> b where the
    customer bought a in the window and did not buy b in it (never, or not
    since before the window), and that are not already followed up (an
    opportunity or a dismissed recommendation on the same product).

    Score = 100 x affinity x segment factor x margin factor, where the affinity
    combines the confidences of every rule leading to b from a product the
    customer buys (1 - prod(1 - confidence)); the best of those rules (highest
    confidence x lift) is kept as the reason.

    :return: the number of recommendations written
    """
    cr.execute(
        SQL(
            "DELETE FROM relationship_recommendation "
            "WHERE company_id = %s AND state = 'open'",
            company_id,
        )
    )
    # The rules were just rewritten: give the planner their statistics.
    cr.execute(SQL("ANALYZE relationship_product_affinity"))
    _load_products(cr, company_id)
    segments = sorted(SEGMENT_FACTORS)
    cr.execute(
        SQL(
            """
            WITH segment_factor AS (
                SELECT * FROM unnest(%(segments)s::varchar[], %(factors)s::float8[])
                       AS s(segment, factor)
            ), candidate AS (
                SELECT h.customer_id, r.product_b_id AS product_id, r.id AS rule_id,
                       h.product_id AS source_id, r.confidence, r.lift,
                       h.window_orders, p.margin_factor,
                       EXTRACT(EPOCH FROM h.last_window - h.first_window) / 86400.0
                           / NULLIF(h.window_orders - 1, 0) AS gap_days
                  FROM %(table)s h
                  JOIN relationship_product_affinity r
                    ON r.company_id = %(company)s AND r.kind = 'product'
                   AND r.product_a_id = h.product_id
                  JOIN %(products)s p ON p.product_id = r.product_b_id
                 WHERE h.window_orders > 0
                   AND NOT EXISTS (
                       SELECT 1 FROM %(table)s bought
                        WHERE bought.customer_id = h.customer_id
                          AND bought.product_id = r.product_b_id
                          AND bought.window_orders > 0)
            ), ordered AS (
                SELECT c.*,
                       ROW_NUMBER() OVER best AS best_position,
                       SUM(LN(1 - LEAST(c.confidence, %(max_confidence)s)))
                           OVER pair AS log_miss,
                       COUNT(*) OVER pair AS rule_count
                  FROM candidate c
                WINDOW pair AS (PARTITION BY c.customer_id, c.product_id),
                       best AS (PARTITION BY c.customer_id, c.product_id
                                ORDER BY c.confidence * c.lift DESC, c.rule_id)
            ), scored AS (
                SELECT o.*, 1 - EXP(o.log_miss) AS affinity,
                       COALESCE(seg.factor, %(default_factor)s) AS segment_factor,
                       old.last_date AS last_bought_date,
                       e.rfm_segment
                  FROM ordered o
                  LEFT JOIN %(table)s old
                    ON old.customer_id = o.customer_id AND old.product_id = o.product_id
                  LEFT JOIN relationship_engagement e
                    ON e.partner_id = o.customer_id AND e.company_id = %(company)s
                  LEFT JOIN segment_factor seg ON seg.segment = e.rfm_segment
                 WHERE o.best_position = 1
                   AND NOT EXISTS (
                       SELECT 1 FROM relationship_recommendation done
                        WHERE done.company_id = %(company)s
                          AND done.partner_id = o.customer_id
                          AND done.product_id = o.product_id)
            ), numbered AS (
                SELECT s.*, 100 * s.affinity * s.segment_factor * s.margin_factor
                           AS score,
                       ROW_NUMBER() OVER (
                           PARTITION BY s.customer_id
                           ORDER BY s.affinity * s.segment_factor * s.margin_factor
                                    DESC, s.product_id) AS position
                  FROM scored s
            )
            INSERT INTO relationship_recommendation (
                company_id, partner_id, product_id, affinity_id, source_product_id,
                rule_confidence, rule_lift, state, position,
                score, affinity, segment_factor, margin_factor, rfm_segment,
                rule_count, antecedent_order_count, antecedent_gap_days,
                last_bought_date, create_uid, create_date, write_uid, write_date)
            SELECT %(company)s, customer_id, product_id, rule_id, source_id,
                   confidence, lift, 'open', position,
                   score, affinity, segment_factor, margin_factor, rfm_segment,
                   rule_count, window_orders, gap_days, last_bought_date,
                   %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s,
                   now() AT TIME ZONE 'UTC'
              FROM numbered
             WHERE position <= %(limit)s
            """,
            segments=segments,
            factors=[SEGMENT_FACTORS[key] for key in segments],
            table=SQL.identifier(HISTORY_TABLE),
            products=SQL.identifier(PRODUCT_TABLE),
            company=company_id,
            max_confidence=MAX_CONFIDENCE,
            default_factor=DEFAULT_SEGMENT_FACTOR,
            limit=limit,
            uid=uid,
        )
    )
    return cr.rowcount


def _load_products(cr, company_id):
    """The temporary table of the products that may be recommended (active,
    sold, of the company or shared, and bought by someone in the window) with
    their margin factor: the list price less the company's cost, as a share of
    the price."""
    table = SQL.identifier(PRODUCT_TABLE)
    cr.execute(SQL("DROP TABLE IF EXISTS %s", table))
    cr.execute(
        SQL(
            """
            CREATE TEMP TABLE %(table)s ON COMMIT DROP AS
            SELECT pp.id AS product_id,
                   (%(margin_min)s + %(margin_span)s * LEAST(1, GREATEST(0,
                       (pt.list_price
                        - COALESCE((pp.standard_price ->> %(company_key)s)::numeric, 0))
                       / NULLIF(pt.list_price, 0))))::float8 AS margin_factor
              FROM product_product pp
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
             WHERE pp.active AND pt.active AND pt.sale_ok
               AND (pt.company_id IS NULL OR pt.company_id = %(company)s)
               AND pp.id IN (SELECT product_id FROM %(history)s
                              WHERE window_orders > 0)
            """,
            table=table,
            history=SQL.identifier(HISTORY_TABLE),
            company=company_id,
            company_key=str(company_id),
            margin_min=MARGIN_FACTOR_MIN,
            margin_span=MARGIN_FACTOR_SPAN,
        )
    )
    cr.execute(
        SQL("UPDATE %s SET margin_factor = 1 WHERE margin_factor IS NULL", table)
    )
    cr.execute(SQL("ANALYZE %s", table))


def popular_products(cr, limit):
    """The baseline: for every customer of the history table, the ``limit``
    products bought by the most customers in the window that the customer did
    not buy in it. Returns ``{customer_id: [product_id, ...]}`` best first."""
    table = SQL.identifier(HISTORY_TABLE)
    cr.execute(
        SQL(
            """
            WITH popularity AS (
                SELECT product_id, COUNT(*) AS customers
                  FROM %(table)s WHERE window_orders > 0
                 GROUP BY product_id
            ), customer AS (
                SELECT DISTINCT customer_id FROM %(table)s WHERE window_orders > 0
            ), ranked AS (
                SELECT c.customer_id, p.product_id,
                       ROW_NUMBER() OVER (
                           PARTITION BY c.customer_id
                           ORDER BY p.customers DESC, p.product_id) AS position
                  FROM customer c
                 CROSS JOIN (SELECT * FROM popularity
                              ORDER BY customers DESC, product_id
                              LIMIT %(pool)s) p
                 WHERE NOT EXISTS (
                       SELECT 1 FROM %(table)s h
                        WHERE h.customer_id = c.customer_id
                          AND h.product_id = p.product_id
                          AND h.window_orders > 0)
            )
            SELECT customer_id, ARRAY_AGG(product_id ORDER BY position)
              FROM ranked WHERE position <= %(limit)s
             GROUP BY customer_id
            """,
            table=table,
            limit=limit,
            pool=limit * 20,
        )
    )
    return dict(cr.fetchall())
