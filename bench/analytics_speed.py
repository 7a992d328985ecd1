"""Time the customer analytics refresh alone against its bare SQL reads.

The phases (e) and (f) of ``bench/run.py``, repeated ``--runs`` times in
alternation (the machine is shared: the median of each is reported), with
the share of the refresh spent fitting and predicting the customer-base
model. Writes the analytics for real: use a throw-away database.

    python3 bench/analytics_speed.py --db h16_m --runs 3
"""

import argparse
import statistics
import sys
import time

from common import ADDONS_PATH, load_registry, vacuum_analyze
from run import WRITTEN_TABLES, Benchmark


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--addons-path", default=ADDONS_PATH)
    args = parser.parse_args(argv)
    registry = load_registry(args.db, args.addons_path)
    from odoo.addons.relationship_mgmt.engine import analytics  # noqa: PLC0415

    model_seconds = []
    original = analytics.customer_model

    def timed_model(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            model_seconds.append(time.perf_counter() - start)

    analytics.customer_model = timed_model
    vacuum_analyze(args.db, WRITTEN_TABLES)
    bench = Benchmark(registry, 0)
    bench.warm_up()
    refreshes, bare = [], []
    for __ in range(args.runs):
        vacuum_analyze(args.db, ("relationship_analytics",))
        refresh = bench.analytics_refresh()
        refreshes.append(refresh["seconds"])
        bare.append(bench.analytics_bare_sql()["seconds"])
        print(
            f"refresh {refresh['seconds']:.2f} s ({refresh['customers']:,} customers, "
            f"model {model_seconds[-1]:.2f} s), bare SQL {bare[-1]:.2f} s, "
            f"ratio {refresh['seconds'] / bare[-1]:.2f}x"
        )
    refresh, reads = statistics.median(refreshes), statistics.median(bare)
    print(
        f"median: refresh {refresh:.2f} s, model {statistics.median(model_seconds):.2f}"
        f" s, bare SQL {reads:.2f} s, ratio {refresh / reads:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
