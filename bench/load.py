"""XML-RPC load and faults on a filled benchmark database (see bench/README.md).

Serves the database with Odoo's multi-process server (``--workers``, cron
workers for the nightly batches), keeps the nightly batches running (full
engagement recompute, analytics refresh, obligations and trust refresh: their
crons are triggered again as soon as they finish), and drives concurrent
XML-RPC clients, each a process of its own with its own ``ServerProxy`` and
its own Relationships user, with the mix of calls an integration sends:

    python3 bench/load.py --db bench_m --clients 16 --seconds 60
    python3 bench/load.py --db bench_m --fault engagement   # or analytics

Reports calls per second, p50/p95/p99 latency per kind of call and the errors
(count and distinct messages), all calls and those started while a batch ran.
``--fault`` also kills (SIGKILL) the cron worker running that batch in the
middle of it, lets the next run finish, and checks that no write was lost or
doubled: every interaction and dispute a client got an id for is in the
database once, no customer has two engagement rows, two snapshots of a day or
two analytics rows, the tier-change events of each customer follow each other
(old tier = the previous event's new tier), and every customer is scored and
analysed by the run that followed the kill. Prints a verdict; exits 1 when a
check fails, 2 when a target is missed (zero errors, summary p95).

Writes into the database (users, agreements, interactions, disputes, scores):
use a throw-away copy. Only 127.0.0.1; every loop is bounded in time.
"""

import argparse
import ctypes
import json
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import xmlrpc.client
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from datetime import datetime, timedelta, timezone
from multiprocessing import get_context
from pathlib import Path

import psycopg2

BENCH_DIR = Path(__file__).resolve().parent
ADDONS_PATH = str(BENCH_DIR.parent / "addons")
RESULTS_DIR = BENCH_DIR / "results"
HOST = "127.0.0.1"
PASSWORD = "bench-load"
USER_LOGINS = [f"bench_load_user_{index}" for index in range(4)]
MANAGER_LOGIN = "bench_load_manager"
AGREEMENT_PREFIX = "Bench load agreement"
# The calls of an integration, with their share of the calls (weights).
MIX = {
    "summary": 45,
    "obligation_status": 20,
    "log_interaction": 20,
    "create_dispute": 5,
    "recompute_10": 10,
}
RECOMPUTE_SIZE = 10
# Nightly crons kept running during the load (module, xml id).
BATCH_CRONS = {
    "engagement": "relationship_mgmt.ir_cron_engagement_full",
    "analytics": "relationship_mgmt.ir_cron_analytics_refresh",
    "obligations": "relationship_brm.ir_cron_obligation_refresh",
    "trust": "relationship_brm.ir_cron_trust_recompute",
}
# Advisory locks the batches hold while they run (first key; second: company).
LOCK_KEYS = {"engagement": 72_410_301, "analytics": 72_410_302}
TARGET_SUMMARY_P95_MS = 300.0
CALL_TIMEOUT = 120  # seconds, per XML-RPC call


# ---------------------------------------------------------------------------
# Database helpers (plain psycopg2: the load process stays out of Odoo)
# ---------------------------------------------------------------------------


def connect(database):
    connection = psycopg2.connect(dbname=database)
    connection.autocommit = True
    return connection


def fetch(connection, query, params=None):
    with connection.cursor() as cr:
        cr.execute(query, params)
        return cr.fetchall() if cr.description else []


def cron_ids(connection):
    rows = fetch(
        connection,
        "SELECT module || '.' || name, res_id FROM ir_model_data "
        "WHERE model = 'ir.cron' AND module || '.' || name = ANY(%s)",
        [list(BATCH_CRONS.values())],
    )
    by_xmlid = dict(rows)
    missing = [xmlid for xmlid in BATCH_CRONS.values() if xmlid not in by_xmlid]
    if missing:
        raise SystemExit(f"crons not found: {missing} (crons renamed?)")
    return {name: by_xmlid[xmlid] for name, xmlid in BATCH_CRONS.items()}


def main_company_id(connection):
    return fetch(
        connection,
        "SELECT res_id FROM ir_model_data WHERE module = 'base' "
        "AND name = 'main_company'",
    )[0][0]


# ---------------------------------------------------------------------------
# Setup: users, agreements and a first scoring (in-process Odoo, once)
# ---------------------------------------------------------------------------


