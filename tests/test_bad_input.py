"""Bad input through the public methods over XML-RPC (fixtures in
conftest.py): each row is one wrong call, the fault it gets (its code and a
piece of its readable message) and, checked for every row, a database left
unchanged (row counts and checksums of res_partner and of every table of the
relationship addons, before and after)."""

import xmlrpc.client

import pytest

from conftest import (
    FAULT_ACCESS_ERROR,
    FAULT_APPLICATION_ERROR,
    FAULT_USER_ERROR,
    database_fingerprint,
    new_dispute,
)

pytestmark = pytest.mark.timeout(900)

UNKNOWN = 999_999_999
# Ids that do not exist, 100,001 of them.
HUGE = list(range(10**9, 10**9 + 100_001))

PARTNER = "res.partner"
ENGAGEMENT = "relationship.engagement"
ANALYTICS = "relationship.analytics"
INTERACTION = "relationship.interaction"
PROGRAM = "relationship.program"
AGREEMENT = "relationship.agreement"
OBLIGATION = "relationship.agreement.obligation"
TRUST = "relationship.trust.snapshot"
DISPUTE = "relationship.dispute"

USER = FAULT_USER_ERROR
ACCESS = FAULT_ACCESS_ERROR
# Odoo's own refusal of a malformed domain, before any of our code runs:
# the generic fault, whose last line says what is wrong.
CORE = FAULT_APPLICATION_ERROR


def w(key):
    """A record of the test world (conftest.rpc_world), resolved per row."""
    return lambda world: world[key]


def resolve(value, world):
    if callable(value):
        return value(world)
    if isinstance(value, list):
        return [resolve(item, world) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, world) for key, item in value.items()}
    return value


def interaction(**values):
    return [dict({"name": "Call", "partner_id": w("customer")}, **values)]


def dispute(**values):
    return [dict({"name": "Damaged", "partner_id": w("customer")}, **values)]


def billed_dispute(**values):
    return dispute(partner_id=w("billed_customer"), move_id=w("invoice"), **values)


