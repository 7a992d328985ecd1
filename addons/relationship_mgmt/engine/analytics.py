"""Set-based customer analytics: purchase rhythm, churn risk, lifetime value,
profitability and purchase patterns.

Each reader runs one query over all the confirmed orders (or posted invoices)
of one company up to a day included (``as_of``: today, or an earlier day for
a back-test, which then sees nothing that happened after it). The customer-base
model (``engine.clv``) is fitted on the purchase summary of the company and
predicts every customer at once (numpy), or, from its stored parameters, the
customers of one shard (each prediction depends on the customer's own history
and the fit alone); the rest is plain Python on the aggregated rows.
"""

import functools
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import numpy as np

from odoo.tools import SQL

from . import clv
from .engagement import partner_filter

_logger = logging.getLogger(__name__)

# A customer with one order has no rhythm of their own: the company's typical
# gap is used, or this when the company has no repeat customer yet.
DEFAULT_GAP_DAYS = 90.0
# Risk while a customer is still within their rhythm (0 at the last order,
# this at the expected next order), then it grows towards 100 with the delay.
IN_RHYTHM_RISK = 25.0
# Up to this many points for a falling engagement score (half its fall).
TREND_RISK = 10.0
HIGH_RISK = 60.0
MEDIUM_RISK = 30.0
# A month is "a buying month" when it has this many times its fair share.
SEASON_FACTOR = 1.5
SEASON_MIN_ORDERS = 4
DAYS_PER_MONTH = 365.25 / 12
# The model's time unit, in days (weeks keep the parameters of order 1).
MODEL_UNIT_DAYS = 7.0
# Below this, a company's history is too thin to fit the model.
MIN_FIT_CUSTOMERS = 20
MIN_REPEAT_CUSTOMERS = 5
MIN_SPEND_CUSTOMERS = 10
# Model setting "auto": the last part of the company's history, at most the
# horizon and at most this share of it, is held out to compare the models.
AUTO = "auto"
VALIDATION_SHARE = 1.0 / 3.0
VALIDATION_MIN_DAYS = 28
# The model used when "auto" cannot validate (the better one in the
# back-tests, bench/README.md).
AUTO_FALLBACK = clv.PARETO_NBD
# A monthly seasonal index needs this much history.
SEASON_MIN_DAYS = 730
# Next purchase windows further than this are not shown.
MAX_WINDOW_DAYS = 3650


def _purchase_days(company_id, until, partner_ids=None):
    """The company's confirmed orders before ``until`` per customer (the
    commercial partner) and day: ``customer_id, day, orders, amount,
    margin`` (company currency), of the customers ``partner_ids`` only when
    given. Several orders on one day are one purchase of the customer-base
    model."""
    return SQL(
        """
        SELECT p.commercial_partner_id AS customer_id,
               so.date_order::date AS day, COUNT(*) AS orders,
               SUM(%(amount)s) AS amount, SUM(%(margin)s) AS margin
          FROM sale_order so
          JOIN res_partner p ON p.id = so.partner_id
         WHERE %(orders)s
         GROUP BY 1, 2
        """,
        amount=_ORDER_AMOUNT,
        margin=_ORDER_MARGIN,
        orders=_confirmed_orders(company_id, until, partner_ids),
    )


# The rate of an order ``so`` (company currency per order currency unit is
# its inverse), and the order's untaxed amount and margin in company currency.
_ORDER_RATE = SQL("COALESCE(NULLIF(so.currency_rate, 0), 1)")
_ORDER_AMOUNT = SQL("so.amount_untaxed / %s", _ORDER_RATE)
_ORDER_MARGIN = SQL("COALESCE(so.margin, 0.0) / %s", _ORDER_RATE)


def _day_after(as_of):
    """The first moment after the day ``as_of``: orders before it count."""
    return datetime.combine(as_of + timedelta(days=1), time.min)


def _confirmed_orders(company_id, until, partner_ids=None):
    """The condition on ``sale_order so`` joined to its partner ``p`` of the
    orders the analytics read (see ``_purchase_days``)."""
    return SQL(
        """
        so.company_id = %(company_id)s
        AND so.state = 'sale'
        AND so.date_order < %(until)s
        AND %(partners)s
        """,
        company_id=company_id,
        until=until,
        partners=partner_filter("p.commercial_partner_id", partner_ids),
    )


