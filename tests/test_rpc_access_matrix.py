"""The access matrix of both addons, checked over a live XML-RPC connection.

The addons' own tests (``addons/*/tests/test_access_matrix.py``) hold the
designed table: for each model, what each kind of user may do on the records
of their company. Here the same table is checked from the outside, as an
integration sees it: for every model and every kind of user, the server
answers ``has_access`` as designed for read / write / create / unlink, reading
is refused with an access fault where it should be, and a manager of another
company sees none of the main company's records.
"""

import xmlrpc.client

import pytest

from odoo.addons.relationship_brm.tests.test_access_matrix import (
    MATRIX as BRM_MATRIX,
)
from odoo.addons.relationship_mgmt.tests.test_access_matrix import (
    GROUPS,
    INTERNAL,
    MANAGER,
    OPERATIONS,
    PORTAL,
    SALESMAN,
    USER,
)
from odoo.addons.relationship_mgmt.tests.test_access_matrix import (
    MATRIX as MGMT_MATRIX,
)

from conftest import FAULT_ACCESS_ERROR, new_rpc_user

MATRIX = {**MGMT_MATRIX, **BRM_MATRIX}
KINDS = (INTERNAL, SALESMAN, USER, MANAGER, PORTAL)


@pytest.fixture(scope="module")
def clients(rpc_admin):
    """One logged-in XML-RPC client per kind of user, each with exactly the
    groups the designed table names for that kind, in the main company."""
    return {kind: new_rpc_user(rpc_admin, *GROUPS[kind].split(",")) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("model", sorted(MATRIX))
def test_rights_over_rpc_are_as_designed(clients, model, kind):
    client = clients[kind]
    expected = MATRIX[model].get(kind, "")
    answered = "".join(
        letter
        for letter, operation in OPERATIONS.items()
        if client.call(model, "has_access", [], operation)
    )
    assert answered == expected, (
        f"{kind} on {model}: the server allows {answered or 'nothing'}, "
        f"the design says {expected or 'nothing'}"
    )
    if "r" in expected:
        assert isinstance(client.call(model, "search_count", []), int)
    else:
        with pytest.raises(xmlrpc.client.Fault) as refused:
            client.call(model, "search_count", [])
        assert refused.value.faultCode == FAULT_ACCESS_ERROR, refused.value.faultString


def test_other_company_manager_sees_no_record_of_the_main_company(
    rpc_admin, rpc_other_company_manager, rpc_world
):
    main_company_id = rpc_admin.ref("base.main_company")
    seen_by_admin = 0
    for model in sorted(MATRIX):
        fields = rpc_admin.call(model, "fields_get", [], attributes=["type"])
        if fields.get("company_id", {}).get("type") != "many2one":
            continue
        domain = [("company_id", "=", main_company_id)]
        seen_by_admin += rpc_admin.call(model, "search_count", domain)
        assert rpc_other_company_manager.call(model, "search_count", domain) == 0, (
            f"the other company's manager reads {model} records of the main company"
        )
    # The check means something: the main company has relationship records.
    assert seen_by_admin > 0
