"""The life of the addons in a database of their own, as an administrator
lives it: install with demo data, upgrade, uninstall, with a clean log and
nothing left behind.

One fresh database for the whole module (a few minutes): the fixture runs the
three steps in order and the tests check one step each.
"""

from dataclasses import dataclass

import pytest

from conftest import (
    ADDONS_PATH,
    MODULES,
    create_database,
    drop_database,
    log_problems,
    new_database_name,
    query,
    run_odoo,
)

pytestmark = pytest.mark.timeout(1200)

UNINSTALL = f"""
modules = env["ir.module.module"].search([("name", "in", {list(MODULES)!r})])
modules.button_immediate_uninstall()
env.cr.commit()
"""
TABLES = ("relationship_engagement", "relationship_engagement_snapshot")
# Partners who are never customers (relationship_mgmt's engine/signals.py).
NOT_CUSTOMERS = (
    "SELECT partner_id FROM res_company"
    " UNION SELECT partner_id FROM res_users WHERE NOT share"
)
# Rows each analysis screen lists right after the demo install (the batches
# run at its end): {name: SQL count}.
DEMO_ANALYSES = {
    "scored customers": "SELECT COUNT(*) FROM relationship_engagement"
    " WHERE tier != 'new'",
    "engagement snapshots": "SELECT COUNT(*) FROM relationship_engagement_snapshot",
    "customer analytics": "SELECT COUNT(*) FROM relationship_analytics",
    "recommendations": "SELECT COUNT(*) FROM relationship_recommendation",
    "product affinity": "SELECT COUNT(*) FROM relationship_product_affinity",
    "trust snapshots": "SELECT COUNT(*) FROM relationship_trust_snapshot",
    "program enrolments": "SELECT COUNT(*) FROM relationship_program_enrolment",
    "manual programs": "SELECT COUNT(*) FROM relationship_program"
    " WHERE trigger = 'manual' AND active",
    "obligation periods met": "SELECT COUNT(*) FROM relationship_obligation_period"
    " WHERE status = 'met'",
    "obligation periods at risk": "SELECT COUNT(*)"
    " FROM relationship_obligation_period WHERE status = 'at_risk'",
    "obligation periods breached": "SELECT COUNT(*)"
    " FROM relationship_obligation_period WHERE status = 'breached'",
    "orders under agreements": "SELECT COUNT(*) FROM sale_order"
    " WHERE agreement_id IS NOT NULL AND state = 'sale'",
    "disputes of the portal demo customer": "SELECT COUNT(*)"
    " FROM relationship_dispute d JOIN ir_model_data x ON x.res_id = d.partner_id"
    " AND x.model = 'res.partner' AND x.module = 'base'"
    " AND x.name = 'partner_demo_portal'",
    # The engagement ran after relationship_brm: it sees the disputes.
    "customers scored with open disputes": "SELECT COUNT(*)"
    " FROM relationship_engagement WHERE open_dispute_count > 0",
    "obligations breached now": "SELECT COUNT(*)"
    " FROM relationship_agreement_obligation WHERE status = 'breached'",
    "enrolments started more than a month ago": "SELECT COUNT(*)"
    " FROM relationship_program_enrolment"
    " WHERE date_start < NOW() - INTERVAL '1 month'",
    "KPI measurements": "SELECT COUNT(*) FROM relationship_kpi_measurement",
    "posted customer invoices not reversed": "SELECT COUNT(*) FROM account_move"
    " WHERE move_type = 'out_invoice' AND state = 'posted'"
    " AND payment_state NOT IN ('reversed', 'invoicing_legacy')",
}
# Figures that must not show in the demo: {name: SQL count, expected 0}.
DEMO_WRONG_FIGURES = {
    "revenue 0 with a positive lifetime value": "SELECT COUNT(*)"
    " FROM relationship_analytics WHERE COALESCE(revenue_to_date, 0) = 0"
    " AND COALESCE(predicted_revenue, 0) > 0",
    "negative margin without revenue": "SELECT COUNT(*) FROM relationship_analytics"
    " WHERE margin_to_date < 0 AND COALESCE(revenue_to_date, 0) <= 0",
    "internal users or own companies scored": "SELECT COUNT(*)"
    f" FROM relationship_engagement WHERE partner_id IN ({NOT_CUSTOMERS})",
    "internal users or own companies enrolled": "SELECT COUNT(*)"
    f" FROM relationship_program_enrolment WHERE partner_id IN ({NOT_CUSTOMERS})",
    "internal users or own companies with disputes": "SELECT COUNT(*)"
    " FROM relationship_dispute"
    f" WHERE commercial_partner_id IN ({NOT_CUSTOMERS})",
    "customers enrolled twice in a program": "SELECT COUNT(*) FROM ("
    " SELECT 1 FROM relationship_program_enrolment"
    " GROUP BY program_id, partner_id HAVING COUNT(*) > 1) twice",
}