def setup(database, addons_path, agreements, customers):
    """Create what the clients need if it is not there yet and return the
    plan: customer ids, agreement ids, logins. Runs Odoo in this process."""
    sys.path.insert(0, str(BENCH_DIR))
    from common import (  # noqa: PLC0415
        agreement_values,
        environment,
        load_registry,
        vacuum_analyze,
    )

    from odoo import Command, fields  # noqa: PLC0415

    registry = load_registry(database, addons_path)
    with environment(registry) as env:
        company = env.ref("base.main_company")
        users = env["res.users"].with_context(no_reset_password=True)
        existing = set(
            users.search([("login", "in", [*USER_LOGINS, MANAGER_LOGIN])]).mapped(
                "login"
            )
        )
        groups = {
            MANAGER_LOGIN: env.ref("relationship_mgmt.group_relationship_manager"),
            **{
                login: env.ref("relationship_mgmt.group_relationship_user")
                for login in USER_LOGINS
            },
        }
        users.create(
            [
                {
                    "name": login.replace("_", " ").title(),
                    "login": login,
                    "password": PASSWORD,
                    "email": f"{login}@example.com",
                    "company_id": company.id,
                    "company_ids": [Command.set(company.ids)],
                    "groups_id": [Command.set(group.ids)],
                }
                for login, group in groups.items()
                if login not in existing
            ]
        )
        Engagement = env["relationship.engagement"]
        env.cr.execute(
            "SELECT COUNT(*) FROM relationship_engagement WHERE company_id = %s "
            "AND date_computed IS NOT NULL",
            [company.id],
        )
        if not env.cr.fetchone()[0]:
            print("first scoring (engagement, analytics)...", flush=True)
            Engagement._cron_recompute_all()
            env["relationship.analytics"]._cron_refresh_all()
        Agreement = env["relationship.agreement"]
        have = Agreement.search_count([("name", "=like", f"{AGREEMENT_PREFIX} %")])
        if have < agreements:
            print(f"creating {agreements - have} agreements...", flush=True)
            env.cr.execute(
                "SELECT commercial_partner_id FROM account_move "
                "WHERE company_id = %s AND state = 'posted' "
                "AND move_type = 'out_invoice' AND commercial_partner_id NOT IN "
                "(SELECT partner_id FROM res_company) "
                "AND commercial_partner_id NOT IN (SELECT partner_id FROM "
                "relationship_agreement) GROUP BY 1 ORDER BY 1 LIMIT %s",
                [company.id, agreements - have],
            )
            partner_ids = [row[0] for row in env.cr.fetchall()]
            today = fields.Date.context_today(Agreement)
            created = Agreement.create(
                [
                    agreement_values(f"{AGREEMENT_PREFIX} {pid}", pid, company, today)
                    for pid in partner_ids
                ]
            )
            created.action_activate()
            env["relationship.agreement.obligation"].refresh_obligations(created.ids)
            env["relationship.trust.snapshot"]._cron_recompute_trust()
        # Integrations log in with API keys (Odoo's advice for external
        # calls; checked with 6,000 hash rounds where a password takes more).
        keys = {}
        bench_users = users.search([("login", "in", [*USER_LOGINS, MANAGER_LOGIN])])
        env["res.users.apikeys"].search(
            [("user_id", "in", bench_users.ids), ("name", "=", "bench load")]
        ).unlink()
        for user in bench_users:
            keys[user.login] = (
                env["res.users.apikeys"]
                .with_user(user)
                .sudo()  # sudo: a key without expiry, for the bench users only
                ._generate("rpc", "bench load", None)
            )
        env.cr.commit()
        env.cr.execute(
            "SELECT partner_id FROM relationship_engagement "
            "WHERE company_id = %s AND date_computed IS NOT NULL ORDER BY partner_id",
            [company.id],
        )
        scored = [row[0] for row in env.cr.fetchall()]
        picked = random.Random(21).sample(scored, min(customers, len(scored)))
        agreement_ids = Agreement.search(
            [("name", "=like", f"{AGREEMENT_PREFIX} %"), ("state", "=", "active")]
        ).ids
    registry.delete(database)
    # As autovacuum would between two nightly runs (it is off on this server).
    vacuum_analyze(
        database,
        (
            "relationship_engagement",
            "relationship_engagement_snapshot",
            "relationship_analytics",
            "relationship_interaction",
            "relationship_dispute",
        ),
    )
    if not picked or not agreement_ids:
        raise SystemExit("no scored customer or no agreement: generate data first")
    return {"customers": sorted(picked), "agreements": agreement_ids, "keys": keys}


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# Odoo's multi-process server, with two changes for the bench: no websocket
# process (``odoo gevent``: XML-RPC does not use it, and it cannot start where
# gevent's plugins are broken, so it would be respawned every few seconds),
# and no registry preloaded by the master process: each worker loads its own,
# so that its connections are named after it (application_name
# odoo-<worker pid>), which tells which worker runs a batch.
LAUNCHER = (
    "import sys; from odoo.service import server; "
    "server.PreforkServer.long_polling_spawn = lambda self: None; "
    "server.preload_registries = lambda dbnames: 0; "
    "from odoo.cli.command import main; sys.argv[0] = 'odoo'; main()"
)


