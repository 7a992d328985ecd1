"""Helpers of the repository-level tests (tests/test_*.py).

These tests look at the project from the outside: its files, its linters, and
Odoo run as its own process (install, upgrade, uninstall, an XML-RPC server),
the way an administrator or an integration would. The addons' own tests
(addons/*/tests) run inside the Odoo registry instead.

PostgreSQL is reached as createdb/psql reach it (PGHOST, PGUSER... or the
local socket), Odoo with its usual configuration (ODOO_RC or command line).
"""

import os
import re
import socket
import subprocess
import sys
import time
import uuid
import xmlrpc.client
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import psycopg2
import psycopg2.sql
import pytest

ROOT = Path(__file__).resolve().parent.parent
ADDONS = Path(os.environ.get("RELATIONSHIP_ADDONS") or ROOT / "addons")
ADDONS_PATH = f"--addons-path={ADDONS}"
MODULES = ("relationship_mgmt", "relationship_brm")
# The glue addons (each installs by itself beside its OCA module) and the OCA
# (and Odoo) modules tools/run_tests.sh installs with them.
GLUE_MODULES = (
    "relationship_helpdesk",
    "relationship_credit_control",
    "relationship_mass_mailing",
    "relationship_queue_job",
)
OCA_MODULES = (
    "helpdesk_mgmt",
    "helpdesk_mgmt_rating",
    "helpdesk_mgmt_sla",
    "account_credit_control",
    "mass_mailing",
    "queue_job",
)
# Log lines that fail a run, as in tools/run_tests.sh: any error, and any
# warning about our addons.
LOG_PROBLEM = re.compile(r" (ERROR|CRITICAL) |WARNING .*relationship_[a-z_]+")


def odoo_command(*args):
    """``python3 -m odoo *args`` with the Python running the tests. ``args``
    come first, so they may start with a sub-command (``shell``, ``db``);
    pass ``ADDONS_PATH`` where the command needs our addons."""
    return [sys.executable, "-m", "odoo", *args]


def run_odoo(*args, stdin=None, timeout=900):
    """Run ``odoo_command(*args)`` until it exits; return the
    ``CompletedProcess``, whose ``stdout`` holds the whole log (stdout and
    stderr together)."""
    return subprocess.run(
        odoo_command(*args),
        input=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


def log_problems(log):
    """The lines of an Odoo log that make the run a failure."""
    return [line for line in log.splitlines() if LOG_PROBLEM.search(line)]


def free_port():
    """A TCP port nobody listens on at 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_database_name(purpose):
    """A database name no other run uses: relationship_pytest_<purpose>_<hex>."""
    return f"relationship_pytest_{purpose}_{uuid.uuid4().hex[:8]}"


def create_database(name):
    """Create an empty database (failing if it exists: never reuse one)."""
    subprocess.run(["createdb", name], check=True)


def drop_database(name):
    """Drop a database with its filestore, as Odoo does; fine if it is gone."""
    result = run_odoo("db", "drop", name, timeout=120)
    if result.returncode and "does not exist" not in result.stdout:
        raise RuntimeError(f"Could not drop database {name}:\n{result.stdout}")


def query(database, sql, params=None):
    """Rows of one SQL query on ``database``, in a connection of its own."""
    with closing(psycopg2.connect(dbname=database)) as connection:
        with connection.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()


# Tables of the documents a resolution creates (credit notes, returns,
# orders): their row counts are part of the fingerprint, so that a refused call
# that still created one would be noticed.
COUNTED_TABLES = ("account_move", "sale_order", "stock_picking")


def database_fingerprint(database):
    """``{table: (row count, checksum of the rows)}`` of res_partner and every
    table of the relationship addons, and ``{table: (row count, '')}`` of
    ``COUNTED_TABLES``, in one query: equal fingerprints before and after a
    call prove that the call changed nothing there."""
    with closing(psycopg2.connect(dbname=database)) as connection:
        with connection.cursor() as cr:
            cr.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND (tablename LIKE 'relationship%%' OR tablename = 'res_partner') "
                "ORDER BY tablename"
            )
            tables = [row[0] for row in cr.fetchall()]
            checksums = [
                psycopg2.sql.SQL(
                    "SELECT {name}, COUNT(*), MD5(COALESCE(STRING_AGG("
                    "MD5(t::text), '' ORDER BY MD5(t::text)), '')) FROM {table} t"
                ).format(
                    name=psycopg2.sql.Literal(table),
                    table=psycopg2.sql.Identifier(table),
                )
                for table in tables
            ]
            counts = [
                psycopg2.sql.SQL("SELECT {name}, COUNT(*), '' FROM {table}").format(
                    name=psycopg2.sql.Literal(table),
                    table=psycopg2.sql.Identifier(table),
                )
                for table in COUNTED_TABLES
            ]
            cr.execute(psycopg2.sql.SQL(" UNION ALL ").join(checksums + counts))
            return {name: (count, digest) for name, count, digest in cr.fetchall()}


# ---------------------------------------------------------------------------
# A live Odoo server for the XML-RPC tests (test_xmlrpc, test_rpc_surface,
# test_bad_input): one per test session, on $RELATIONSHIP_RPC_DB (a copy of the
# test database made by tools/run_tests.sh) or on a database installed here.
# ---------------------------------------------------------------------------

# Fault codes of Odoo's /xmlrpc/2 endpoints: 1 is any other exception (its
# traceback as message), 2 a UserError or ValidationError, 4 an AccessError.
FAULT_APPLICATION_ERROR = 1
FAULT_USER_ERROR = 2
FAULT_ACCESS_ERROR = 4


class RpcClient:
    """One user's XML-RPC session: ``client.call(model, method, *args)``."""

    def __init__(self, url, database, login, password):
        self.url = url
        self.database = database
        self.login = login
        self.password = password
        common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
        self.uid = common.authenticate(database, login, password, {})
        assert self.uid, f"{login} could not log in"
        self.models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")

    def call(self, model, method, *args, **kwargs):
        return self.models.execute_kw(
            self.database, self.uid, self.password, model, method, list(args), kwargs
        )

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        return self.call("ir.model.data", "check_object_reference", module, name)[1]


def wait_until_serving(url, server, log_path, timeout=120):
    common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"Odoo exited with {server.returncode}:\n{log_path.read_text()}"
            )
        try:
            common.version()
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"Odoo did not answer in {timeout}s:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def rpc_database():
    name = os.environ.get("RELATIONSHIP_RPC_DB")
    if name:
        yield name
        return
    name = new_database_name("rpc")
    create_database(name)
    try:
        result = run_odoo(
            "-d",
            name,
            ADDONS_PATH,
            "-i",
            ",".join(MODULES),
            "--without-demo=all",
            "--stop-after-init",
            "--log-level=warn",
        )
        assert result.returncode == 0 and not log_problems(result.stdout), result.stdout
        yield name
    finally:
        drop_database(name)