def order_rhythm(cr, company_id, as_of):
    """Per commercial partner: confirmed orders up to ``as_of`` (count, first
    and last date, untaxed amount and margin in company currency), the
    purchase *days* the customer-base model counts
    (several orders on one day are one purchase), the days of positive value
    and their amount (the spend model), the average gap in days between
    purchase days and the purchase days per calendar month.

    One query per customer over their orders, which are their purchase days
    when no two fall on one day (nearly every customer: 620 of 18,203 at size
    M share a day); the customers who have such a day are read again per day
    (grouping every customer per day first cost 0.3 s at M, against 0.19 s
    for both reads)."""
    until = _day_after(as_of)
    cr.execute(
        SQL(
            """
            SELECT p.commercial_partner_id, COUNT(*)::int4,
                   MIN(so.date_order)::date, MAX(so.date_order)::date,
                   SUM(%(amount)s), SUM(%(margin)s), COUNT(*)::int4,
                   -- The rate is positive: the amount's sign is the order's.
                   COUNT(*) FILTER (WHERE so.amount_untaxed > 0)::int4,
                   SUM(%(amount)s) FILTER (WHERE so.amount_untaxed > 0),
                   array_agg(EXTRACT(MONTH FROM so.date_order)::int2),
                   COUNT(DISTINCT so.date_order::date) < COUNT(*)
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE %(orders)s
             GROUP BY p.commercial_partner_id
            """,
            amount=_ORDER_AMOUNT,
            margin=_ORDER_MARGIN,
            orders=_confirmed_orders(company_id, until),
        )
    )
    rows = {row[0]: row for row in cr.fetchall()}
    shared = sorted(pid for pid, row in rows.items() if row[10])
    if shared:
        cr.execute(
            SQL(
                """
                SELECT d.customer_id, SUM(d.orders)::int4, MIN(d.day), MAX(d.day),
                       SUM(d.amount), SUM(d.margin), COUNT(*)::int4,
                       COUNT(*) FILTER (WHERE d.amount > 0)::int4,
                       SUM(d.amount) FILTER (WHERE d.amount > 0),
                       array_agg(EXTRACT(MONTH FROM d.day)::int2)
                  FROM (%s) d
                 GROUP BY d.customer_id
                """,
                _purchase_days(company_id, until, partner_ids=shared),
            )
        )
        rows.update((row[0], row) for row in cr.fetchall())
    return {pid: _rhythm(row) for pid, row in rows.items()}


def _rhythm(row):
    """A customer's rhythm from a row of ``order_rhythm``'s reads."""
    return {
        "order_count": row[1],
        "first_order_date": row[2],
        "last_order_date": row[3],
        "order_amount": float(row[4] or 0.0),
        "order_margin": float(row[5] or 0.0),
        "purchase_days": row[6],
        "paid_days": row[7],
        "paid_amount": float(row[8] or 0.0),
        # The mean gap between consecutive purchase days is the span over
        # the number of gaps.
        "mean_gap": (row[3] - row[2]).days / (row[6] - 1) if row[6] > 1 else None,
        "month_counts": month_counts(row[9]),
    }


def month_counts(months):
    """Orders per calendar month (index 0 = January) from their months."""
    counts = [0] * 12
    for month in months:
        counts[month - 1] += 1
    return counts


