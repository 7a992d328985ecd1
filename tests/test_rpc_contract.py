"""The XML-RPC contract as the README writes it, over a live server
(fixtures in conftest.py).

The README's section "XML-RPC" lists the public methods in a table (model,
method, who may call, arguments, errors), the buttons in another, and the
wrong inputs in the table of its "Errors" sub-section. This file reads those
tables and:

- calls every listed method for each kind of user (Relationships User and
  Manager, an internal user without the groups, a portal user, another
  company's manager): allowed as the table says, refused with fault code 4
  otherwise, and a refused call changes nothing;
- sends each wrong input of the Errors table to every method it applies to;
- fails when a public method of the addons has no row in the README, or a
  row names a method that does not exist (so that they cannot drift apart);
- and keeps, one test each, the six places where the behaviour once
  differed from the README (issue 21).
"""

import functools
import json
import re
import uuid
import xmlrpc.client
from datetime import datetime, timedelta, timezone

import pytest

from conftest import (
    ADDONS,
    ADDONS_PATH,
    FAULT_ACCESS_ERROR,
    FAULT_USER_ERROR,
    ROOT,
    database_fingerprint,
    new_dispute,
    new_rpc_user,
    run_odoo,
)

pytestmark = pytest.mark.timeout(1800)

UNKNOWN = 999_999_999
OTHER_COMPANY = "they belong to a company you do not work in."
NOT_A_LIST = "must be a list of integers"
KINDS = ("user", "manager", "employee", "portal", "other")


# ---------------------------------------------------------------------------
# The README's tables
# ---------------------------------------------------------------------------


def readme_section():
    text = (ROOT / "README.md").read_text()
    return text.split("\n## XML-RPC\n", 1)[1].split("\n## ", 1)[0]


def table_rows(text, header):
    """The rows (lists of cells, backquotes removed) of the markdown table
    whose header row starts with ``header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip().replace("`", "") for cell in line.strip("|").split("|")]
        rows.append(cells)
    return rows


def public_methods():
    """``{(model, method): who may call}`` of the README's table."""
    return {
        (model, method): who
        for model, method, who, *__ in table_rows(
            readme_section(), "| model | method |"
        )
    }


def buttons():
    return {
        (model, name.strip())
        for model, names in table_rows(readme_section(), "| model | buttons |")
        for name in names.split(",")
    }


def error_rows():
    errors = readme_section().split("\n### Errors\n", 1)[1]
    return table_rows(errors, "| wrong input |")


def test_readme_tables_are_read():
    methods = public_methods()
    assert ("res.partner", "relationship_summary") in methods
    assert set(methods.values()) <= {"User", "Manager", "User; Manager without ids"}
    assert ("relationship.dispute", "action_reject") in buttons()
    assert len(error_rows()) == len(ERROR_CHECKS)


# ---------------------------------------------------------------------------
# Every public method of the addons has its row (introspected in the registry)
# ---------------------------------------------------------------------------

# Run in `odoo shell`: the public methods defined by our addons only (not
# overrides of a method Odoo or another addon defines: create, write,
# action_confirm... are Odoo's surface).
# Every addon of this repository, the glue addons included.
OUR_ADDONS = sorted(path.parent.name for path in ADDONS.glob("*/__manifest__.py"))
INTROSPECT = (
    f"OUR_ADDONS = {OUR_ADDONS!r}\n"
    + """
import json
OURS = set(OUR_ADDONS)
def addon(klass):
    parts = klass.__module__.split(".")
    return parts[2] if parts[:2] == ["odoo", "addons"] else klass.__module__
found = []
for name in sorted(env.registry):
    cls = type(env[name])
    for attr in dir(cls):
        if attr.startswith("_") or not callable(getattr(cls, attr, None)):
            continue
        owners = {addon(klass) for klass in cls.__mro__ if attr in vars(klass)}
        if owners and owners <= OURS:
            found.append([name, attr])
print("PUBLIC_METHODS " + json.dumps(found))
"""
)