@pytest.fixture(scope="session")
def rpc_url(rpc_database, tmp_path_factory):
    """Base URL of an Odoo server serving ``rpc_database`` only, stopped at
    the end of the session."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("odoo") / "server.log"
    command = [
        "-d",
        rpc_database,
        ADDONS_PATH,
        f"--http-port={port}",
        "--http-interface=127.0.0.1",
        f"--db-filter=^{rpc_database}$",
        "--workers=0",
        "--max-cron-threads=0",
        "--log-level=warn",
    ]
    with log_path.open("w") as log:
        server = subprocess.Popen(
            odoo_command(*command), stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, server, log_path)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def new_rpc_user(admin, *groups, company_id=None, **values):
    """A user created by ``admin`` with only ``groups`` (xml ids), working in
    ``company_id`` only when given, logged in. It has an email address: the
    chatter notes of a dispute's resolution need their author's."""
    login = f"rpc_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    vals = {
        "name": login,
        "login": login,
        "password": password,
        "email": f"{login}@example.com",
        "groups_id": [(6, 0, [admin.ref(group) for group in groups])],
        **values,
    }
    if company_id:
        vals.update(company_id=company_id, company_ids=[(6, 0, [company_id])])
    admin.call("res.users", "create", vals)
    return RpcClient(admin.url, admin.database, login, password)


@pytest.fixture(scope="session")
def rpc_admin(rpc_url, rpc_database):
    return RpcClient(rpc_url, rpc_database, "admin", "admin")


@pytest.fixture(scope="session")
def rpc_employee(rpc_admin):
    """An internal user without the Relationships groups."""
    return new_rpc_user(rpc_admin, "base.group_user")


@pytest.fixture(scope="session")
def rpc_relationship_user(rpc_admin):
    """A Relationships / User of the main company."""
    return new_rpc_user(rpc_admin, "relationship_mgmt.group_relationship_user")


@pytest.fixture(scope="session")
def rpc_second_company_id(rpc_admin):
    return rpc_admin.call("res.company", "create", {"name": "RPC Second Company"})


@pytest.fixture(scope="session")
def rpc_other_company_manager(rpc_admin, rpc_second_company_id):
    """A Relationships / Manager working in the second company only."""
    return new_rpc_user(
        rpc_admin,
        "relationship_mgmt.group_relationship_manager",
        company_id=rpc_second_company_id,
    )


@pytest.fixture(scope="session")
def rpc_portal_user(rpc_admin):
    return new_rpc_user(rpc_admin, "base.group_portal")


@pytest.fixture(scope="session")
def rpc_world(rpc_admin, rpc_second_company_id):
    """Records the RPC tests work on, created by admin over XML-RPC: a scored
    customer of the main company (a confirmed order) with a contact, a running
    agreement with a measured obligation and trust, a manual program, an
    automatic one and an archived one, a customer to erase, a customer of the
    second company, and an open dispute with each of the two customers."""
    admin = rpc_admin
    tag = uuid.uuid4().hex[:6]
    main_company_id = admin.ref("base.main_company")

    def partner(name, **values):
        vals = {"name": f"{name} {tag}", "customer_rank": 1, "is_company": True}
        return admin.call("res.partner", "create", dict(vals, **values))

    world = {
        "tag": tag,
        "main_company_id": main_company_id,
        "second_company_id": rpc_second_company_id,
        "customer": partner("RPC Customer", company_id=main_company_id),
        "erase_customer": partner("RPC Erased Customer", company_id=main_company_id),
        "other_customer": partner(
            "RPC Other Company Customer", company_id=rpc_second_company_id
        ),
    }
    world["customer_name"] = f"RPC Customer {tag}"
    world["contact"] = admin.call(
        "res.partner",
        "create",
        {"name": f"RPC Contact {tag}", "parent_id": world["customer"]},
    )
    product = admin.call(
        "product.product",
        "create",
        {"name": f"RPC Widget {tag}", "list_price": 120.0, "type": "consu"},
    )
    order = admin.call(
        "sale.order",
        "create",
        {
            "partner_id": world["customer"],
            "company_id": main_company_id,
            "order_line": [(0, 0, {"product_id": product, "product_uom_qty": 3})],
        },
    )
    admin.call("sale.order", "action_confirm", [order])
    admin.call(
        "relationship.interaction",
        "create",
        {"name": "Welcome call", "partner_id": world["erase_customer"]},
    )
    admin.call(
        "relationship.engagement",
        "recompute_engagement",
        [world["customer"], world["erase_customer"]],
    )
    admin.call("relationship.analytics", "refresh_analytics")
    start = date.today() - timedelta(days=45)
    world["agreement"] = admin.call(
        "relationship.agreement",
        "create",
        {
            "name": f"RPC Supply {tag}",
            "partner_id": world["customer"],
            "company_id": main_company_id,
            "agreement_type": "sales",
            "date_start": start.isoformat(),
            "duration_months": 12,
        },
    )
    admin.call("relationship.agreement", "action_activate", [world["agreement"]])
    world["obligation"] = admin.call(
        "relationship.agreement.obligation",
        "create",
        {
            "agreement_id": world["agreement"],
            "kind": "min_volume",
            "target": 100000.0,
            "period": "month",
        },
    )
    admin.call(
        "relationship.agreement.obligation",
        "refresh_obligations",
        [world["agreement"]],
    )
    admin.call("relationship.trust.snapshot", "recompute_trust", [world["customer"]])

    def program(name, **values):
        vals = {"name": f"{name} {tag}", "company_id": main_company_id}
        return admin.call("relationship.program", "create", dict(vals, **values))

    world["program"] = program("RPC Manual Program", trigger="manual")
    world["automatic_program"] = program("RPC Order Program", trigger="order_confirmed")
    world["archived_program"] = program(
        "RPC Archived Program", trigger="manual", active=False
    )
    # rpc_world has no invoice: its disputes are tied to no document.
    world["dispute"] = new_dispute(admin, world["customer"], main_company_id)
    world["other_dispute"] = new_dispute(
        admin, world["other_customer"], rpc_second_company_id
    )
    return world


def new_dispute(client, partner_id, company_id, **values):
    """An open dispute with ``partner_id`` in ``company_id``, created by
    ``client`` over XML-RPC (150.00 disputed unless ``values`` say else)."""
    vals = {
        "name": f"RPC Dispute {uuid.uuid4().hex[:6]}",
        "partner_id": partner_id,
        "company_id": company_id,
        "dispute_type": "quality",
        "amount_disputed": 150.0,
    }
    return client.call("relationship.dispute", "create", dict(vals, **values))
