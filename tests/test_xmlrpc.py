"""The public API over XML-RPC, against a real Odoo server: who may recompute
engagement scores, and what a client gets back when it asks wrongly.

The server (fixtures in conftest.py) runs on $RELATIONSHIP_RPC_DB (a copy of
the test database made by tools/run_tests.sh), or on a database installed
for the session when it is not set.
"""

import xmlrpc.client

import pytest

from conftest import FAULT_ACCESS_ERROR, FAULT_USER_ERROR

pytestmark = pytest.mark.timeout(900)

ENGAGEMENT = "relationship.engagement"


@pytest.fixture(scope="module")
def customer_id(rpc_admin):
    return rpc_admin.call(
        "res.partner", "create", {"name": "RPC Customer", "customer_rank": 1}
    )


def test_server_is_odoo_18(rpc_url):
    version = xmlrpc.client.ServerProxy(f"{rpc_url}/xmlrpc/2/common").version()
    assert version["server_version_info"][0] == 18


def test_admin_authenticates(rpc_admin):
    assert isinstance(rpc_admin.uid, int)


def test_admin_recomputes_a_new_customer(rpc_admin, customer_id):
    result = rpc_admin.call(ENGAGEMENT, "recompute_engagement", [customer_id])
    assert set(result) == {"computed", "new", "companies", "skipped_companies"}
    assert (result["computed"], result["new"]) == (1, 1)
    assert result["companies"] and all(isinstance(i, int) for i in result["companies"])
    assert result["skipped_companies"] == []
    domain = [("partner_id", "=", customer_id)]
    records = rpc_admin.call(ENGAGEMENT, "search_read", domain, fields=["tier"])
    assert [record["tier"] for record in records] == ["new"]


def test_internal_user_without_relationship_group_is_refused(rpc_employee, customer_id):
    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc_employee.call(ENGAGEMENT, "recompute_engagement", [customer_id])
    assert fault.value.faultCode == FAULT_ACCESS_ERROR
    assert "Only Relationships users" in fault.value.faultString


def test_relationship_user_recomputes_one_customer_not_all(
    rpc_relationship_user, customer_id
):
    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc_relationship_user.call(ENGAGEMENT, "recompute_engagement", False)
    assert fault.value.faultCode == FAULT_ACCESS_ERROR
    assert "managers" in fault.value.faultString
    result = rpc_relationship_user.call(
        ENGAGEMENT, "recompute_engagement", [customer_id]
    )
    assert result["computed"] == 1


def test_private_method_cannot_be_called(rpc_admin):
    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc_admin.call(
            ENGAGEMENT, "_recompute_company", rpc_admin.ref("base.main_company")
        )
    assert fault.value.faultCode == FAULT_ACCESS_ERROR
    assert "Private methods" in fault.value.faultString


@pytest.mark.parametrize(
    ("partner_ids", "message"),
    [
        (["abc"], "Partner ids must be a list of integers"),
        ([999999999], "Unknown partner ids: 999999999"),
    ],
)
def test_wrong_partner_ids_are_explained(rpc_admin, partner_ids, message):
    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc_admin.call(ENGAGEMENT, "recompute_engagement", partner_ids)
    assert fault.value.faultCode == FAULT_USER_ERROR
    assert message in fault.value.faultString