@pytest.fixture(scope="module")
def registry_methods(rpc_database):
    result = run_odoo(
        "shell",
        "-d",
        rpc_database,
        ADDONS_PATH,
        "--no-http",
        "--log-level=warn",
        stdin=INTROSPECT,
        timeout=600,
    )
    line = next(
        (line for line in result.stdout.splitlines() if "PUBLIC_METHODS " in line),
        None,
    )
    assert line, result.stdout
    return {tuple(pair) for pair in json.loads(line.split("PUBLIC_METHODS ", 1)[1])}


def test_every_public_method_has_a_row_in_the_readme(registry_methods):
    documented = set(public_methods()) | buttons()
    assert registry_methods, "the introspection found no method"
    assert sorted(registry_methods - documented) == []
    assert sorted(documented - registry_methods) == []


def test_the_sources_define_the_methods_of_the_table():
    # A cheap cross-check of the introspection: each listed method is
    # defined (def name) in an addon source file.
    sources = "\n".join(
        path.read_text()
        for path in ADDONS.glob("relationship_*/**/*.py")
        if "tests" not in path.parts
    )
    for __, method in set(public_methods()) | buttons():
        assert re.search(rf"\n    def {method}\(", sources), method


# ---------------------------------------------------------------------------
# Users, records and calls
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def manager(rpc_admin):
    """A Relationships / Manager of the main company with no other group than
    Internal User (implied): what the README says a manager needs."""
    return new_rpc_user(rpc_admin, "relationship_mgmt.group_relationship_manager")


@pytest.fixture(scope="module")
def clients(
    rpc_admin,
    rpc_relationship_user,
    manager,
    rpc_employee,
    rpc_portal_user,
    rpc_other_company_manager,
):
    return {
        "admin": rpc_admin,
        "user": rpc_relationship_user,
        "manager": manager,
        "employee": rpc_employee,
        "portal": rpc_portal_user,
        "other": rpc_other_company_manager,
    }


class World:
    """rpc_world and the admin client, with fresh records for the calls that
    consume theirs (an erasure, a resolution, a logged message)."""

    def __init__(self, admin, world):
        self.admin = admin
        self.data = world

    def __getitem__(self, key):
        return self.data[key]

    def fresh_customer(self, **values):
        vals = {
            "name": f"RPC Contract Customer {uuid.uuid4().hex[:6]}",
            "customer_rank": 1,
            "is_company": True,
            "company_id": self["main_company_id"],
        }
        return self.admin.call("res.partner", "create", dict(vals, **values))

    def fresh_dispute(self):
        return new_dispute(self.admin, self["customer"], self["main_company_id"])

    def fresh_message(self):
        return self.admin.call(
            "res.partner",
            "message_post",
            [self["customer"]],
            body="Called about the next order",
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )


@pytest.fixture(scope="module")
def world(rpc_admin, rpc_world):
    return World(rpc_admin, rpc_world)


# (model, method) -> (args, kwargs) of a call on the main company's records;
# with_ids=False: the call without ids, where the table allows one.
def call_args(model, method, world, with_ids=True):
    if not with_ids:
        return [], {}
    return {
        ("res.partner", "relationship_summary"): ([[world["customer"]]], {}),
        ("res.partner", "relationship_export_data"): ([[world["customer"]]], {}),
        ("res.partner", "relationship_erase_data"): (
            [[world.fresh_customer()]],
            {},
        ),
        ("relationship.engagement", "recompute_engagement"): (
            [[world["customer"]]],
            {},
        ),
        ("relationship.analytics", "refresh_analytics"): ([], {}),
        ("relationship.product.affinity", "refresh_crosssell"): ([], {}),
        ("relationship.interaction", "log_from_messages"): (
            [[world.fresh_message()]],
            {},
        ),
        ("relationship.program", "enrol_partners"): (
            [[world["program"]], [world["customer"]]],
            {},
        ),
        ("relationship.agreement", "obligation_status"): ([[world["agreement"]]], {}),
        ("relationship.agreement.obligation", "refresh_obligations"): (
            [[world["agreement"]]],
            {},
        ),
        ("relationship.trust.snapshot", "recompute_trust"): (
            [[world["customer"]]],
            {},
        ),
        ("relationship.kpi.measurement", "kpi_status"): (
            [world["main_company_id"], "2026-05"],
            {},
        ),
        ("relationship.dashboard", "get_dashboard_data"): (
            [[world["main_company_id"]]],
            {},
        ),
        ("relationship.dispute", "resolve"): (
            [[world.fresh_dispute()], "rejection"],
            {"reason": "Contract test"},
        ),
    }[(model, method)]


