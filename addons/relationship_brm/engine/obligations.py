"""Obligations of agreements measured from the documents that reference them.

Every measurement reads all the periods of all the obligations of one kind in
one query: the periods come in as arrays (``unnest``), the documents are
joined by agreement and date. Functions take a cursor and plain values and
return plain values; they never write.

A measured period is ``{"measured": n, "actual": value or None, "documents":
["model:id", ...], "failing": ["model:id", ...]}``: how many items were
judged, the figure compared with the target (None when nothing could be
judged), the documents behind it and those that missed the target.
"""

from datetime import date, timedelta

from odoo.tools import SQL

from odoo.addons.relationship_mgmt.engine import signals
from odoo.addons.relationship_mgmt.engine.signals import array

KINDS = [
    ("on_time_delivery", "On-time delivery rate"),
    ("in_full_delivery", "In-full delivery rate"),
    ("payment_punctuality", "Payment punctuality"),
    ("min_volume", "Minimum volume"),
    ("max_volume", "Maximum volume"),
    ("price_compliance", "Price compliance"),
    ("max_disputes", "Maximum disputes"),
]
# Kinds measured as a percentage (0-100) of items that complied.
RATE_KINDS = (
    "on_time_delivery",
    "in_full_delivery",
    "payment_punctuality",
    "price_compliance",
)
# Kinds whose target is a ceiling rather than a floor.
LOWER_IS_BETTER = ("max_volume", "max_disputes")
PERIODS = [
    ("month", "Monthly"),
    ("quarter", "Quarterly"),
    ("year", "Yearly"),
    ("agreement", "Whole agreement"),
]
STATUSES = [
    ("met", "Met"),
    ("at_risk", "At risk"),
    ("breached", "Breached"),
    ("no_data", "No data"),
]
VOLUME_BASES = [("ordered", "Ordered amount"), ("invoiced", "Invoiced amount")]
# Length in months of the calendar periods.
MONTHS = {"month": 1, "quarter": 3, "year": 12}
ONE_DAY = timedelta(days=1)
EPSILON = 1e-6


