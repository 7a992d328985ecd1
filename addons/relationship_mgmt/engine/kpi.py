"""The catalogue of service-quality KPIs and their measurement.

A KPI is measured for one company and one period (a month or a quarter) by
one parameterised query over the company's documents. The query returns one
row: the numerator, the denominator, and the ids of the documents behind
each (so that every stored figure opens the records it counts). The value is
``scale * numerator / denominator`` (no data when the denominator is zero),
or the numerator itself for KPIs that are amounts or counts (``scale=None``).

Each query reads the definitions the addons already report with: the
orders and invoiced revenue of the customers as "Customers by Month"
(``relationship.customer.month.report``) counts them, won
opportunities and their first order from ``relationship.conversion.report``,
the stored CSAT/NPS category of ``relationship.satisfaction``, the stored
churn risk of ``relationship.analytics``, the completion and response rules
of the post-sale programs. ``relationship_brm`` adds its KPIs by extending
``relationship.kpi.measurement._kpi_catalogue()``.

Functions take plain values and return SQL or plain values; nothing here
writes.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo.tools import SQL
from odoo.tools.translate import LazyGettext, LazyTranslate

from .analytics import HIGH_RISK

_lt = LazyTranslate(__name__)

PERIOD_TYPES = [("month", "Month"), ("quarter", "Quarter")]
PERIOD_MONTHS = {"month": 1, "quarter": 3}
UNITS = [
    ("percent", "%"),
    ("score", "Score"),
    ("days", "Days"),
    ("hours", "Hours"),
    ("amount", "Amount"),
    ("count", "Count"),
    ("per_100", "Per 100"),
]


@dataclass(frozen=True)
class Kpi:
    """One KPI of the catalogue.

    :param query: ``query(company_id, date_from, date_to, today)`` → ``SQL``
        selecting ``(numerator, denominator, numerator ids, denominator ids)``
    :param scale: value = scale × numerator / denominator; None: the value is
        the numerator (amounts, counts) and is never "no data"
    :param bounds: (lowest, highest) value a target may have, None for open
    :param higher_is_better: the comparison a new target proposes
    """

    key: str
    label: object
    unit: str
    query: object
    numerator_model: str
    denominator_model: str
    scale: float | None = 100.0
    bounds: tuple = (0.0, 100.0)
    higher_is_better: bool = True
    help: object = ""
    sequence: int = 100

    def value(self, numerator, denominator):
        """The KPI's value, None when there is nothing to measure."""
        if self.scale is None:
            return float(numerator or 0.0)
        if not denominator:
            return None
        return round(self.scale * float(numerator or 0.0) / float(denominator), 4)


def translated(text, lang):
    """A catalogue text (lazy or plain) in ``lang``."""
    if isinstance(text, LazyGettext):
        # pylint: disable=protected-access
        return text._translate(lang or "en_US")
    return text


# ---- Periods ----


def period_bounds(period_type, any_day):
    """``(first day, last day)`` of the month or quarter holding ``any_day``."""
    months = PERIOD_MONTHS[period_type]
    start = date(any_day.year, any_day.month - (any_day.month - 1) % months, 1)
    return start, start + relativedelta(months=months, days=-1)


def previous_period(period_type, date_from):
    """First day of the period before the one starting on ``date_from``."""
    return date_from - relativedelta(months=PERIOD_MONTHS[period_type])


def periods_between(period_type, date_from, date_to):
    """First days of the periods from the one holding ``date_from`` to the one
    holding ``date_to``, oldest first."""
    start = period_bounds(period_type, date_from)[0]
    result = []
    while start <= date_to:
        result.append(start)
        start += relativedelta(months=PERIOD_MONTHS[period_type])
    return result


def period_label(period_type, date_from):
    """``2026-05`` for a month, ``2026-Q2`` for a quarter."""
    if period_type == "quarter":
        return f"{date_from.year}-Q{(date_from.month - 1) // 3 + 1}"
    return f"{date_from.year}-{date_from.month:02d}"


def parse_period(text):
    """``(period type, first day)`` of ``2026-05`` or ``2026-Q2``, None when
    the text is neither."""
    if not isinstance(text, str):
        return None
    parts = text.strip().upper().split("-")
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[0]) != 4:
        return None
    year = int(parts[0])
    if parts[1].startswith("Q") and parts[1][1:] in ("1", "2", "3", "4"):
        return "quarter", date(year, 3 * int(parts[1][1:]) - 2, 1)
    if parts[1].isdigit() and len(parts[1]) == 2 and 1 <= int(parts[1]) <= 12:
        return "month", date(year, int(parts[1]), 1)
    return None


def start_of(day):
    """The first moment of ``day`` (datetime columns are naive UTC)."""
    return datetime.combine(day, time.min)


