"""The documented XML-RPC surface (README, section "XML-RPC"), against a live
Odoo server (fixtures in conftest.py): what each public call returns, who may
make it (an admin, a Relationships user, a manager of another company, a
portal user), that private methods stay private, that hostile strings reach
PostgreSQL only as parameters, and that every README example runs as
written."""

import json
import os
import re
import subprocess
import sys
import xmlrpc.client
from datetime import date, datetime

import pytest

from conftest import (
    FAULT_ACCESS_ERROR,
    FAULT_USER_ERROR,
    ROOT,
    database_fingerprint,
    new_dispute,
    new_rpc_user,
    query,
)

pytestmark = pytest.mark.timeout(900)

MANAGERS_ONLY = "managers"
NOT_ALLOWED = "not allowed to"
TOP_SECRET = "doesn't have 'read' access"
OTHER_COMPANY = "belong to a company you do not work in"
NO_GROUP = "Only Relationships users"
NO_ACCESS = "You are not allowed to access 'Business Dispute'"
NO_CREATE = "You are not allowed to create 'Business Dispute'"
MULTI_COMPANY = "multi-company issue"
NOT_RESOLVER = "Only Relationships users may resolve disputes."
DISPUTE = "relationship.dispute"
DISPUTE_FIELDS = ["reference", "partner_id", "company_id", "amount_disputed"]
DISPUTE_FIELDS += ["is_closed", "stage_kind", "resolution_type"]
# Keys of dates and datetimes in the structures of the public methods.
ISO_KEYS = (".date", "_date", ".date_start", ".date_end", ".date_from", ".date_to")
ISO_KEYS += (".date_computed", ".date_measured")


