"""The business-side KPIs ``relationship_brm`` adds to the catalogue of
``relationship_mgmt`` (see ``relationship_mgmt/engine/kpi.py`` for the
contract): disputes, obligations, trust and deliveries of one company over
one period, one query each. They read the stored dispute times and SLA
outcome, the measured obligation periods, the trust snapshots, and the
delivery rules of the obligation engine."""

from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

from odoo.addons.relationship_mgmt.engine.kpi import Kpi, end_of, start_of

from .obligations import delivered_on_time, delivery_deadline, delivery_judged

_lt = LazyTranslate(__name__)


def _disputes(company_id, date_field, date_from, date_to, extra=None):
    return SQL(
        """
        SELECT * FROM relationship_dispute
         WHERE company_id = %(company_id)s AND active
           AND %(date_field)s >= %(date_from)s AND %(date_field)s < %(date_to)s
           %(extra)s
        """,
        company_id=company_id,
        date_field=SQL.identifier(date_field),
        date_from=start_of(date_from),
        date_to=end_of(date_to),
        extra=extra or SQL(),
    )


def dispute_rate_query(company_id, date_from, date_to, today):
    """Disputes opened in the period per customer invoice posted in it."""
    return SQL(
        """
        WITH dispute AS (%(disputes)s), invoice AS (
            SELECT id FROM account_move
             WHERE company_id = %(company_id)s AND state = 'posted'
               AND move_type = 'out_invoice'
               AND invoice_date >= %(date_from)s AND invoice_date <= %(date_to)s
        )
        SELECT (SELECT COUNT(*) FROM dispute), (SELECT COUNT(*) FROM invoice),
               (SELECT ARRAY_AGG(id ORDER BY id) FROM dispute),
               (SELECT ARRAY_AGG(id ORDER BY id) FROM invoice)
        """,
        disputes=_disputes(company_id, "date_open", date_from, date_to),
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
    )


def _dispute_hours_query(company_id, date_from, date_to, date_field, hours_field):
    return SQL(
        """
        SELECT SUM(%(hours)s), COUNT(*),
               ARRAY_AGG(id ORDER BY id), ARRAY_AGG(id ORDER BY id)
          FROM (%(disputes)s) dispute
        """,
        hours=SQL.identifier(hours_field),
        disputes=_disputes(company_id, date_field, date_from, date_to),
    )


def response_hours_query(company_id, date_from, date_to, today):
    """Hours to first response of the disputes first answered in the period."""
    return _dispute_hours_query(
        company_id, date_from, date_to, "date_first_response", "response_time_hours"
    )


def resolution_hours_query(company_id, date_from, date_to, today):
    """Hours to resolution of the disputes closed in the period."""
    return _dispute_hours_query(
        company_id, date_from, date_to, "date_closed", "resolution_time_hours"
    )


def sla_compliance_query(company_id, date_from, date_to, today):
    """Disputes opened in the period whose SLA is decided: met over decided."""
    return SQL(
        """
        SELECT COUNT(*) FILTER (WHERE sla_state = 'met'), COUNT(*),
               ARRAY_AGG(id ORDER BY id) FILTER (WHERE sla_state = 'met'),
               ARRAY_AGG(id ORDER BY id)
          FROM (%(disputes)s) dispute
        """,
        disputes=_disputes(
            company_id,
            "date_open",
            date_from,
            date_to,
            SQL("AND sla_state IN ('met', 'breached')"),
        ),
    )


def dispute_credit_notes_query(company_id, date_from, date_to, today):
    """Credit notes posted in the period that settle a dispute, among all
    the credit notes (customer and vendor) posted in it."""
    return SQL(
        """
        WITH refund AS (
            SELECT am.id, EXISTS (
                       SELECT 1 FROM relationship_dispute_credit_note_rel rel
                        WHERE rel.move_id = am.id
                   ) AS from_dispute
              FROM account_move am
             WHERE am.company_id = %(company_id)s AND am.state = 'posted'
               AND am.move_type IN ('out_refund', 'in_refund')
               AND am.invoice_date >= %(date_from)s
               AND am.invoice_date <= %(date_to)s
        )
        SELECT COUNT(*) FILTER (WHERE from_dispute), COUNT(*),
               ARRAY_AGG(id ORDER BY id) FILTER (WHERE from_dispute),
               ARRAY_AGG(id ORDER BY id)
          FROM refund
        """,
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
    )


