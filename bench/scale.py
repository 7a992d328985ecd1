"""Scale-out of the nightly relationship work (issue 18), on a filled database.

Usage::

    python3 bench/scale.py workers --db NAME [--shards 4] [--port 8570]
    python3 bench/scale.py growth --db NAME [--agreements-share 0.1]

``workers`` measures, in one run and in this order, the full engagement
recompute plus the customer analytics refresh of the main company:

a. **direct**: in this process, without jobs, one after the other (as the
   two crons run without relationship_queue_job);
b. **jobs, 1 worker**: queued as the nightly crons queue them with
   relationship_queue_job (the engagement run's graph of jobs: company-wide
   inputs, shards, summary; the analytics graph: the model fitted once,
   shards predicting and writing, the departed removed), executed by
   an Odoo server with one worker process and its job runner (capacity 1);
c. **jobs, 2 workers**: the same, by a server with two worker processes
   (capacity 2), so that two jobs run at once.

The database needs relationship_queue_job (and queue_job) installed. Each
phase starts on tables vacuumed and analysed; a warm-up direct run (not
counted) comes first. A jobs phase is timed from the commit that queued the
jobs to the last job done, read from the jobs' ``date_done``. Each phase
checks it did the whole work (every customer scored and analysed since it
started, every job done); ``uptime`` is recorded around each phase.

``growth`` times each batch once on the database's main company, directly:
engagement (full recompute), analytics refresh, cross-sell mining, then, in a
transaction rolled back, sales agreements for a share of the customers with
invoices (three obligations each, as ``bench/obligations.py`` creates them),
their obligation refresh and the trust recompute. Run it on S, M and L
databases and compare the JSON files; ``bench/README.md`` has the fitted
curves.

Writes the scores for real: use throw-away databases.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from common import ADDONS_PATH, checkpoint, environment, load_registry, vacuum_analyze

from odoo import fields
from odoo.tools import SQL

RESULTS_DIR = Path(__file__).resolve().parent / "results"
WRITTEN_TABLES = (
    "relationship_engagement",
    "relationship_engagement_snapshot",
    "relationship_analytics",
    "queue_job",
)
POLL_SECONDS = 0.2
JOBS_TIMEOUT = 3600


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def load_average():
    return os.getloadavg()


def main_company(env):
    return env.ref("base.main_company")


def customers_done_since(cr, company_id, moment):
    """(customers scored, customers analysed) since ``moment``."""
    cr.execute(
        SQL(
            """
            SELECT (SELECT COUNT(*) FROM relationship_engagement
                     WHERE company_id = %(company)s
                       AND (date_computed >= %(moment)s OR date_raw >= %(moment)s)),
                   (SELECT COUNT(*) FROM relationship_analytics
                     WHERE company_id = %(company)s AND write_date >= %(moment)s)
            """,
            company=company_id,
            moment=moment,
        )
    )
    return cr.fetchone()


def db_now(cr):
    # To the second, as Odoo stores the run's moment in date_raw.
    cr.execute("SELECT date_trunc('second', now() AT TIME ZONE 'UTC')")
    return cr.fetchone()[0]


# ----------------------------------------------------------------------
# workers
# ----------------------------------------------------------------------


def run_direct(registry):
    """Engagement full recompute then analytics refresh, in this process."""
    with environment(registry) as env:
        company = main_company(env)
        started = db_now(env.cr)
        env.cr.commit()
        start = time.perf_counter()
        engagement = env["relationship.engagement"]._recompute_company(
            company, full=True, commit=True
        )
        env.cr.commit()
        engagement_seconds = time.perf_counter() - start
        analytics = env["relationship.analytics"]._refresh_company(company)
        env.cr.commit()
        seconds = time.perf_counter() - start
        scored, analysed = customers_done_since(env.cr, company.id, started)
    return {
        "seconds": seconds,
        "engagement_seconds": engagement_seconds,
        "analytics_seconds": seconds - engagement_seconds,
        "computed": engagement["computed"],
        "analysed_expected": analytics["customers"],
        "scored": scored,
        "analysed": analysed,
    }


class Server:
    """An Odoo server on the database with ``workers`` worker processes and
    queue_job's runner at ``capacity`` jobs at once."""

    def __init__(self, db, workers, capacity, port):
        self.db = db
        self.workers = workers
        self.capacity = capacity
        self.port = port
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            "w+", prefix=f"scale_w{workers}_", suffix=".log", delete=False
        )
        self.process = None

    def __enter__(self):
        env = {k: v for k, v in os.environ.items() if k != "QUEUE_JOB__NO_DELAY"}
        env.update(
            ODOO_QUEUE_JOB_CHANNELS=f"root:{self.capacity}",
            ODOO_QUEUE_JOB_HOST="127.0.0.1",
            ODOO_QUEUE_JOB_PORT=str(self.port),
        )
        command = [
            sys.executable,
            str(Path(__file__).with_name("odoo_server.py")),
            "-d",
            self.db,
            f"--addons-path={ADDONS_PATH}",
            f"--http-port={self.port}",
            "--http-interface=127.0.0.1",
            f"--db-filter=^{self.db}$",
            f"--workers={self.workers}",
            "--max-cron-threads=0",
            "--load=base,web,queue_job",
            "--log-level=warn",
            # A job is one HTTP request: no worker limit may cut it short.
            "--limit-time-real=7200",
            "--limit-time-cpu=7200",
            "--limit-memory-soft=8589934592",
            "--limit-memory-hard=12884901888",
        ]
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, env=env
        )
        common = xmlrpc.client.ServerProxy(
            f"http://127.0.0.1:{self.port}/xmlrpc/2/common"
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo exited: see {self.log.name}")
            try:
                common.version()
            except OSError:
                time.sleep(0.5)
                continue
            self._warm_up()
            # The runner starts with the server: give it a moment to connect
            # and listen for new jobs.
            time.sleep(3)
            return self
        raise RuntimeError(f"Odoo did not answer: see {self.log.name}")

    def _warm_up(self):
        """Requests on the database in parallel until every worker served
        some: a worker builds its routing map on its first request (seconds
        on a loaded machine), which the first job must not pay."""
        url = f"http://127.0.0.1:{self.port}/web/login"

        def get(__):
            with urllib.request.urlopen(url, timeout=120) as response:
                response.read()

        for __ in range(3):
            with ThreadPoolExecutor(4 * self.workers) as pool:
                list(pool.map(get, range(8 * self.workers)))

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def run_jobs(registry, db, workers, port):
    """Queue the two batches as the nightly crons do and wait for the jobs."""
    with Server(db, workers, workers, port), environment(registry) as env:
        company = main_company(env)
        started = db_now(env.cr)
        env.cr.commit()
        start = time.perf_counter()
        graph, __ = env["relationship.job.run"]._enqueue_engagement(company)
        analytics, __ = env["relationship.analytics"]._analytics_enqueue(company)
        uuids = [job.uuid for job in graph + analytics]
        env.cr.commit()
        queued = db_now(env.cr)
        deadline = time.monotonic() + JOBS_TIMEOUT
        while True:
            env.cr.execute(
                SQL(
                    "SELECT state, COUNT(*) FROM queue_job WHERE uuid = ANY(%s) "
                    "GROUP BY state",
                    uuids,
                )
            )
            states = dict(env.cr.fetchall())
            env.cr.commit()
            if set(states) <= {"done", "failed"}:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"jobs not done in {JOBS_TIMEOUT}s: {states}")
            time.sleep(POLL_SECONDS)
        polled_seconds = time.perf_counter() - start
        env.cr.execute(
            SQL(
                """
                SELECT method_name, COUNT(*),
                       EXTRACT(EPOCH FROM MAX(date_done) - %(queued)s),
                       EXTRACT(EPOCH FROM SUM(date_done - date_started)),
                       EXTRACT(EPOCH FROM MIN(date_started) - %(queued)s)
                  FROM queue_job WHERE uuid = ANY(%(uuids)s)
                 GROUP BY method_name
                """,
                queued=queued,
                uuids=uuids,
            )
        )
        steps = {
            name: {
                "jobs": count,
                "last_done_s": float(last),
                "running_s": float(running),
                "first_started_s": float(first),
            }
            for name, count, last, running, first in env.cr.fetchall()
        }
        env.cr.execute(
            SQL("SELECT DISTINCT worker_pid FROM queue_job WHERE uuid = ANY(%s)", uuids)
        )
        pids = [row[0] for row in env.cr.fetchall()]
        scored, analysed = customers_done_since(env.cr, company.id, started)
        env.cr.commit()
    return {
        "seconds": max(step["last_done_s"] for step in steps.values()),
        "polled_seconds": polled_seconds,
        "states": states,
        "steps": steps,
        "worker_pids": len(pids),
        "job_running_s": sum(step["running_s"] for step in steps.values()),
        "scored": scored,
        "analysed": analysed,
    }