def assert_plain(value, path="result"):
    """``value`` is made of XML-RPC/JSON plain values only; the dates of our
    own structures are ISO 8601 strings."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), f"{path}: key {key!r}"
            assert_plain(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_plain(item, f"{path}[{index}]")
    else:
        assert isinstance(value, str | int | float | bool), f"{path}: {value!r}"
        if isinstance(value, str) and path.endswith(ISO_KEYS):
            (date if len(value) == 10 else datetime).fromisoformat(value)


def fault_of(call):
    with pytest.raises(xmlrpc.client.Fault) as fault:
        call()
    return fault.value


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


def test_summary_of_a_scored_customer_and_its_contact(rpc_admin, rpc_world):
    customer, contact = rpc_world["customer"], rpc_world["contact"]
    result = rpc_admin.call("res.partner", "relationship_summary", [contact, customer])

    assert_plain(result)
    json.dumps(result)
    assert [row["id"] for row in result] == [contact, customer]
    assert [row["customer_id"] for row in result] == [customer, customer]
    row = result[1]
    assert row["name"] == rpc_world["customer_name"]
    assert row["company_id"] == rpc_world["main_company_id"]
    engagement = row["engagement"]
    assert engagement["tier"] not in (False, "new")
    assert isinstance(engagement["score"], float) and 0 <= engagement["score"] <= 100
    assert engagement["rfm_segment"]
    components = [line["component"] for line in engagement["breakdown"]]
    assert {"Recency", "Frequency", "Monetary"} <= set(components)
    frequency = engagement["breakdown"][components.index("Frequency")]
    assert "1 confirmed order in" in frequency["reason"]
    analytics = row["analytics"]
    assert analytics["churn_level"] in ("low", "medium", "high")
    assert analytics["lifetime_value"] > 0
    assert analytics["next_order_date"] > date.today().isoformat()
    assert analytics["currency"]
    # relationship_brm: the running agreement, its obligation, trust.
    (agreement,) = row["agreements"]
    assert agreement["id"] == rpc_world["agreement"]
    assert agreement["state"] == "active" and agreement["type"] == "sales"
    assert agreement["reference"] and agreement["reference"] != "/"
    (obligation,) = agreement["obligations"]
    assert obligation["id"] == rpc_world["obligation"]
    assert obligation["kind"] == "min_volume" and obligation["target"] == 100000.0
    assert obligation["status"] in ("met", "at_risk", "breached")
    assert obligation["date_from"] <= date.today().isoformat() <= obligation["date_to"]
    assert isinstance(row["trust"]["score"], float)
    assert {line["component"] for line in row["trust"]["breakdown"]} >= {
        "Obligation compliance",
        "Volume",
    }
    # At least the world's open dispute (README examples may open more).
    open_disputes = rpc_admin.call(
        DISPUTE,
        "search_count",
        [("commercial_partner_id", "=", customer), ("is_closed", "=", False)],
    )
    assert row["open_dispute_count"] == open_disputes >= 1
    # The contact shows its company's data.
    assert result[0]["engagement"] == engagement
    assert result[0]["agreements"] == row["agreements"]


def test_summary_of_nothing_and_of_a_partner_without_data(rpc_admin, rpc_world):
    assert rpc_admin.call("res.partner", "relationship_summary", []) == []
    main = rpc_admin.ref("base.main_partner")
    (row,) = rpc_admin.call("res.partner", "relationship_summary", [main])
    assert (row["engagement"], row["analytics"], row["trust"]) == (False,) * 3
    assert row["agreements"] == []


def test_obligation_status_of_an_agreement(rpc_relationship_user, rpc_world):
    result = rpc_relationship_user.call(
        "relationship.agreement", "obligation_status", [rpc_world["agreement"]]
    )
    assert_plain(result)
    (agreement,) = result
    assert agreement["partner_id"] == rpc_world["customer"]
    assert [o["id"] for o in agreement["obligations"]] == [rpc_world["obligation"]]
    assert agreement["obligations"][0]["is_open"] is True


def test_interaction_logged_by_a_user_counts_for_its_customer(
    rpc_relationship_user, rpc_admin, rpc_world
):
    interaction = rpc_relationship_user.call(
        "relationship.interaction",
        "create",
        {"name": "Call about the renewal", "partner_id": rpc_world["contact"]},
    )
    (row,) = rpc_admin.call(
        "relationship.interaction",
        "read",
        [interaction],
        ["partner_id", "contact_id", "company_id"],
    )
    assert row["partner_id"][0] == rpc_world["customer"]
    assert row["contact_id"][0] == rpc_world["contact"]
    assert row["company_id"][0] == rpc_world["main_company_id"]


# ---------------------------------------------------------------------------
# Who may call what: admin, Relationships user, manager of another company,
# portal user
# ---------------------------------------------------------------------------


def summary(client, world):
    return client.call("res.partner", "relationship_summary", [world["customer"]])


def recompute_some(client, world):
    return client.call(
        "relationship.engagement", "recompute_engagement", [world["customer"]]
    )


def recompute_all(client, world):
    return client.call("relationship.engagement", "recompute_engagement")


def refresh_analytics(client, world):
    return client.call("relationship.analytics", "refresh_analytics")


def log_interaction(client, world):
    return client.call(
        "relationship.interaction",
        "create",
        {"name": "Visit", "partner_id": world["customer"], "channel": "in_person"},
    )


def enrol(client, world):
    return client.call(
        "relationship.program",
        "enrol_partners",
        [world["program"]],
        [world["customer"]],
    )


def obligation_status(client, world):
    return client.call(
        "relationship.agreement", "obligation_status", [world["agreement"]]
    )


def refresh_obligations(client, world):
    return client.call(
        "relationship.agreement.obligation", "refresh_obligations", [world["agreement"]]
    )


def recompute_trust(client, world):
    return client.call(
        "relationship.trust.snapshot", "recompute_trust", [world["customer"]]
    )


def export_data(client, world):
    return client.call(
        "res.partner", "relationship_export_data", [world["erase_customer"]]
    )


def erase_data(client, world):
    return client.call(
        "res.partner", "relationship_erase_data", [world["erase_customer"]]
    )


def open_dispute(client, world):
    """Open a dispute with the customer, then read it back as the same user."""
    dispute_id = client.call(
        DISPUTE,
        "create",
        {
            "name": "Pallet delivered damaged",
            "partner_id": world["customer"],
            "dispute_type": "quality",
            "amount_disputed": 80.0,
        },
    )
    return client.call(DISPUTE, "read", [dispute_id], DISPUTE_FIELDS)


def reject_dispute(client, world):
    return client.call(
        DISPUTE, "resolve", [world["fresh_dispute"]], "rejection", reason="Goods fine"
    )


def discount_dispute(client, world):
    return client.call(
        DISPUTE,
        "resolve",
        [world["fresh_dispute"]],
        "discount",
        amount=40.0,
        note="Agreed on the phone",
    )


def read_dispute(client, world):
    return client.call(DISPUTE, "read", [world["dispute"]], DISPUTE_FIELDS)


def check_open_dispute(result, world, who):
    (row,) = result
    assert row["partner_id"][0] == world["customer"]
    assert row["company_id"][0] == world["main_company_id"]
    assert row["amount_disputed"] == 80.0
    assert row["reference"] and row["reference"] != "/"
    assert (row["is_closed"], row["stage_kind"], row["resolution_type"]) == (
        False,
        "new",
        False,
    )


def check_reject(result, world, who):
    assert result["dispute_id"] == world["fresh_dispute"]
    assert (result["resolution_type"], result["stage_kind"]) == (
        "rejection",
        "rejected",
    )
    assert result["is_closed"] is True
    assert result["amount_resolved"] == 0.0
    assert result["credit_note_ids"] == result["picking_ids"] == []
    assert result["discount_ids"] == []


def check_discount(result, world, who):
    assert result["dispute_id"] == world["fresh_dispute"]
    assert (result["resolution_type"], result["stage_kind"]) == ("discount", "resolved")
    assert result["is_closed"] is True
    assert (result["amount_resolved"], result["amount_remaining"]) == (40.0, 110.0)
    assert len(result["discount_ids"]) == 1
    assert result["credit_note_ids"] == result["picking_ids"] == []


def check_read_dispute(result, world, who):
    (row,) = result
    assert row["id"] == world["dispute"]
    assert row["partner_id"][0] == world["customer"]
    assert row["company_id"][0] == world["main_company_id"]
    assert row["amount_disputed"] == 150.0


def check_summary(result, world, who):
    assert [row["id"] for row in result] == [world["customer"]]


def check_recompute(result, world, who):
    assert result["computed"] == 1
    assert world["main_company_id"] in result["companies"]


def check_recompute_all(result, world, who):
    if who == "other":
        assert result["companies"] == [world["second_company_id"]]
    else:
        assert world["main_company_id"] in result["companies"]
        assert result["computed"] >= 1


def check_refresh_analytics(result, world, who):
    if who == "other":
        assert result == {
            "customers": 0,
            "companies": [world["second_company_id"]],
            "skipped_companies": [],
        }
    else:
        assert result["customers"] >= 1


def check_interaction(result, world, who):
    assert isinstance(result, int)


def check_enrol(result, world, who):
    assert result["enrolled"] + result["skipped"] == 1
    assert len(result["enrolment_ids"]) == result["enrolled"]


def check_obligation_status(result, world, who):
    assert [agreement["id"] for agreement in result] == [world["agreement"]]


def check_refresh_obligations(result, world, who):
    assert (result["agreements"], result["obligations"]) == (1, 1)
    assert result["periods"] >= 1


def check_trust(result, world, who):
    # Once per company the user works in (admin: both).
    assert result["computed"] == (2 if who == "admin" else 1)


def check_export(result, world, who):
    (key,) = result
    assert key == str(world["erase_customer"])
    assert result[key]["models"]["relationship.interaction"]


def check_erase(result, world, who):
    assert result["relationship.interaction"] == 1
    assert result["relationship.engagement"] == 1


# call, check of its result, then per user: None (allowed) or the fault
# code and a piece of its message.
MATRIX = [
    (
        summary,
        check_summary,
        {
            "user": None,
            "other": (FAULT_ACCESS_ERROR, OTHER_COMPANY),
            "portal": (FAULT_ACCESS_ERROR, NO_GROUP),
        },
    ),
    (
        recompute_some,
        check_recompute,
        {
            "user": None,
            "other": (FAULT_ACCESS_ERROR, OTHER_COMPANY),
            "portal": (FAULT_ACCESS_ERROR, NO_GROUP),
        },
    ),
    (
        recompute_all,
        check_recompute_all,
        {
            "user": (FAULT_ACCESS_ERROR, MANAGERS_ONLY),
            "other": None,
            "portal": (FAULT_ACCESS_ERROR, NO_GROUP),
        },
    ),
    (
        refresh_analytics,
        check_refresh_analytics,
        {
            "user": (FAULT_ACCESS_ERROR, MANAGERS_ONLY),
            "other": None,
            "portal": (FAULT_ACCESS_ERROR, MANAGERS_ONLY),
        },
    ),
    (
        log_interaction,
        check_interaction,
        {
            "user": None,
            "other": (FAULT_ACCESS_ERROR, OTHER_COMPANY),
            "portal": (FAULT_ACCESS_ERROR, NOT_ALLOWED),
        },
    ),
    (
        enrol,
        check_enrol,
        {
            "user": (FAULT_ACCESS_ERROR, NOT_ALLOWED),
            "other": (FAULT_ACCESS_ERROR, OTHER_COMPANY),
            "portal": (FAULT_ACCESS_ERROR, NOT_ALLOWED),
        },
    ),
    (
        obligation_status,
        check_obligation_status,
        {
            "user": None,
            "other": (FAULT_ACCESS_ERROR, OTHER_COMPANY),
            "portal": (FAULT_ACCESS_ERROR, "Only Relationships users"),
        },
    ),
    (
        refresh_obligations,
        check_refresh_obligations,
        {
            "user": None,
            "other": (FAULT_ACCESS_ERROR, OTHER_COMPANY),
            "portal": (FAULT_ACCESS_ERROR, NOT_ALLOWED),
        },
    ),
    (
        recompute_trust,
        check_trust,
        {
            "user": None,
            "other": (FAULT_ACCESS_ERROR, OTHER_COMPANY),
            "portal": (FAULT_ACCESS_ERROR, TOP_SECRET),
        },
    ),
    (
        export_data,
        check_export,
        {
            "user": (FAULT_ACCESS_ERROR, "Only Relationships managers"),
            "other": (FAULT_ACCESS_ERROR, OTHER_COMPANY),
            "portal": (FAULT_ACCESS_ERROR, "Only Relationships managers"),
        },
    ),
    # Disputes: the refused resolutions target an open dispute of the main
    # company (made afresh by admin, see SETUP).
    (
        open_dispute,
        check_open_dispute,
        {
            "user": None,
            "other": (FAULT_ACCESS_ERROR, MULTI_COMPANY),
            "portal": (FAULT_ACCESS_ERROR, NO_CREATE),
            "employee": (FAULT_ACCESS_ERROR, NO_CREATE),
        },
    ),
    (
        reject_dispute,
        check_reject,
        {
            "user": None,
            "other": (FAULT_ACCESS_ERROR, OTHER_COMPANY),
            "portal": (FAULT_ACCESS_ERROR, NOT_RESOLVER),
            "employee": (FAULT_ACCESS_ERROR, NOT_RESOLVER),
        },
    ),
    (
        discount_dispute,
        check_discount,
        {
            "user": None,
            "other": (FAULT_ACCESS_ERROR, OTHER_COMPANY),
            "portal": (FAULT_ACCESS_ERROR, NOT_RESOLVER),
            "employee": (FAULT_ACCESS_ERROR, NOT_RESOLVER),
        },
    ),
    (
        read_dispute,
        check_read_dispute,
        {
            "user": None,
            "other": (FAULT_ACCESS_ERROR, MULTI_COMPANY),
            "portal": (FAULT_ACCESS_ERROR, TOP_SECRET),
            "employee": (FAULT_ACCESS_ERROR, NO_ACCESS),
        },
    ),
    # Last: erases the data the export above reads.
    (
        erase_data,
        check_erase,
        {
            "user": (FAULT_ACCESS_ERROR, "Only Relationships managers"),
            "other": (FAULT_ACCESS_ERROR, OTHER_COMPANY),
            "portal": (FAULT_ACCESS_ERROR, "Only Relationships managers"),
        },
    ),
]
# Admin always; the internal employee without the Relationships groups only
# for the calls whose row names it.
USERS = ("user", "other", "portal", "employee", "admin")


def fresh_dispute(admin, world):
    """A new open dispute of the main company's customer, 150.00 disputed."""
    return {
        "fresh_dispute": new_dispute(admin, world["customer"], world["main_company_id"])
    }