def period_bounds(period, date_start, date_end, today):
    """``[(date_from, date_to)]`` of the measurement periods of an agreement
    running from ``date_start`` to ``date_end`` that have started by
    ``today``: calendar months, quarters or years clipped to the agreement,
    or the whole agreement."""
    if not date_start or date_start > today:
        return []
    if period == "agreement":
        return [(date_start, date_end or today)]
    step = MONTHS[period]
    last = min(today, date_end) if date_end else today
    # Months counted from year 0, so that a period starts on a multiple of
    # its length (quarters on 0, 3, 6, 9; years on 0); plain date arithmetic,
    # as this runs for every obligation of every refresh.
    month = date_start.year * 12 + date_start.month - 1
    month -= month % step
    bounds = []
    cursor = date(month // 12, month % 12 + 1, 1)
    while cursor <= last:
        month += step
        following = date(month // 12, month % 12 + 1, 1)
        period_end = following - ONE_DAY
        bounds.append(
            (
                max(cursor, date_start),
                min(period_end, date_end) if date_end else period_end,
            )
        )
        cursor = following
    return bounds


def period_status(kind, target, actual, is_open, margin):
    """Met, at risk, breached or no data, for one period.

    A floor (rates, minimum volume) not reached yet is at risk while the
    period runs and breached once it is over. A ceiling (maximum volume,
    disputes) is breached as soon as it is exceeded, and at risk while the
    period runs and its figure is above zero and within ``margin`` percent
    below it."""
    if actual is None:
        return "no_data"
    if kind in LOWER_IS_BETTER:
        if actual > target + EPSILON:
            return "breached"
        if (
            is_open
            and actual > EPSILON
            and actual >= target * (1.0 - margin / 100.0) - EPSILON
        ):
            return "at_risk"
        return "met"
    if actual >= target - EPSILON:
        return "met"
    return "at_risk" if is_open else "breached"


def _periods(periods, **columns):
    """The ``per`` relation (obligation_id, agreement_id, date_from, date_to,
    then ``columns``) built from ``[(obligation id, agreement id, date from,
    date to)]`` and ``columns`` (name: ``array()`` of one value per period)."""
    obligation_ids, agreement_ids, date_froms, date_tos = (
        zip(*periods, strict=True) if periods else ((), (), (), ())
    )
    names = ["obligation_id", "agreement_id", "date_from", "date_to", *columns]
    return SQL(
        "unnest(%s) AS per(%s)",
        SQL(", ").join(
            [
                array(obligation_ids, "int4[]"),
                array(agreement_ids, "int4[]"),
                array(date_froms, "date[]"),
                array(date_tos, "date[]"),
                *columns.values(),
            ]
        ),
        SQL(", ").join(SQL.identifier(name) for name in names),
    )


def _agreement_ids(periods):
    return array(sorted({period[1] for period in periods}), "int4[]")


# Per side of an agreement: its orders, their lines, the stock move's link to
# a line and the direction of the transfers (our deliveries of the sale orders,
# the partner's receipts of the purchase orders).
TRANSFER_SIDES = {
    "sale": ("sale_order", "sale_order_line", "sale_line_id", "outgoing"),
    "purchase": (
        "purchase_order",
        "purchase_order_line",
        "purchase_line_id",
        "incoming",
    ),
}


def _transfers(side, periods):
    """``FROM ... WHERE``: the orders ``o`` of the periods' agreements on
    ``side``, their lines ``l`` and the transfers ``sp`` (not cancelled) of
    the lines' stock moves in the side's direction."""
    order, line, link, code = TRANSFER_SIDES[side]
    return SQL(
        """
        %(order)s o
        JOIN %(line)s l ON l.order_id = o.id
        JOIN stock_move sm ON sm.%(link)s = l.id
        JOIN stock_picking sp ON sp.id = sm.picking_id
        JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
       WHERE o.agreement_id = ANY(%(agreement_ids)s)
         AND spt.code = %(code)s AND sp.state != 'cancel'
        """,
        order=SQL.identifier(order),
        line=SQL.identifier(line),
        link=SQL.identifier(link),
        code=code,
        agreement_ids=_agreement_ids(periods),
    )


def _rate_rows(cr, query):
    """Rows ``(obligation, date_from, measured, good, documents, failing)``
    as measured periods whose actual is the share of good items."""
    cr.execute(query)
    return {
        (obligation_id, date_from): {
            "measured": measured,
            "actual": round(100.0 * good / measured, 2) if measured else None,
            "documents": documents or [],
            "failing": failing or [],
        }
        for obligation_id, date_from, measured, good, documents, failing in (
            cr.fetchall()
        )
    }


def delivery_deadline(picking):
    """The day the transfer ``picking`` (a table alias) is due: its promised
    date, else its scheduled date."""
    return SQL(
        "COALESCE(%(p)s.date_deadline, %(p)s.scheduled_date)::date",
        p=SQL.identifier(picking),
    )


def delivery_judged(picking, today):
    """A transfer is judged once done, or once its deadline has passed (an
    open one is late from then on); ``picking`` has a ``deadline`` column."""
    return SQL(
        "(%(p)s.state = 'done' OR %(p)s.deadline < %(today)s::date)",
        p=SQL.identifier(picking),
        today=today,
    )


def delivered_on_time(picking):
    """Done by its deadline; ``picking`` has a ``deadline`` column."""
    return SQL(
        "(%(p)s.state = 'done' AND %(p)s.date_done::date <= %(p)s.deadline)",
        p=SQL.identifier(picking),
    )


def on_time_delivery(cr, periods, today):
    """Deliveries due in the period (our deliveries of the agreement's sale
    orders, the partner's receipts of its purchase orders) done by their
    deadline. A delivery still open past its deadline counts as late; one due
    later is not judged yet. The deadline is the promised date of the
    transfer, else its scheduled date."""
    return _rate_rows(
        cr,
        SQL(
            """
            WITH picking AS (
                SELECT o.agreement_id, sp.id, sp.state, sp.date_done,
                       %(deadline)s AS deadline
                  FROM %(sale)s
                 UNION
                SELECT o.agreement_id, sp.id, sp.state, sp.date_done,
                       %(deadline)s
                  FROM %(purchase)s
            ), judged AS (
                SELECT per.obligation_id, per.date_from, picking.id,
                       %(on_time)s AS ok
                  FROM %(periods)s
                  JOIN picking ON picking.agreement_id = per.agreement_id
                   AND picking.deadline >= per.date_from
                   AND picking.deadline <= LEAST(per.date_to, %(today)s::date)
                   AND %(judged)s
            )
            SELECT obligation_id, date_from, COUNT(*), COUNT(*) FILTER (WHERE ok),
                   ARRAY_AGG('stock.picking:' || id ORDER BY id),
                   ARRAY_AGG('stock.picking:' || id ORDER BY id) FILTER (WHERE NOT ok)
              FROM judged
             GROUP BY obligation_id, date_from
            """,
            sale=_transfers("sale", periods),
            purchase=_transfers("purchase", periods),
            periods=_periods(periods),
            today=today,
            deadline=delivery_deadline("sp"),
            on_time=delivered_on_time("picking"),
            judged=delivery_judged("picking", today),
        ),
    )


def in_full_delivery(cr, periods, today):
    """Quantities delivered against quantities ordered, over the order lines
    whose first delivery fell due in the period (a line not due yet is not
    judged). Delivered quantities count up to the ordered ones. The failing
    documents are the deliveries of the lines short of their quantity."""
    cr.execute(
        SQL(
            """
            WITH line AS (
                SELECT o.agreement_id, l.product_uom_qty AS ordered,
                       l.qty_delivered AS delivered,
                       MIN(COALESCE(sp.date_deadline, sp.scheduled_date))::date AS due,
                       ARRAY_AGG(DISTINCT sp.id) AS picking_ids
                  FROM %(sale)s
                   AND o.state = 'sale' AND l.product_uom_qty > 0
                 GROUP BY o.agreement_id, l.id
                 UNION ALL
                SELECT o.agreement_id, l.product_qty, l.qty_received,
                       MIN(COALESCE(sp.date_deadline, sp.scheduled_date))::date,
                       ARRAY_AGG(DISTINCT sp.id)
                  FROM %(purchase)s
                   AND o.state IN ('purchase', 'done') AND l.product_qty > 0
                 GROUP BY o.agreement_id, l.id
            ), judged AS (
                SELECT per.obligation_id, per.date_from, line.ordered,
                       LEAST(line.delivered, line.ordered) AS delivered,
                       line.picking_ids,
                       line.delivered >= line.ordered AS ok
                  FROM %(periods)s
                  JOIN line ON line.agreement_id = per.agreement_id
                   AND line.due >= per.date_from
                   AND line.due <= LEAST(per.date_to, %(today)s::date)
            ), picking AS (
                SELECT obligation_id, date_from, unnest(picking_ids) AS id, ok
                  FROM judged
            ), documents AS (
                SELECT obligation_id, date_from,
                       ARRAY_AGG(DISTINCT 'stock.picking:' || id) AS documents,
                       ARRAY_AGG(DISTINCT 'stock.picking:' || id)
                           FILTER (WHERE NOT ok) AS failing
                  FROM picking
                 GROUP BY obligation_id, date_from
            )
            SELECT judged.obligation_id, judged.date_from, COUNT(*),
                   SUM(judged.ordered), SUM(judged.delivered),
                   MIN(documents.documents), MIN(documents.failing)
              FROM judged
              JOIN documents ON documents.obligation_id = judged.obligation_id
               AND documents.date_from = judged.date_from
             GROUP BY judged.obligation_id, judged.date_from
            """,
            sale=_transfers("sale", periods),
            purchase=_transfers("purchase", periods),
            periods=_periods(periods),
            today=today,
        )
    )
    return {
        (obligation_id, date_from): {
            "measured": measured,
            "actual": round(100.0 * delivered / ordered, 2) if ordered else None,
            "documents": documents or [],
            "failing": failing or [],
        }
        for (
            obligation_id,
            date_from,
            measured,
            ordered,
            delivered,
            documents,
            failing,
        ) in cr.fetchall()
    }


def payment_punctuality(cr, periods, today):
    """Invoices of the agreement due in the period paid on time: by the
    partner for customer invoices, by us for vendor bills, as ``signals``
    judges it (shared with engagement and trust). An invoice still open past
    its due date counts as late, one due later is not judged yet."""
    invoices = signals.invoice_payments(
        SQL("am.agreement_id = ANY(%s)", _agreement_ids(periods)),
        move_types=signals.INVOICE_TYPES,
        columns={"agreement_id": SQL("am.agreement_id")},
    )
    return _rate_rows(
        cr,
        SQL(
            """
            WITH invoice AS (%(invoices)s), judged AS (
                SELECT per.obligation_id, per.date_from, invoice.move_id,
                       %(on_time)s AS ok
                  FROM %(periods)s
                  JOIN invoice ON invoice.agreement_id = per.agreement_id
                   AND invoice.due >= per.date_from
                   AND invoice.due <= LEAST(per.date_to, %(today)s::date)
                   AND (invoice.is_paid OR invoice.due < %(today)s::date)
            )
            SELECT obligation_id, date_from, COUNT(*), COUNT(*) FILTER (WHERE ok),
                   ARRAY_AGG('account.move:' || move_id ORDER BY move_id),
                   ARRAY_AGG('account.move:' || move_id ORDER BY move_id)
                       FILTER (WHERE NOT ok)
              FROM judged
             GROUP BY obligation_id, date_from
            """,
            invoices=invoices,
            on_time=signals.PAID_ON_TIME,
            periods=_periods(periods),
            today=today,
        ),
    )


def _agreement_cte(agreement_ids, today):
    """``agreement(id, currency_id, company_currency_id, ratio)``: each
    agreement's currency, its company's, and the rate from the company
    currency to the agreement's as of ``today`` (1 when they are the same)."""
    return SQL(
        """
        agreement AS (
            SELECT ag.id, ag.currency_id, c.currency_id AS company_currency_id,
                   CASE WHEN ag.currency_id = c.currency_id THEN 1.0
                        ELSE COALESCE(
                            (SELECT r.rate FROM res_currency_rate r
                              WHERE r.currency_id = ag.currency_id
                                AND (r.company_id = ag.company_id
                                     OR r.company_id IS NULL)
                                AND r.name <= %(today)s
                              ORDER BY r.company_id NULLS LAST, r.name DESC
                              LIMIT 1), 1.0)
                           / COALESCE(
                            (SELECT r.rate FROM res_currency_rate r
                              WHERE r.currency_id = c.currency_id
                                AND (r.company_id = ag.company_id
                                     OR r.company_id IS NULL)
                                AND r.name <= %(today)s
                              ORDER BY r.company_id NULLS LAST, r.name DESC
                              LIMIT 1), 1.0)
                   END AS ratio
              FROM relationship_agreement ag
              JOIN res_company c ON c.id = ag.company_id
             WHERE ag.id = ANY(%(agreement_ids)s)
        )
        """,
        agreement_ids=array(sorted(agreement_ids), "int4[]"),
        today=today,
    )


def _volume_documents(agreement_ids, today):
    """``WITH`` items ending with ``document(agreement_id, basis, ref, day,
    amount)``: the confirmed orders (basis "ordered") and the posted invoices
    and bills net of refunds (basis "invoiced") of the agreements, untaxed, in
    the agreement's currency (documents in another currency converted through
    their company-currency amount)."""
    return SQL(
        """
        %(agreement)s, document AS (
            SELECT so.agreement_id, 'ordered' AS basis,
                   'sale.order:' || so.id AS ref, so.date_order::date AS day,
                   CASE WHEN so.currency_id = ag.currency_id THEN so.amount_untaxed
                        ELSE so.amount_untaxed / NULLIF(so.currency_rate, 0)
                             * ag.ratio
                   END AS amount
              FROM sale_order so
              JOIN agreement ag ON ag.id = so.agreement_id
             WHERE so.state = 'sale'
             UNION ALL
            SELECT po.agreement_id, 'ordered', 'purchase.order:' || po.id,
                   COALESCE(po.date_approve, po.date_order)::date,
                   CASE WHEN po.currency_id = ag.currency_id THEN po.amount_untaxed
                        ELSE po.amount_untaxed / NULLIF(po.currency_rate, 0)
                             * ag.ratio
                   END
              FROM purchase_order po
              JOIN agreement ag ON ag.id = po.agreement_id
             WHERE po.state IN ('purchase', 'done')
             UNION ALL
            SELECT am.agreement_id, 'invoiced', 'account.move:' || am.id,
                   am.invoice_date,
                   CASE WHEN am.move_type IN ('out_refund', 'in_refund') THEN -1
                        ELSE 1 END
                   * CASE WHEN am.currency_id = ag.currency_id THEN am.amount_untaxed
                          ELSE ABS(am.amount_untaxed_signed) * ag.ratio
                     END
              FROM account_move am
              JOIN agreement ag ON ag.id = am.agreement_id
             WHERE am.state = 'posted'
               AND am.move_type IN ('out_invoice', 'out_refund',
                                    'in_invoice', 'in_refund')
        )
        """,
        agreement=_agreement_cte(agreement_ids, today),
    )


def volume(cr, periods, bases, today):
    """Ordered or invoiced amount of the agreement in each period (the basis
    of each obligation in ``bases``: ``{obligation id: "ordered" or
    "invoiced"}``). Always measured: no document is a volume of 0."""
    # The basis travels with each period: joining it by obligation instead
    # makes the planner expect millions of rows (and compile the query).
    periods = [period for period in periods if period[0] in bases]
    cr.execute(
        SQL(
            """
            WITH %(documents)s
            SELECT per.obligation_id, per.date_from, COUNT(document.ref),
                   COALESCE(SUM(document.amount), 0.0),
                   ARRAY_AGG(document.ref ORDER BY document.ref)
                       FILTER (WHERE document.ref IS NOT NULL)
              FROM %(periods)s
              LEFT JOIN document ON document.agreement_id = per.agreement_id
               AND document.basis = per.basis
               AND document.day >= per.date_from
               AND document.day <= LEAST(per.date_to, %(today)s::date)
             GROUP BY per.obligation_id, per.date_from
            """,
            documents=_volume_documents({period[1] for period in periods}, today),
            periods=_periods(
                periods,
                basis=array([bases[period[0]] for period in periods], "varchar[]"),
            ),
            today=today,
        )
    )
    return {
        (obligation_id, date_from): {
            "measured": measured,
            "actual": round(float(amount), 2),
            "documents": documents or [],
            "failing": [],
        }
        for obligation_id, date_from, measured, amount, documents in cr.fetchall()
    }


def consumption(cr, agreement_ids, today):
    """``{agreement id: (ordered, invoiced)}``: the untaxed amounts of the
    confirmed orders and of the posted invoices net of refunds of each
    agreement, in its currency."""
    cr.execute(
        SQL(
            """
            WITH %(documents)s
            SELECT agreement_id,
                   COALESCE(SUM(amount) FILTER (WHERE basis = 'ordered'), 0.0),
                   COALESCE(SUM(amount) FILTER (WHERE basis = 'invoiced'), 0.0)
              FROM document
             GROUP BY agreement_id
            """,
            documents=_volume_documents(agreement_ids, today),
        )
    )
    return {
        agreement_id: (float(ordered), float(invoiced))
        for agreement_id, ordered, invoiced in cr.fetchall()
    }


def price_compliance(cr, periods, tolerances, today):
    """Share of the invoice lines of products with an agreed price whose unit
    price (after discount, per the product's unit of measure) is at most the
    agreed price plus the obligation's tolerance (``{obligation id: percent}``).
    Lines of posted invoices and bills dated in the period, in the
    agreement's currency, are judged."""
    periods = [period for period in periods if period[0] in tolerances]
    return _rate_rows(
        cr,
        SQL(
            """
            WITH line AS (
                SELECT am.agreement_id, am.id AS move_id, am.invoice_date AS day,
                       aml.price_unit * (1 - COALESCE(aml.discount, 0) / 100.0)
                           * lu.factor / pu.factor AS price,
                       price.price_unit AS agreed
                  FROM account_move am
                  JOIN relationship_agreement ag ON ag.id = am.agreement_id
                  JOIN account_move_line aml
                    ON aml.move_id = am.id AND aml.display_type = 'product'
                  JOIN product_product pp ON pp.id = aml.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  JOIN uom_uom pu ON pu.id = pt.uom_id
                  JOIN uom_uom lu ON lu.id = COALESCE(aml.product_uom_id, pt.uom_id)
                  JOIN relationship_agreement_price price
                    ON price.agreement_id = am.agreement_id
                   AND price.product_id = aml.product_id
                 WHERE am.agreement_id = ANY(%(agreement_ids)s)
                   AND am.state = 'posted'
                   AND am.move_type IN ('out_invoice', 'in_invoice')
                   AND am.currency_id = ag.currency_id
            ), judged AS (
                SELECT per.obligation_id, per.date_from, line.move_id,
                       line.price <= line.agreed * (1 + per.tolerance / 100.0)
                                     + 0.000001 AS ok
                  FROM %(periods)s
                  JOIN line ON line.agreement_id = per.agreement_id
                   AND line.day >= per.date_from
                   AND line.day <= LEAST(per.date_to, %(today)s::date)
            )
            SELECT obligation_id, date_from, COUNT(*), COUNT(*) FILTER (WHERE ok),
                   ARRAY_AGG(DISTINCT 'account.move:' || move_id),
                   ARRAY_AGG(DISTINCT 'account.move:' || move_id)
                       FILTER (WHERE NOT ok)
              FROM judged
             GROUP BY obligation_id, date_from
            """,
            agreement_ids=_agreement_ids(periods),
            periods=_periods(
                periods,
                tolerance=array(
                    [float(tolerances[period[0]]) for period in periods], "float8[]"
                ),
            ),
            today=today,
        ),
    )