def takes_ids(model, method, world):
    args, __ = call_args(model, method, world)
    return bool(args)


def expected(who, kind, with_ids, takes):
    """None when ``kind`` of user may make the call, else the fault code and
    a piece of its message (None: any message)."""
    if kind in ("employee", "portal"):
        return (FAULT_ACCESS_ERROR, None)
    manager_only = who == "Manager" or (who != "User" and not with_ids)
    if kind == "user" and manager_only:
        return (FAULT_ACCESS_ERROR, None)
    if kind == "other" and takes and with_ids:
        return (FAULT_ACCESS_ERROR, OTHER_COMPANY)
    return None


def fault_of(call):
    with pytest.raises(xmlrpc.client.Fault) as fault:
        call()
    return fault.value


def assert_refused(database, call, code, message=None):
    before = database_fingerprint(database)
    fault = fault_of(call)
    text = fault.faultString
    assert fault.faultCode == code, text
    assert "Traceback" not in text
    if message:
        assert message in text, text
    assert database_fingerprint(database) == before
    return text


def contract_cases():
    cases = []
    for (model, method), who in sorted(public_methods().items()):
        for with_ids in (True, False) if who.endswith("without ids") else (True,):
            for kind in KINDS:
                label = f"{method}-{kind}" + ("" if with_ids else "-all")
                cases.append(pytest.param(model, method, who, with_ids, kind, id=label))
    return cases


@pytest.mark.parametrize(
    ("model", "method", "who", "with_ids", "kind"), contract_cases()
)
def test_every_documented_method_for_every_kind_of_user(
    clients, world, rpc_database, model, method, who, with_ids, kind
):
    args, kwargs = call_args(model, method, world, with_ids)
    takes = takes_ids(model, method, world)
    client = clients[kind]
    outcome = expected(who, kind, with_ids, takes)
    if outcome is None:
        result = client.call(model, method, *args, **kwargs)
        assert isinstance(result, dict | list), result
    else:
        assert_refused(
            rpc_database, lambda: client.call(model, method, *args, **kwargs), *outcome
        )


# ---------------------------------------------------------------------------
# The wrong inputs of the Errors table, sent to every method they apply to
# ---------------------------------------------------------------------------


def raw_call(client, model, method, args, kwargs=None):
    """``client.call`` through a proxy that may send None (``<nil/>``, as
    JSON-RPC's null), which xmlrpc.client refuses by default."""
    proxy = xmlrpc.client.ServerProxy(f"{client.url}/xmlrpc/2/object", allow_none=True)
    return proxy.execute_kw(
        client.database, client.uid, client.password, model, method, args, kwargs or {}
    )


# Ids that are no list of integers: None, a number alone, a boolean, a
# string, a float, booleans and floats in a list.
NOT_LISTS = [None, 5, True, "abc", 1.5, [True], [1.5], [[1]]]
# Methods where an empty argument means "every record" (managers): None
# is that, not a wrong input.
ALL_WITHOUT_IDS = "User; Manager without ids"


