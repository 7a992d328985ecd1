"""18.0.1.2.1: enrolments are keyed by what a program enrols a customer once
for: the customer for first-order programs, the sale order for deliveries and
invoices of an order. Rekey the existing ones (the first of each key) so that
no new trigger enrols those customers again."""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(
        SQL(
            """
            WITH keyed AS (
                SELECT e.id,
                       CASE WHEN p.trigger = 'first_order' THEN 'first_order'
                            ELSE 'sale.order,' || e.sale_order_id
                       END AS trigger_ref
                  FROM relationship_program_enrolment e
                  JOIN relationship_program p ON p.id = e.program_id
                 WHERE p.trigger = 'first_order'
                    OR (p.trigger IN ('delivery_done', 'invoice_paid')
                        AND e.sale_order_id IS NOT NULL)
            ), first AS (
                SELECT DISTINCT ON (e.program_id, e.partner_id, k.trigger_ref)
                       e.id, k.trigger_ref
                  FROM keyed k
                  JOIN relationship_program_enrolment e ON e.id = k.id
                 ORDER BY e.program_id, e.partner_id, k.trigger_ref, e.id
            )
            UPDATE relationship_program_enrolment e
               SET trigger_ref = first.trigger_ref
              FROM first
             WHERE e.id = first.id
               AND NOT EXISTS (
                   SELECT 1 FROM relationship_program_enrolment other
                    WHERE other.program_id = e.program_id
                      AND other.partner_id = e.partner_id
                      AND other.trigger_ref = first.trigger_ref)
            """
        )
    )
