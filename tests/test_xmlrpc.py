"""The public API over XML-RPC, against a real Odoo server: who may recompute
engagement scores, and what a client gets back when it asks wrongly.

The server runs on $RELATIONSHIP_RPC_DB (a copy of the test database made by
tools/run_tests.sh), or on a database installed here when it is not set.
"""

import os
import subprocess
import time
import uuid
import xmlrpc.client

import pytest

from conftest import (
    ADDONS_PATH,
    MODULES,
    create_database,
    drop_database,
    free_port,
    log_problems,
    new_database_name,
    odoo_command,
    run_odoo,
)

pytestmark = pytest.mark.timeout(900)

ENGAGEMENT = "relationship.engagement"
# Fault codes of Odoo's /xmlrpc/2 endpoints for UserError and AccessError.
FAULT_USER_ERROR = 2
FAULT_ACCESS_ERROR = 4


@pytest.fixture(scope="module")
def database():
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


@pytest.fixture(scope="module")
def server_url(database, tmp_path_factory):
    """Base URL of an Odoo server serving ``database`` only, stopped at the
    end of the module."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("odoo") / "server.log"
    command = [
        "-d",
        database,
        ADDONS_PATH,
        f"--http-port={port}",
        "--http-interface=127.0.0.1",
        f"--db-filter=^{database}$",
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


class Client:
    """One user's XML-RPC session: ``client.call(model, method, *args)``."""

    def __init__(self, url, database, login, password):
        self.database = database
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


@pytest.fixture(scope="module")
def admin(server_url, database):
    return Client(server_url, database, "admin", "admin")


@pytest.fixture(scope="module")
def customer_id(admin):
    return admin.call(
        "res.partner", "create", {"name": "RPC Customer", "customer_rank": 1}
    )


def new_user(admin, server_url, database, *groups):
    """A user created by admin with only ``groups``, logged in."""
    login = f"rpc_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    admin.call(
        "res.users",
        "create",
        {
            "name": login,
            "login": login,
            "password": password,
            "groups_id": [(6, 0, [admin.ref(group) for group in groups])],
        },
    )
    return Client(server_url, database, login, password)


@pytest.fixture(scope="module")
def employee(admin, server_url, database):
    return new_user(admin, server_url, database, "base.group_user")


@pytest.fixture(scope="module")
def relationship_user(admin, server_url, database):
    return new_user(
        admin, server_url, database, "relationship_mgmt.group_relationship_user"
    )


def test_server_is_odoo_18(server_url):
    version = xmlrpc.client.ServerProxy(f"{server_url}/xmlrpc/2/common").version()
    assert version["server_version_info"][0] == 18


def test_admin_authenticates(admin):
    assert isinstance(admin.uid, int)


def test_admin_recomputes_a_new_customer(admin, customer_id):
    result = admin.call(ENGAGEMENT, "recompute_engagement", [customer_id])
    assert set(result) == {"computed", "new", "companies", "skipped_companies"}
    assert (result["computed"], result["new"]) == (1, 1)
    assert result["companies"] and all(isinstance(i, int) for i in result["companies"])
    assert result["skipped_companies"] == []
    domain = [("partner_id", "=", customer_id)]
    records = admin.call(ENGAGEMENT, "search_read", domain, fields=["tier"])
    assert [record["tier"] for record in records] == ["new"]


def test_internal_user_without_relationship_group_is_refused(employee, customer_id):
    with pytest.raises(xmlrpc.client.Fault) as fault:
        employee.call(ENGAGEMENT, "recompute_engagement", [customer_id])
    assert fault.value.faultCode == FAULT_ACCESS_ERROR
    assert "Only Relationships users" in fault.value.faultString


def test_relationship_user_recomputes_one_customer_not_all(
    relationship_user, customer_id
):
    with pytest.raises(xmlrpc.client.Fault) as fault:
        relationship_user.call(ENGAGEMENT, "recompute_engagement", False)
    assert fault.value.faultCode == FAULT_ACCESS_ERROR
    assert "managers" in fault.value.faultString
    result = relationship_user.call(ENGAGEMENT, "recompute_engagement", [customer_id])
    assert result["computed"] == 1


def test_private_method_cannot_be_called(admin):
    with pytest.raises(xmlrpc.client.Fault) as fault:
        admin.call(ENGAGEMENT, "_recompute_company", admin.ref("base.main_company"))
    assert fault.value.faultCode == FAULT_ACCESS_ERROR
    assert "Private methods" in fault.value.faultString


@pytest.mark.parametrize(
    ("partner_ids", "message"),
    [
        (["abc"], "Partner ids must be a list of integers"),
        ([999999999], "Unknown partner ids: 999999999"),
    ],
)
def test_wrong_partner_ids_are_explained(admin, partner_ids, message):
    with pytest.raises(xmlrpc.client.Fault) as fault:
        admin.call(ENGAGEMENT, "recompute_engagement", partner_ids)
    assert fault.value.faultCode == FAULT_USER_ERROR
    assert message in fault.value.faultString