# Records a call needs made by admin before it (and before the fingerprint).
SETUP = {reject_dispute: fresh_dispute, discount_dispute: fresh_dispute}


@pytest.fixture(scope="module")
def clients(
    rpc_admin,
    rpc_relationship_user,
    rpc_other_company_manager,
    rpc_portal_user,
    rpc_employee,
):
    return {
        "admin": rpc_admin,
        "user": rpc_relationship_user,
        "other": rpc_other_company_manager,
        "portal": rpc_portal_user,
        "employee": rpc_employee,
    }


@pytest.mark.parametrize(
    ("call", "check", "who", "refusal"),
    [
        pytest.param(call, check, who, expected.get(who), id=f"{call.__name__}-{who}")
        for call, check, expected in MATRIX
        for who in USERS
        if who == "admin" or who in expected
    ],
)
def test_documented_call_as_each_kind_of_user(
    call, check, who, refusal, clients, rpc_world, rpc_database
):
    client = clients[who]
    setup = SETUP.get(call)
    if setup:
        rpc_world = dict(rpc_world, **setup(clients["admin"], rpc_world))
    if refusal is None:
        result = call(client, rpc_world)
        assert_plain(result)
        check(result, rpc_world, who)
        return
    before = database_fingerprint(rpc_database)
    fault = fault_of(lambda: call(client, rpc_world))
    code, message = refusal
    assert (fault.faultCode, message in fault.faultString) == (code, True), (
        fault.faultString
    )
    assert database_fingerprint(rpc_database) == before