# (id, user, model, method, args, fault code, piece of the message)
BAD_INPUT = [
    # relationship summary
    ("summary-unknown", "admin", PARTNER, "relationship_summary", [[UNKNOWN]],
     USER, f"Unknown partner ids: {UNKNOWN}."),
    ("summary-negative", "admin", PARTNER, "relationship_summary", [[-7, 0]],
     USER, "Unknown partner ids: -7, 0."),
    ("summary-string", "admin", PARTNER, "relationship_summary", [["abc"]],
     USER, "Partner ids must be a list of integers, got ['abc']"),
    ("summary-float", "admin", PARTNER, "relationship_summary", [[1.5]],
     USER, "Partner ids must be a list of integers"),
    ("summary-huge", "admin", PARTNER, "relationship_summary", [HUGE],
     USER, "at most 1000 partners per call (100001 given)"),
    ("summary-other-company", "other", PARTNER, "relationship_summary",
     [[w("customer")]], ACCESS, "belong to a company you do not work in"),
    ("summary-no-group", "employee", PARTNER, "relationship_summary",
     [[w("customer")]], ACCESS, "Only Relationships users"),
    # recompute scores
    ("recompute-string", "admin", ENGAGEMENT, "recompute_engagement", ["abc"],
     USER, "Partner ids must be a list of integers, got 'abc'"),
    ("recompute-nested", "admin", ENGAGEMENT, "recompute_engagement", [[[1]]],
     USER, "Partner ids must be a list of integers"),
    ("recompute-boolean", "admin", ENGAGEMENT, "recompute_engagement", [[True]],
     USER, "Partner ids must be a list of integers"),
    ("recompute-dict", "admin", ENGAGEMENT, "recompute_engagement", [{"id": 1}],
     USER, "Partner ids must be a list of integers"),
    ("recompute-unknown", "admin", ENGAGEMENT, "recompute_engagement",
     [[w("customer"), UNKNOWN]], USER, f"Unknown partner ids: {UNKNOWN}."),
    ("recompute-absurd", "admin", ENGAGEMENT, "recompute_engagement",
     [[2**31 - 1, -(2**31)]], USER, "Unknown partner ids: -2147483648, 2147483647."),
    ("recompute-huge", "admin", ENGAGEMENT, "recompute_engagement", [HUGE],
     USER, "Unknown partner ids: 1000000000, 1000000001, 1000000002, 1000000003, "
     "1000000004, 1000000005, 1000000006, 1000000007, 1000000008, 1000000009, "
     "… (100001 in all)."),
    ("recompute-other-company", "other", ENGAGEMENT, "recompute_engagement",
     [[w("customer")]], ACCESS, "belong to a company you do not work in"),
    ("recompute-all-as-user", "user", ENGAGEMENT, "recompute_engagement", [],
     ACCESS, "Only Relationships managers may recompute"),
    # analytics
    ("analytics-as-user", "user", ANALYTICS, "refresh_analytics", [],
     ACCESS, "Only Relationships managers may refresh the analytics"),
    # trust
    ("trust-string", "admin", TRUST, "recompute_trust", ["all"],
     USER, "Partner ids must be a list of integers, got 'all'"),
    ("trust-unknown", "admin", TRUST, "recompute_trust", [[UNKNOWN]],
     USER, f"Unknown partner ids: {UNKNOWN}."),
    ("trust-huge", "admin", TRUST, "recompute_trust", [HUGE],
     USER, "(100001 in all)"),
    ("trust-other-company", "other", TRUST, "recompute_trust", [[w("customer")]],
     ACCESS, "belong to a company you do not work in"),
    ("trust-all-as-user", "user", TRUST, "recompute_trust", [],
     ACCESS, "Only relationship managers recompute the trust"),
    # obligations
    ("obligations-string", "admin", OBLIGATION, "refresh_obligations", ["x"],
     USER, "Agreement ids must be a list of integers, got 'x'"),
    ("obligations-unknown", "admin", OBLIGATION, "refresh_obligations",
     [[UNKNOWN]], USER, f"Unknown agreement ids: {UNKNOWN}."),
    ("obligations-negative", "admin", OBLIGATION, "refresh_obligations", [[-1]],
     USER, "Unknown agreement ids: -1."),
    ("obligations-huge", "admin", OBLIGATION, "refresh_obligations", [HUGE],
     USER, "(100001 in all)"),
    ("obligations-other-company", "other", OBLIGATION, "refresh_obligations",
     [[w("agreement")]], ACCESS, "belong to a company you do not work in"),
    ("obligations-all-as-user", "user", OBLIGATION, "refresh_obligations", [],
     ACCESS, "Only relationship managers measure the obligations"),
    ("status-unknown", "admin", AGREEMENT, "obligation_status", [[UNKNOWN]],
     USER, f"Unknown agreement ids: {UNKNOWN}."),
    ("status-string", "admin", AGREEMENT, "obligation_status", [["x"]],
     USER, "Agreement ids must be a list of integers"),
    ("status-huge", "admin", AGREEMENT, "obligation_status", [HUGE],
     USER, "(100001 in all)"),
    ("status-other-company", "other", AGREEMENT, "obligation_status",
     [[w("agreement")]], ACCESS, "belong to a company you do not work in"),
    # program enrolment
    ("enrol-missing-partners", "admin", PROGRAM, "enrol_partners",
     [[w("program")]], USER, "Give the ids of the customers to enrol."),
    ("enrol-empty-partners", "admin", PROGRAM, "enrol_partners",
     [[w("program")], []], USER, "Give the ids of the customers to enrol."),
    ("enrol-string", "admin", PROGRAM, "enrol_partners", [[w("program")], "abc"],
     USER, "Partner ids must be a list of integers"),
    ("enrol-unknown-partner", "admin", PROGRAM, "enrol_partners",
     [[w("program")], [UNKNOWN]], USER, f"Unknown partner ids: {UNKNOWN}."),
    ("enrol-huge", "admin", PROGRAM, "enrol_partners", [[w("program")], HUGE],
     USER, "(100001 in all)"),
    ("enrol-unknown-program", "admin", PROGRAM, "enrol_partners",
     [[UNKNOWN], [w("customer")]], USER, f"Unknown program ids: {UNKNOWN}."),
    ("enrol-two-programs", "admin", PROGRAM, "enrol_partners",
     [[w("program"), w("automatic_program")], [w("customer")]],
     USER, "one program at a time (2 given)"),
    ("enrol-no-program", "admin", PROGRAM, "enrol_partners", [[], [w("customer")]],
     USER, "one program at a time (0 given)"),
    ("enrol-archived-program", "admin", PROGRAM, "enrol_partners",
     [[w("archived_program")], [w("customer")]], USER, "is archived"),
    ("enrol-automatic-program", "admin", PROGRAM, "enrol_partners",
     [[w("automatic_program")], [w("customer")]], USER, "manual trigger"),
    ("enrol-other-company-partner", "admin", PROGRAM, "enrol_partners",
     [[w("program")], [w("other_customer")]],
     USER, "belong to another company than program"),
    ("enrol-as-user", "user", PROGRAM, "enrol_partners",
     [[w("program")], [w("customer")]], ACCESS, "not allowed to create"),
    # interactions
    ("interaction-partner-string", "admin", INTERACTION, "create",
     interaction(partner_id="abc"), USER, "'abc' is not the id of an existing"),
    ("interaction-partner-unknown", "admin", INTERACTION, "create",
     interaction(partner_id=UNKNOWN), USER, f"{UNKNOWN} is not the id of an"),
    ("interaction-partner-negative", "admin", INTERACTION, "create",
     interaction(partner_id=-3), USER, "-3 is not the id of an existing"),
    ("interaction-missing-subject", "admin", INTERACTION, "create",
     [{"partner_id": w("customer")}], USER, "a mandatory field is not set"),
    ("interaction-missing-partner", "admin", INTERACTION, "create",
     [{"name": "Call"}], USER, "a mandatory field is not set"),
    ("interaction-future", "admin", INTERACTION, "create",
     interaction(date="2999-01-01 10:00:00"), USER, "is in the future"),
    ("interaction-bad-date", "admin", INTERACTION, "create",
     interaction(date="31/12/2024"), USER, "'31/12/2024' is not a date and time"),
    ("interaction-date-number", "admin", INTERACTION, "create",
     interaction(date=20240101), USER, "20240101 is not a date and time"),
    ("interaction-channel", "admin", INTERACTION, "create",
     interaction(channel="pigeon"), USER, "'pigeon' is not a valid Channel"),
    ("interaction-outcome", "admin", INTERACTION, "create",
     interaction(outcome=3), USER, "3 is not a valid Outcome"),
    ("interaction-foreign-contact", "admin", INTERACTION, "create",
     interaction(contact_id=w("other_customer")), USER, "does not belong to"),
    ("interaction-other-company", "other", INTERACTION, "create",
     interaction(), ACCESS, "belong to a company you do not work in"),
    ("interaction-many-bad", "admin", INTERACTION, "create",
     [[interaction()[0], interaction(channel="x")[0]]], USER, "'x' is not a valid"),
    ("log-string", "admin", INTERACTION, "log_from_messages", ["abc"],
     USER, "Message ids must be a list of integers, got 'abc'"),
    ("log-unknown", "admin", INTERACTION, "log_from_messages", [[UNKNOWN]],
     USER, f"Unknown message ids: {UNKNOWN}."),
    # data protection
    ("export-unknown", "admin", PARTNER, "relationship_export_data", [[UNKNOWN]],
     USER, f"Unknown partner ids: {UNKNOWN}."),
    ("export-string", "admin", PARTNER, "relationship_export_data", [["x"]],
     USER, "Partner ids must be a list of integers"),
    ("export-as-user", "user", PARTNER, "relationship_export_data",
     [[w("customer")]], ACCESS, "Only Relationships managers"),
    ("export-other-company", "other", PARTNER, "relationship_export_data",
     [[w("customer")]], ACCESS, "belong to a company you do not work in"),
    ("erase-unknown", "admin", PARTNER, "relationship_erase_data",
     [[w("customer"), UNKNOWN]], USER, f"Unknown partner ids: {UNKNOWN}."),
    ("erase-nothing", "admin", PARTNER, "relationship_erase_data", [[]],
     USER, "Select the customers to erase."),
    ("erase-as-user", "user", PARTNER, "relationship_erase_data",
     [[w("customer")]], ACCESS, "Only Relationships managers"),
    ("erase-other-company", "other", PARTNER, "relationship_erase_data",
     [[w("customer")]], ACCESS, "belong to a company you do not work in"),
    # disputes: resolve (w("dispute") is open, 150.00 disputed, no document;
    # w("invoice_dispute") is 100.00 of a 200.00 posted invoice)
    ("dispute-resolve-unknown", "admin", DISPUTE, "resolve",
     [[UNKNOWN], "rejection"], USER, f"Unknown dispute ids: {UNKNOWN}."),
    ("dispute-resolve-string-ids", "admin", DISPUTE, "resolve",
     [["abc"], "rejection"], USER,
     "Dispute ids must be a list of integers, got ['abc']."),
    ("dispute-resolve-several", "admin", DISPUTE, "resolve",
     [[w("dispute"), w("invoice_dispute")], "rejection"], USER,
     "Disputes are resolved one at a time (2 given)."),
    ("dispute-resolve-none", "admin", DISPUTE, "resolve", [[], "rejection"],
     USER, "Disputes are resolved one at a time (0 given)."),
    ("dispute-resolve-closed", "admin", DISPUTE, "resolve",
     [[w("closed_dispute")], "rejection"], USER, "is already closed (Rejected)"),
    ("dispute-resolve-missing-type", "admin", DISPUTE, "resolve", [[w("dispute")]],
     USER, "choose a resolution type."),
    ("dispute-resolve-empty-type", "admin", DISPUTE, "resolve",
     [[w("dispute")], ""], USER, "choose a resolution type."),
    ("dispute-resolve-unknown-type", "admin", DISPUTE, "resolve",
     [[w("dispute")], "refund"], USER,
     "Unknown resolution type 'refund'; expected one of credit_note, "),
    ("dispute-resolve-unknown-option", "admin", DISPUTE, "resolve",
     [[w("dispute")], "rejection"], USER,
     "Unknown options for a rejection resolution: amount."),
    ("dispute-reject-no-reason", "admin", DISPUTE, "resolve",
     [[w("dispute")], "rejection"], USER, "give the reason for rejecting it."),
    ("dispute-credit-negative", "admin", DISPUTE, "resolve",
     [[w("invoice_dispute")], "credit_note"], USER,
     "the amount must be a positive number, not -5.0."),
    ("dispute-credit-over-remaining", "admin", DISPUTE, "resolve",
     [[w("invoice_dispute")], "credit_note"], USER, "cannot credit"),
    ("dispute-credit-string", "admin", DISPUTE, "resolve",
     [[w("invoice_dispute")], "credit_note"], USER,
     "the amount must be a positive number, not '10'."),
    ("dispute-credit-no-invoice", "admin", DISPUTE, "resolve",
     [[w("dispute")], "credit_note"], USER, "is tied to no invoice to credit."),
    ("dispute-discount-negative", "admin", DISPUTE, "resolve",
     [[w("dispute")], "discount"], USER,
     "the amount must be a positive number, not -1.0."),
    ("dispute-discount-over-remaining", "admin", DISPUTE, "resolve",
     [[w("dispute")], "discount"], USER, "is more than the"),
    ("dispute-discount-string", "admin", DISPUTE, "resolve",
     [[w("dispute")], "discount"], USER,
     "the amount must be a positive number, not '40'."),
    ("dispute-discount-percent", "admin", DISPUTE, "resolve",
     [[w("dispute")], "discount"], USER,
     "a discount percentage lies between 0 and 100, not 150."),
    ("dispute-discount-both", "admin", DISPUTE, "resolve",
     [[w("dispute")], "discount"], USER,
     "give either a discount amount or a percentage."),
    ("dispute-resolve-other-company", "user", DISPUTE, "resolve",
     [[w("other_dispute")], "rejection"], ACCESS,
     "belong to a company you do not work in."),
    ("dispute-resolve-no-group", "employee", DISPUTE, "resolve",
     [[w("dispute")], "rejection"], ACCESS,
     "Only Relationships users may resolve disputes."),
    # disputes: create
    ("dispute-create-negative", "admin", DISPUTE, "create",
     dispute(amount_disputed=-10.0), USER,
     "The Disputed Amount of a dispute cannot be negative (-10.0)."),
    ("dispute-create-string-amount", "admin", DISPUTE, "create",
     dispute(amount_disputed="abc"), USER,
     "The Disputed Amount of a dispute must be a number, got 'abc'."),
    ("dispute-create-over-invoice", "admin", DISPUTE, "create",
     billed_dispute(amount_disputed=5000.0), USER, "is more than the"),
    ("dispute-create-foreign-invoice", "admin", DISPUTE, "create",
     dispute(partner_id=w("billed_customer"), move_id=w("foreign_invoice")),
     USER, "belongs to RPC Other Billed Customer"),
    ("dispute-create-other-company", "other", DISPUTE, "create", dispute(),
     ACCESS, "multi-company issue"),
    ("dispute-create-no-group", "employee", DISPUTE, "create", dispute(),
     ACCESS, "not allowed to create 'Business Dispute'"),
    # searches on our models
    ("churn-level-operator", "admin", PARTNER, "search",
     [[("analytics_churn_level", "like", "hi")]], USER,
     "The churn level is searched with =, !=, in or not in, not like"),
    ("domain-unknown-field", "admin", ENGAGEMENT, "search", [[("foo", "=", 1)]],
     CORE, "Invalid field relationship.engagement.foo"),
    ("domain-syntax", "admin", INTERACTION, "search", [["|"]],
     CORE, "is syntactically not correct"),
    ("domain-operator", "admin", AGREEMENT, "search",
     [[("name", "drop", "x")]], CORE, "Invalid leaf"),
    ("domain-not-a-list", "admin", TRUST, "search", ["garbage"],
     CORE, "Domains to normalize must have a 'domain' form"),
    ("search-order", "admin", ENGAGEMENT, "search", [[]], USER,
     'Invalid "order" specified'),
]  # fmt: skip