def ids_methods(world):
    """The methods whose first argument is a list of record ids (the ones the
    ids rows of the Errors table are about; ``kpi_status`` takes one company
    id and checks it with its own messages, see tests/test_kpi_rpc.py)."""
    return [
        (model, method, who)
        for (model, method), who in sorted(public_methods().items())
        if takes_ids(model, method, world)
        and isinstance(call_args(model, method, world)[0][0], list)
    ]


def with_first(args, value):
    return [value, *args[1:]]


def check_not_lists(clients, world, database):
    for model, method, who in ids_methods(world):
        args, kwargs = call_args(model, method, world)
        for value in NOT_LISTS:
            if value is None and who == ALL_WITHOUT_IDS:
                continue
            text = assert_refused(
                database,
                functools.partial(
                    raw_call,
                    clients["admin"],
                    model,
                    method,
                    with_first(args, value),
                    kwargs,
                ),
                FAULT_USER_ERROR,
                NOT_A_LIST,
            )
            assert repr(value) in text, (method, value, text)


def check_unknown(clients, world, database):
    for model, method, __ in ids_methods(world):
        args, kwargs = call_args(model, method, world)
        assert_refused(
            database,
            lambda args=args, kwargs=kwargs, model=model, method=method: clients[
                "admin"
            ].call(model, method, *with_first(args, [UNKNOWN]), **kwargs),
            FAULT_USER_ERROR,
            f"ids: {UNKNOWN}.",
        )


def check_other_company(clients, world, database):
    for model, method, __ in ids_methods(world):
        args, kwargs = call_args(model, method, world)
        assert_refused(
            database,
            lambda args=args, kwargs=kwargs, model=model, method=method: clients[
                "other"
            ].call(model, method, *args, **kwargs),
            FAULT_ACCESS_ERROR,
            OTHER_COMPANY,
        )


def check_no_group(clients, world, database):
    for (model, method), __ in sorted(public_methods().items()):
        args, kwargs = call_args(model, method, world)
        for kind in ("employee", "portal"):
            assert_refused(
                database,
                functools.partial(clients[kind].call, model, method, *args, **kwargs),
                FAULT_ACCESS_ERROR,
            )


def check_manager_only(clients, world, database):
    for (model, method), who in sorted(public_methods().items()):
        if who == "User":
            continue
        args, kwargs = call_args(model, method, world, with_ids=who == "Manager")
        assert_refused(
            database,
            lambda args=args, kwargs=kwargs, model=model, method=method: clients[
                "user"
            ].call(model, method, *args, **kwargs),
            FAULT_ACCESS_ERROR,
        )


def check_wrong_values(clients, world, database):
    for client, model, method, args in wrong_values(world):
        text = assert_refused(
            database,
            lambda client=client, model=model, method=method, args=args: clients[
                client
            ].call(model, method, *args),
            FAULT_USER_ERROR,
        )
        assert "is not a valid" in text or "must be" in text, text


def check_future_interaction(clients, world, database):
    later = datetime.now(timezone.utc) + timedelta(minutes=3)
    assert_refused(
        database,
        lambda: clients["user"].call(
            "relationship.interaction",
            "create",
            {
                "name": "Call planned later today",
                "partner_id": world["customer"],
                "date": later.strftime("%Y-%m-%d %H:%M:%S"),
            },
        ),
        FAULT_USER_ERROR,
        "is in the future",
    )


# First words of each row of the README's Errors table -> its check.
ERROR_CHECKS = {
    "ids that are not a list of integers": check_not_lists,
    "unknown ids": check_unknown,
    "records of a company the user does not work in": check_other_company,
    "no Relationships group": check_no_group,
    "a manager-only call by a Relationships user": check_manager_only,
    "a wrong choice or type": check_wrong_values,
    "an interaction dated in the future": check_future_interaction,
}


def error_check(row):
    return next(
        check for start, check in ERROR_CHECKS.items() if row[0].startswith(start)
    )