def test_other_company_manager_reads_its_own_customers(
    rpc_other_company_manager, rpc_world
):
    other = rpc_world["other_customer"]
    (row,) = rpc_other_company_manager.call(
        "res.partner", "relationship_summary", [other]
    )
    assert (row["id"], row["company_id"]) == (other, rpc_world["second_company_id"])


@pytest.fixture(scope="module")
def portal_customers(rpc_admin, rpc_world):
    """Two customers of the main company, each with one dispute and a contact
    who is a portal user: ``[(portal client, customer id, dispute id)] * 2``."""
    admin, tag = rpc_admin, rpc_world["tag"]
    company_id = rpc_world["main_company_id"]
    portal = []
    for letter in "AB":
        customer = admin.call(
            "res.partner",
            "create",
            {
                "name": f"RPC Portal Customer {letter} {tag}",
                "is_company": True,
                "customer_rank": 1,
                "company_id": company_id,
            },
        )
        contact = admin.call(
            "res.partner",
            "create",
            {"name": f"RPC Portal Contact {letter} {tag}", "parent_id": customer},
        )
        dispute = new_dispute(admin, customer, company_id)
        client = new_rpc_user(admin, "base.group_portal", partner_id=contact)
        portal.append((client, customer, dispute))
    return portal


def test_portal_users_see_only_their_customers_disputes(
    portal_customers, rpc_admin, rpc_database
):
    (client_a, customer_a, dispute_a), (client_b, customer_b, dispute_b) = (
        portal_customers
    )
    # Both customers' disputes exist and are open, seen by admin.
    rows = rpc_admin.call(
        DISPUTE, "read", [dispute_a, dispute_b], ["commercial_partner_id", "is_closed"]
    )
    assert [row["commercial_partner_id"][0] for row in rows] == [
        customer_a,
        customer_b,
    ]
    assert not any(row["is_closed"] for row in rows)
    before = database_fingerprint(rpc_database)
    for client, own, other in (
        (client_a, dispute_a, dispute_b),
        (client_b, dispute_b, dispute_a),
    ):
        rows = client.call(DISPUTE, "search_read", [], ["name", "reference"])
        assert [row["id"] for row in rows] == [own]
        assert rows[0]["reference"].startswith("DSP/")
        assert client.call(DISPUTE, "search_count", [("id", "=", other)]) == 0
        fault = fault_of(
            lambda client=client, other=other: client.call(
                DISPUTE, "read", [other], ["name"]
            )
        )
        assert fault.faultCode == FAULT_ACCESS_ERROR, fault.faultString
        assert TOP_SECRET in fault.faultString
        # Not over XML-RPC: portal users open and answer disputes on the portal.
        fault = fault_of(
            lambda client=client, own=own: client.call(
                DISPUTE, "resolve", [own], "rejection", reason="mine"
            )
        )
        assert (fault.faultCode, NOT_RESOLVER in fault.faultString) == (
            FAULT_ACCESS_ERROR,
            True,
        ), fault.faultString
    assert database_fingerprint(rpc_database) == before


