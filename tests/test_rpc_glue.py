"""The glue addons over XML-RPC, as another system sees them: a customer's
tickets in its relationship summary, a ticket turned into a dispute."""

import pytest

from conftest import new_rpc_user


@pytest.fixture(scope="module")
def helpdesk(rpc_admin):
    installed = rpc_admin.call(
        "ir.module.module",
        "search_count",
        [("name", "=", "relationship_helpdesk"), ("state", "=", "installed")],
    )
    if not installed:
        pytest.skip("relationship_helpdesk is not installed in the RPC database")
    customer = rpc_admin.call(
        "res.partner", "create", {"name": "RPC Helpdesk Customer", "is_company": True}
    )
    contact = rpc_admin.call(
        "res.partner", "create", {"name": "RPC Helpdesk Contact", "parent_id": customer}
    )
    ticket = rpc_admin.call(
        "helpdesk.ticket",
        "create",
        {
            "name": "Wrong price",
            "description": "<p>Billed 12, agreed 10.</p>",
            "partner_id": contact,
        },
    )
    return {"customer": customer, "contact": contact, "ticket": ticket}


def test_summary_has_the_customers_tickets(rpc_admin, helpdesk):
    action = rpc_admin.call(
        "helpdesk.ticket", "action_create_relationship_dispute", [helpdesk["ticket"]]
    )
    dispute = action["res_id"]
    (row,) = rpc_admin.call(
        "res.partner", "relationship_summary", [helpdesk["contact"]]
    )
    number = rpc_admin.call(
        "helpdesk.ticket", "read", [helpdesk["ticket"]], ["number"]
    )[0]["number"]
    tickets = row["helpdesk"]["tickets"]
    assert [(t["id"], t["number"], t["name"], t["dispute_ids"]) for t in tickets] == [
        (helpdesk["ticket"], number, "Wrong price", [dispute])
    ]
    assert {k: v for k, v in row["helpdesk"].items() if k != "tickets"} == {
        "open_ticket_count": 1,
        "late_ticket_count": 0,
        "reopened_ticket_count": 0,
    }
    (read,) = rpc_admin.call(
        "relationship.dispute", "read", [dispute], ["helpdesk_ticket_id", "partner_id"]
    )
    assert read["helpdesk_ticket_id"][0] == helpdesk["ticket"]
    assert read["partner_id"][0] == helpdesk["customer"]


def test_summary_without_ticket_rights_has_counts_only(rpc_admin, helpdesk):
    user = new_rpc_user(rpc_admin, "relationship_mgmt.group_relationship_user")
    (row,) = user.call("res.partner", "relationship_summary", [helpdesk["customer"]])
    assert row["helpdesk"]["tickets"] is False
    assert row["helpdesk"]["open_ticket_count"] == 1