@pytest.mark.parametrize(
    "row", [pytest.param(row, id=row[0][:40]) for row in error_rows()]
)
def test_every_wrong_input_of_the_errors_table(clients, world, rpc_database, row):
    code = int(row[1])
    check = error_check(row)
    assert code in (FAULT_USER_ERROR, FAULT_ACCESS_ERROR)
    check(clients, world, rpc_database)


# ---------------------------------------------------------------------------
# Issue 21: the six places where the behaviour differed from the README
# ---------------------------------------------------------------------------


def test_manager_with_only_the_group_erases_a_customer(clients, world):
    """(1) The erasure posts its note on the customer's chatter although a
    manager may not edit contacts; nobody's rights are widened."""
    manager, admin = clients["manager"], clients["admin"]
    customer = world.fresh_customer()
    admin.call(
        "relationship.interaction", "create", {"name": "Call", "partner_id": customer}
    )

    counts = manager.call("res.partner", "relationship_erase_data", [customer])

    assert counts["relationship.interaction"] == 1
    notes = admin.call(
        "mail.message",
        "search_read",
        [
            ("model", "=", "res.partner"),
            ("res_id", "=", customer),
            ("body", "ilike", "Relationship data erased"),
        ],
        ["author_id"],
    )
    manager_partner = manager.call("res.users", "read", [manager.uid], ["partner_id"])[
        0
    ]["partner_id"][0]
    assert [note["author_id"][0] for note in notes] == [manager_partner]
    # Still no right to edit the contact nor to post on it directly.
    for call in (
        lambda: manager.call("res.partner", "write", [customer], {"name": "Renamed"}),
        lambda: manager.call("res.partner", "message_post", [customer], body="Hi"),
    ):
        assert fault_of(call).faultCode == FAULT_ACCESS_ERROR


# (2) Every public method taking ids, on another company's records.
CROSS_COMPANY = [
    ("summary", "res.partner", "relationship_summary", lambda w: [[w["customer"]]]),
    ("export", "res.partner", "relationship_export_data", lambda w: [[w["customer"]]]),
    ("erase", "res.partner", "relationship_erase_data", lambda w: [[w["customer"]]]),
    (
        "recompute-engagement",
        "relationship.engagement",
        "recompute_engagement",
        lambda w: [[w["customer"]]],
    ),
    (
        "recompute-trust",
        "relationship.trust.snapshot",
        "recompute_trust",
        lambda w: [[w["customer"]]],
    ),
    (
        "refresh-obligations",
        "relationship.agreement.obligation",
        "refresh_obligations",
        lambda w: [[w["agreement"]]],
    ),
    (
        "obligation-status",
        "relationship.agreement",
        "obligation_status",
        lambda w: [[w["agreement"]]],
    ),
    (
        "enrol",
        "relationship.program",
        "enrol_partners",
        lambda w: [[w["program"]], [w["customer"]]],
    ),
    (
        "interaction",
        "relationship.interaction",
        "create",
        lambda w: [{"name": "Visit", "partner_id": w["customer"]}],
    ),
]


@pytest.mark.parametrize(
    ("model", "method", "args"),
    [pytest.param(*row[1:], id=row[0]) for row in CROSS_COMPANY],
)
def test_another_companys_records_get_the_documented_message(
    clients, world, rpc_database, model, method, args
):
    text = assert_refused(
        rpc_database,
        lambda: clients["other"].call(model, method, *args(world)),
        FAULT_ACCESS_ERROR,
        OTHER_COMPANY,
    )
    assert "top-secret" not in text


def test_another_companys_dispute_gets_the_documented_message(
    clients, world, rpc_database
):
    dispute = world.fresh_dispute()
    text = assert_refused(
        rpc_database,
        lambda: clients["other"].call(
            "relationship.dispute", "resolve", [dispute], "rejection", reason="No"
        ),
        FAULT_ACCESS_ERROR,
        f"Dispute ids {dispute}: {OTHER_COMPANY}",
    )
    assert "top-secret" not in text