def workers_main(args):
    registry = load_registry(args.db)
    with environment(registry) as env:
        for batch in ("engagement", "analytics"):
            env["ir.config_parameter"].set_param(
                f"relationship_queue_job.{batch}_shards", str(args.shards)
            )
        # Earlier runs' jobs would be picked up by the runner: none may wait.
        env.cr.execute(
            "SELECT COUNT(*) FROM queue_job WHERE state NOT IN ('done', 'failed')"
        )
        if env.cr.fetchone()[0]:
            sys.exit("Jobs are waiting in this database: run on a clean copy.")
        env.cr.execute(
            "SELECT COUNT(*) FROM relationship_engagement WHERE company_id = %s",
            [main_company(env).id],
        )
        customers = env.cr.fetchone()[0]
        env.cr.commit()
    result = {
        "db": args.db,
        "shards": args.shards,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "started": datetime.now().isoformat(timespec="seconds"),
        "phases": {},
    }
    phases = [("warm-up (direct, not counted)", lambda: run_direct(registry))]
    for number in range(1, args.rounds + 1):
        phases += [
            (f"{number}a. direct", lambda: run_direct(registry)),
            (
                f"{number}b. jobs, 1 worker",
                lambda: run_jobs(registry, args.db, 1, args.port),
            ),
            (
                f"{number}c. jobs, 2 workers",
                lambda: run_jobs(registry, args.db, 2, args.port),
            ),
        ]
    for name, phase in phases:
        vacuum_analyze(args.db, WRITTEN_TABLES)
        checkpoint(args.db)
        before = uptime()
        print(f"{name} ... ({before})", flush=True)
        figures = phase()
        figures["uptime_before"] = before
        figures["uptime_after"] = uptime()
        result["phases"][name] = figures
        print(f"  {figures['seconds']:.2f} s {json.dumps(figures)}", flush=True)
    phases = result["phases"]
    expected = phases["warm-up (direct, not counted)"]
    result["customers_before"] = customers
    result["complete"] = all(
        figures["scored"] >= expected["computed"]
        and figures["analysed"] >= expected["analysed_expected"]
        and set(figures.get("states", {"done": 1})) == {"done"}
        for figures in phases.values()
    )
    rounds = result["rounds"] = []
    for number in range(1, args.rounds + 1):
        direct = phases[f"{number}a. direct"]["seconds"]
        one = phases[f"{number}b. jobs, 1 worker"]["seconds"]
        two = phases[f"{number}c. jobs, 2 workers"]["seconds"]
        rounds.append(
            {
                "direct_s": direct,
                "jobs_1_worker_s": one,
                "jobs_2_workers_s": two,
                "speed_up_2_vs_1": one / two,
                "speed_up_2_vs_direct": direct / two,
                "job_overhead_1_vs_direct": one / direct - 1,
            }
        )
        print(
            f"round {number}: direct {direct:.1f} s, 1 worker {one:.1f} s, "
            f"2 workers {two:.1f} s; speed-up 2 vs 1 {one / two:.2f}x "
            f"(target 1.6x), 2 vs direct {direct / two:.2f}x; job overhead "
            f"{100 * (one / direct - 1):+.1f} % (target < 10 %)"
        )
    print(f"complete: {result['complete']}")
    return result


