"""Disputes now store the moments they become at risk (planned in the
policy's hours). Existing disputes get them from the rule they were judged
by until now: the policy's at-risk share of the time from the opening to the
due date. Policies keep counting round the clock (the new hours_basis
defaults to it), so their due dates stay as they are."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    for target, due in (
        ("date_response_at_risk", "date_response_due"),
        ("date_resolution_at_risk", "date_resolution_due"),
    ):
        cr.execute(
            SQL(
                """
                UPDATE relationship_dispute d
                   SET %(target)s = d.date_open
                       + (d.%(due)s - d.date_open) * (sla.at_risk_percent / 100.0)
                  FROM relationship_dispute_sla sla
                 WHERE sla.id = d.sla_id
                   AND d.%(due)s IS NOT NULL
                   AND d.%(target)s IS NULL
                """,
                target=SQL.identifier(target),
                due=SQL.identifier(due),
            )
        )