def relationship_tables(database):
    """Models of the addons stored in a table or a view, with whether portal
    users have an access right on them."""
    return query(
        database,
        """
        SELECT m.model, EXISTS (
                   SELECT 1 FROM ir_model_access a
                     JOIN ir_model_data d
                       ON d.model = 'res.groups' AND d.res_id = a.group_id
                    WHERE a.model_id = m.id AND d.module = 'base'
                      AND d.name = 'group_portal' AND a.perm_read)
          FROM ir_model m
         WHERE m.model LIKE 'relationship.%%' AND NOT m.transient
           AND to_regclass(replace(m.model, '.', '_')) IS NOT NULL
         ORDER BY m.model
        """,
    )


def test_portal_user_reads_no_internal_model(rpc_portal_user, rpc_database):
    models = relationship_tables(rpc_database)
    assert len(models) >= 15
    for model, portal_access in models:
        if portal_access:
            continue  # portal pages (disputes): tested with their feature
        fault = fault_of(lambda model=model: rpc_portal_user.call(model, "search", []))
        assert fault.faultCode == FAULT_ACCESS_ERROR, (model, fault.faultString)


PRIVATE_METHODS = [
    ("res.partner", "_relationship_summary_partners", [[1]]),
    ("res.partner", "_relationship_open_dispute_counts", [[1]]),
    ("res.partner", "_relationship_drop_profiles", [[1]]),
    ("relationship.engagement", "_recompute_company", [1]),
    ("relationship.engagement", "_mark_for_recompute", [[[1, 1]]]),
    ("relationship.engagement", "_cron_recompute_all", []),
    ("relationship.analytics", "_refresh_company", [1]),
    ("relationship.program", "_enrol_partners", [[1], 1]),
    ("relationship.program", "_create_enrolments", [[]]),
    ("relationship.agreement", "_agreement_obligation_rows", [[1]]),
    ("relationship.agreement.obligation", "_refresh", [[1]]),
    ("relationship.agreement.obligation", "_write_periods", [[1], []]),
    ("relationship.trust.snapshot", "_recompute_company", [1]),
    ("relationship.interaction", "_check_interaction_vals", [{}]),
    ("relationship.dashboard", "_dashboard_cards", [[1]]),
]