def line_patterns(cr, company_id, as_of):
    """Per commercial partner: the product category
    it spends most on and the discounts granted on its confirmed order lines
    (company currency)."""
    cr.execute(
        SQL(
            """
            WITH c AS (
                SELECT p.commercial_partner_id AS customer_id, pt.categ_id,
                       SUM(sol.price_subtotal / %(rate)s) AS amount,
                       SUM(sol.price_unit * sol.product_uom_qty * sol.discount / 100.0
                           / %(rate)s) AS discount
                  FROM sale_order_line sol
                  JOIN sale_order so ON so.id = sol.order_id
                  JOIN res_partner p ON p.id = so.partner_id
                  JOIN product_product pp ON pp.id = sol.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE %(orders)s
                   AND sol.display_type IS NULL
                 GROUP BY 1, 2
            )
            SELECT DISTINCT ON (customer_id) customer_id, categ_id,
                   SUM(discount) OVER (PARTITION BY customer_id)
              FROM c
             ORDER BY customer_id, amount DESC, categ_id
            """,
            rate=_ORDER_RATE,
            orders=_confirmed_orders(company_id, _day_after(as_of)),
        )
    )
    return {
        customer_id: {"categ_id": categ_id, "discount": discount or 0.0}
        for customer_id, categ_id, discount in cr.fetchall()
    }


def _invoices(company_id, as_of):
    """The condition on ``account_move am`` of the invoices the analytics
    read: the company's posted customer invoices and refunds up to
    ``as_of``."""
    return SQL(
        """
        am.company_id = %(company_id)s
        AND am.state = 'posted'
        AND am.move_type IN ('out_invoice', 'out_refund')
        AND am.invoice_date <= %(as_of)s
        AND am.commercial_partner_id IS NOT NULL
        """,
        company_id=company_id,
        as_of=as_of,
    )


def invoiced_values(cr, company_id, as_of):
    """Per commercial partner: untaxed revenue invoiced up to ``as_of`` net
    of refunds, the refunded amount (positive),
    and the part of it that refunds sale orders (credit note lines linked to
    order lines, as the reversal of an order's invoice leaves them), in
    company currency."""
    cr.execute(
        SQL(
            """
            SELECT am.commercial_partner_id,
                   SUM(am.amount_untaxed_signed),
                   -SUM(am.amount_untaxed_signed)
                       FILTER (WHERE am.move_type = 'out_refund'),
                   SUM(ordered.amount)
              FROM account_move am
              -- Grouped once per credit note, not a subquery per move: a
              -- lateral one ran for every invoice too (ten times the time
              -- of the whole read at size M).
              LEFT JOIN (
                   SELECT aml.move_id, SUM(aml.balance) AS amount
                     FROM account_move_line aml
                     JOIN account_move refund ON refund.id = aml.move_id
                    WHERE refund.company_id = %(company_id)s
                      AND refund.move_type = 'out_refund'
                      AND aml.display_type = 'product'
                      AND EXISTS (SELECT 1 FROM sale_order_line_invoice_rel rel
                                   WHERE rel.invoice_line_id = aml.id)
                    GROUP BY aml.move_id
                   ) ordered ON ordered.move_id = am.id
             WHERE %(invoices)s
             GROUP BY am.commercial_partner_id
            """,
            company_id=company_id,
            invoices=_invoices(company_id, as_of),
        )
    )
    return {
        customer_id: {
            "revenue": revenue or 0.0,
            "refunds": refunds or 0.0,
            "order_refunds": order_refunds or 0.0,
        }
        for customer_id, revenue, refunds, order_refunds in cr.fetchall()
    }


def typical_gap(rhythms):
    """The company's median of its repeat customers' average gaps."""
    gaps = sorted(r["mean_gap"] for r in rhythms.values() if r["mean_gap"])
    if not gaps:
        return DEFAULT_GAP_DAYS
    middle = len(gaps) // 2
    if len(gaps) % 2:
        return float(gaps[middle])
    return (gaps[middle - 1] + gaps[middle]) / 2.0


def churn_risk(days_since, expected_gap, trend=None):
    """0-100 risk that the customer has stopped buying: it grows from 0 to
    25 within the customer's rhythm, then towards 100 as the delay past the
    expected next order grows (63 % of the remaining way after one more gap,
    95 % after three), plus up to 10 points for a falling engagement."""
    gap = max(float(expected_gap), 1.0)
    if days_since <= gap:
        risk = IN_RHYTHM_RISK * days_since / gap
    else:
        overdue = (days_since - gap) / gap
        risk = IN_RHYTHM_RISK + (100.0 - IN_RHYTHM_RISK) * (1.0 - math.exp(-overdue))
    if trend is not None and trend < 0:
        risk += min(TREND_RISK, -trend / 2.0)
    return round(max(0.0, min(100.0, risk)), 1)