# ----------------------------------------------------------------------
# growth
# ----------------------------------------------------------------------


def timed(env, work):
    env.flush_all()
    env.invalidate_all()
    start = time.perf_counter()
    result = work()
    env.flush_all()
    return time.perf_counter() - start, result


def growth_main(args):
    # The bench modules next to this one: their setup helpers, not copied.
    from crosssell import add_catalogue
    from obligations import customers_with_invoices

    registry = load_registry(args.db)
    result = {"db": args.db, "started": datetime.now().isoformat(timespec="seconds")}
    batches = result["batches"] = {}
    with environment(registry) as env:
        company = main_company(env)
        env.cr.execute(
            "SELECT COUNT(*) FROM sale_order WHERE company_id = %s", [company.id]
        )
        result["orders"] = env.cr.fetchone()[0]
        if args.add_catalogue:
            result["catalogue_lines_added"] = add_catalogue(env, company)
            env.cr.commit()
            vacuum_analyze(args.db, ["sale_order_line", "product_product"])
        env.cr.execute("SELECT COUNT(*) FROM sale_order_line")
        result["order_lines"] = env.cr.fetchone()[0]
        result["uptime_before"] = uptime()

        seconds, counts = timed(
            env,
            lambda: env["relationship.engagement"]._recompute_company(
                company, full=True, commit=True
            ),
        )
        env.cr.commit()
        result["customers"] = counts["computed"]
        batches["engagement"] = {"seconds": seconds, "items": counts["computed"]}
        print(f"engagement {seconds:.2f} s {counts}", flush=True)

        seconds, counts = timed(
            env, lambda: env["relationship.analytics"]._refresh_company(company)
        )
        env.cr.commit()
        batches["analytics"] = {"seconds": seconds, "items": counts["customers"]}
        print(f"analytics {seconds:.2f} s {counts}", flush=True)

        seconds, counts = timed(
            env, lambda: env["relationship.product.affinity"]._refresh_company(company)
        )
        env.cr.commit()
        batches["crosssell"] = {
            "seconds": seconds,
            "items": counts["customers"],
            **counts,
        }
        print(f"crosssell {seconds:.2f} s {counts}", flush=True)

        # Agreements for a share of the customers, rolled back at the end.
        today = fields.Date.context_today(env["res.partner"].with_company(company))
        limit = max(1, int(result["customers"] * args.agreements_share))
        partner_ids = customers_with_invoices(env.cr, company.id, limit)
        start = time.perf_counter()
        create_agreements(env, company, partner_ids, today)
        result["agreements_setup_seconds"] = time.perf_counter() - start
        seconds, counts = timed(
            env,
            # queue_job__no_delay: run now, not as jobs (relationship_queue_job).
            lambda: (
                env["relationship.agreement.obligation"]
                .with_context(queue_job__no_delay=True)
                .refresh_obligations()
            ),
        )
        batches["obligations"] = {
            "seconds": seconds,
            "items": counts["obligations"],
            **counts,
        }
        print(f"obligations {seconds:.2f} s {counts}", flush=True)
        seconds, counts = timed(
            env,
            lambda: (
                env["relationship.trust.snapshot"]
                .with_context(queue_job__no_delay=True)
                .recompute_trust()
            ),
        )
        batches["trust"] = {"seconds": seconds, "items": counts["computed"]}
        print(f"trust {seconds:.2f} s {counts}", flush=True)
        env.cr.rollback()
        result["uptime_after"] = uptime()
    return result


