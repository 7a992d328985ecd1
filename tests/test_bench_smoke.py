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

from conftest import ADDONS, ROOT

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
