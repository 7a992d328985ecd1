"""Measure and back-test the cross-sell mining of relationship_mgmt.

Usage::

    python3 bench/crosssell.py --db NAME [--add-catalogue] [--cutoff-days 90]
                               [--output FILE]

The database is one filled by ``bench/generate.py``. Its eight service
products are too few for product affinity, so ``--add-catalogue`` first adds
(once) a catalogue with structure: 300 products in 15 categories, and to every
confirmed order of the main company 1-3 extra lines drawn from the customer's
"tastes" (1-3 categories per customer: 70 % of the lines from a taste, 15 % from
the category paired with it, 15 % anywhere; within a category the first
products sell most). The lines are written with one ``INSERT ... SELECT`` like
``generate.py`` does; the orders' totals are left as they were (only the lines
are mined). Then, on the main company:

1. **mining**: the product and category rules and the recommendations
   (``relationship.product.affinity._refresh_company``, phase by phase), wall
   time, peak RSS growth and peak of Python allocations (tracemalloc);
   committed, so the database shows the results afterwards;
2. **back-test**: in a transaction rolled back, the same mining as of
   ``--cutoff-days`` ago (it sees no order after that day); the top 10
   recommendations of each customer are compared with the products the customer
   bought afterwards and had not bought in the mining window. Hit rate @k: share
   of those customers (the ones who bought something new later) with at least
   one of those products among their first k recommendations; next to a
   baseline recommending the k products bought by the most customers that the
   customer had not bought.

Prints a table and writes JSON (``--output``, default
``bench/results/crosssell_<db>_<time>.json``).
"""

import argparse
import json
import resource
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

from common import ADDONS_PATH, environment, load_registry, vacuum_analyze

from odoo import fields
from odoo.tools import SQL

CATALOGUE_CODE = "BENCH-XS-"
CATEGORIES = 15
PRODUCTS_PER_CATEGORY = 20
TASTE_SHARE = 0.70  # lines from one of the customer's tastes
PAIRED_SHARE = 0.15  # lines from the category paired with a taste
TOP_K = (5, 10)
SEED = 4242
# The addon's engine, importable once load_registry() has set the addons path.
engine = None
excluded_partner_ids = None


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ----------------------------------------------------------------------
# Catalogue
# ----------------------------------------------------------------------


def catalogue_products(env):
    """The catalogue (created through the ORM in one batch if missing), in
    category order: ``PRODUCTS_PER_CATEGORY`` per category."""
    Product = env["product.product"]
    products = Product.search(
        [("default_code", "=like", f"{CATALOGUE_CODE}%")], order="default_code"
    )
    if products:
        return products, False
    categories = env["product.category"].create(
        [{"name": f"Bench Cross-sell {index + 1:02d}"} for index in range(CATEGORIES)]
    )
    values = []
    for c_index, category in enumerate(categories):
        for p_index in range(PRODUCTS_PER_CATEGORY):
            number = c_index * PRODUCTS_PER_CATEGORY + p_index
            price = 20.0 + (number * 37) % 480
            values.append(
                {
                    "name": f"{category.name} item {p_index + 1:02d}",
                    "default_code": f"{CATALOGUE_CODE}{number:03d}",
                    "categ_id": category.id,
                    "type": "service",
                    "list_price": price,
                    "standard_price": round(price * (0.4 + (number % 5) / 10), 2),
                    "taxes_id": [(5, 0, 0)],
                    "invoice_policy": "order",
                }
            )
    products = Product.create(values)
    env.flush_all()
    return products, True


