"""Measure relationship_brm's obligation refresh on a filled benchmark database.

Creates, in a transaction it rolls back at the end, one sales agreement per
customer with invoices (up to ``--agreements``), each with three obligations
measured from the generated invoices and payments (payment punctuality
monthly, minimum invoiced volume quarterly, maximum ordered volume yearly),
then times ``refresh_obligations()`` for all of them (twice: the second run
finds every period already there) and counts its queries. The benchmark data
has no deliveries (service products), so the delivery obligations are not
part of it.

    python3 bench/obligations.py --db bench_m --agreements 5000

``--linked`` also links each customer's generated orders and invoices to
its agreement (the documents are not linked otherwise: every minimum-volume
period is then breached, a worst case for breach handling), so that the
measuring queries work on real volumes.

``--profile`` breaks each refresh down by method of the refresh (time spent
in the method and its callees, and the SQL time and queries issued from it);
it runs under cProfile, so its times are inflated: compare shares, not
seconds, and take the timings from a run without it.
"""

import argparse
import cProfile
import json
import pstats
import resource
import sys
import threading
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

from common import ADDONS_PATH, agreement_values, environment, load_registry

from odoo import fields
from odoo.tools import SQL


def customers_with_invoices(cr, company_id, limit):
    cr.execute(
        SQL(
            """
            SELECT commercial_partner_id
              FROM account_move
             WHERE company_id = %s AND state = 'posted'
               AND move_type = 'out_invoice'
               AND commercial_partner_id NOT IN (SELECT partner_id FROM res_company)
             GROUP BY 1
             ORDER BY 1
             LIMIT %s
            """,
            company_id,
            limit,
        )
    )
    return [row[0] for row in cr.fetchall()]


class Breakdown:
    """Profile of one refresh: cumulative time of the addon's methods
    (cProfile) and SQL time and queries attributed to the innermost addon
    method on the stack (a query hook of Odoo's cursor)."""

    MARK = "relationship_brm"

    def __init__(self):
        self.sql = defaultdict(lambda: [0, 0.0])
        self.profiler = cProfile.Profile()

    def _hook(self, cr, query, params, start, delay):
        frame = sys._getframe(1)
        while frame and self.MARK not in frame.f_code.co_filename:
            frame = frame.f_back
        name = frame.f_code.co_name if frame else "(outside the addon)"
        self.sql[name][0] += 1
        self.sql[name][1] += delay

    def __enter__(self):
        thread = threading.current_thread()
        thread.query_hooks = (*getattr(thread, "query_hooks", ()), self._hook)
        self.profiler.enable()
        return self

    def __exit__(self, *exc):
        self.profiler.disable()
        thread = threading.current_thread()
        thread.query_hooks = tuple(
            hook for hook in thread.query_hooks if hook != self._hook
        )

    def rows(self):
        """``[(method, cumulative s, sql s, queries)]`` of the addon's
        methods, slowest first."""
        stats = pstats.Stats(self.profiler).stats
        cumulative = defaultdict(float)
        for (filename, __, name), (*__, cumtime, __callers) in stats.items():
            if self.MARK in filename:
                cumulative[name] = max(cumulative[name], cumtime)
        names = set(cumulative) | set(self.sql)
        return sorted(
            (
                (
                    name,
                    cumulative.get(name, 0.0),
                    self.sql[name][1] if name in self.sql else 0.0,
                    self.sql[name][0] if name in self.sql else 0,
                )
                for name in names
            ),
            key=lambda row: -row[1],
        )


def link_documents(cr, agreement_ids):
    """Link the customers' sale orders and customer invoices to their
    agreement, as if they had been made under it, and refresh the planner's
    statistics of these tables. Returns the number of documents linked."""
    linked = 0
    for table in ("sale_order", "account_move"):
        cr.execute(
            SQL(
                """
                UPDATE %(table)s document
                   SET agreement_id = ag.id
                  FROM relationship_agreement ag, res_partner partner
                 WHERE ag.id = ANY(%(ids)s)
                   AND partner.id = document.partner_id
                   AND partner.commercial_partner_id = ag.partner_id
                   AND document.company_id = ag.company_id
                   AND %(kind)s
                """,
                table=SQL.identifier(table),
                ids=agreement_ids,
                kind=(
                    SQL("document.move_type IN ('out_invoice', 'out_refund')")
                    if table == "account_move"
                    else SQL("TRUE")
                ),
            )
        )
        linked += cr.rowcount
        cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    return linked