def end_of(day):
    """The first moment after ``day``."""
    return datetime.combine(day + timedelta(days=1), time.min)


# ---- Customer KPIs ----


def _customer_orders(company_id, date_from, date_to):
    """The confirmed orders of the company's customers (commercial entities,
    the companies' own partners left out) placed from ``date_from`` to
    ``date_to``: the rows "Customers by Month" counts as orders
    (``test_kpi`` checks that both count the same customers). Read from
    ``sale_order`` itself, whose ``date_order`` index the report's monthly
    grouping cannot use."""
    return SQL(
        """
        SELECT p.commercial_partner_id AS partner_id, so.date_order
          FROM sale_order so
          JOIN res_partner p ON p.id = so.partner_id
         WHERE so.company_id = %(company_id)s AND so.state = 'sale'
           AND so.date_order >= %(date_from)s AND so.date_order < %(date_to)s
           AND p.commercial_partner_id NOT IN (SELECT partner_id FROM res_company)
        """,
        company_id=company_id,
        date_from=start_of(date_from),
        date_to=end_of(date_to),
    )


def _retention_query(company_id, date_from, date_to, today, period_type, kept):
    previous_from = previous_period(period_type, date_from)
    numerator = SQL(
        "this_period.partner_id IS NOT NULL"
        if kept
        else "this_period.partner_id IS NULL"
    )
    return SQL(
        """
        WITH orders AS (%(orders)s),
        last_period AS (
            SELECT DISTINCT partner_id FROM orders WHERE date_order < %(date_from)s
        ), this_period AS (
            SELECT DISTINCT partner_id FROM orders WHERE date_order >= %(date_from)s
        )
        SELECT COUNT(*) FILTER (WHERE %(numerator)s), COUNT(*),
               ARRAY_AGG(last_period.partner_id ORDER BY last_period.partner_id)
                   FILTER (WHERE %(numerator)s),
               ARRAY_AGG(last_period.partner_id ORDER BY last_period.partner_id)
          FROM last_period
          LEFT JOIN this_period
            ON this_period.partner_id = last_period.partner_id
        """,
        orders=_customer_orders(company_id, previous_from, date_to),
        date_from=start_of(date_from),
        numerator=numerator,
    )


def retention_query(period_type):
    def query(company_id, date_from, date_to, today):
        return _retention_query(
            company_id, date_from, date_to, today, period_type, kept=True
        )

    return query


def churn_query(period_type):
    def query(company_id, date_from, date_to, today):
        return _retention_query(
            company_id, date_from, date_to, today, period_type, kept=False
        )

    return query


def repeat_purchase_query(company_id, date_from, date_to, today):
    """Customers who ordered in the period; numerator: those with two
    confirmed orders or more up to its end."""
    return SQL(
        """
        WITH buyer AS (
            SELECT partner_id, COUNT(*) AS orders
              FROM (%(orders)s) orders
             GROUP BY partner_id
            HAVING MAX(date_order) >= %(date_from)s
        )
        SELECT COUNT(*) FILTER (WHERE orders >= 2), COUNT(*),
               ARRAY_AGG(partner_id ORDER BY partner_id) FILTER (WHERE orders >= 2),
               ARRAY_AGG(partner_id ORDER BY partner_id)
          FROM buyer
        """,
        orders=_customer_orders(company_id, date(1900, 1, 1), date_to),
        date_from=start_of(date_from),
    )


def conversion_query(company_id, date_from, date_to, today):
    """Opportunities won in the period; numerator: those that brought the
    customer's first confirmed order (the Lead Conversion report's rule)."""
    return SQL(
        """
        SELECT COUNT(*) FILTER (WHERE is_new_customer), COUNT(*),
               ARRAY_AGG(lead_id ORDER BY lead_id) FILTER (WHERE is_new_customer),
               ARRAY_AGG(lead_id ORDER BY lead_id)
          FROM relationship_conversion_report
         WHERE company_id = %(company_id)s
           AND date_won >= %(date_from)s AND date_won <= %(date_to)s
        """,
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
    )


def days_to_first_order_query(company_id, date_from, date_to, today):
    """Days from opportunity to first order, over those won in the period
    that brought one."""
    return SQL(
        """
        SELECT SUM(days_to_first_order), COUNT(*),
               ARRAY_AGG(lead_id ORDER BY lead_id),
               ARRAY_AGG(lead_id ORDER BY lead_id)
          FROM relationship_conversion_report
         WHERE company_id = %(company_id)s AND is_new_customer
           AND date_won >= %(date_from)s AND date_won <= %(date_to)s
        """,
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
    )


