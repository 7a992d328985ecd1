from odoo import models
from odoo.tools import SQL

from ..engine import obligations as engine


class RelationshipAgreementObligation(models.Model):
    """The "maximum disputes" obligations measured from the disputes."""

    _inherit = "relationship.agreement.obligation"

    def _measure_disputes(self, periods, today):
        """Disputes opened in each period: those tied to the agreement, and
        those of the agreement's partner (in its company) tied to no
        agreement. Every dispute counts, whatever its outcome (archived ones
        excepted). All periods in one query; a period without dispute
        measures 0."""
        self.env["relationship.dispute"].flush_model()
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT per.obligation_id, per.date_from, COUNT(d.id),
                       ARRAY_AGG('relationship.dispute:' || d.id ORDER BY d.id)
                           FILTER (WHERE d.id IS NOT NULL)
                  FROM %(periods)s
                  JOIN relationship_agreement a ON a.id = per.agreement_id
                  LEFT JOIN relationship_dispute d
                    ON d.active
                   AND (d.agreement_id = a.id
                        OR (d.agreement_id IS NULL
                            AND d.commercial_partner_id = a.partner_id
                            AND d.company_id = a.company_id))
                   AND d.date_open::date >= per.date_from
                   AND d.date_open::date <= LEAST(per.date_to, %(today)s::date)
                 GROUP BY per.obligation_id, per.date_from
                """,
                periods=engine._periods(periods),
                today=today,
            )
        )
        return {
            (obligation_id, date_from): {
                "measured": count,
                "actual": float(count),
                "documents": documents or [],
                "failing": documents or [],
            }
            for obligation_id, date_from, count, documents in cr.fetchall()
        }