def risk_level(risk):
    if risk is None:
        return False
    if risk >= HIGH_RISK:
        return "high"
    if risk >= MEDIUM_RISK:
        return "medium"
    return "low"


def season_mask(month_counts):
    """Bit ``m - 1`` set for each month ``m`` with at least 1.5 times its fair
    share of the customer's orders (needs 4 orders or more)."""
    total = sum(month_counts)
    if total < SEASON_MIN_ORDERS:
        return 0
    threshold = SEASON_FACTOR * total / 12.0
    mask = 0
    for index, count in enumerate(month_counts):
        if count >= threshold:
            mask |= 1 << index
    return mask


# ----------------------------------------------------------------------
# The customer-base model of a company
# ----------------------------------------------------------------------

FALLBACK_FEW_CUSTOMERS = "few_customers"
FALLBACK_NO_REPEAT = "no_repeat"
FALLBACK_NOT_CONVERGED = "not_converged"


@dataclass
class CustomerModel:
    """The company's fitted model and its predictions, per customer id."""

    kind: str  # clv.BGNBD, clv.PARETO_NBD, or "rule" when falling back
    customers: int
    repeat_customers: int
    fallback_code: str = ""
    fallback_detail: str = ""
    params: dict = field(default_factory=dict)
    spend_params: dict = field(default_factory=dict)
    spend_fallback: bool = False
    # The company's mean basket, for the customers without a purchase of
    # positive value when the spend model falls back.
    spend_overall: float = 0.0
    log_likelihood: float = 0.0
    fit_customers: int = 0
    bic: float = 0.0
    other_fits: dict = field(default_factory=dict)
    seasonal_index: list = None
    # Model setting "auto": the time-split validation (select_model).
    validation: dict = field(default_factory=dict)
    predictions: dict = field(default_factory=dict)

    @property
    def is_fallback(self):
        return bool(self.fallback_code)

    def shard_inputs(self):
        """What ``predict_customers`` reads of the model, JSON-serialisable:
        a part of the customers (a shard) is predicted from it without
        fitting again (``from_shard_inputs``)."""
        return {
            "kind": self.kind,
            "fallback_code": self.fallback_code,
            "params": {name: float(value) for name, value in self.params.items()},
            "spend_params": {
                name: float(value) for name, value in self.spend_params.items()
            },
            "spend_fallback": self.spend_fallback,
            "spend_overall": self.spend_overall,
            "seasonal_index": self.seasonal_index,
            "log_likelihood": float(self.log_likelihood),
            "fit_customers": self.fit_customers,
        }

    @classmethod
    def from_shard_inputs(cls, inputs, customers=0):
        """The model ``shard_inputs()`` described, without predictions."""
        return cls(customers=customers, repeat_customers=0, **inputs)


def forecast_months_from(as_of, months):
    """The calendar months the forecast covers: from the month of the day
    after ``as_of`` (the window starts the day after the analysed day)."""
    first = (as_of + timedelta(days=1)).replace(day=1)
    return [add_months(first, index) for index in range(months)]


def forecast_boundaries(as_of, months):
    """Days from ``as_of`` to the end of each forecast month (the model's
    cumulative purchases are read at these times)."""
    return [
        (add_months(month, 1) - as_of).days - 1
        for month in forecast_months_from(as_of, months)
    ]


def company_seasonal_index(rhythms, as_of):
    """Monthly index (mean 1) of the company's purchase days, or None with
    less than two years of history."""
    if not rhythms:
        return None
    first = min(r["first_order_date"] for r in rhythms.values())
    if (as_of - first).days < SEASON_MIN_DAYS:
        return None
    counts = np.zeros(12)
    for rhythm in rhythms.values():
        counts += rhythm["month_counts"]
    exposure = np.zeros(12)
    month = first.replace(day=1)
    while month <= as_of:
        following = add_months(month, 1)
        days = (following - month).days
        covered = (min(following, as_of + timedelta(days=1)) - max(month, first)).days
        exposure[month.month - 1] += covered / days
        month = following
    return [round(float(value), 4) for value in clv.seasonal_index(counts, exposure)]