def obligation_compliance_query(company_id, date_from, date_to, today):
    """Obligation periods ending in the period that could be judged (as the
    trust score counts them): met over measured."""
    return SQL(
        """
        SELECT COUNT(*) FILTER (WHERE status = 'met'), COUNT(*),
               ARRAY_AGG(id ORDER BY id) FILTER (WHERE status = 'met'),
               ARRAY_AGG(id ORDER BY id)
          FROM relationship_obligation_period
         WHERE company_id = %(company_id)s
           AND date_to >= %(date_from)s AND date_to <= %(date_to)s
           AND status IN ('met', 'at_risk', 'breached')
        """,
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
    )


def supplier_trust_query(company_id, date_from, date_to, today):
    """Average trust score of the business partners at the end of the
    period (their last snapshot up to then)."""
    return SQL(
        """
        WITH last AS (
            SELECT DISTINCT ON (partner_id) id, score
              FROM relationship_trust_snapshot
             WHERE company_id = %(company_id)s AND date <= %(date_to)s
             ORDER BY partner_id, date DESC, id DESC
        )
        SELECT SUM(score), COUNT(*), ARRAY_AGG(id ORDER BY id),
               ARRAY_AGG(id ORDER BY id)
          FROM last
        """,
        company_id=company_id,
        date_to=date_to,
    )


def on_time_delivery_query(company_id, date_from, date_to, today):
    """Deliveries to customers due in the period (and judged: done, or past
    their deadline) done by their deadline - the obligations' rule."""
    return SQL(
        """
        WITH picking AS (
            SELECT sp.id, sp.state, sp.date_done, %(deadline)s AS deadline
              FROM stock_picking sp
              JOIN stock_picking_type spt
                ON spt.id = sp.picking_type_id AND spt.code = 'outgoing'
             WHERE sp.company_id = %(company_id)s AND sp.state != 'cancel'
        ), judged AS (
            SELECT picking.id, %(on_time)s AS ok
              FROM picking
             WHERE picking.deadline >= %(date_from)s
               AND picking.deadline <= LEAST(%(date_to)s::date, %(today)s::date)
               AND %(judged)s
        )
        SELECT COUNT(*) FILTER (WHERE ok), COUNT(*),
               ARRAY_AGG(id ORDER BY id) FILTER (WHERE ok),
               ARRAY_AGG(id ORDER BY id)
          FROM judged
        """,
        deadline=delivery_deadline("sp"),
        on_time=delivered_on_time("picking"),
        judged=delivery_judged("picking", today),
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
        today=today,
    )


def in_full_delivery_query(company_id, date_from, date_to, today):
    """Quantities delivered (up to the ordered ones) over quantities ordered,
    on the confirmed sale order lines whose first delivery fell due in the
    period - the obligations' rule; the documents are the orders (numerator:
    those delivered in full)."""
    return SQL(
        """
        WITH line AS (
            SELECT sol.order_id, sol.product_uom_qty AS ordered,
                   LEAST(sol.qty_delivered, sol.product_uom_qty) AS delivered,
                   MIN(%(deadline)s) AS due
              FROM sale_order so
              JOIN sale_order_line sol ON sol.order_id = so.id
              JOIN stock_move sm ON sm.sale_line_id = sol.id
              JOIN stock_picking sp ON sp.id = sm.picking_id
              JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
             WHERE so.company_id = %(company_id)s AND so.state = 'sale'
               AND sol.product_uom_qty > 0
               AND spt.code = 'outgoing' AND sp.state != 'cancel'
             GROUP BY sol.id
        ), judged AS (
            SELECT order_id, SUM(ordered) AS ordered, SUM(delivered) AS delivered
              FROM line
             WHERE due >= %(date_from)s
               AND due <= LEAST(%(date_to)s::date, %(today)s::date)
             GROUP BY order_id
        )
        SELECT SUM(delivered), SUM(ordered),
               ARRAY_AGG(order_id ORDER BY order_id)
                   FILTER (WHERE delivered >= ordered),
               ARRAY_AGG(order_id ORDER BY order_id)
          FROM judged
        """,
        deadline=delivery_deadline("sp"),
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
        today=today,
    )


