#!/usr/bin/env bash
# The README's test command (`make test`): a throw-away database with both
# addons, every test (addon tests through pytest-odoo, then tests/ with the
# install/upgrade/uninstall, XML-RPC, static and lint checks), one summary line.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
PYTHON=${PYTHON:-python3}
ODOO=${ODOO:-"$PYTHON -m odoo"}
MODULES=relationship_mgmt,relationship_brm
# The glue addons with the OCA modules they integrate (requirements.txt brings
# the wheels) and Odoo's mass_mailing: helpdesk_mgmt_rating and
# helpdesk_mgmt_sla are optional for relationship_helpdesk, installed here so
# that its tests cover them. relationship_queue_job comes with OCA queue_job.
GLUE_MODULES=relationship_helpdesk,helpdesk_mgmt_rating,helpdesk_mgmt_sla,relationship_credit_control,relationship_mass_mailing,queue_job,relationship_queue_job

$PYTHON tools/preflight.py || exit 2

DB=${RELATIONSHIP_TEST_DB:-relationship_test_$$}
RPC_DB=${DB}_rpc
GLUE_DB=${DB}_glue
QUEUE_DB=${DB}_queue
BENCH_DB=${DB}_bench
LOG=$(mktemp -t relationship_install.XXXXXX)
cleanup() {
    for db in "$RPC_DB" "$BENCH_DB" "$GLUE_DB" "$QUEUE_DB" "$DB"; do
        # "odoo db drop" also removes the database's filestore.
        # shellcheck disable=SC2086
        $ODOO db drop "$db" >/dev/null 2>&1 || dropdb --if-exists "$db" >/dev/null 2>&1
    done
    rm -f "$LOG"
}
trap cleanup EXIT
cleanup

echo "Installing $MODULES,$GLUE_MODULES in throw-away database $DB..."
# base_automation as well: addon tests prove that automation rules fire on
# relationship events (they are skipped where it is not installed).
# shellcheck disable=SC2086
$ODOO -d "$DB" --addons-path="$ROOT/addons" -i "$MODULES,$GLUE_MODULES,base_automation" --without-demo=all \
    --stop-after-init --log-level=warn >"$LOG" 2>&1
rc=$?
# An install that logs an error, or a warning about our addons, is a failure.
problems=$(grep -E " (ERROR|CRITICAL) |WARNING .*relationship_[a-z_]+" "$LOG")
if [ $rc -ne 0 ] || [ -n "$problems" ]; then
    echo "Installation of $MODULES failed (exit $rc):"
    tail -n 60 "$LOG"
    echo "0 passed, 1 failed"
    exit 1
fi
# Copies for the tests that need a database of their own (a live XML-RPC
# server, the benchmark smoke run): pytest-odoo keeps $DB open.
for copy in "$RPC_DB" "$BENCH_DB" "$GLUE_DB" "$QUEUE_DB"; do
    createdb -T "$DB" "$copy" || { echo "0 passed, 1 failed"; exit 1; }
done

# QUEUE_JOB__NO_DELAY: with relationship_queue_job installed, the batches run
# at once, as the other addons' tests (and the live servers) expect; the glue's
# own tests clear it, and tests/test_queue_job_runner.py runs a real job runner
# on $QUEUE_DB without it.
RELATIONSHIP_RPC_DB=$RPC_DB RELATIONSHIP_BENCH_DB=$BENCH_DB RELATIONSHIP_GLUE_DB=$GLUE_DB \
    RELATIONSHIP_QUEUE_DB=$QUEUE_DB RELATIONSHIP_ADDONS=$ROOT/addons QUEUE_JOB__NO_DELAY=1 \
    $PYTHON -m pytest addons tests \
    --odoo-database="$DB" --odoo-addons-path="$ROOT/addons" --odoo-log-level=warn \
    --odoo-extra=test-enable --odoo-extra=test-tags=-standard --odoo-http \
    -p no:cacheprovider -q -rfEs "$@"