def add_catalogue(env, company):
    """Add the catalogue's lines to the confirmed orders of ``company`` (once).
    Returns the number of lines inserted."""
    products, created = catalogue_products(env)
    if not created:
        print("Catalogue already there: no line added.")
        return 0
    cr = env.cr
    cr.execute(
        SQL(
            """
            CREATE FUNCTION pg_temp.xs_rand(key bigint, salt integer)
            RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
                SELECT (hashint8extended(key, salt::bigint * 7919 + %s)
                        & 4503599627370495)::float8 / 4503599627370496.0
            $$
            """,
            SEED,
        )
    )
    cr.execute(
        SQL(
            """
            CREATE TEMP TABLE xs_product ON COMMIT DROP AS
            SELECT idx - 1 AS idx, product_id, uom_id, name, price, cost
              FROM unnest(%(ids)s::int[], %(uoms)s::int[], %(names)s::varchar[],
                          %(prices)s::numeric[], %(costs)s::numeric[])
                   WITH ORDINALITY AS p(product_id, uom_id, name, price, cost, idx);
            CREATE INDEX ON xs_product (idx)
            """,
            ids=products.ids,
            uoms=[product.uom_id.id for product in products],
            names=[product.display_name for product in products],
            prices=[product.list_price for product in products],
            costs=[
                product.with_company(company).standard_price for product in products
            ],
        )
    )
    cr.execute(
        SQL(
            """
            WITH drawn AS (
                SELECT so.id AS order_id, so.partner_id, so.user_id, so.currency_id,
                       so.warehouse_id, so.date_order, k,
                       p.commercial_partner_id::bigint AS ckey,
                       so.id::bigint * 8 + k AS lkey
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 CROSS JOIN LATERAL generate_series(
                       1, 1 + floor(pg_temp.xs_rand(so.id, 1) * 3)::int) k
                 WHERE so.company_id = %(company)s AND so.state = 'sale'
            ), tasted AS (
                SELECT d.*,
                       floor(pg_temp.xs_rand(d.ckey,
                             11 + floor(pg_temp.xs_rand(d.lkey, 3)
                                        * (1 + floor(pg_temp.xs_rand(d.ckey, 10) * 3))
                                       )::int) * %(categories)s)::int AS taste,
                       pg_temp.xs_rand(d.lkey, 4) AS r_kind,
                       floor(pg_temp.xs_rand(d.lkey, 5) * %(categories)s)::int AS anyc,
                       floor(pg_temp.xs_rand(d.lkey, 6) ^ 2 * %(per_categ)s)::int
                           AS rank_in_categ
                  FROM drawn d
            ), chosen AS (
                SELECT t.*,
                       (CASE WHEN t.r_kind < %(taste)s THEN t.taste
                             WHEN t.r_kind < %(taste)s + %(paired)s
                             THEN mod(t.taste + 1, %(categories)s)
                             ELSE t.anyc
                        END) * %(per_categ)s + t.rank_in_categ AS idx
                  FROM tasted t
            )
            INSERT INTO sale_order_line (
                id, order_id, sequence, company_id, currency_id, order_partner_id,
                salesman_id, product_id, product_uom, state, qty_delivered_method,
                invoice_status, name, product_uom_qty, price_unit, discount,
                price_subtotal, price_tax, price_total, price_reduce_taxexcl,
                price_reduce_taxinc, technical_price_unit, qty_delivered,
                qty_invoiced, qty_to_invoice, untaxed_amount_invoiced,
                untaxed_amount_to_invoice, customer_lead, product_packaging_qty,
                is_downpayment, is_expense, warehouse_id, purchase_price, margin,
                margin_percent, create_uid, create_date, write_uid, write_date)
            SELECT nextval('sale_order_line_id_seq'), c.order_id, 100 + c.k,
                   %(company)s, c.currency_id, c.partner_id, c.user_id,
                   p.product_id, p.uom_id, 'sale', 'manual', 'no', p.name, 1.0,
                   p.price, 0.0, p.price, 0.0, p.price, p.price, p.price, p.price,
                   0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, FALSE, FALSE,
                   c.warehouse_id, p.cost, p.price - p.cost,
                   (p.price - p.cost) / NULLIF(p.price, 0),
                   %(uid)s, c.date_order, %(uid)s, c.date_order
              FROM chosen c
              JOIN xs_product p ON p.idx = c.idx
             ORDER BY c.order_id, c.k
            """,
            company=company.id,
            categories=CATEGORIES,
            per_categ=PRODUCTS_PER_CATEGORY,
            taste=TASTE_SHARE,
            paired=PAIRED_SHARE,
            uid=env.uid,
        )
    )
    return cr.rowcount