def catalogue():
    dispute, move = "relationship.dispute", "account.move"
    return [
        Kpi(
            "dispute_rate",
            _lt("Disputes per 100 invoices"),
            "per_100",
            dispute_rate_query,
            dispute,
            move,
            bounds=(0.0, None),
            higher_is_better=False,
            help=_lt(
                "Disputes opened in the period per 100 customer invoices posted in it."
            ),
            sequence=110,
        ),
        Kpi(
            "dispute_response_hours",
            _lt("Mean hours to first response"),
            "hours",
            response_hours_query,
            dispute,
            dispute,
            scale=1.0,
            bounds=(0.0, None),
            higher_is_better=False,
            help=_lt(
                "Average hours from opening to first response of the disputes "
                "first answered in the period."
            ),
            sequence=111,
        ),
        Kpi(
            "dispute_resolution_hours",
            _lt("Mean hours to resolution"),
            "hours",
            resolution_hours_query,
            dispute,
            dispute,
            scale=1.0,
            bounds=(0.0, None),
            higher_is_better=False,
            help=_lt(
                "Average hours from opening to closing of the disputes closed "
                "in the period."
            ),
            sequence=112,
        ),
        Kpi(
            "dispute_sla_compliance",
            _lt("Dispute SLA compliance"),
            "percent",
            sla_compliance_query,
            dispute,
            dispute,
            help=_lt(
                "Disputes opened in the period whose SLA was met, over those "
                "whose SLA is decided (met or breached)."
            ),
            sequence=113,
        ),
        Kpi(
            "dispute_credit_notes",
            _lt("Credit notes from disputes"),
            "count",
            dispute_credit_notes_query,
            move,
            move,
            scale=None,
            bounds=(0.0, None),
            higher_is_better=False,
            help=_lt(
                "Credit notes posted in the period that settle a dispute (the "
                "denominator counts every credit note of the period)."
            ),
            sequence=114,
        ),
        Kpi(
            "obligation_compliance",
            _lt("Obligation compliance"),
            "percent",
            obligation_compliance_query,
            "relationship.obligation.period",
            "relationship.obligation.period",
            help=_lt(
                "Obligation periods ending in the period that were met, over "
                "those measured."
            ),
            sequence=120,
        ),
        Kpi(
            "supplier_trust",
            _lt("Average partner trust"),
            "score",
            supplier_trust_query,
            "relationship.trust.snapshot",
            "relationship.trust.snapshot",
            scale=1.0,
            help=_lt(
                "Average trust score (0-100) of the business partners at the "
                "end of the period."
            ),
            sequence=121,
        ),
        Kpi(
            "on_time_delivery",
            _lt("On-time delivery"),
            "percent",
            on_time_delivery_query,
            "stock.picking",
            "stock.picking",
            help=_lt(
                "Deliveries due in the period done by their deadline (an open "
                "delivery past its deadline is late)."
            ),
            sequence=130,
        ),
        Kpi(
            "in_full_delivery",
            _lt("In-full delivery"),
            "percent",
            in_full_delivery_query,
            "sale.order",
            "sale.order",
            help=_lt(
                "Quantities delivered over quantities ordered, on the order "
                "lines whose delivery fell due in the period."
            ),
            sequence=131,
        ),
    ]