def stop_with_parent():
    """In the server's and the clients' processes: SIGTERM when this script
    dies, even killed (Linux ``PR_SET_PDEATHSIG``)."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    except (AttributeError, OSError):
        pass


class Server:
    """``odoo`` with ``workers`` HTTP workers and ``cron_workers`` cron
    workers on 127.0.0.1 for one database; its log goes to ``log_path``."""

    def __init__(self, args, log_path):
        self.port = args.port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = log_path
        command = [
            sys.executable,
            "-c",
            LAUNCHER,
            "-d",
            args.db,
            f"--addons-path={args.addons_path}",
            f"--http-interface={HOST}",
            f"--http-port={self.port}",
            # -d limits the cron workers to this database, the filter the
            # HTTP workers.
            f"--db-filter=^{args.db}$",
            f"--workers={args.workers}",
            f"--max-cron-threads={args.cron_workers}",
            f"--log-level={args.log_level}",
            # wait_registries() reads "Registry loaded" in the log
            "--log-handler=odoo.modules.registry:INFO",
            "--limit-time-real=600",
            "--limit-time-cpu=600",
        ]
        self.log = open(log_path, "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            command,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=stop_with_parent,  # noqa: PLW1509 (no threads yet)
        )

    def wait_serving(self, timeout=180):
        common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"Odoo exited, see {self.log_path}")
            try:
                common.version()
                return
            except OSError:
                time.sleep(0.5)
        raise SystemExit(f"Odoo did not answer in {timeout} s, see {self.log_path}")

    def wait_registries(self, database, count, timeout=300):
        """Wake the cron workers and wait until ``count`` processes have
        loaded the registry (the first job of a cron worker does)."""
        deadline = time.monotonic() + timeout
        with closing(connect("postgres")) as connection:
            while time.monotonic() < deadline:
                if self.log_path.read_text().count("Registry loaded in") >= count:
                    return
                fetch(connection, "SELECT pg_notify('cron_trigger', %s)", [database])
                time.sleep(1.0)
        raise SystemExit(f"the workers did not load the registry, see {self.log_path}")

    def children(self):
        """``{pid: "http" | "cron"}`` of the live workers: HTTP workers hold
        the listening socket, cron workers close it."""
        import psutil  # noqa: PLC0415 (Odoo's dependency)

        workers = {}
        for child in psutil.Process(self.process.pid).children():
            try:
                listens = any(
                    c.status == psutil.CONN_LISTEN and c.laddr.port == self.port
                    for c in child.connections(kind="tcp")
                )
            except psutil.Error:
                continue
            workers[child.pid] = "http" if listens else "cron"
        return workers

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # graceful: workers finish
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# ---------------------------------------------------------------------------
# The batches: crons triggered again whenever they finish, and a timeline of
# when a cron worker was busy
# ---------------------------------------------------------------------------


class Batches(threading.Thread):
    """Keeps the nightly crons due until ``stop`` is set, samples every
    ``interval`` whether a cron worker is running a job, and counts each
    cron's completed runs (its ``lastcall`` moving) and failures."""

    def __init__(self, database, server, names, interval=0.2):
        super().__init__(daemon=True)
        self.database = database
        self.server = server
        self.connection = connect(database)
        self.notify = connect("postgres")
        self.crons = {
            name: cron_id
            for name, cron_id in cron_ids(self.connection).items()
            if name in names
        }
        self.interval = interval
        self.stop = threading.Event()
        self.keep_triggering = threading.Event()
        self.keep_triggering.set()
        self.timeline = []  # (monotonic time, busy)
        self.runs = Counter()
        self.failures = Counter()
        self.lastcall = self._lastcalls()
        self.held = set()  # batches no longer triggered (after their fault)
        self.error = None

    def _lastcalls(self):
        return {
            cron_id: (lastcall, failures)
            for cron_id, lastcall, failures in fetch(
                self.connection,
                "SELECT id, lastcall, failure_count FROM ir_cron WHERE id = ANY(%s)",
                [list(self.crons.values())],
            )
        }

    def trigger(self, names=None):
        """Make these crons due now and wake the cron workers up."""
        names = names or [name for name in self.crons if name not in self.held]
        ids = [self.crons[name] for name in names]
        # A cron worker keeps the row of the job it runs locked: skip those
        # (they are made due again once they finish).
        fetch(
            self.connection,
            "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') "
            "WHERE id IN (SELECT id FROM ir_cron WHERE id = ANY(%s) "
            "AND nextcall > (now() AT TIME ZONE 'UTC') FOR UPDATE SKIP LOCKED) "
            "RETURNING id",
            [ids],
        )
        fetch(self.notify, "SELECT pg_notify('cron_trigger', %s)", [self.database])

    def park(self):
        """Due again tomorrow, as after a nightly run."""
        fetch(
            self.connection,
            "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') + "
            "interval '1 day' WHERE id = ANY(%s)",
            [list(self.crons.values())],
        )

    def busy(self):
        cron_apps = [
            f"odoo-{pid}"
            for pid, kind in self.server.children().items()
            if kind == "cron"
        ]
        rows = fetch(
            self.connection,
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s "
            "AND application_name = ANY(%s) AND state <> 'idle'",
            [self.database, cron_apps],
        )
        return rows[0][0] > 0

    def poll_runs(self):
        names = {cron_id: name for name, cron_id in self.crons.items()}
        current = self._lastcalls()
        for cron_id, (lastcall, failures) in current.items():
            before, before_failures = self.lastcall[cron_id]
            if lastcall != before:
                self.runs[names[cron_id]] += 1
            if failures > before_failures:
                self.failures[names[cron_id]] += failures - before_failures
        self.lastcall = current

    def run(self):
        try:
            last_trigger = 0.0
            while not self.stop.is_set():
                now = time.monotonic()
                self.timeline.append((now, self.busy()))
                self.poll_runs()
                if self.keep_triggering.is_set() and now - last_trigger > 1.0:
                    self.trigger()
                    last_trigger = now
                self.stop.wait(self.interval)
        except Exception as error:  # reported in the result, not lost in a thread
            self.error = repr(error)
        finally:
            self.poll_runs()

    def busy_at(self, moment):
        """Whether a cron worker was busy at ``moment`` (monotonic)."""
        busy = False
        for sampled, state in self.timeline:
            if sampled > moment:
                break
            busy = state
        return busy

    def busy_share(self, start, end):
        samples = [state for sampled, state in self.timeline if start <= sampled <= end]
        return sum(samples) / len(samples) if samples else 0.0


