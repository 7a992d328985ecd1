"""``relationship.kpi.measurement.kpi_status`` over a live XML-RPC server:
managers measure with the wizard, users read plain values, wrong input and
other companies get readable faults."""

import datetime
import xmlrpc.client

import pytest

from conftest import FAULT_ACCESS_ERROR, FAULT_USER_ERROR

MEASUREMENT = "relationship.kpi.measurement"
KEYS = {
    "kpi",
    "name",
    "unit",
    "period",
    "status",
    "value",
    "numerator",
    "denominator",
    "target",
    "comparison",
    "is_closed",
    "measured_on",
}


def last_month():
    return datetime.date.today().replace(day=1) - datetime.timedelta(days=1)


@pytest.fixture(scope="module")
def measured(rpc_admin):
    company_id = rpc_admin.ref("base.main_company")
    day = last_month().isoformat()
    wizard = rpc_admin.call(
        "relationship.kpi.measure.wizard",
        "create",
        {"date_from": day, "date_to": day, "company_ids": [(6, 0, [company_id])]},
    )
    rpc_admin.call("relationship.kpi.measure.wizard", "action_measure", [wizard])
    return company_id


def test_users_read_the_status_of_every_kpi(rpc_relationship_user, measured):
    period = last_month().strftime("%Y-%m")
    rows = rpc_relationship_user.call(MEASUREMENT, "kpi_status", measured, period)
    kpis = {row["kpi"] for row in rows}
    assert {"retention_rate", "nps", "dispute_rate", "in_full_delivery"} <= kpis
    for row in rows:
        assert set(row) == KEYS
        assert row["period"] == period
        assert row["status"] in ("on_target", "off_target", "no_data", "no_target")
        assert row["is_closed"] is True
    quarter = rpc_relationship_user.call(MEASUREMENT, "kpi_status", measured, "1999-Q1")
    assert {row["status"] for row in quarter} == {"not_measured"}


@pytest.mark.parametrize(
    ("company", "period", "message"),
    [
        ("1", "2026-05", "The company id must be an integer"),
        (999999, "2026-05", "Unknown company ids: 999999"),
        ("main", "2026/05", "month like 2026-05"),
        ("main", "2026-Q5", "month like 2026-05"),
    ],
)
def test_wrong_input_gets_a_readable_fault(
    rpc_relationship_user, measured, company, period, message
):
    company_id = measured if company == "main" else company
    with pytest.raises(xmlrpc.client.Fault) as caught:
        rpc_relationship_user.call(MEASUREMENT, "kpi_status", company_id, period)
    assert caught.value.faultCode == FAULT_USER_ERROR
    assert message in caught.value.faultString


def test_other_company_is_refused(rpc_other_company_manager, measured):
    with pytest.raises(xmlrpc.client.Fault) as caught:
        rpc_other_company_manager.call(MEASUREMENT, "kpi_status", measured, "2026-05")
    assert caught.value.faultCode == FAULT_ACCESS_ERROR
    assert "they belong to a company you do not work in" in caught.value.faultString


def test_employees_without_the_group_are_refused(rpc_employee, measured):
    with pytest.raises(xmlrpc.client.Fault) as caught:
        rpc_employee.call(MEASUREMENT, "kpi_status", measured, "2026-05")
    assert caught.value.faultCode == FAULT_ACCESS_ERROR
