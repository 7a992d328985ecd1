"""Over XML-RPC as from the web client, ``recompute_engagement`` on a
selection that holds colleagues (internal users) and the company itself
scores the customers only (live server, fixtures in conftest.py)."""

import uuid

import pytest

from conftest import new_rpc_user

pytestmark = pytest.mark.timeout(600)


def test_recompute_engagement_never_scores_colleagues_or_own_company(rpc_admin):
    admin = rpc_admin
    company_id = admin.ref("base.main_company")
    colleague = new_rpc_user(admin, "base.group_user")
    colleague_partner = admin.call(
        "res.users", "read", [colleague.uid], ["partner_id"]
    )[0]["partner_id"][0]
    own_partner = admin.call("res.company", "read", [company_id], ["partner_id"])[0][
        "partner_id"
    ][0]
    customer = admin.call(
        "res.partner",
        "create",
        {"name": f"RPC Buyer {uuid.uuid4().hex[:6]}", "is_company": True},
    )
    product = admin.call(
        "product.product",
        "create",
        # A service: an order shipped to the company itself needs no route.
        {"name": "RPC Staff Purchase", "list_price": 50.0, "type": "service"},
    )
    partners = [colleague_partner, own_partner, customer]
    for partner in partners:
        order = admin.call(
            "sale.order",
            "create",
            {
                "partner_id": partner,
                "order_line": [(0, 0, {"product_id": product, "product_uom_qty": 1})],
            },
        )
        admin.call("sale.order", "action_confirm", [order])

    result = admin.call("relationship.engagement", "recompute_engagement", partners)

    assert result["computed"] == 1
    scored = admin.call(
        "relationship.engagement",
        "search_read",
        [("partner_id", "in", partners)],
        ["partner_id"],
    )
    assert [row["partner_id"][0] for row in scored] == [customer]