# ---------------------------------------------------------------------------
# Clients (each in a process of its own)
# ---------------------------------------------------------------------------


class TimeoutTransport(xmlrpc.client.Transport):
    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = CALL_TIMEOUT
        return connection


def error_message(error):
    if isinstance(error, xmlrpc.client.Fault):
        lines = [line for line in str(error.faultString).splitlines() if line.strip()]
        return f"Fault {error.faultCode}: {lines[-1] if lines else ''}"[:300]
    return f"{type(error).__name__}: {error}"[:300]


def client(index, url, database, login, plan, seconds, run_tag, barrier):
    """Calls of one integration until ``seconds`` have passed; returns
    ``[(kind, start offset, seconds, error or None, detail)]``."""
    rng = random.Random(index)
    common = xmlrpc.client.ServerProxy(
        f"{url}/xmlrpc/2/common", transport=TimeoutTransport()
    )
    secret = plan["keys"][login] if plan["auth"] == "apikey" else PASSWORD
    uid = common.authenticate(database, login, secret, {})
    if not uid:
        raise RuntimeError(f"{login} could not log in")
    models = xmlrpc.client.ServerProxy(
        f"{url}/xmlrpc/2/object", transport=TimeoutTransport(), allow_none=False
    )

    def call(model, method, *args):
        return models.execute_kw(database, uid, secret, model, method, list(args))

    kinds, weights = zip(*MIX.items(), strict=True)
    customers, agreements = plan["customers"], plan["agreements"]
    # Warm this user's caches in the workers (the first calls of a user in a
    # worker are slow), then start all together.
    for customer in rng.sample(customers, 3):
        call("res.partner", "relationship_summary", [customer])
    call("relationship.agreement", "obligation_status", [rng.choice(agreements)])
    barrier.wait()
    began = time.monotonic()
    records = []
    sequence = 0
    while time.monotonic() - began < seconds:
        kind = rng.choices(kinds, weights)[0]
        sequence += 1
        tag = f"{run_tag} c{index} #{sequence}"
        detail = None
        started = time.monotonic()
        try:
            if kind == "summary":
                call("res.partner", "relationship_summary", [rng.choice(customers)])
            elif kind == "obligation_status":
                call(
                    "relationship.agreement",
                    "obligation_status",
                    [rng.choice(agreements)],
                )
            elif kind == "log_interaction":
                when = datetime.now(timezone.utc) - timedelta(minutes=5)
                call(
                    "relationship.interaction",
                    "create",
                    {
                        "name": tag,
                        "partner_id": rng.choice(customers),
                        "channel": rng.choice(("phone", "email", "meeting")),
                        "direction": rng.choice(("inbound", "outbound")),
                        "outcome": rng.choice(("positive", "neutral", "negative")),
                        "date": when.strftime("%Y-%m-%d %H:%M:%S"),
                    },
                )
                detail = tag
            elif kind == "create_dispute":
                call(
                    "relationship.dispute",
                    "create",
                    {
                        "name": tag,
                        "partner_id": rng.choice(customers),
                        "dispute_type": rng.choice(("quality", "billing", "delivery")),
                        "amount_disputed": float(rng.randint(10, 500)),
                    },
                )
                detail = tag
            else:
                result = call(
                    "relationship.engagement",
                    "recompute_engagement",
                    rng.sample(customers, RECOMPUTE_SIZE),
                )
                detail = "skipped" if result["skipped_companies"] else "computed"
            error = None
        except (xmlrpc.client.Error, OSError) as failure:
            error = error_message(failure)
            if kind in ("log_interaction", "create_dispute"):
                detail = tag
        records.append(
            (kind, started - began, time.monotonic() - started, error, detail)
        )
    return records