# ----------------------------------------------------------------------
# Mining
# ----------------------------------------------------------------------


def mine(env, company, as_of):
    """The steps of ``_refresh_company``, timed one by one."""
    cr = env.cr
    env.flush_all()
    timings = {}
    start = time.perf_counter()
    customers = engine.load_history(
        cr,
        company.id,
        as_of,
        company.crosssell_window_days,
        excluded_partner_ids(cr),
    )
    timings["history_s"] = time.perf_counter() - start
    thresholds = (
        company.crosssell_min_support,
        company.crosssell_min_confidence,
        company.crosssell_min_lift,
    )
    counts = {"customers": customers}
    for kind in engine.KIND_COLUMNS:
        step = time.perf_counter()
        counts[f"{kind}_rules"] = engine.mine_affinities(
            cr, company.id, kind, customers, thresholds, env.uid
        )
        timings[f"{kind}_rules_s"] = time.perf_counter() - step
    step = time.perf_counter()
    counts["recommendations"] = engine.recommend(
        cr, company.id, company.crosssell_max_recommendations, env.uid
    )
    timings["recommend_s"] = time.perf_counter() - step
    timings["total_s"] = time.perf_counter() - start
    env.invalidate_all()
    return counts, timings


def measure_mining(registry, as_of):
    with environment(registry) as env:
        company = env.ref("base.main_company")
        cr = env.cr
        cr.execute("SELECT COUNT(*) FROM sale_order_line")
        lines = cr.fetchone()[0]
        rss_before = peak_rss_mb()
        counts, timings = mine(env, company, as_of)
        rss_growth = peak_rss_mb() - rss_before
        env.cr.commit()
    with environment(registry) as env:
        company = env.ref("base.main_company")
        tracemalloc.start()
        mine(env, company, as_of)
        __, python_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        env.cr.rollback()
    return {
        "order_lines": lines,
        **counts,
        **timings,
        "peak_rss_growth_mb": rss_growth,
        "peak_rss_mb": peak_rss_mb(),
        "tracemalloc_peak_mb": python_peak / 2**20,
    }


# ----------------------------------------------------------------------
# Back-test
# ----------------------------------------------------------------------


def later_purchases(cr, company_id, cutoff, today):
    """``{customer: {products}}`` bought after ``cutoff`` (confirmed orders,
    up to today) and not bought in the mining window (the history table)."""
    __, start = engine.window_bounds(cutoff, 1)
    __, end = engine.window_bounds(today, 1)
    cr.execute(
        SQL(
            """
            SELECT p.commercial_partner_id, ARRAY_AGG(DISTINCT sol.product_id)
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.company_id = %(company)s AND so.state = 'sale'
               AND so.date_order >= %(start)s
               AND so.date_order < %(end)s
               AND sol.display_type IS NULL
               AND NOT EXISTS (
                   SELECT 1 FROM %(history)s h
                    WHERE h.customer_id = p.commercial_partner_id
                      AND h.product_id = sol.product_id AND h.window_orders > 0)
             GROUP BY 1
            """,
            company=company_id,
            start=start,
            end=end,
            history=SQL.identifier(engine.HISTORY_TABLE),
        )
    )
    return {customer: set(products) for customer, products in cr.fetchall()}


def hit_rates(lists, later, customers):
    """Share of ``customers`` with a later-bought product in the first k."""
    rates = {}
    for k in TOP_K:
        hits = sum(
            1
            for customer in customers
            if later[customer] & set(lists.get(customer, [])[:k])
        )
        rates[f"hit_rate_at_{k}"] = hits / len(customers) if customers else None
    return rates