@pytest.fixture(scope="module")
def clients(rpc_admin, rpc_relationship_user, rpc_other_company_manager, rpc_employee):
    return {
        "admin": rpc_admin,
        "user": rpc_relationship_user,
        "other": rpc_other_company_manager,
        "employee": rpc_employee,
    }


# Keyword arguments of the rows that need some.
KWARGS = {
    "search-order": {"order": "id; DELETE FROM res_partner"},
    "dispute-resolve-closed": {"reason": "Twice"},
    "dispute-resolve-unknown-option": {"reason": "No", "amount": 5.0},
    "dispute-reject-no-reason": {"reason": "  "},
    "dispute-credit-negative": {"amount": -5.0},
    "dispute-credit-over-remaining": {"amount": 150.0},
    "dispute-credit-string": {"amount": "10"},
    "dispute-discount-negative": {"amount": -1.0},
    "dispute-discount-over-remaining": {"amount": 1000.0},
    "dispute-discount-string": {"amount": "40"},
    "dispute-discount-percent": {"percent": 150},
    "dispute-discount-both": {"amount": 10.0, "percent": 5},
    "dispute-resolve-other-company": {"reason": "Not ours"},
    "dispute-resolve-no-group": {"reason": "Not ours"},
}


def posted_invoice(admin, partner_id):
    """A posted customer invoice of 200.00 (no taxes) for ``partner_id``."""
    invoice = admin.call(
        "account.move",
        "create",
        {
            "move_type": "out_invoice",
            "partner_id": partner_id,
            "invoice_line_ids": [
                (0, 0, {"name": "Pallet", "quantity": 2, "price_unit": 100.0})
            ],
        },
    )
    admin.call("account.move", "action_post", [invoice])
    return invoice