def warm_up(server, database, plan, workers, rounds=3):
    """Concurrent calls until every HTTP worker has loaded the registry
    (its first request does, which takes seconds)."""
    common = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/common")
    secret = plan["keys"][MANAGER_LOGIN] if plan["auth"] == "apikey" else PASSWORD
    uid = common.authenticate(database, MANAGER_LOGIN, secret, {})

    def one():
        models = xmlrpc.client.ServerProxy(
            f"{server.url}/xmlrpc/2/object", transport=TimeoutTransport()
        )
        models.execute_kw(
            database,
            uid,
            secret,
            "res.partner",
            "relationship_summary",
            [plan["customers"][:1]],
        )

    for __ in range(rounds):
        threads = [threading.Thread(target=one) for __ in range(2 * workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=CALL_TIMEOUT)


def drive(args, server, plan, run_tag, pool, on_start):
    """Run the clients; return their records (offsets from the common start)
    and the monotonic time of that start."""
    logins = USER_LOGINS
    manager = get_context("spawn").Manager()
    barrier = manager.Barrier(args.clients + 1, timeout=600)
    futures = [
        pool.submit(
            client,
            index,
            server.url,
            args.db,
            logins[index % len(logins)],
            plan,
            args.seconds,
            run_tag,
            barrier,
        )
        for index in range(args.clients)
    ]
    try:
        barrier.wait()
        start_monotonic = time.monotonic()
        on_start()
        print(f"clients ready, load for {args.seconds:.0f} s...", flush=True)
        records = []
        for future in futures:
            records.extend(future.result(timeout=args.seconds + CALL_TIMEOUT + 60))
    finally:
        manager.shutdown()
    return records, start_monotonic


# ---------------------------------------------------------------------------
# The fault: SIGKILL the cron worker in the middle of a batch
# ---------------------------------------------------------------------------


class Killer(threading.Thread):
    """Waits for ``batch`` (engagement or analytics) to run in a cron worker
    and kills that worker in the middle of it: once the run has committed a
    first batch of scores (engagement) or has held its lock for ``delay``
    seconds. Records what it killed and when."""

    def __init__(self, database, server, batches, batch, company_id, delay):
        super().__init__(daemon=True)
        self.database = database
        self.server = server
        self.batches = batches
        self.batch = batch
        self.company_id = company_id
        self.delay = delay
        self.stop = threading.Event()  # set when the load is over
        self.result = {"batch": batch, "killed": False}

    def holder(self, connection):
        rows = fetch(
            connection,
            "SELECT a.application_name FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s "
            "AND l.objid = %s AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = %s)",
            [LOCK_KEYS[self.batch], self.company_id, self.database],
        )
        for (application,) in rows:
            if application.startswith("odoo-"):
                return int(application[len("odoo-") :])
        return None

    def committed_scores(self, connection):
        """Scores written by the running full recompute (committed batches)."""
        return fetch(
            connection,
            "SELECT c.engagement_run_started_at, COUNT(e.id) FROM res_company c "
            "LEFT JOIN relationship_engagement e ON e.company_id = c.id "
            "AND e.date_raw >= c.engagement_run_started_at WHERE c.id = %s "
            "GROUP BY 1",
            [self.company_id],
        )[0]

    def run(self):
        with closing(connect(self.database)) as connection:
            seen = None
            while not self.stop.is_set():
                pid = self.holder(connection)
                if pid is None:
                    seen = None
                    time.sleep(0.02)
                    continue
                seen = seen or time.monotonic()
                started_at, written = (
                    self.committed_scores(connection)
                    if self.batch == "engagement"
                    else (None, 0)
                )
                if written or time.monotonic() - seen >= self.delay:
                    kind = self.server.children().get(pid)
                    if kind is None:
                        time.sleep(0.02)
                        continue
                    self.result.setdefault("holders_seen", {})[pid] = kind
                    if kind != "cron":  # a client's recompute of 10 customers
                        seen = None
                        time.sleep(0.02)
                        continue
                    self.batches.held.add(self.batch)
                    cron_id = self.batches.crons[self.batch]
                    lastcall = fetch(
                        connection,
                        "SELECT lastcall FROM ir_cron WHERE id = %s",
                        [cron_id],
                    )[0][0]
                    os.kill(pid, signal.SIGKILL)
                    killed_at = time.monotonic()
                    self.result.update(
                        killed=True,
                        pid=pid,
                        worker=kind,
                        wall_time=datetime.now(timezone.utc).replace(
                            tzinfo=None, microsecond=0
                        ),
                        lock_held_s=round(killed_at - seen, 2),
                        run_started_at=started_at,
                        scores_committed_before_kill=written,
                    )
                    self.result["next_run_s"] = self.wait_next_run(
                        connection, cron_id, lastcall, killed_at
                    )
                    self.result["respawned"] = dict(
                        Counter(self.server.children().values())
                    )
                    return
                time.sleep(0.02)

    def wait_next_run(self, connection, cron_id, lastcall, killed_at, timeout=300):
        """Make the killed batch due again until a run of it completes (the
        cron's ``lastcall`` moves); seconds from the kill, None on timeout."""
        while time.monotonic() - killed_at < timeout:
            if (
                fetch(
                    connection, "SELECT lastcall FROM ir_cron WHERE id = %s", [cron_id]
                )[0][0]
                != lastcall
            ):
                return round(time.monotonic() - killed_at, 1)
            self.batches.trigger([self.batch])
            time.sleep(0.5)
        return None


# ---------------------------------------------------------------------------
# Checks: nothing lost, nothing doubled, the next run complete
# ---------------------------------------------------------------------------


def check_writes(connection, records, run_tag):
    """Compare the interactions and disputes the clients created with the
    rows in the database (their names are unique per call)."""
    checks = {}
    for kind, table in (
        ("log_interaction", "relationship_interaction"),
        ("create_dispute", "relationship_dispute"),
    ):
        answered = {r[4] for r in records if r[0] == kind and r[3] is None}
        unanswered = {r[4] for r in records if r[0] == kind and r[3] is not None}
        rows = Counter(
            name
            for (name,) in fetch(
                connection,
                f"SELECT name FROM {table} WHERE name LIKE %s",  # noqa: S608 (constant)
                [f"{run_tag} %"],
            )
        )
        checks[kind] = {
            "answered": len(answered),
            "rows": sum(rows.values()),
            "lost": len(answered - set(rows)),
            "doubled": sum(1 for count in rows.values() if count > 1),
            "failed_calls": len(unanswered),
            "failed_but_written": len(unanswered & set(rows)),
        }
    return checks


def check_duplicates(connection):
    queries = {
        "engagement rows per customer and company": (
            "SELECT COUNT(*) FROM (SELECT 1 FROM relationship_engagement "
            "GROUP BY partner_id, company_id HAVING COUNT(*) > 1) d"
        ),
        "snapshots per customer, company and day": (
            "SELECT COUNT(*) FROM (SELECT 1 FROM relationship_engagement_snapshot "
            "GROUP BY partner_id, company_id, date HAVING COUNT(*) > 1) d"
        ),
        "analytics rows per customer and company": (
            "SELECT COUNT(*) FROM (SELECT 1 FROM relationship_analytics "
            "GROUP BY partner_id, company_id HAVING COUNT(*) > 1) d"
        ),
        "trust snapshots per partner, company and day": (
            "SELECT COUNT(*) FROM (SELECT 1 FROM relationship_trust_snapshot "
            "GROUP BY partner_id, company_id, date HAVING COUNT(*) > 1) d"
        ),
        # Each tier change starts from the tier the previous one ended on: a
        # doubled event (same change twice) or a lost one breaks the chain.
        "tier-change events out of sequence": (
            "SELECT COUNT(*) FROM (SELECT old_value, LAG(new_value) OVER "
            "(PARTITION BY partner_id, company_id ORDER BY id) AS previous "
            "FROM relationship_event WHERE event_type = 'tier_changed') e "
            "WHERE previous IS NOT NULL AND previous IS DISTINCT FROM old_value"
        ),
        "customers whose last tier change is not their tier": (
            "SELECT COUNT(*) FROM relationship_engagement g JOIN (SELECT DISTINCT "
            "ON (partner_id, company_id) partner_id, company_id, new_value FROM "
            "relationship_event WHERE event_type = 'tier_changed' ORDER BY "
            "partner_id, company_id, id DESC) e USING (partner_id, company_id) "
            "WHERE e.new_value IS DISTINCT FROM g.tier"
        ),
    }
    return {name: fetch(connection, query)[0][0] for name, query in queries.items()}


def check_next_run(connection, company_id, batch, killed):
    """Every customer of the company scored (engagement) or analysed
    (analytics) by the run that followed the kill."""
    if batch == "engagement":
        population, scored, pending = fetch(
            connection,
            """
            WITH population AS (
                SELECT p.commercial_partner_id AS id FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(c)s
                 UNION
                SELECT commercial_partner_id FROM account_move
                 WHERE company_id = %(c)s AND commercial_partner_id IS NOT NULL
                   AND move_type IN ('out_invoice', 'out_refund')
            ), customers AS (
                SELECT id FROM population
                 WHERE id NOT IN (SELECT partner_id FROM res_company)
                   AND id NOT IN (SELECT id FROM res_partner
                                   WHERE relationship_no_profiling)
            )
            SELECT (SELECT COUNT(*) FROM customers),
                   (SELECT COUNT(*) FROM customers c JOIN relationship_engagement e
                        ON e.partner_id = c.id AND e.company_id = %(c)s
                     WHERE e.date_raw >= %(since)s),
                   (SELECT engagement_run_started_at IS NOT NULL
                      FROM res_company WHERE id = %(c)s)
            """,
            {"c": company_id, "since": killed["run_started_at"] or killed["wall_time"]},
        )[0]
        return {
            "customers": population,
            "scored_since_killed_run_started": scored,
            "run_still_marked_running": pending,
            "complete": population == scored and not pending,
        }
    (analysed, stale) = fetch(
        connection,
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE date_computed < %s) "
        "FROM relationship_analytics WHERE company_id = %s",
        [killed["wall_time"], company_id],
    )[0]
    return {
        "customers": analysed,
        "not_refreshed_since_kill": stale,
        "complete": analysed > 0 and stale == 0,
    }


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def percentile(values, share):
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, math.ceil(share * len(ordered)) - 1)
    return ordered[rank]