def create_agreements(env, company, partner_ids, today):
    """One running sales agreement per partner with the three obligations of
    ``bench/obligations.py`` (payment punctuality, minimum invoiced volume,
    maximum volume)."""
    from common import agreement_values

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
    env.invalidate_all()
    return agreements


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    workers = sub.add_parser("workers", help="direct vs jobs on 1 and 2 workers")
    workers.add_argument("--db", required=True)
    workers.add_argument("--shards", type=int, default=4)
    workers.add_argument("--port", type=int, default=8570)
    workers.add_argument("--rounds", type=int, default=1, help="a, b, c repeated")
    workers.add_argument("--output")
    growth = sub.add_parser("growth", help="each batch once, directly")
    growth.add_argument("--db", required=True)
    growth.add_argument("--agreements-share", type=float, default=0.1)
    growth.add_argument(
        "--add-catalogue",
        action="store_true",
        help="add bench/crosssell.py's catalogue lines first (once)",
    )
    growth.add_argument("--output")
    args = parser.parse_args(argv)
    result = workers_main(args) if args.command == "workers" else growth_main(args)
    RESULTS_DIR.mkdir(exist_ok=True)
    output = Path(
        args.output
        or RESULTS_DIR
        / f"scale_{args.command}_{args.db}_{datetime.now():%Y%m%d_%H%M%S}.json"
    )
    output.write_text(json.dumps(result, indent=2, default=str))
    print(f"written to {output}")
    if args.command == "workers" and not result["complete"]:
        sys.exit(3)


if __name__ == "__main__":
    main()