def demo_figures(database):
    """``({analysis: rows}, {wrong figure: rows})`` of a demo database."""
    return (
        {name: query(database, sql)[0][0] for name, sql in DEMO_ANALYSES.items()},
        {name: query(database, sql)[0][0] for name, sql in DEMO_WRONG_FIGURES.items()},
    )


@dataclass
class Step:
    returncode: int
    log: str
    states: dict  # {module: state} right after the step

    def check(self, expected_state):
        tail = "\n".join(self.log.splitlines()[-60:])
        assert self.returncode == 0, f"Odoo exited with {self.returncode}:\n{tail}"
        problems = log_problems(self.log)
        assert not problems, "\n".join(problems)
        assert self.states == dict.fromkeys(MODULES, expected_state)


def module_states(database):
    rows = query(
        database,
        "SELECT name, state FROM ir_module_module WHERE name IN %s",
        [MODULES],
    )
    return dict(rows)


@dataclass
class Lifecycle:
    database: str
    steps: dict  # {step name: Step}, in the order they ran
    demo: tuple = ()  # demo_figures() right after the install

    def step(self, name):
        if name not in self.steps:
            pytest.skip(f"not run: an earlier step failed ({', '.join(self.steps)})")
        return self.steps[name]


@pytest.fixture(scope="module")
def lifecycle():
    """Install, upgrade and uninstall in a fresh database, stopping at the
    first step Odoo fails; the database is dropped at the end."""
    database = new_database_name("lifecycle")
    modules = ",".join(MODULES)
    commands = {
        # No --without-demo: demo data is loaded.
        "install": ["-d", database, ADDONS_PATH, "-i", modules, "--stop-after-init"],
        "upgrade": ["-d", database, ADDONS_PATH, "-u", modules, "--stop-after-init"],
        "uninstall": ["shell", "-d", database, ADDONS_PATH, "--no-http"],
    }
    result = Lifecycle(database, {})
    create_database(database)
    try:
        for name, args in commands.items():
            stdin = UNINSTALL if name == "uninstall" else None
            run = run_odoo(*args, "--log-level=warn", stdin=stdin)
            result.steps[name] = Step(
                run.returncode, run.stdout, module_states(database)
            )
            if name == "install" and not run.returncode:
                result.demo = demo_figures(database)
            if run.returncode:
                break
        yield result
    finally:
        drop_database(database)


def test_install_with_demo_data(lifecycle):
    lifecycle.step("install").check("installed")
    demo = query(
        lifecycle.database,
        "SELECT bool_and(demo) FROM ir_module_module WHERE name IN %s",
        [MODULES],
    )
    assert demo == [(True,)]


def test_demo_install_fills_every_analysis_with_right_figures(lifecycle):
    lifecycle.step("install").check("installed")
    analyses, wrong = lifecycle.demo
    assert [name for name, rows in analyses.items() if not rows] == []
    assert wrong == dict.fromkeys(DEMO_WRONG_FIGURES, 0)


def test_upgrade(lifecycle):
    lifecycle.step("upgrade").check("installed")


def test_uninstall_removes_modules_tables_and_columns(lifecycle):
    lifecycle.step("uninstall").check("uninstalled")
    tables = query(
        lifecycle.database,
        "SELECT table_name FROM information_schema.tables WHERE table_name IN %s",
        [TABLES],
    )
    assert tables == []
    columns = query(
        lifecycle.database,
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_name IN ('res_partner', 'res_company')"
        " AND column_name LIKE %s",
        ["engagement\\_%"],
    )
    assert columns == []