@pytest.mark.parametrize(
    ("model", "method", "args"),
    PRIVATE_METHODS,
    ids=[f"{model}.{method}" for model, method, __ in PRIVATE_METHODS],
)
def test_private_method_is_not_reachable(rpc_admin, rpc_database, model, method, args):
    before = database_fingerprint(rpc_database)
    fault = fault_of(lambda: rpc_admin.call(model, method, *args))
    assert fault.faultCode == FAULT_ACCESS_ERROR
    assert "Private methods" in fault.faultString
    assert database_fingerprint(rpc_database) == before


# ---------------------------------------------------------------------------
# Hostile strings: they reach PostgreSQL as parameters only
# ---------------------------------------------------------------------------

HOSTILE = {
    "drop": "'; DROP TABLE res_partner; --",
    "or": "%' OR 1=1 --",
    "nul": "a\x00b",
    "long": "x'" * 50_000,
    "unicode": "Ünïcødé ✓ 漢字 \U0001f600 \u202e",
    "escape": "\\'); SELECT pg_sleep(5); --",
}


def hostile_calls(text, world):
    """``(label, model, method, args, kwargs)``: the string in every argument
    of the public methods and in searches that reach SQL."""
    program = world["program"]
    return [
        ("summary", "res.partner", "relationship_summary", [[text]], {}),
        ("recompute", "relationship.engagement", "recompute_engagement", [text], {}),
        (
            "recompute list",
            "relationship.engagement",
            "recompute_engagement",
            [[text]],
            {},
        ),
        ("trust", "relationship.trust.snapshot", "recompute_trust", [[text]], {}),
        (
            "obligations",
            "relationship.agreement.obligation",
            "refresh_obligations",
            [[text]],
            {},
        ),
        ("status", "relationship.agreement", "obligation_status", [[text]], {}),
        ("enrol", "relationship.program", "enrol_partners", [[program], [text]], {}),
        ("enrol str", "relationship.program", "enrol_partners", [[program], text], {}),
        ("export", "res.partner", "relationship_export_data", [[text]], {}),
        ("erase", "res.partner", "relationship_erase_data", [[text]], {}),
        ("log", "relationship.interaction", "log_from_messages", [[text]], {}),
        (
            "interaction channel",
            "relationship.interaction",
            "create",
            [{"name": "x", "partner_id": world["customer"], "channel": text}],
            {},
        ),
        (
            "interaction date",
            "relationship.interaction",
            "create",
            [{"name": "x", "partner_id": world["customer"], "date": text}],
            {},
        ),
        (
            "interaction partner",
            "relationship.interaction",
            "create",
            [{"name": "x", "partner_id": text}],
            {},
        ),
        ("tier", "res.partner", "search", [[("engagement_tier", "=", text)]], {}),
        (
            "segment",
            "res.partner",
            "search",
            [[("engagement_rfm_segment", "in", [text])]],
            {},
        ),
        (
            "churn",
            "res.partner",
            "search",
            [[("analytics_churn_level", "=", text)]],
            {},
        ),
        (
            "churn ilike",
            "res.partner",
            "search",
            [[("analytics_churn_level", "ilike", text)]],
            {},
        ),
        ("partner name_search", "res.partner", "name_search", [text], {}),
        (
            "engagement",
            "relationship.engagement",
            "search_read",
            [[("partner_id.name", "ilike", text)]],
            {"fields": ["score"]},
        ),
        (
            "engagement order",
            "relationship.engagement",
            "search_read",
            [[]],
            {"fields": ["score"], "order": text},
        ),
        (
            "interaction",
            "relationship.interaction",
            "search_count",
            [[("name", "ilike", text)]],
            {},
        ),
        (
            "interaction name_search",
            "relationship.interaction",
            "name_search",
            [text],
            {},
        ),
        ("agreement name_search", "relationship.agreement", "name_search", [text], {}),
        (
            "agreement reference",
            "relationship.agreement",
            "search",
            [[("reference", "=like", text)]],
            {},
        ),
        ("program name_search", "relationship.program", "name_search", [text], {}),
        (
            "period kind",
            "relationship.obligation.period",
            "search",
            [[("kind", "=", text)]],
            {},
        ),
        (
            "trust partner",
            "relationship.trust.snapshot",
            "search",
            [[("partner_id", "ilike", text)]],
            {},
        ),
        ("dispute name_search", DISPUTE, "name_search", [text], {}),
        ("dispute reference", DISPUTE, "search", [[("reference", "ilike", text)]], {}),
        ("dispute email", DISPUTE, "search", [[("email_from", "=", text)]], {}),
        ("resolve type", DISPUTE, "resolve", [[world["dispute"]], text], {}),
        (
            "resolve reason on a closed dispute",
            DISPUTE,
            "resolve",
            [[world["closed_dispute"]], "rejection"],
            {"reason": text},
        ),
        (
            "event description",
            "relationship.event",
            "search",
            [[("description", "ilike", text)]],
            {},
        ),
        (
            "analytics group",
            "relationship.analytics",
            "read_group",
            [[("partner_id.name", "ilike", text)], ["churn_risk:avg"], ["rfm_segment"]],
            {},
        ),
    ]


