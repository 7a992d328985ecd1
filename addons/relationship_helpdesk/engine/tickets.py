"""The service signals of helpdesk tickets, read in one query per batch.

One rule, one place: the engagement hook (scores) and the reasons and
relationship summary (words) all read the counts from ``ticket_signals()``.
"""

from datetime import datetime, time

from odoo.tools import SQL

from odoo.addons.relationship_mgmt.engine.signals import array_literal

# Service issues a ticket signal weighs, in the unit of the service component
# (one open dispute): an open ticket, an open ticket past its SLA (one more),
# a ticket reopened in the window (one more).
SIGNALS = ("open_ticket_count", "late_ticket_count", "reopened_ticket_count")


def ticket_signals(cr, company_id, partner_ids, date_from, now, with_sla):
    """``{commercial partner id: (open, late, reopened)}`` for the partners
    with any ticket signal in ``company_id`` (tickets of other companies never
    count):

    - open: active tickets in a stage that is not closed;
    - late: open tickets, or tickets closed since ``date_from``, with an SLA
      expired or in progress past its deadline (``with_sla``: only when
      helpdesk_mgmt_sla is installed, else 0);
    - reopened: tickets moved from a closed stage back to an open one since
      ``date_from``.
    """
    if with_sla:
        late = SQL(
            """
            EXISTS (SELECT 1 FROM helpdesk_ticket_sla s
                     WHERE s.ticket_id = t.id
                       AND (s.state = 'expired'
                            OR (s.state = 'in_progress'
                                AND s.deadline < %(now)s)))
            """,
            now=now,
        )
    else:
        late = SQL("FALSE")
    datetime_from = datetime.combine(date_from, time.min)
    cr.execute(
        SQL(
            """
            WITH ticket AS (
                SELECT t.commercial_partner_id AS partner_id,
                       t.active AND NOT COALESCE(st.closed, FALSE) AS is_open,
                       t.closed_date,
                       t.relationship_date_reopened,
                       %(late)s AS is_late
                  FROM helpdesk_ticket t
                  LEFT JOIN helpdesk_ticket_stage st ON st.id = t.stage_id
                 WHERE t.company_id = %(company_id)s
                   AND t.commercial_partner_id = ANY(%(partner_ids)s::int[])
            )
            SELECT partner_id,
                   COUNT(*) FILTER (WHERE is_open),
                   COUNT(*) FILTER (WHERE is_late
                                      AND (is_open
                                           OR closed_date >= %(datetime_from)s)),
                   COUNT(*) FILTER (WHERE relationship_date_reopened
                                          >= %(datetime_from)s)
              FROM ticket
             GROUP BY partner_id
            HAVING COUNT(*) FILTER (WHERE is_open
                                      OR is_late
                                      OR relationship_date_reopened
                                         >= %(datetime_from)s) > 0
            """,
            late=late,
            company_id=company_id,
            partner_ids=array_literal(partner_ids),
            datetime_from=datetime_from,
        )
    )
    return {
        pid: (opened, late, reopened) for pid, opened, late, reopened in cr.fetchall()
    }


def service_issues(signals):
    """The service issues of one partner's ``(open, late, reopened)``."""
    return sum(signals)