def validation_cutoff(rhythms, as_of, horizon_days):
    """Last day of the calibration part of the time-split validation (the
    model setting ``auto``): the holdout is the end of the company's
    history, as long as the horizon but at most ``VALIDATION_SHARE`` of the
    history; None when that leaves less than ``VALIDATION_MIN_DAYS``."""
    if not rhythms:
        return None
    first = min(r["first_order_date"] for r in rhythms.values())
    length = min(horizon_days, (as_of - first).days * VALIDATION_SHARE)
    if length < VALIDATION_MIN_DAYS:
        return None
    return as_of - timedelta(days=round(length))


def validation_histories(cr, company_id, cutoff, as_of):
    """Per customer who bought by ``cutoff``: purchase days up to it, first
    and last of them, and purchase days in ``(cutoff, as_of]``. One query."""
    cr.execute(
        SQL(
            """
            SELECT d.customer_id,
                   COUNT(*) FILTER (WHERE d.day <= %(cutoff)s)::int4,
                   MIN(d.day), MAX(d.day) FILTER (WHERE d.day <= %(cutoff)s),
                   COUNT(*) FILTER (WHERE d.day > %(cutoff)s)::int4
              FROM (%(days)s) d
             GROUP BY d.customer_id
            HAVING MIN(d.day) <= %(cutoff)s
            """,
            cutoff=cutoff,
            days=_purchase_days(company_id, _day_after(as_of)),
        )
    )
    return {row[0]: row[1:] for row in cr.fetchall()}


def select_model(histories, cutoff, as_of):
    """The model setting ``auto``: BG/NBD or Pareto/NBD, whichever predicts
    the purchases of the held-out end of the history (after ``cutoff``)
    better, from fits on the history up to ``cutoff``. ``histories``: the
    customers' ``validation_histories``. Returns ``(kind, figures)``; the
    kind is ``AUTO_FALLBACK`` and ``figures["skipped"]`` says why when the
    validation cannot decide."""
    figures = {
        "cutoff": cutoff.isoformat() if cutoff else None,
        "holdout_days": (as_of - cutoff).days if cutoff else 0,
        "customers": len(histories),
    }
    if cutoff is None:
        return AUTO_FALLBACK, {**figures, "skipped": "short_history"}
    rows = np.array(
        [
            (days - 1, (last - first).days, (cutoff - first).days, later)
            for days, first, last, later in histories.values()
        ],
        dtype=float,
    ).reshape(-1, 4)
    x, t_x, T, later = rows.T
    figures.update(
        repeat_customers=int((x > 0).sum()), holdout_purchases=int(later.sum())
    )
    if (
        len(x) < MIN_FIT_CUSTOMERS
        or (x > 0).sum() < MIN_REPEAT_CUSTOMERS
        or not later.sum()
    ):
        return AUTO_FALLBACK, {**figures, "skipped": "few_customers"}
    unit = MODEL_UNIT_DAYS
    try:
        chosen, scores = clv.holdout_scores(
            x, t_x / unit, T / unit, later, figures["holdout_days"] / unit
        )
    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as error:
        chosen, scores = None, {"error": str(error)}
    figures["scores"] = scores
    if chosen is None:
        return AUTO_FALLBACK, {**figures, "skipped": "not_converged"}
    return chosen, {**figures, "chosen": chosen}


def customer_model(
    rhythms, as_of, horizon_days, forecast_months, kind=clv.PARETO_NBD, validation=None
):
    """Fit the company's model on its customers' purchase days up to
    ``as_of`` (``fit_customer_model``) and predict each of them
    (``predict_customers``)."""
    model = fit_customer_model(rhythms, as_of, kind=kind, validation=validation)
    model.predictions = predict_customers(
        model, rhythms, as_of, horizon_days, forecast_months
    )
    return model