def summarise(records, seconds, batches, start_monotonic):
    def stats(subset, span):
        latencies = [r[2] * 1000 for r in subset]
        return {
            "calls": len(subset),
            "per_second": round(len(subset) / span, 2) if span else None,
            "errors": sum(1 for r in subset if r[3]),
            "p50_ms": _round(percentile(latencies, 0.50)),
            "p95_ms": _round(percentile(latencies, 0.95)),
            "p99_ms": _round(percentile(latencies, 0.99)),
            "mean_ms": _round(statistics.fmean(latencies) if latencies else None),
        }

    by_kind = defaultdict(list)
    during = defaultdict(list)
    for record in records:
        by_kind[record[0]].append(record)
        if batches.busy_at(start_monotonic + record[1]):
            during[record[0]].append(record)
    busy_share = batches.busy_share(start_monotonic, start_monotonic + seconds)
    report = {
        "all": {kind: stats(by_kind[kind], seconds) for kind in MIX},
        "during_batches": {
            kind: stats(during[kind], seconds * busy_share) for kind in MIX
        },
        "batch_busy_share": round(busy_share, 3),
    }
    report["all"]["total"] = stats(records, seconds)
    report["during_batches"]["total"] = stats(
        [r for kind in MIX for r in during[kind]], seconds * busy_share
    )
    errors = Counter(r[3] for r in records if r[3])
    report["errors"] = [
        {"message": message, "count": count} for message, count in errors.most_common()
    ]
    report["recompute_skipped"] = sum(
        1 for r in records if r[0] == "recompute_10" and r[4] == "skipped"
    )
    return report