def _satisfaction_query(company_id, date_from, date_to, kind, numerator):
    return SQL(
        """
        SELECT %(numerator)s, COUNT(*),
               ARRAY_AGG(id ORDER BY id), ARRAY_AGG(id ORDER BY id)
          FROM relationship_satisfaction
         WHERE company_id = %(company_id)s AND kind = %(kind)s
           AND date >= %(date_from)s AND date < %(date_to)s
        """,
        numerator=numerator,
        company_id=company_id,
        kind=kind,
        date_from=start_of(date_from),
        date_to=end_of(date_to),
    )


def csat_query(company_id, date_from, date_to, today):
    """CSAT answers (1-5) of the period: their sum over their count."""
    return _satisfaction_query(
        company_id, date_from, date_to, "csat", SQL("SUM(value)")
    )


def nps_query(company_id, date_from, date_to, today):
    """NPS answers of the period: promoters minus detractors over answers."""
    return _satisfaction_query(
        company_id,
        date_from,
        date_to,
        "nps",
        SQL(
            "COUNT(*) FILTER (WHERE nps_category = 'promoter')"
            " - COUNT(*) FILTER (WHERE nps_category = 'detractor')"
        ),
    )


def tier_share_query(tier):
    def query(company_id, date_from, date_to, today):
        """Customers in ``tier`` at the end of the period (their last
        engagement snapshot up to then), over customers with a snapshot."""
        return SQL(
            """
            WITH last AS (
                SELECT DISTINCT ON (partner_id) id, tier
                  FROM relationship_engagement_snapshot
                 WHERE company_id = %(company_id)s AND date <= %(date_to)s
                 ORDER BY partner_id, date DESC, id DESC
            )
            SELECT COUNT(*) FILTER (WHERE tier = %(tier)s), COUNT(*),
                   ARRAY_AGG(id ORDER BY id) FILTER (WHERE tier = %(tier)s),
                   ARRAY_AGG(id ORDER BY id)
              FROM last
            """,
            company_id=company_id,
            date_to=date_to,
            tier=tier,
        )

    return query


def revenue_at_risk_query(company_id, date_from, date_to, today):
    """Revenue invoiced in the period (net of refunds, the "Customers by
    Month" rule) by the customers whose churn risk is High; the denominator
    is the revenue of every customer."""
    return SQL(
        """
        WITH revenue AS (
            SELECT am.commercial_partner_id AS partner_id,
                   SUM(am.amount_untaxed_signed) AS amount,
                   BOOL_OR(COALESCE(ra.order_count > 0 AND ra.churn_risk >= %(high)s,
                                    FALSE)) AS at_risk
              FROM account_move am
              LEFT JOIN relationship_analytics ra
                ON ra.partner_id = am.commercial_partner_id
               AND ra.company_id = am.company_id
             WHERE am.company_id = %(company_id)s AND am.state = 'posted'
               AND am.move_type IN ('out_invoice', 'out_refund')
               AND am.invoice_date >= %(date_from)s AND am.invoice_date <= %(date_to)s
               AND am.commercial_partner_id NOT IN (SELECT partner_id FROM res_company)
             GROUP BY am.commercial_partner_id
            HAVING SUM(am.amount_untaxed_signed) != 0
        )
        SELECT COALESCE(SUM(amount) FILTER (WHERE at_risk), 0), SUM(amount),
               ARRAY_AGG(partner_id ORDER BY partner_id) FILTER (WHERE at_risk),
               ARRAY_AGG(partner_id ORDER BY partner_id)
          FROM revenue
        """,
        high=HIGH_RISK,
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
    )


def program_completion_query(company_id, date_from, date_to, today):
    """Program enrolments started in the period that ran every step (the
    programs' completion rule: done over all enrolments)."""
    return SQL(
        """
        SELECT COUNT(*) FILTER (WHERE state = 'done'), COUNT(*),
               ARRAY_AGG(id ORDER BY id) FILTER (WHERE state = 'done'),
               ARRAY_AGG(id ORDER BY id)
          FROM relationship_program_enrolment
         WHERE company_id = %(company_id)s
           AND date_start >= %(date_from)s AND date_start < %(date_to)s
        """,
        company_id=company_id,
        date_from=start_of(date_from),
        date_to=end_of(date_to),
    )


def program_response_query(company_id, date_from, date_to, today):
    """Program surveys sent in the period that the customers answered (the
    programs' response rule)."""
    return SQL(
        """
        SELECT COUNT(*) FILTER (WHERE is_responded), COUNT(*),
               ARRAY_AGG(id ORDER BY id) FILTER (WHERE is_responded),
               ARRAY_AGG(id ORDER BY id)
          FROM relationship_program_enrolment_line
         WHERE company_id = %(company_id)s AND action = 'survey' AND state = 'done'
           AND date_done >= %(date_from)s AND date_done < %(date_to)s
        """,
        company_id=company_id,
        date_from=start_of(date_from),
        date_to=end_of(date_to),
    )