def last_period_write(cr):
    cr.execute(SQL("SELECT MAX(write_date) FROM relationship_obligation_period"))
    return cr.fetchone()[0]


def periods_written_since(cr, last_written):
    """Periods inserted or updated after ``last_written`` (write dates are
    whole seconds, and a refresh writes its periods long before it ends)."""
    cr.execute(
        SQL(
            "SELECT COUNT(*) FROM relationship_obligation_period "
            "WHERE %s IS NULL OR write_date > %s",
            last_written,
            last_written,
        )
    )
    return cr.fetchone()[0]


def measure(registry, limit, profile=False, linked=False):
    with environment(registry) as env:
        company = env.ref("base.main_company")
        today = fields.Date.context_today(env["res.partner"].with_company(company))
        partner_ids = customers_with_invoices(env.cr, company.id, limit)
        start = time.perf_counter()
        agreements = env["relationship.agreement"].create(
            [
                agreement_values(
                    f"Bench agreement {pid}", pid, company, today, max_volume=True
                )
                for pid in partner_ids
            ]
        )
        agreements.action_activate()
        env.flush_all()
        documents = link_documents(env.cr, agreements.ids) if linked else 0
        env.invalidate_all()
        setup_seconds = time.perf_counter() - start
        Obligation = env["relationship.agreement.obligation"]

        runs = []
        for __ in range(2):
            env.invalidate_all()
            last_written = last_period_write(env.cr)
            queries_before = env.cr.sql_log_count
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            tracemalloc.start()
            breakdown = Breakdown() if profile else None
            start = time.perf_counter()
            if breakdown:
                with breakdown:
                    counts = Obligation.refresh_obligations()
                    env.flush_all()
            else:
                counts = Obligation.refresh_obligations()
                env.flush_all()
            seconds = time.perf_counter() - start
            __, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            runs.append(
                {
                    "seconds": seconds,
                    "queries": env.cr.sql_log_count - queries_before,
                    "python_peak_mb": peak / 2**20,
                    "rss_growth_mb": (
                        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
                    )
                    / 1024,
                    **counts,
                    "periods_written": periods_written_since(env.cr, last_written),
                }
            )
            if breakdown:
                runs[-1]["breakdown"] = breakdown.rows()
        env.cr.rollback()
    return {
        "agreements": len(partner_ids),
        "obligations": 3 * len(partner_ids),
        "documents_linked": documents,
        "setup_seconds": setup_seconds,
        "runs": runs,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--agreements", type=int, default=5000)
    parser.add_argument("--output")
    parser.add_argument("--addons-path", default=ADDONS_PATH)
    parser.add_argument(
        "--linked",
        action="store_true",
        help="link the customers' orders and invoices to their agreement",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="break each refresh down by method (slower: cProfile)",
    )
    args = parser.parse_args(argv)
    registry = load_registry(args.db, args.addons_path)
    result = measure(registry, args.agreements, args.profile, args.linked)
    print(
        f"{result['agreements']:,} agreements, {result['obligations']:,} "
        f"obligations, {result['documents_linked']:,} documents linked "
        f"(created and activated in {result['setup_seconds']:.1f} s)"
    )
    for index, run in enumerate(result["runs"], 1):
        print(
            f"refresh {index}: {run['seconds']:.2f} s, {run['queries']} queries, "
            f"Python peak {run['python_peak_mb']:.0f} MB, "
            f"{run.get('periods', 0):,} periods "
            f"({run['periods_written']:,} written), "
            f"{run.get('breaches', 0):,} breaches"
        )
        for name, cumulative, sql_seconds, queries in run.get("breakdown", ()):
            if cumulative >= 0.05 or sql_seconds >= 0.05:
                print(
                    f"    {name:<32} {cumulative:8.2f} s  "
                    f"(SQL {sql_seconds:7.2f} s, {queries} queries)"
                )
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