# (3) Ids that are no list of integers, for the methods of records.
RECORD_METHODS = [
    ("res.partner", "relationship_summary", []),
    ("res.partner", "relationship_export_data", []),
    ("res.partner", "relationship_erase_data", []),
    ("relationship.agreement", "obligation_status", []),
    ("relationship.dispute", "resolve", ["rejection"]),
    ("relationship.program", "enrol_partners", [[1]]),
]


@pytest.mark.parametrize("value", [None, 5, True, 2.5], ids=repr)
@pytest.mark.parametrize(
    ("model", "method", "rest"),
    [pytest.param(*row, id=row[1]) for row in RECORD_METHODS],
)
def test_ids_that_are_not_a_list_get_the_documented_fault(
    clients, rpc_database, model, method, rest, value
):
    text = assert_refused(
        rpc_database,
        lambda: raw_call(clients["admin"], model, method, [value, *rest]),
        FAULT_USER_ERROR,
        f"{NOT_A_LIST}, got {value!r}.",
    )
    assert text.split(":")[-1].strip().endswith(f"got {value!r}.")


def test_ids_given_twice_are_taken_once(clients, world):
    admin = clients["admin"]
    customer = world["customer"]
    rows = admin.call("res.partner", "relationship_summary", [customer, customer])
    assert [row["id"] for row in rows] == [customer]
    result = admin.call(
        "relationship.engagement", "recompute_engagement", [customer, customer]
    )
    assert result["computed"] == 1