def catalogue(period_type, tiers):
    """The KPIs of ``relationship_mgmt`` for periods of ``period_type``
    (retention compares with the period before, of the same length).

    :param tiers: the engagement tiers ``[(key, label)]``
    """
    partner, lead = "res.partner", "crm.lead"
    kpis = [
        Kpi(
            "retention_rate",
            _lt("Customer retention rate"),
            "percent",
            retention_query(period_type),
            partner,
            partner,
            help=_lt(
                "Customers who ordered in the previous period and ordered "
                "again in this one."
            ),
            sequence=10,
        ),
        Kpi(
            "churn_rate",
            _lt("Customer churn rate"),
            "percent",
            churn_query(period_type),
            partner,
            partner,
            higher_is_better=False,
            help=_lt(
                "Customers who ordered in the previous period and did not "
                "order in this one."
            ),
            sequence=11,
        ),
        Kpi(
            "conversion_rate",
            _lt("New-customer conversion"),
            "percent",
            conversion_query,
            lead,
            lead,
            help=_lt("Opportunities won in the period that brought a first order."),
            sequence=20,
        ),
        Kpi(
            "days_to_first_order",
            _lt("Days to first order"),
            "days",
            days_to_first_order_query,
            lead,
            lead,
            scale=1.0,
            bounds=(0.0, None),
            higher_is_better=False,
            help=_lt(
                "Average days from opportunity to first order, over the "
                "opportunities won in the period that brought one."
            ),
            sequence=21,
        ),
        Kpi(
            "repeat_purchase_rate",
            _lt("Repeat-purchase rate"),
            "percent",
            repeat_purchase_query,
            partner,
            partner,
            help=_lt(
                "Customers who ordered in the period and have two confirmed "
                "orders or more."
            ),
            sequence=30,
        ),
        Kpi(
            "csat_average",
            _lt("Average CSAT"),
            "score",
            csat_query,
            "relationship.satisfaction",
            "relationship.satisfaction",
            scale=1.0,
            bounds=(1.0, 5.0),
            help=_lt("Average CSAT answer (1-5) of the period."),
            sequence=40,
        ),
        Kpi(
            "nps",
            _lt("Net Promoter Score"),
            "score",
            nps_query,
            "relationship.satisfaction",
            "relationship.satisfaction",
            bounds=(-100.0, 100.0),
            help=_lt(
                "Promoters (9-10) minus detractors (0-6), in % of the NPS "
                "answers of the period."
            ),
            sequence=41,
        ),
        Kpi(
            "revenue_at_risk",
            _lt("Revenue at risk"),
            "amount",
            revenue_at_risk_query,
            partner,
            partner,
            scale=None,
            bounds=(0.0, None),
            higher_is_better=False,
            help=_lt(
                "Revenue invoiced in the period by customers whose churn risk is High."
            ),
            sequence=60,
        ),
        Kpi(
            "program_completion_rate",
            _lt("Program completion rate"),
            "percent",
            program_completion_query,
            "relationship.program.enrolment",
            "relationship.program.enrolment",
            help=_lt("Program enrolments started in the period that ran every step."),
            sequence=70,
        ),
        Kpi(
            "program_response_rate",
            _lt("Program response rate"),
            "percent",
            program_response_query,
            "relationship.program.enrolment.line",
            "relationship.program.enrolment.line",
            help=_lt("Program surveys sent in the period that were answered."),
            sequence=71,
        ),
    ]
    snapshot = "relationship.engagement.snapshot"
    for index, (tier, tier_label) in enumerate(tiers):
        kpis.append(
            Kpi(
                f"tier_share_{tier}",
                _lt("Customers in tier %(tier)s", tier=tier_label),
                "percent",
                tier_share_query(tier),
                snapshot,
                snapshot,
                help=_lt(
                    "Share of the customers in this engagement tier at the end "
                    "of the period."
                ),
                sequence=50 + index,
            )
        )
    return kpis


def measure(cr, kpis, company_id, date_from, date_to, today):
    """``{key: (numerator, denominator, numerator ids, denominator ids)}``,
    one query per KPI."""
    result = {}
    for kpi in kpis:
        cr.execute(kpi.query(company_id, date_from, date_to, today))
        numerator, denominator, numerator_ids, denominator_ids = cr.fetchone()
        result[kpi.key] = (
            float(numerator or 0.0),
            float(denominator or 0.0),
            numerator_ids or [],
            denominator_ids or [],
        )
    return result


def status(kpi, value, comparison, target):
    """``on_target`` / ``off_target`` / ``no_data`` / ``no_target``."""
    if value is None:
        return "no_data"
    if comparison is None or target is None:
        return "no_target"
    epsilon = 1e-9
    if comparison == "at_least":
        return "on_target" if value >= target - epsilon else "off_target"
    return "on_target" if value <= target + epsilon else "off_target"
