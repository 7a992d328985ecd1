"""Smoke run of the benchmark harness (bench/, see bench/README.md): generate
size S into the throw-away database $RELATIONSHIP_BENCH_DB and measure every
phase once. Times are not checked (the machine decides them), only that each
phase ran and that the full recompute scored the customers generated.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import ADDONS, ROOT, query, run_odoo

PHASES = ("full_recompute", "incremental_1pct", "total_invoiced", "bare_sql")
GENERATED_CUSTOMERS = 2_000  # size S
# Customers without any order or invoice (about 3 %) are not scored.
MIN_SCORED_SHARE = 0.9


@pytest.mark.timeout(900)
def test_bench_size_s_measures_every_phase(tmp_path):
    database = os.environ.get("RELATIONSHIP_BENCH_DB")
    if not database:
        pytest.skip(
            "RELATIONSHIP_BENCH_DB is not set: the benchmark smoke run writes into "
            "a throw-away copy of a database with both addons installed without "
            "demo data (tools/run_tests.sh makes one)"
        )
    output = tmp_path / "bench.json"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--db",
            database,
            "--size",
            "S",
            "--generate",
            "--output",
            str(output),
            f"--addons-path={ADDONS}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=880,
        check=False,
    )
    tail = "\n".join(result.stdout.splitlines()[-40:])
    assert result.returncode == 0, f"bench/run.py exited {result.returncode}:\n{tail}"

    report = json.loads(output.read_text())
    assert report["size"] == "S"
    assert report["data"]["customers"] == GENERATED_CUSTOMERS
    for phase in PHASES:
        assert report["phases"][phase]["seconds"] > 0, phase
    full = report["phases"]["full_recompute"]
    assert (
        MIN_SCORED_SHARE * GENERATED_CUSTOMERS
        <= full["computed"]
        <= GENERATED_CUSTOMERS
    ), full
    assert report["phases"]["incremental_1pct"]["partners"] > 0


@pytest.mark.timeout(300)
def test_bench_load_runs_with_a_fault(tmp_path):
    """bench/load.py for a few seconds with two clients on the copy filled
    above (size S): it serves the database with two workers, keeps the
    analytics refresh running, kills the cron worker in the middle of one,
    and its checks (nothing lost or doubled, the next run complete) pass.
    Latency targets are not checked here (exit 2 when missed is fine)."""
    database = os.environ.get("RELATIONSHIP_BENCH_DB")
    if not database:
        pytest.skip("RELATIONSHIP_BENCH_DB is not set (see the test above)")
    output = tmp_path / "load.json"
    # The kill is timed on a live run: on a loaded machine the short analytics
    # refresh of size S may be missed once ("nothing killed"); a second run
    # is then taken, with every check of the run that counts unchanged.
    for _attempt in range(2):
        result = run_load(database, output)
        if result.returncode not in (0, 2) or not output.exists():
            break
        failures = json.loads(output.read_text())["verdict"]["failures"]
        if failures != ["no analytics batch seen running: nothing killed"]:
            break
    tail = "\n".join(result.stdout.splitlines()[-40:])
    assert result.returncode in (0, 2), (
        f"bench/load.py exited {result.returncode}:\n{tail}"
    )
    report = json.loads(output.read_text())
    assert report["verdict"]["failures"] == [], tail
    assert report["report"]["all"]["total"]["calls"] > 0, tail
    assert report["fault"]["killed"] and report["fault"]["worker"] == "cron", tail
    assert report["next_run"]["complete"], tail
    for check in report["writes"].values():
        assert check["lost"] == check["doubled"] == 0, check


def run_load(database, output):
    """bench/load.py with two clients for 5 s, the analytics refresh killed."""
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "load.py"),
            "--db",
            database,
            "--clients",
            "2",
            "--seconds",
            "5",
            "--agreements",
            "20",
            "--batches",
            "analytics",
            "--fault",
            "analytics",
            "--kill-delay",
            "0",
            "--log-level",
            "warn",
            "--output",
            str(output),
            f"--addons-path={ADDONS}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=280,
        check=False,
    )


# Run by `odoo shell` on the bench copy: the nightly full recompute (batches
# that commit), while another transaction marks a customer of the first batch
# for recompute after the batch's snapshot was taken and before it writes
# (what an interaction logged over XML-RPC does during the nightly run).
CONCURRENT_MARK = """
import logging
from odoo.addons.relationship_mgmt.models.relationship_engagement import (
    RelationshipEngagement,
)
company = env.ref("base.main_company")
original = RelationshipEngagement._engagement_write_batch
injected = []

def write_batch(self, company, first, last, *args, **kwargs):
    if not injected:
        self.env.cr.execute("SELECT 1")  # this transaction's snapshot
        with self.env.registry.cursor() as other:
            other.execute(
                "UPDATE relationship_engagement SET needs_recompute = TRUE "
                "WHERE company_id = %s AND partner_id = ("
                "SELECT MIN(partner_id) FROM relationship_engagement "
                "WHERE company_id = %s AND partner_id BETWEEN %s AND %s "
                "AND date_computed IS NOT NULL) RETURNING partner_id",
                [company.id, company.id, first, last],
            )
            injected.append(other.fetchone()[0])
    return original(self, company, first, last, *args, **kwargs)

RelationshipEngagement._engagement_write_batch = write_batch
counts = env["relationship.engagement"]._recompute_company(
    company, full=True, commit=True
)
env.cr.execute(
    "SELECT needs_recompute FROM relationship_engagement "
    "WHERE company_id = %s AND partner_id = %s",
    [company.id, injected[0]],
)
print("RESULT", counts["computed"], env.cr.fetchone()[0])
"""


@pytest.mark.timeout(300)
def test_nightly_recompute_retries_a_batch_a_concurrent_mark_touched():
    """The nightly full recompute used to fail ("could not serialize access
    due to concurrent update") when a customer of a batch was marked for
    recompute while the batch wrote it; the batch is now retried, every
    customer scored, and the mark kept for the incremental cron."""
    database = os.environ.get("RELATIONSHIP_BENCH_DB")
    if not database:
        pytest.skip("RELATIONSHIP_BENCH_DB is not set (see the first test)")
    (scored,) = query(
        database,
        "SELECT COUNT(*) FROM relationship_engagement WHERE date_computed IS NOT NULL",
    )[0]
    if not scored:
        pytest.skip("no scored customer: run the first test of this file first")
    run = run_odoo(
        "shell",
        "-d",
        database,
        f"--addons-path={ADDONS}",
        "--no-http",
        "--log-level=info",
        stdin=CONCURRENT_MARK,
        timeout=280,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert "met a concurrent update: retried" in run.stdout, run.stdout[-3000:]
    (line,) = [line for line in run.stdout.splitlines() if line.startswith("RESULT")]
    __, computed, kept_mark = line.split()
    assert int(computed) >= MIN_SCORED_SHARE * GENERATED_CUSTOMERS, line
    assert kept_mark == "True", line
