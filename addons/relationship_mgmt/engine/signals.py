"""Signals and rules that more than one feature reads: when an invoice was
paid and whether that was on time, who is never profiled, id arrays, and the
constants the scores share. Engagement (this addon), trust and obligations
(relationship_brm) all import them from here, so that a customer is punctual
or late in the same way everywhere.
"""

from odoo.tools import SQL

# Groups the relationship features check by name.
RELATIONSHIP_USER_GROUP = "relationship_mgmt.group_relationship_user"
RELATIONSHIP_MANAGER_GROUP = "relationship_mgmt.group_relationship_manager"

# Invoices proper (customer invoices and vendor bills) and, with their refunds,
# every move type that is a business document of a partner.
INVOICE_TYPES = ("out_invoice", "in_invoice")
INVOICE_AND_REFUND_TYPES = ("out_invoice", "in_invoice", "out_refund", "in_refund")

# Payment components: half a point lost per day late on average, 30 at most.
LATENESS_PENALTY_PER_DAY = 0.5
MAX_LATENESS_PENALTY = 30.0
# Engagement's service component loses this per dispute still open ...
OPEN_DISPUTE_PENALTY = 25.0
# ... and trust's dispute component this per dispute opened in its window.
WINDOW_DISPUTE_PENALTY = 20.0


# ----------------------------------------------------------------------
# Id arrays
# ----------------------------------------------------------------------


def array_literal(values):
    """``values`` (numbers, dates, fixed keys or None) as one PostgreSQL array
    literal (``'{1,2,NULL}'``), to cast in the query (``%s::int[]``). A list
    parameter becomes ``ARRAY[...]`` with one constant per element, several
    times slower to parse and plan by the ten thousand; the literal is one
    constant. Never for user text."""
    items = ("NULL" if value is None else str(value) for value in values)
    return "{" + ",".join(items) + "}"


def array(values, sql_type="int4[]"):
    """``array_literal(values)`` cast to ``sql_type``, as SQL."""
    return SQL("%s::%s", array_literal(values), SQL(sql_type))


# ----------------------------------------------------------------------
# Who is never profiled
# ----------------------------------------------------------------------

OPTED_OUT = SQL("SELECT id FROM res_partner WHERE relationship_no_profiling")
OWN_COMPANIES = SQL("SELECT partner_id FROM res_company")
# Colleagues are not customers, whatever they buy.
INTERNAL_USERS = SQL("SELECT partner_id FROM res_users WHERE NOT share")
# Who is never a customer: the companies themselves and their colleagues.
NOT_CUSTOMERS = SQL("%s UNION %s", OWN_COMPANIES, INTERNAL_USERS)


def is_profiled(column, customers=False):
    """SQL true when the partner in ``column`` may be profiled: not one who
    asked not to be (``relationship_no_profiling``) and, for ``customers``,
    not one of the companies' own partners (internal documents) nor an
    internal user's."""
    condition = SQL("%s NOT IN (%s)", column, OPTED_OUT)
    if customers:
        condition = SQL("%s AND %s NOT IN (%s)", condition, column, NOT_CUSTOMERS)
    return condition


def not_customer_ids(cr):
    """Partners who are never customers, whatever their documents say: the
    companies' own and the internal users'. Neither scored nor enrolled in
    post-sale programs nor given demo disputes."""
    cr.execute(NOT_CUSTOMERS)
    return {row[0] for row in cr.fetchall()}


def excluded_partner_ids(cr):
    """Partners never profiled as customers: the companies' own, the internal
    users' and those who asked not to be."""
    cr.execute(SQL("%s UNION %s", NOT_CUSTOMERS, OPTED_OUT))
    return {row[0] for row in cr.fetchall()}


def profiled_ids(cr, partner_ids):
    """``partner_ids`` but those who asked not to be profiled, sorted."""
    cr.execute(
        SQL(
            "SELECT id FROM res_partner WHERE id = ANY(%s::int[]) AND %s ORDER BY 1",
            array_literal(partner_ids),
            is_profiled(SQL("id")),
        )
    )
    return [row[0] for row in cr.fetchall()]


# ----------------------------------------------------------------------
# Payment punctuality
# ----------------------------------------------------------------------


