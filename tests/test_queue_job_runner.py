"""The relationship batches run by a real job runner (relationship_queue_job).

An Odoo server loads queue_job server-wide (``--load=base,web,queue_job``) and
runs its job runner, which dispatches the jobs back to it over HTTP: the
sharded engagement recompute and the analytics refresh queued by XML-RPC are
executed for real, and the test waits for them to be done.

Runs on $RELATIONSHIP_QUEUE_DB, a copy of the test database with the glue
addons installed (tools/run_tests.sh makes it), which it changes.
"""

import os
import subprocess
import time
from contextlib import closing

import psycopg2
import pytest

from conftest import (
    ADDONS_PATH,
    RpcClient,
    free_port,
    odoo_command,
    query,
    wait_until_serving,
)

DATABASE = os.environ.get("RELATIONSHIP_QUEUE_DB")
SHARDS = 3
pytestmark = pytest.mark.skipif(not DATABASE, reason="RELATIONSHIP_QUEUE_DB is not set")


@pytest.fixture(scope="module")
def runner_url(tmp_path_factory):
    """An Odoo server with the job runner on $RELATIONSHIP_QUEUE_DB."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("queue") / "server.log"
    # The suite runs jobs without delay elsewhere: not here.
    env = {k: v for k, v in os.environ.items() if k != "QUEUE_JOB__NO_DELAY"}
    env.update(
        ODOO_QUEUE_JOB_CHANNELS="root:2,root.relationship:2",
        ODOO_QUEUE_JOB_HOST="127.0.0.1",
        ODOO_QUEUE_JOB_PORT=str(port),
    )
    command = [
        "-d",
        DATABASE,
        ADDONS_PATH,
        f"--http-port={port}",
        "--http-interface=127.0.0.1",
        f"--db-filter=^{DATABASE}$",
        "--workers=0",
        "--max-cron-threads=0",
        "--load=base,web,queue_job",
        "--log-level=warn",
    ]
    with log_path.open("w") as log:
        server = subprocess.Popen(
            odoo_command(*command), stdout=log, stderr=subprocess.STDOUT, env=env
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, server, log_path)
        yield url, log_path
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def admin(runner_url):
    url, __ = runner_url
    client = RpcClient(url, DATABASE, "admin", "admin")
    manager = client.ref("relationship_mgmt.group_relationship_manager")
    client.call("res.users", "write", [client.uid], {"groups_id": [(4, manager)]})
    client.call(
        "ir.config_parameter",
        "set_param",
        "relationship_queue_job.engagement_shards",
        str(SHARDS),
    )
    return client


@pytest.fixture(scope="module")
def customers(admin):
    product = admin.call(
        "product.product", "create", {"name": "Queued Product", "list_price": 90.0}
    )
    ids = []
    for index in range(7):
        partner = admin.call(
            "res.partner",
            "create",
            {"name": f"Queued Customer {index}", "is_company": True},
        )
        for __ in range(index % 3 + 1):
            order = admin.call(
                "sale.order",
                "create",
                {
                    "partner_id": partner,
                    "order_line": [
                        (0, 0, {"product_id": product, "product_uom_qty": index + 1})
                    ],
                },
            )
            admin.call("sale.order", "action_confirm", [order])
        ids.append(partner)
    return ids


def wait_for(admin, uuids, log_path, timeout=240):
    """The jobs' states once none is waiting or running any more."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = admin.call(
            "queue.job",
            "search_read",
            [("uuid", "in", uuids)],
            ["uuid", "state", "exc_info", "channel"],
        )
        if all(job["state"] in ("done", "failed") for job in jobs):
            return jobs
        time.sleep(1)
    pytest.fail(f"jobs not done in {timeout}s: {jobs}\n{log_path.read_text()}")


def test_runner_executes_the_sharded_engagement_recompute(admin, customers, runner_url):
    __, log_path = runner_url
    result = admin.call("relationship.engagement", "recompute_engagement", [])
    # A second call while the run is under way queues nothing.
    again = admin.call("relationship.engagement", "recompute_engagement", [])
    assert sorted(again["jobs"]) == sorted(result["jobs"])
    assert len(result["jobs"]) == len(result["companies"]) * (SHARDS + 2)

    jobs = wait_for(admin, result["jobs"], log_path)

    assert {job["state"] for job in jobs} == {"done"}, jobs
    assert {job["channel"] for job in jobs} == {"root.relationship.engagement"}
    rows = admin.call(
        "relationship.engagement",
        "search_read",
        [("partner_id", "in", customers)],
        ["partner_id", "tier", "score", "order_count"],
    )
    assert len(rows) == len(customers)
    assert all(row["tier"] != "new" and row["score"] for row in rows), rows
    runs = admin.call(
        "relationship.job.run",
        "search_read",
        [],
        ["state", "customers_total", "customers_done", "jobs_done", "jobs_total"],
    )
    assert all(run["state"] == "done" for run in runs), runs
    assert sum(run["customers_done"] for run in runs) >= len(customers)
    # The shards ran in separate transactions, each its own job.
    workers = query(
        DATABASE,
        "SELECT COUNT(DISTINCT date_started) FROM queue_job WHERE uuid = ANY(%s)",
        [result["jobs"]],
    )[0][0]
    assert workers == len(result["jobs"])