@pytest.fixture(scope="module")
def closed_dispute(rpc_admin, rpc_world):
    """A dispute of the main customer, rejected (closed) by ``resolve``."""
    dispute = new_dispute(
        rpc_admin, rpc_world["customer"], rpc_world["main_company_id"]
    )
    rpc_admin.call(DISPUTE, "resolve", [dispute], "rejection", reason="Not ours")
    return dispute


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_string_in_every_argument(
    rpc_admin, rpc_world, rpc_database, closed_dispute, name
):
    text = HOSTILE[name]
    readable = (FAULT_USER_ERROR, FAULT_ACCESS_ERROR)
    world = dict(rpc_world, closed_dispute=closed_dispute)
    before = database_fingerprint(rpc_database)
    for label, model, method, args, kwargs in hostile_calls(text, world):
        try:
            result = rpc_admin.call(model, method, *args, **kwargs)
        except xmlrpc.client.Fault as fault:
            # A readable refusal; a NUL character cannot even be sent as XML
            # (the server refuses the request before any method runs).
            if name == "nul":
                assert "not well-formed" in fault.faultString, label
            else:
                assert fault.faultCode in readable, (label, fault.faultString)
            continue
        assert result in ([], 0), (label, result)
    assert database_fingerprint(rpc_database) == before
    # The table the first string aims at is still there, with its rows.
    assert query(rpc_database, "SELECT COUNT(*) FROM res_partner")[0][0] > 5