def _histories(rhythms, ids, as_of):
    """The model's summary ``(x, t_x, T)`` of the customers ``ids``, in weeks."""
    unit = MODEL_UNIT_DAYS
    x = np.array([rhythms[i]["purchase_days"] - 1 for i in ids], dtype=float)
    first = np.array([rhythms[i]["first_order_date"].toordinal() for i in ids])
    last = np.array([rhythms[i]["last_order_date"].toordinal() for i in ids])
    return x, (last - first) / unit, (as_of.toordinal() - first) / unit


def _spend_summary(rhythms, ids):
    """Purchase days of positive value of the customers ``ids`` and their
    mean value."""
    paid = np.array([rhythms[i]["paid_days"] for i in ids], dtype=float)
    paid_amount = np.array([rhythms[i]["paid_amount"] for i in ids])
    mean = np.divide(paid_amount, paid, out=np.zeros_like(paid), where=paid > 0)
    return paid, mean


def fit_customer_model(rhythms, as_of, kind=clv.PARETO_NBD, validation=None):
    """Fit the company's model on its customers' purchase days up to
    ``as_of`` (every customer; identical histories evaluated once), without
    predicting anyone. ``kind``: ``pareto_nbd`` (BG/NBD when it is
    unusable; the default, the better of the two in the back-tests),
    ``bgnbd`` (Pareto/NBD when BG/NBD is unusable), ``best`` (both fitted,
    the higher likelihood kept) or ``auto`` (chosen by ``select_model`` on
    ``validation = (cutoff, validation_histories)``). Too little history or
    no usable fit gives a model of kind ``rule`` with a fallback code. The
    company-wide figures the predictions need (parameters, spend model or
    the company's mean basket, seasonal index) are all on the model, so a
    part of the customers can be predicted later from them
    (``CustomerModel.shard_inputs``)."""
    ids = sorted(rhythms)
    x, t_x, T = _histories(rhythms, ids, as_of)
    repeat = int((x > 0).sum())
    model = CustomerModel(kind="rule", customers=len(ids), repeat_customers=repeat)
    if len(ids) < MIN_FIT_CUSTOMERS:
        model.fallback_code = FALLBACK_FEW_CUSTOMERS
        return model
    if repeat < MIN_REPEAT_CUSTOMERS:
        model.fallback_code = FALLBACK_NO_REPEAT
        return model
    if kind == AUTO:
        cutoff, histories = validation or (None, {})
        kind, model.validation = select_model(
            {pid: histories[pid] for pid in ids if pid in histories}, cutoff, as_of
        )
    grouped = clv.group_histories(x, t_x, T)
    kinds = (clv.BGNBD, clv.PARETO_NBD) if kind == "best" else (kind,)
    try:
        best, fits = clv.fit_best(*grouped[:3], kinds=kinds, counts=grouped[3])
        if best is None and kind != "best":
            other = clv.PARETO_NBD if kind == clv.BGNBD else clv.BGNBD
            best, more = clv.fit_best(*grouped[:3], (other,), counts=grouped[3])
            fits.update(more)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as error:
        best, fits = None, {}
        model.fallback_detail = str(error)
    if best is None:
        model.fallback_code = FALLBACK_NOT_CONVERGED
        model.fallback_detail = model.fallback_detail or "; ".join(
            f"{fit.kind}: {fit.message or 'unusable parameters'}"
            for fit in fits.values()
        )
        return model
    model.kind = best.kind
    model.params = best.params
    model.log_likelihood = best.log_likelihood
    model.fit_customers = best.customers
    model.bic = float(best.bic)
    model.other_fits = {
        fit.kind: round(fit.log_likelihood, 3)
        for fit in fits.values()
        if fit is not best
    }

    # Spend: Gamma-Gamma on the purchase days of positive value.
    paid, mean = _spend_summary(rhythms, ids)
    spenders = np.flatnonzero((paid > 0) & (mean > 0))
    if len(spenders) >= MIN_SPEND_CUSTOMERS:
        spend_fit = clv.fit_gamma_gamma(paid[spenders], mean[spenders])
        if spend_fit.converged:
            model.spend_params = spend_fit.params
    if not model.spend_params:
        # The customer's own average (the company's for one without any
        # purchase of positive value).
        model.spend_fallback = True
        model.spend_overall = float(mean[spenders].mean()) if len(spenders) else 0.0
    model.seasonal_index = company_seasonal_index(rhythms, as_of)
    return model