def row_versions(partner_ids):
    """``{partner: xmin}`` of the customers' engagement rows: the version
    changes whenever a transaction writes the row."""
    return dict(
        query(
            DATABASE,
            "SELECT partner_id, xmin::text FROM relationship_engagement "
            "WHERE partner_id = ANY(%s)",
            [partner_ids],
        )
    )


def test_runner_retries_a_failing_shard_and_keeps_the_others(
    admin, customers, runner_url
):
    """Another transaction updates a customer's engagement row while its shard
    waits to write it: the shard fails (serialization failure, its writes
    rolled back) and the runner runs it again; the other shards' rows are
    written once, by their first and only run."""
    __, log_path = runner_url
    admin.call("relationship.engagement", "recompute_engagement", customers)
    target = customers[0]
    shard = f":shard:{target % SHARDS}/{SHARDS}"
    others = [pid for pid in customers if pid % SHARDS != target % SHARDS]
    assert others

    def shard_jobs(uuids):
        return admin.call(
            "queue.job",
            "search_read",
            [("uuid", "in", uuids), ("identity_key", "like", ":shard:")],
            ["identity_key", "state", "retry"],
        )

    with closing(psycopg2.connect(dbname=DATABASE)) as holder:
        with holder.cursor() as cr:
            # Signals read an hour back, committed so the shard sees it: a run
            # keeps its start to the second, and a row read in that second (by
            # the recompute above) counts as "written by this run", which the
            # shard skips instead of waiting for it.
            cr.execute(
                "UPDATE relationship_engagement "
                "SET date_raw = date_raw - interval '1 hour' WHERE partner_id = %s",
                [target],
            )
            holder.commit()
            # The row lock the shard waits for, held until the commit below.
            cr.execute(
                "UPDATE relationship_engagement SET write_date = write_date "
                "WHERE partner_id = %s",
                [target],
            )
        uuids = admin.call("relationship.engagement", "recompute_engagement", [])[
            "jobs"
        ]
        # Wait until the other shards are done and the target's shard waits
        # for the row.
        deadline = time.monotonic() + 120
        while True:
            states = {job["identity_key"]: job["state"] for job in shard_jobs(uuids)}
            waiting = query(
                DATABASE,
                "SELECT COUNT(*) FROM pg_stat_activity "
                "WHERE datname = %s AND wait_event_type = 'Lock'",
                [DATABASE],
            )[0][0]
            blocked = [key for key, state in states.items() if state != "done"]
            if waiting and len(blocked) == 1:
                break
            assert time.monotonic() < deadline, (states, log_path.read_text())
            time.sleep(0.5)
        assert blocked[0].endswith(shard)
        kept = row_versions(others)
        holder.commit()

    jobs = wait_for(admin, uuids, log_path)

    assert {job["state"] for job in jobs} == {"done"}, jobs
    retries = {job["identity_key"]: job["retry"] for job in shard_jobs(uuids)}
    assert {key: count for key, count in retries.items() if count > 1} == {
        blocked[0]: 2
    }, retries
    # Kept: the other shards' rows were not written again.
    assert row_versions(others) == kept
    rows = admin.call(
        "relationship.engagement",
        "search_read",
        [("partner_id", "=", target)],
        ["tier", "score", "order_count"],
    )
    assert rows[0]["order_count"] and rows[0]["tier"] != "new", rows


def test_runner_executes_a_company_job_of_the_analytics(admin, customers, runner_url):
    __, log_path = runner_url
    result = admin.call("relationship.analytics", "refresh_analytics")
    assert result["customers"] == 0 and result["jobs"]

    jobs = wait_for(admin, result["jobs"], log_path)

    assert {job["state"] for job in jobs} == {"done"}, jobs
    assert {job["channel"] for job in jobs} == {"root.relationship.analytics"}
    assert admin.call(
        "relationship.analytics", "search_count", [("partner_id", "in", customers)]
    ) == len(customers)