def invoice_payments(where, move_types=("out_invoice",), columns=None):
    """A query of one row per posted invoice of ``move_types`` (customer
    invoices, vendor bills) that has a due date and matches ``where`` (SQL on
    ``am``): ``move_id``, ``due``, ``is_paid``, ``paid_date`` and the
    ``columns`` (``{name: SQL on am}``).

    The payment date is that of the latest entry (payment, credit note)
    reconciled with the invoice's receivable or payable lines: the day the
    money came in or went out. Not the reconciliation's ``max_date``, which
    is the later of both lines' dates and so becomes the invoice's own
    accounting date when that is later than the payment (an invoice booked
    in a later period, a payment received in advance and matched on
    posting): such an invoice, paid before its due date, would count as late.
    """
    received = "out_invoice" in move_types
    paid = "in_invoice" in move_types
    both = received and paid
    joins = []
    dates = []
    for side, move_type, line, counterpart in (
        ("received", "out_invoice", "debit_move_id", "credit_move_id"),
        ("paid", "in_invoice", "credit_move_id", "debit_move_id"),
    ):
        if move_type not in move_types:
            continue
        partial = SQL.identifier(side)
        entry = SQL.identifier(f"{side}_entry")
        joins.append(
            SQL(
                """
                LEFT JOIN account_partial_reconcile %(partial)s
                       ON %(type)s %(partial)s.%(line)s = aml.id
                LEFT JOIN account_move_line %(entry)s
                       ON %(entry)s.id = CASE
                          WHEN %(partial)s.max_date <= aml.date
                          THEN %(partial)s.%(counterpart)s END
                """,
                partial=partial,
                entry=entry,
                type=SQL("am.move_type = %s AND", move_type) if both else SQL(),
                line=SQL.identifier(line),
                counterpart=SQL.identifier(counterpart),
            )
        )
        dates.append(
            SQL(
                "CASE WHEN %(partial)s.max_date > aml.date THEN %(partial)s.max_date "
                "ELSE %(entry)s.date END",
                partial=partial,
                entry=entry,
            )
        )
    payment_date = (
        dates[0] if len(dates) == 1 else SQL("COALESCE(%s)", SQL(", ").join(dates))
    )
    extra = SQL("").join(
        SQL(", %s AS %s", expression, SQL.identifier(name))
        for name, expression in (columns or {}).items()
    )
    # One join per side (not one join on an OR, which the planner misjudges by
    # orders of magnitude). The payment's date: a partial reconciliation's
    # max_date is the later of both lines' dates, so when it is after the
    # invoice line's own date it is the counterpart's (payments come after
    # the invoice, nearly always); only a counterpart dated on or before the
    # invoice's date is read from its line (a NULL key for the others: one
    # index read per such payment instead of one per payment, 96,000 at M).
    return SQL(
        """
        SELECT am.id AS move_id, am.invoice_date_due AS due,
               am.payment_state IN ('paid', 'in_payment') AS is_paid,
               MAX(%(payment_date)s) AS paid_date %(extra)s
          FROM account_move am
          JOIN account_move_line aml
            ON aml.move_id = am.id AND aml.display_type = 'payment_term'
          %(joins)s
         WHERE am.state = 'posted'
           AND am.move_type IN %(move_types)s
           AND am.payment_state != 'reversed'
           AND am.invoice_date_due IS NOT NULL
           AND %(where)s
         GROUP BY am.id
        """,
        extra=extra,
        joins=SQL(" ").join(joins),
        payment_date=payment_date,
        move_types=tuple(move_types),
        where=where,
    )


# Over a row of invoice_payments(): paid, and by the due date. An invoice
# marked paid without a dated counterpart (a payment not matched with an
# entry) counts as paid on its due date.
PAID_ON_TIME = SQL("(is_paid AND COALESCE(paid_date, due) <= due)")


def days_late(today):
    """Over a row of ``invoice_payments()``: days from the due date to the
    payment, or to ``today`` while unpaid (negative when paid early)."""
    return SQL(
        "(CASE WHEN is_paid THEN COALESCE(paid_date, due) ELSE %s::date END - due)",
        today,
    )