def predict_customers(model, rhythms, as_of, horizon_days, forecast_months):
    """The predictions of the customers of ``rhythms`` (all of the company,
    or a part of them: each customer's prediction depends only on their own
    history and on the model's company-wide figures) by ``model``
    (``fit_customer_model``): ``{customer id: {...}}``, empty for a model
    falling back to the rhythm rule."""
    if model.is_fallback or not rhythms:
        return {}
    unit = MODEL_UNIT_DAYS
    ids = sorted(rhythms)
    x, t_x, T = _histories(rhythms, ids, as_of)
    paid, mean = _spend_summary(rhythms, ids)
    if model.spend_fallback:
        spend = np.where(paid > 0, mean, model.spend_overall)
    else:
        spend = clv.gamma_gamma_expected_spend(model.spend_params, paid, mean)
    fit = clv.Fit(
        model.kind, model.params, model.log_likelihood, model.fit_customers, True
    )
    boundaries = np.array(forecast_boundaries(as_of, forecast_months)) / unit
    result = clv.predict(fit, x, t_x, T, horizon_days / unit, boundaries=boundaries)
    months = forecast_months_from(as_of, forecast_months)
    cumulative = result.get("cumulative", np.zeros((0, len(ids))))
    monthly = np.diff(np.vstack([np.zeros(len(ids)), cumulative]), axis=0)
    if model.seasonal_index:
        factors = np.array([model.seasonal_index[m.month - 1] for m in months])
        monthly = monthly * factors[:, None]
    window = clv.next_purchase_quantiles(fit, x, T) * unit
    # Python floats in one conversion per array (numpy scalars are slow to
    # round one by one).
    columns = zip(
        ids,
        result["p_alive"].tolist(),
        result["p_no_purchase"].tolist(),
        result["expected"].tolist(),
        np.maximum(spend, 0.0).tolist(),
        window.T.tolist(),
        np.round(monthly, 6).T.tolist(),
        strict=True,
    )
    return {
        pid: {
            "p_alive": alive,
            "p_no_purchase": quiet,
            "expected": expected,
            "spend": value,
            "window": days,
            "monthly": purchases,
        }
        for pid, alive, quiet, expected, value, days, purchases in columns
    }


@functools.lru_cache(maxsize=4)
def _days_after(as_of):
    """The days 0 to ``MAX_WINDOW_DAYS`` + 1 after ``as_of``, by offset (a
    refresh looks up three window days per customer, all after one day)."""
    return [as_of + timedelta(days=offset) for offset in range(MAX_WINDOW_DAYS + 2)]


def _window_day(as_of, days):
    if not math.isfinite(days) or days > MAX_WINDOW_DAYS:
        return None
    return _days_after(as_of)[max(1, math.ceil(days))]


def rule_forecast(next_date, gap, keep, as_of, months):
    """The fallback's monthly forecast: one order every ``gap`` days from
    ``next_date``, each counted ``keep`` times (1 - churn risk), per month."""
    month_starts = forecast_months_from(as_of, months)
    end = add_months(month_starts[0], months) if month_starts else as_of
    counts = dict.fromkeys(month_starts, 0.0)
    day = next_date
    step = 0
    while day < end:
        counts[day.replace(day=1)] += keep
        step += 1
        day = next_date + timedelta(days=round(step * gap))
    return [round(counts[month], 6) for month in month_starts]


