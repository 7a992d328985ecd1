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
"""

import argparse
import json
import resource
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from common import ADDONS_PATH, environment, load_registry

from odoo import Command, fields
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


def measure(registry, limit):
    with environment(registry) as env:
        company = env.ref("base.main_company")
        today = fields.Date.context_today(env["res.partner"].with_company(company))
        partner_ids = customers_with_invoices(env.cr, company.id, limit)
        start = time.perf_counter()
        agreements = env["relationship.agreement"].create(
            [
                {
                    "name": f"Bench agreement {pid}",
                    "partner_id": pid,
                    "company_id": company.id,
                    "agreement_type": "sales",
                    "date_start": today - timedelta(days=330),
                    "duration_months": 24,
                    "amount_committed": 10000.0,
                    "obligation_ids": [
                        Command.create(
                            {
                                "kind": "payment_punctuality",
                                "target": 90.0,
                                "period": "month",
                            }
                        ),
                        Command.create(
                            {"kind": "min_volume", "target": 500.0, "period": "quarter"}
                        ),
                        Command.create(
                            {"kind": "max_volume", "target": 50000.0, "period": "year"}
                        ),
                    ],
                }
                for pid in partner_ids
            ]
        )
        agreements.action_activate()
        env.flush_all()
        setup_seconds = time.perf_counter() - start
        Obligation = env["relationship.agreement.obligation"]

        runs = []
        for __ in range(2):
            env.invalidate_all()
            queries_before = env.cr.sql_log_count
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            tracemalloc.start()
            start = time.perf_counter()
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
                }
            )
        env.cr.rollback()
    return {
        "agreements": len(partner_ids),
        "obligations": 3 * len(partner_ids),
        "setup_seconds": setup_seconds,
        "runs": runs,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--agreements", type=int, default=5000)
    parser.add_argument("--output")
    parser.add_argument("--addons-path", default=ADDONS_PATH)
    args = parser.parse_args(argv)
    registry = load_registry(args.db, args.addons_path)
    result = measure(registry, args.agreements)
    print(
        f"{result['agreements']:,} agreements, {result['obligations']:,} "
        f"obligations (created and activated in {result['setup_seconds']:.1f} s)"
    )
    for index, run in enumerate(result["runs"], 1):
        print(
            f"refresh {index}: {run['seconds']:.2f} s, {run['queries']} queries, "
            f"Python peak {run['python_peak_mb']:.0f} MB, "
            f"{run.get('periods', 0):,} periods, {run.get('breaches', 0):,} breaches"
        )
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