def _round(value):
    return None if value is None else round(value, 1)


def print_table(title, rows):
    print(f"\n{title}")
    print(
        f"{'call':<18} {'calls':>6} {'calls/s':>8} {'errors':>6} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    )
    for kind, row in rows.items():

        def cell(value, width=8):
            return f"{'-' if value is None else value:>{width}}"

        print(
            f"{kind:<18} {row['calls']:>6} {cell(row['per_second'])} "
            f"{row['errors']:>6} {cell(row['p50_ms'])} {cell(row['p95_ms'])} "
            f"{cell(row['p99_ms'])}"
        )


# ---------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cron-workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--addons-path", default=ADDONS_PATH)
    parser.add_argument("--agreements", type=int, default=500)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument(
        "--batches",
        default=",".join(BATCH_CRONS),
        help="nightly crons kept running (comma-separated; empty: none)",
    )
    parser.add_argument("--fault", choices=sorted(LOCK_KEYS))
    parser.add_argument(
        "--kill-delay",
        type=float,
        default=1.0,
        help="kill after the batch held its lock this long, or once the "
        "engagement run committed a first batch of scores",
    )
    parser.add_argument(
        "--auth",
        choices=("apikey", "password"),
        default="apikey",
        help="what the clients log in with (default: an API key each)",
    )
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--output")
    args = parser.parse_args(argv)
    names = [name for name in args.batches.split(",") if name]
    if args.fault and args.fault not in names:
        names.append(args.fault)

    started = time.perf_counter()
    plan = setup(args.db, args.addons_path, args.agreements, args.customers)
    plan["auth"] = args.auth
    print(
        f"setup {time.perf_counter() - started:.1f} s: {len(plan['customers'])} "
        f"customers, {len(plan['agreements'])} agreements",
        flush=True,
    )
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    run_tag = f"bench-load {stamp}"
    log_path = RESULTS_DIR / f"load_{args.db}_{stamp}.log"
    server = Server(args, log_path)
    batches = killer = None
    result = {"db": args.db, "args": vars(args), "server_log": str(log_path)}
    pool = ProcessPoolExecutor(
        max_workers=args.clients,
        mp_context=get_context("spawn"),
        initializer=stop_with_parent,
    )
    try:
        server.wait_serving()
        result["workers"] = Counter(server.children().values())
        with closing(connect(args.db)) as connection:
            company_id = main_company_id(connection)
        # Warm the spawn pool and the workers' registries before timing.
        list(pool.map(time.sleep, [0.01] * args.clients))
        warm_up(server, args.db, plan, args.workers)
        server.wait_registries(args.db, args.workers + args.cron_workers)
        batches = Batches(args.db, server, names)
        if args.fault:
            killer = Killer(
                args.db,
                server,
                batches,
                args.fault,
                company_id,
                args.kill_delay,
            )

        def on_start():
            if names:
                batches.start()
            if killer:
                killer.start()

        print(
            f"{args.clients} clients for {args.seconds:.0f} s against {server.url} "
            f"({args.workers} workers, {args.cron_workers} cron workers, "
            f"batches: {', '.join(names) or 'none'})...",
            flush=True,
        )
        records, start_monotonic = drive(args, server, plan, run_tag, pool, on_start)
        batches.keep_triggering.clear()
        if killer:
            killer.stop.set()  # a kill under way finishes (its next run)
            killer.join(timeout=330)
            result["fault"] = killer.result
        batches.stop.set()
        if names:
            batches.join(timeout=30)
        result["report"] = summarise(records, args.seconds, batches, start_monotonic)
        result["batch_runs"] = dict(batches.runs)
        result["batch_failures"] = dict(batches.failures)
        result["batch_thread_error"] = batches.error
        with closing(connect(args.db)) as connection:
            result["writes"] = check_writes(connection, records, run_tag)
            result["duplicates"] = check_duplicates(connection)
            if killer and killer.result["killed"]:
                result["next_run"] = check_next_run(
                    connection, company_id, args.fault, killer.result
                )
        if names:
            batches.park()
    finally:
        pool.shutdown(cancel_futures=True)
        server.stop()
    return report(result, args)


def report(result, args):
    rep = result["report"]
    print_table(f"All calls ({args.clients} clients, {args.seconds:.0f} s)", rep["all"])
    print_table(
        f"Calls started while a batch ran ({rep['batch_busy_share']:.0%} of the time)",
        rep["during_batches"],
    )
    print(
        f"\nrecompute_10 skipped (company being recomputed): {rep['recompute_skipped']}"
    )
    print(
        f"batch runs completed: {result['batch_runs']}, "
        f"failed: {result['batch_failures']}"
    )
    for error in rep["errors"]:
        print(f"error x{error['count']}: {error['message']}")
    print(f"writes: {json.dumps(result['writes'])}")
    print(f"duplicates: {json.dumps(result['duplicates'])}")
    failures = []
    for kind, check in result["writes"].items():
        if check["lost"] or check["doubled"]:
            failures.append(f"{kind}: {check['lost']} lost, {check['doubled']} doubled")
    failures += [
        f"{name}: {count}" for name, count in result["duplicates"].items() if count
    ]
    if result["batch_thread_error"]:
        failures.append(f"batch driver: {result['batch_thread_error']}")
    if args.fault:
        fault = result["fault"]
        print(f"fault: {json.dumps(fault, default=str)}")
        if not fault["killed"]:
            failures.append(f"no {args.fault} batch seen running: nothing killed")
        elif fault.get("next_run_s") is None:
            failures.append(f"the {args.fault} batch did not complete after the kill")
        else:
            print(f"next run: {json.dumps(result['next_run'])}")
            if not result["next_run"]["complete"]:
                failures.append(
                    f"the run after the kill is incomplete: {result['next_run']}"
                )
    missed = []
    total_errors = rep["all"]["total"]["errors"]
    if total_errors:
        missed.append(f"{total_errors} errors (target: none)")
    summary_p95 = (
        rep["during_batches"]["summary"]["p95_ms"] or rep["all"]["summary"]["p95_ms"]
    )
    if summary_p95 is not None and summary_p95 > TARGET_SUMMARY_P95_MS:
        missed.append(
            f"summary p95 {summary_p95} ms with the batches running "
            f"(target: under {TARGET_SUMMARY_P95_MS:.0f} ms)"
        )
    result["verdict"] = {"failures": failures, "missed_targets": missed}
    output = args.output or RESULTS_DIR / (
        f"load_{args.db}_{'fault_' + args.fault if args.fault else 'run'}"
        f"_{datetime.now():%Y%m%d-%H%M%S}.json"
    )
    Path(output).write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"\nresults: {output}")
    if failures:
        print("VERDICT: FAIL - " + "; ".join(failures))
        return 1
    if missed:
        print("VERDICT: checks pass, targets missed - " + "; ".join(missed))
        return 2
    print("VERDICT: PASS - no error, nothing lost or doubled, targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