def customer_analytics(
    rhythm,
    lines,
    invoiced,
    company_gap,
    as_of,
    horizon_days,
    trend,
    prediction=None,
    forecast_months=6,
):
    """Every stored analytic of one customer (see the model's fields), from
    the model's ``prediction`` or, without one, the rhythm rule."""
    rhythm = rhythm or {}
    invoiced = invoiced or {}
    lines = lines or {}
    order_count = rhythm.get("order_count", 0)
    revenue = invoiced.get("revenue", 0.0)
    refunds = invoiced.get("refunds", 0.0)
    order_amount = rhythm.get("order_amount", 0.0)
    # The margin is the orders': only the refunds of what orders invoiced
    # lower it (a credit note of an invoice made without an order does not).
    margin = rhythm.get("order_margin", 0.0) - invoiced.get("order_refunds", 0.0)
    values = {
        "order_count": order_count,
        "first_order_date": rhythm.get("first_order_date"),
        "last_order_date": rhythm.get("last_order_date"),
        "revenue_to_date": revenue,
        "refund_to_date": refunds,
        "discount_to_date": lines.get("discount", 0.0),
        "margin_to_date": margin,
        "margin_percent": round(100.0 * margin / order_amount, 1)
        if order_amount
        else None,
        "categ_id": lines.get("categ_id"),
        "average_order_value": order_amount / order_count if order_count else None,
        "season_mask": season_mask(rhythm.get("month_counts") or [0] * 12),
        "own_gap_days": rhythm.get("mean_gap"),
        "expected_gap_days": None,
        "days_since_last_order": None,
        "churn_risk": None,
        "next_order_date": None,
        "next_order_value": None,
        "predicted_revenue": None,
        "predicted_margin": None,
        "purchase_days": rhythm.get("purchase_days", 0),
        "p_alive": None,
        "expected_purchases": None,
        "next_window_start": None,
        "next_window_end": None,
        "forecast_purchases": None,
    }
    if not order_count:
        return values
    days_since = (as_of - rhythm["last_order_date"]).days
    margin_rate = max(0.0, margin / order_amount) if order_amount else 0.0
    if prediction is None:
        expected_gap = float(rhythm.get("mean_gap") or company_gap)
        risk = churn_risk(days_since, expected_gap, trend)
        average = max(values["average_order_value"], 0.0)
        expected = horizon_days / max(expected_gap, 1.0) * (1.0 - risk / 100.0)
        next_date = max(
            rhythm["last_order_date"] + timedelta(days=round(expected_gap)),
            as_of + timedelta(days=1),
        )
        values.update(
            expected_gap_days=round(expected_gap, 1),
            churn_risk=risk,
            p_alive=round(100.0 - risk, 1),
            next_order_date=next_date,
            next_order_value=average,
            forecast_purchases=rule_forecast(
                next_date,
                max(expected_gap, 1.0),
                1.0 - risk / 100.0,
                as_of,
                forecast_months,
            ),
        )
    else:
        expected = prediction["expected"]
        average = prediction["spend"]
        start, middle, end = prediction["window"]
        values.update(
            expected_gap_days=round(middle, 1) if math.isfinite(middle) else None,
            churn_risk=round(100.0 * prediction["p_no_purchase"], 1),
            p_alive=round(100.0 * prediction["p_alive"], 1),
            next_order_date=_window_day(as_of, middle),
            next_window_start=_window_day(as_of, start),
            next_window_end=_window_day(as_of, end),
            next_order_value=average,
            forecast_purchases=prediction["monthly"],
        )
    predicted = expected * average
    values.update(
        days_since_last_order=days_since,
        expected_purchases=round(expected, 3),
        predicted_revenue=round(predicted, 2),
        predicted_margin=round(predicted * margin_rate, 2),
    )
    return values


def add_months(day, count):
    """First day of the month ``count`` months after ``day``'s month."""
    year, month = divmod(day.month - 1 + count, 12)
    return day.replace(year=day.year + year, month=month + 1, day=1)


def monthly_forecast(values, as_of):
    """Expected revenue of one customer in each forecast month: the
    expected purchases the refresh stored for each month (the model's
    cumulative purchases at the month ends, differenced, times the company's
    seasonal index; the rhythm rule when falling back) times the expected
    value of a purchase. The months start with the day after ``as_of``, so
    nothing is placed before the window. ``[(month start, amount), ...]``,
    empty months left out. The report view ``relationship.forecast.report``
    applies the same rule in SQL; this one serves the back-tests."""
    purchases = values.get("forecast_purchases") or []
    value = values.get("next_order_value") or 0.0
    months = forecast_months_from(as_of, len(purchases))
    return [
        (month, round(count * value, 2))
        for month, count in zip(months, purchases, strict=True)
        if round(count * value, 2)
    ]