def backtest(registry, cutoff_days):
    with environment(registry) as env:
        company = env.ref("base.main_company")
        cr = env.cr
        today = fields.Date.context_today(env["res.users"])
        cutoff = today - timedelta(days=cutoff_days)
        start = time.perf_counter()
        counts, __ = mine(env, company, cutoff)
        cr.execute(
            SQL(
                """
                SELECT partner_id, ARRAY_AGG(product_id ORDER BY position)
                  FROM relationship_recommendation
                 WHERE company_id = %s AND state = 'open'
                 GROUP BY partner_id
                """,
                company.id,
            )
        )
        recommended = dict(cr.fetchall())
        popular = engine.popular_products(cr, max(TOP_K))
        later = later_purchases(cr, company.id, cutoff, today)
        cr.execute(
            SQL(
                "SELECT DISTINCT customer_id FROM %s WHERE window_orders > 0",
                SQL.identifier(engine.HISTORY_TABLE),
            )
        )
        trained = {row[0] for row in cr.fetchall()}
        evaluated = sorted(trained & later.keys())
        result = {
            "cutoff": cutoff.isoformat(),
            "training_customers": counts["customers"],
            "product_rules": counts["product_rules"],
            "customers_with_recommendations": len(recommended),
            "evaluated_customers": len(evaluated),
            "recommendations": hit_rates(recommended, later, evaluated),
            "most_popular_baseline": hit_rates(popular, later, evaluated),
            "seconds": time.perf_counter() - start,
        }
        cr.rollback()
    return result


# ----------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------


def report(result):
    mining = result["mining"]
    print(f"Cross-sell mining on {result['db']} ({mining['order_lines']:,} lines)")
    print(
        f"  customers {mining['customers']:,}  product rules "
        f"{mining['product_rules']:,}  category rules {mining['category_rules']:,}  "
        f"recommendations {mining['recommendations']:,}"
    )
    print(
        "  history {history_s:.1f} s | product rules {product_rules_s:.1f} s | "
        "category rules {category_rules_s:.1f} s | recommend {recommend_s:.1f} s | "
        "total {total_s:.1f} s".format(**mining)
    )
    print(
        f"  peak RSS growth {mining['peak_rss_growth_mb']:.0f} MB (process peak "
        f"{mining['peak_rss_mb']:.0f} MB), Python peak "
        f"{mining['tracemalloc_peak_mb']:.1f} MB"
    )
    test = result["backtest"]
    print(
        f"Back-test: trained up to {test['cutoff']}, "
        f"{test['evaluated_customers']:,} customers bought something new later"
    )
    print(f"  {'':<24}" + "".join(f"{f'hit@{k}':>10}" for k in TOP_K))
    for label, key in (
        ("recommendations", "recommendations"),
        ("most popular baseline", "most_popular_baseline"),
    ):
        rates = test[key]
        print(
            f"  {label:<24}"
            + "".join(f"{rates[f'hit_rate_at_{k}'] or 0:>10.1%}" for k in TOP_K)
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--add-catalogue", action="store_true")
    parser.add_argument("--cutoff-days", type=int, default=90)
    parser.add_argument("--output", help="JSON file")
    parser.add_argument("--addons-path", default=ADDONS_PATH)
    args = parser.parse_args(argv)
    registry = load_registry(args.db, args.addons_path)
    global engine, excluded_partner_ids  # noqa: PLW0603 (addons path known now)
    from odoo.addons.relationship_mgmt.engine import crosssell as engine
    from odoo.addons.relationship_mgmt.engine.signals import (
        excluded_partner_ids,
    )

    result = {"db": args.db, "date": date.today().isoformat()}
    if args.add_catalogue:
        start = time.perf_counter()
        with environment(registry) as env:
            added = add_catalogue(env, env.ref("base.main_company"))
            env.cr.commit()
        if added:
            vacuum_analyze(args.db, ("sale_order_line",))
        result["catalogue"] = {
            "lines_added": added,
            "seconds": time.perf_counter() - start,
        }
        print(f"Catalogue: {added:,} lines added")
    result["mining"] = measure_mining(registry, date.today())
    result["backtest"] = backtest(registry, args.cutoff_days)
    report(result)
    output = args.output or (
        Path(__file__).parent
        / "results"
        / f"crosssell_{args.db}_{time.strftime('%Y%m%d_%H%M%S')}.json"
    )
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
