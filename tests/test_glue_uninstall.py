"""Uninstalling the glue addons (relationship_helpdesk,
relationship_credit_control, relationship_mass_mailing) leaves
relationship_mgmt, relationship_brm and the OCA modules installed and
working, with their data: the records made while the glue was there, a
recompute, the forms.

Runs on $RELATIONSHIP_GLUE_DB, a copy of the test database with the glue
addons made by tools/run_tests.sh (the uninstall changes it for good).
"""

import os

import pytest

from conftest import (
    ADDONS_PATH,
    GLUE_MODULES,
    MODULES,
    OCA_MODULES,
    log_problems,
    query,
    run_odoo,
)

pytestmark = pytest.mark.timeout(900)

DATABASE = os.environ.get("RELATIONSHIP_GLUE_DB")

# Records the glue addons link: a customer with a ticket turned into a
# dispute, and its engagement. Printed ids are read back after the uninstall.
SETUP = """
customer = env["res.partner"].create({"name": "Glue Customer", "is_company": True})
ticket = env["helpdesk.ticket"].create(
    {"name": "Broken parts", "description": "<p>Two broken.</p>",
     "partner_id": customer.id}
)
dispute = ticket._relationship_create_dispute()
env["relationship.engagement"]._recompute_company(
    env.company, partner_ids=customer.ids, create_new=True
)
env["relationship.interaction"].create(
    {"name": "Call", "partner_id": customer.id, "channel": "phone",
     "outcome": "positive"}
)
assert customer.relationship_best_channel == "phone"
env.cr.commit()
print("IDS", customer.id, ticket.id, dispute.id)
"""
UNINSTALL = f"""
modules = env["ir.module.module"].search([("name", "in", {list(GLUE_MODULES)!r})])
modules.button_immediate_uninstall()
env.cr.commit()
"""
CHECK = """
customer = env["res.partner"].browse({customer})
counts = env["relationship.engagement"]._recompute_company(
    env.company, partner_ids=customer.ids, create_new=True
)
assert counts == {{"computed": 1, "new": 1}}, counts
for model in ("res.partner", "relationship.dispute", "helpdesk.ticket",
              "credit.control.run", "relationship.engagement",
              "relationship.interaction", "mailing.mailing"):
    env[model].get_views([(False, "form"), (False, "list")])
assert env["relationship.interaction"].search_count(
    [("partner_id", "=", customer.id)]
) == 1
print("CHECKED", env["relationship.dispute"].browse({dispute}).name)
"""


def shell(script):
    result = run_odoo(
        "shell",
        "-d",
        DATABASE,
        ADDONS_PATH,
        "--no-http",
        "--log-level=warn",
        stdin=script,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert not log_problems(result.stdout), "\n".join(log_problems(result.stdout))
    return result.stdout


@pytest.mark.skipif(not DATABASE, reason="RELATIONSHIP_GLUE_DB is not set")
def test_uninstalling_the_glue_addons_keeps_ours_working_with_their_data():
    states = dict(
        query(
            DATABASE,
            "SELECT name, state FROM ir_module_module WHERE name IN %s",
            [(*MODULES, *GLUE_MODULES, *OCA_MODULES)],
        )
    )
    assert set(states.values()) == {"installed"}, states
    ids_line = next(
        line for line in shell(SETUP).splitlines() if line.startswith("IDS ")
    )
    customer, ticket, dispute = (int(value) for value in ids_line.split()[1:])
    shell(UNINSTALL)
    states = dict(
        query(
            DATABASE,
            "SELECT name, state FROM ir_module_module WHERE name IN %s",
            [(*MODULES, *GLUE_MODULES, *OCA_MODULES)],
        )
    )
    assert states == {
        **dict.fromkeys(MODULES, "installed"),
        **dict.fromkeys(GLUE_MODULES, "uninstalled"),
        **dict.fromkeys(OCA_MODULES, "installed"),
    }
    # The records stay; only the glue's columns go.
    assert query(
        DATABASE, "SELECT name FROM relationship_dispute WHERE id = %s", [dispute]
    ) == [("Broken parts",)]
    assert query(
        DATABASE, "SELECT name FROM helpdesk_ticket WHERE id = %s", [ticket]
    ) == [("Broken parts",)]
    columns = query(
        DATABASE,
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE (table_name, column_name) IN %s",
        [
            (
                ("relationship_dispute", "helpdesk_ticket_id"),
                ("helpdesk_ticket", "relationship_reopen_count"),
                ("relationship_interaction", "mailing_trace_id"),
            )
        ],
    )
    assert columns == []
    assert (
        query(
            DATABASE,
            "SELECT 1 FROM information_schema.tables WHERE table_name = %s",
            ["relationship_credit_run_disputed_rel"],
        )
        == []
    )
    output = shell(CHECK.format(customer=customer, dispute=dispute))
    assert "CHECKED Broken parts" in output