@pytest.fixture(scope="module")
def world(rpc_admin, rpc_world):
    """rpc_world with invoices of two more customers, a dispute of 100.00 on
    the first one's invoice, a dispute closed by a rejection, and a new open
    dispute of the main customer (the README example of test_rpc_surface
    erases the customer's relationship data, rpc_world's dispute with it)."""
    admin, tag = rpc_admin, rpc_world["tag"]
    company_id = rpc_world["main_company_id"]

    def customer(name):
        return admin.call(
            "res.partner",
            "create",
            {
                "name": f"{name} {tag}",
                "is_company": True,
                "customer_rank": 1,
                "company_id": company_id,
            },
        )

    billed = customer("RPC Billed Customer")
    other_billed = customer("RPC Other Billed Customer")
    invoice = posted_invoice(admin, billed)
    closed = new_dispute(admin, rpc_world["customer"], company_id)
    admin.call(DISPUTE, "resolve", [closed], "rejection", reason="Not ours")
    return dict(
        rpc_world,
        billed_customer=billed,
        invoice=invoice,
        foreign_invoice=posted_invoice(admin, other_billed),
        invoice_dispute=new_dispute(
            admin, billed, company_id, move_id=invoice, amount_disputed=100.0
        ),
        closed_dispute=closed,
        dispute=new_dispute(admin, rpc_world["customer"], company_id),
    )


@pytest.mark.parametrize(
    ("user", "model", "method", "args", "code", "message"),
    [pytest.param(*row[1:], id=row[0]) for row in BAD_INPUT],
)
def test_bad_input_is_refused_clearly_and_changes_nothing(
    request, clients, world, rpc_database, user, model, method, args, code, message
):
    kwargs = KWARGS.get(request.node.callspec.id, {})
    before = database_fingerprint(rpc_database)
    with pytest.raises(xmlrpc.client.Fault) as fault:
        clients[user].call(model, method, *resolve(args, world), **kwargs)
    text = fault.value.faultString
    assert fault.value.faultCode == code, text
    assert message in (text.strip().splitlines()[-1] if code == CORE else text), text
    if code != CORE:
        assert "Traceback" not in text
    assert database_fingerprint(rpc_database) == before


def test_every_row_has_its_own_id():
    ids = [row[0] for row in BAD_INPUT]
    assert len(ids) == len(set(ids))
    assert set(KWARGS) <= set(ids)
