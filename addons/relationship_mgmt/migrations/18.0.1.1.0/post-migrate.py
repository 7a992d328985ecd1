"""18.0.1.1.0: the trend of a score is now taken from the engagement row
itself (its score and the day that score was snapshotted): fill that day from
the snapshots already taken."""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(
        SQL(
            """
            UPDATE relationship_engagement e
               SET date_snapshot = s.last_date
              FROM (SELECT partner_id, company_id, MAX(date) AS last_date
                      FROM relationship_engagement_snapshot
                     GROUP BY partner_id, company_id) s
             WHERE s.partner_id = e.partner_id AND s.company_id = e.company_id
            """
        )
    )