@pytest.mark.parametrize("name", ["drop", "or", "long", "unicode", "escape"])
def test_hostile_string_is_stored_as_written(rpc_admin, rpc_world, name):
    text = HOSTILE[name]
    interaction = rpc_admin.call(
        "relationship.interaction",
        "create",
        {"name": text, "partner_id": rpc_world["customer"], "summary": text},
    )
    (row,) = rpc_admin.call("relationship.interaction", "read", [interaction], ["name"])
    assert row["name"] == text
    found = rpc_admin.call("relationship.interaction", "search", [("name", "=", text)])
    assert found == [interaction]
    rpc_admin.call("relationship.interaction", "unlink", [interaction])


@pytest.mark.parametrize("name", ["drop", "or", "long", "unicode", "escape"])
def test_hostile_rejection_reason_is_stored_as_written(rpc_admin, rpc_world, name):
    text = HOSTILE[name]
    dispute = new_dispute(
        rpc_admin, rpc_world["customer"], rpc_world["main_company_id"]
    )
    result = rpc_admin.call(DISPUTE, "resolve", [dispute], "rejection", reason=text)
    assert (result["resolution_type"], result["is_closed"]) == ("rejection", True)
    (row,) = rpc_admin.call(DISPUTE, "read", [dispute], ["resolution_note"])
    assert row["resolution_note"] == text.strip()
    found = rpc_admin.call(DISPUTE, "search", [("resolution_note", "=", text.strip())])
    assert found == [dispute]


# ---------------------------------------------------------------------------
# The README examples, run as written
# ---------------------------------------------------------------------------

# README sub-section -> what its example prints.
README_OUTPUT = {
    "Connection": r"Odoo 18\.0.* - user id 2",
    "Relationship summary of customers": r"RPC Customer \w+ \w+ [\d.]+\n  Recency: "
    r"(.|\n)*churn risk:(.|\n)*agreement: \S+ active(.|\n)*trust: [\d.]+",
    "Recompute scores": r"\{'computed': 1, 'new': 0, .*\}\n\{'computed': \d+",
    "Log an interaction": r"^interaction \d+$",
    "Enrol customers in a program": r"\{'enrolled': [01], 'skipped': [01], ",
    "Obligation status of agreements": r"RPC Supply \w+ active\n  Minimum volume: "
    r"(met|at_risk|breached) \([\d.]+ for a target of 100000.0\)",
    "Refresh trust, obligations and analytics": r"\{'computed': 2, 'companies': 2\}"
    r"\nrecompute_trust \{(.|\n)*refresh_obligations \{(.|\n)*refresh_analytics \{",
    "Export and erase a customer's relationship data": r"^\d+ RPC Customer \w+ "
    r"\{.*'relationship.engagement': 1.*\}\nerased \{",
    "Relationship dashboard": r"^tiers \S+(.|\n)*^revenue_at_risk (.|\n)*"
    r"^dispute_sla (.|\n)*^key_partner_trust ",
    "Opening and resolving a dispute": r"^opened \S+ \w+\n\{'dispute_id': \d+, "
    r"'resolution_type': 'discount', .*'is_closed': True",
}


def readme_examples():
    """``[(sub-section title, code)]`` of the python blocks of the README's
    XML-RPC section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## XML-RPC\n", 1)[1].split("\n## ", 1)[0]
    examples = []
    for part in section.split("\n### ")[1:]:
        title, __, body = part.partition("\n")
        for code in re.findall(r"```python\n(.*?)```", body, re.S):
            examples.append((title.strip(), code))
    return examples


def test_readme_documents_every_call():
    titles = [title for title, __ in readme_examples()]
    assert set(README_OUTPUT) <= set(titles)


def test_readme_examples_run_as_written(rpc_url, rpc_database, rpc_world):
    env = dict(
        os.environ,
        ODOO_URL=rpc_url,
        ODOO_DB=rpc_database,
        ODOO_USER="admin",
        ODOO_PASSWORD="admin",
        ODOO_CUSTOMER=rpc_world["customer_name"],
    )
    for title, code in readme_examples():
        result = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, f"{title}:\n{result.stdout}"
        expected = README_OUTPUT.get(title)
        if expected:
            assert re.search(expected, result.stdout, re.M), (
                f"{title}:\n{result.stdout}"
            )