# (4) One date rule: not in the future, to the second.
def test_interaction_dated_later_today_is_refused(clients, world, rpc_database):
    user = clients["user"]
    now = datetime.now(timezone.utc)
    assert_refused(
        rpc_database,
        lambda: user.call(
            "relationship.interaction",
            "create",
            {
                "name": "Call in two minutes",
                "partner_id": world["customer"],
                "date": (now + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S"),
            },
        ),
        FAULT_USER_ERROR,
        "is in the future",
    )
    past = (now - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    interaction = user.call(
        "relationship.interaction",
        "create",
        {"name": "Call a minute ago", "partner_id": world["customer"], "date": past},
    )
    assert interaction


def test_date_rule_is_written_once_identically():
    def rule(text):
        flat = " ".join(text.split())
        found = re.findall(
            r"The date of an interaction may not be [^.]*\.[^.]*\.", flat
        )
        assert len(found) == 1, found
        assert "after today" not in flat
        return found[0]

    usage = (ADDONS / "relationship_mgmt" / "readme" / "USAGE.md").read_text()
    assert rule((ROOT / "README.md").read_text()) == rule(usage)


# (5) Wrong choices and types, on the models users and integrations create.
def wrong_values(world):
    """``[(client, model, method, args)]`` of wrong choices and types."""
    customer, company = world["customer"], world["main_company_id"]
    dispute = {"name": "Damaged", "partner_id": customer, "company_id": company}
    agreement = {
        "name": "Supply",
        "partner_id": customer,
        "company_id": company,
        "date_start": "2025-01-01",
        "duration_months": 12,
    }
    return [
        (
            "user",
            "relationship.dispute",
            "create",
            [dict(dispute, dispute_type="alien")],
        ),
        ("user", "relationship.dispute", "create", [dict(dispute, priority="9")]),
        ("user", "relationship.dispute", "create", [dict(dispute, priority=9)]),
        (
            "user",
            "relationship.satisfaction",
            "create",
            [{"partner_id": customer, "kind": "csat", "value": "five"}],
        ),
        (
            "user",
            "relationship.satisfaction",
            "create",
            [{"partner_id": customer, "kind": "stars", "value": 5}],
        ),
        (
            "user",
            "relationship.interaction",
            "create",
            [{"name": "Call", "partner_id": customer, "direction": "sideways"}],
        ),
        (
            "manager",
            "relationship.agreement",
            "create",
            [dict(agreement, agreement_type="alien")],
        ),
        (
            "manager",
            "relationship.agreement",
            "create",
            [dict(agreement, duration_months="twelve")],
        ),
        (
            "manager",
            "relationship.agreement.obligation",
            "create",
            [{"agreement_id": world["agreement"], "kind": "alien", "target": 5.0}],
        ),
        (
            "manager",
            "relationship.program",
            "create",
            [{"name": "Bad", "company_id": company, "trigger": "sometimes"}],
        ),
        (
            "manager",
            "relationship.program",
            "write",
            [[world["program"]], {"trigger": 7}],
        ),
        (
            "user",
            "relationship.dispute",
            "write",
            [[world["dispute"]], {"dispute_type": "alien"}],
        ),
    ]


def test_wrong_choices_and_types_are_refused_clearly(clients, world, rpc_database):
    for client, model, method, args in wrong_values(world):
        text = assert_refused(
            rpc_database,
            lambda client=client, model=model, method=method, args=args: clients[
                client
            ].call(model, method, *args),
            FAULT_USER_ERROR,
        )
        assert "is not a valid" in text or "must be" in text, (model, args, text)


def test_csat_value_in_words_names_the_field(clients, world, rpc_database):
    text = assert_refused(
        rpc_database,
        lambda: clients["user"].call(
            "relationship.satisfaction",
            "create",
            {"partner_id": world["customer"], "kind": "csat", "value": "five"},
        ),
        FAULT_USER_ERROR,
    )
    assert "Value must be a whole number, got 'five'." in text, text


def test_dispute_type_alien_lists_the_choices(clients, world, rpc_database):
    text = assert_refused(
        rpc_database,
        lambda: clients["user"].call(
            "relationship.dispute",
            "create",
            {"name": "X", "partner_id": world["customer"], "dispute_type": "alien"},
        ),
        FAULT_USER_ERROR,
    )
    assert "Business Dispute: 'alien' is not a valid Type; use one of " in text, text


# (6) Customers who opted out of post-sale programs, on every enrolment path.
@pytest.fixture
def opted_out(world):
    """A fresh customer who opted out of post-sale programs (one per test:
    an enrolment path that wrongly enrolled it fails its own test only)."""
    return world.fresh_customer(relationship_program_opt_out=True)


def test_enrol_partners_skips_an_opted_out_customer(clients, world, opted_out):
    fresh = world.fresh_customer()
    result = clients["manager"].call(
        "relationship.program", "enrol_partners", [world["program"]], [opted_out, fresh]
    )
    assert (result["enrolled"], result["skipped"]) == (1, 1)
    enrolled = clients["admin"].call(
        "relationship.program.enrolment",
        "search_read",
        [("id", "in", result["enrolment_ids"])],
        ["partner_id"],
    )
    assert [row["partner_id"][0] for row in enrolled] == [fresh]


def test_enrol_wizard_skips_an_opted_out_customer(clients, world, opted_out):
    manager = clients["manager"]
    wizard = manager.call(
        "relationship.program.enrol.wizard",
        "create",
        {
            "program_id": world["program"],
            "target": "selection",
            "partner_ids": [(6, 0, [opted_out])],
        },
    )
    action = manager.call("relationship.program.enrol.wizard", "action_enrol", [wizard])
    assert action["params"]["message"].startswith("0 customers enrolled")
    assert "1 skipped" in action["params"]["message"]


def test_order_trigger_skips_an_opted_out_customer(clients, world, opted_out):
    admin = clients["admin"]
    product = admin.call(
        "product.product", "create", {"name": "Contract Widget", "type": "consu"}
    )
    order = admin.call(
        "sale.order",
        "create",
        {
            "partner_id": opted_out,
            "company_id": world["main_company_id"],
            "order_line": [(0, 0, {"product_id": product, "product_uom_qty": 1})],
        },
    )
    admin.call("sale.order", "action_confirm", [order])
    enrolments = admin.call(
        "relationship.program.enrolment",
        "search_count",
        [("partner_id", "=", opted_out)],
        context={"active_test": False},
    )
    assert enrolments == 0
