"""Back-test the customer analytics of relationship_mgmt on a filled database,
next to reference models fitted on the same calibration rows in the same run.

Hides the last ``--months`` complete months (or everything after
``--as-of``): the analytics are refreshed "as of" the day before them, with
the horizon and the forecast set to the hidden months, and their predictions
are compared with what the customers known by then did afterwards.

Models, each predicting every calibration customer:

- **project**: the analytics refresh (its stored churn risk, expected
  purchases, predicted revenue and monthly forecast: ``monthly_forecast``,
  the rule of the report view);
- **lifetimes BG/NBD + Gamma-Gamma** and **lifetimes Pareto/NBD +
  Gamma-Gamma**: the ``lifetimes`` package (bench-only dependency, never
  imported by the addons) fitted on the same purchase-day summary (weeks),
  Gamma-Gamma on the repeat customers' mean repeat purchase value as its
  documentation does. lifetimes has no "probability of no purchase within t"
  method: their churn probability is computed from their fitted parameters
  with the textbook formulas (``engine/clv.py``: ``*_p_no_purchase``);
- **naive**: churn scored by recency (days since the last purchase, flagged
  above 90 days); purchases = calibration rate (purchase days per day since
  the first one) x horizon, revenue = that x the average purchase value,
  months pro rata of their days.

Metrics: churn ROC AUC and F1 at the operating threshold (risk >= 60 for
the models, > 90 days for recency); purchases per customer MAE, RMSE,
Pearson r and total error; revenue per customer MAE, Spearman rank
correlation and the share of the holdout revenue bought by the top 10 % of
customers by predicted revenue; MAPE of the monthly revenue.

Everything runs in one transaction that is rolled back.

    python3 bench/backtest.py --db bench_m --months 3
    python3 bench/backtest.py --db h16_cdnow --as-of 1997-09-30 --months 9
"""

import argparse
import json
import sys
import time
import warnings
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from common import ADDONS_PATH, environment, load_registry
from scipy import stats

from odoo import fields
from odoo.tools import SQL

# The addon's engines, importable once load_registry() has set the addons path.
engine = None
clv = None

BASELINE_INACTIVE_DAYS = 90
TOP_SHARE = 0.10
UNIT = 7.0  # weeks, as the project's model
PENALIZERS = (0.0, 0.0001, 0.001, 0.01)


def month_end_before(day, months):
    """The day before the ``months`` last complete months before ``day``."""
    first = engine.add_months(day.replace(day=1), -months)
    return first - timedelta(days=1)


# ----------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------


def purchase_days(cr, company_id, start, end):
    """``(customer, day, amount)`` per purchase day in ``[start, end)``."""
    cr.execute(
        SQL(
            """
            SELECT p.commercial_partner_id, so.date_order::date,
                   SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1))
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.company_id = %s AND so.state = 'sale'
               AND so.date_order >= %s AND so.date_order < %s
             GROUP BY 1, 2
             ORDER BY 1, 2
            """,
            company_id,
            datetime.combine(start, datetime.min.time()),
            datetime.combine(end, datetime.min.time()),
        )
    )
    return cr.fetchall()


def calibration_summary(rows, customers, as_of):
    """Per customer (in ``customers`` order): repeat days, recency and age in
    weeks, days since the last purchase, mean value of all and of the repeat
    purchase days."""
    by_customer = {}
    for pid, day, amount in rows:
        by_customer.setdefault(pid, []).append((day, float(amount or 0.0)))
    out = {
        key: np.zeros(len(customers))
        for key in ("x", "t_x", "T", "recency_days", "age_days", "mean", "repeat_mean")
    }
    for index, pid in enumerate(customers):
        days = by_customer[pid]
        first, last = days[0][0], days[-1][0]
        out["x"][index] = len(days) - 1
        out["t_x"][index] = (last - first).days / UNIT
        out["T"][index] = (as_of - first).days / UNIT
        out["recency_days"][index] = (as_of - last).days
        out["age_days"][index] = (as_of - first).days + 1
        out["mean"][index] = sum(a for __, a in days) / len(days)
        if len(days) > 1:
            out["repeat_mean"][index] = sum(a for __, a in days[1:]) / (len(days) - 1)
    return out


def holdout_actuals(rows, customers, months):
    index = {pid: i for i, pid in enumerate(customers)}
    purchases = np.zeros(len(customers))
    revenue = np.zeros(len(customers))
    monthly = dict.fromkeys(months, 0.0)
    for pid, day, amount in rows:
        if pid not in index:
            continue  # a customer acquired in the holdout: not predicted
        purchases[index[pid]] += 1
        revenue[index[pid]] += float(amount or 0.0)
        monthly[day.replace(day=1)] += float(amount or 0.0)
    return purchases, revenue, [monthly[m] for m in months]


# ----------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------


def project_predictions(env, company, customers, as_of, spend=None):
    """The refresh's stored predictions; with ``spend`` (one value per
    customer), the revenue and monthly forecast use it instead of the
    stored value of a purchase (a spend-model variant on the same purchase
    predictions)."""
    Analytics = env["relationship.analytics"]
    rows = Analytics.search(
        [("company_id", "=", company.id), ("partner_id", "in", customers)]
    )
    by_partner = {row.partner_id.id: row for row in rows}
    churn = np.zeros(len(customers))
    purchases = np.zeros(len(customers))
    revenue = np.zeros(len(customers))
    monthly = {}
    for index, pid in enumerate(customers):
        row = by_partner[pid]
        churn[index] = row.churn_risk / 100.0
        purchases[index] = row.expected_purchases
        value = row.next_order_value if spend is None else float(spend[index])
        revenue[index] = (
            row.predicted_revenue if spend is None else row.expected_purchases * value
        )
        values = {
            "forecast_purchases": row.forecast_purchases,
            "next_order_value": value,
        }
        for month, amount in engine.monthly_forecast(values, as_of):
            monthly[month] = monthly.get(month, 0.0) + amount
    return churn, purchases, revenue, monthly


def lifetimes_predictions(kind, summary, horizon, boundaries, months):
    """Reference fit with the lifetimes package on the same summary."""
    import pandas as pd  # noqa: PLC0415 (bench-only dependencies)
    from lifetimes import (  # noqa: PLC0415
        BetaGeoFitter,
        GammaGammaFitter,
        ParetoNBDFitter,
    )
    from lifetimes.utils import ConvergenceError  # noqa: PLC0415

    x, t_x, T = summary["x"], summary["t_x"], summary["T"]
    frequency, recency, age = pd.Series(x), pd.Series(t_x), pd.Series(T)
    started = time.perf_counter()
    Fitter = BetaGeoFitter if kind == clv.BGNBD else ParetoNBDFitter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # lifetimes raises when its optimiser stops early: its documented
        # remedy is a small penalizer, tried in increasing steps.
        for penalizer in PENALIZERS:
            try:
                fitter = Fitter(penalizer_coef=penalizer).fit(frequency, recency, age)
                break
            except ConvergenceError:
                continue
        else:
            raise RuntimeError(f"lifetimes {kind} did not converge")
        params = dict(fitter.params_)
        params["penalizer"] = penalizer

        names = (
            ("r", "alpha", "a", "b")
            if kind == clv.BGNBD
            else ("r", "alpha", "s", "beta")
        )
        fit = clv.Fit(kind, {k: float(params[k]) for k in names}, 0.0, len(x), True)
        nan_rows = []

        def expected(t):
            values = np.array(
                fitter.conditional_expected_number_of_purchases_up_to_time(
                    t, frequency, recency, age
                ),
                dtype=float,
            )
            # lifetimes' Pareto/NBD expectation overflows to NaN for some
            # customers (large beta): the textbook formula with its own
            # parameters stands in for those rows, counted in the report.
            missing = ~np.isfinite(values)
            if missing.any():
                nan_rows.append(int(missing.sum()))
                values[missing] = clv.EXPECTED[kind](
                    fit.params, x[missing], t_x[missing], T[missing], t
                )
            return values

        purchases = expected(horizon)
        cumulative = [np.zeros(len(x))] + [expected(b) for b in boundaries]
        # lifetimes needs positive values (CDNOW has purchases of 0).
        repeat = (x > 0) & (summary["repeat_mean"] > 0)
        for spend_penalizer in PENALIZERS:
            try:
                spend_fitter = GammaGammaFitter(penalizer_coef=spend_penalizer).fit(
                    pd.Series(x[repeat]), pd.Series(summary["repeat_mean"][repeat])
                )
                break
            except ConvergenceError:
                continue
        else:
            raise RuntimeError("lifetimes Gamma-Gamma did not converge")
        params["spend_penalizer"] = spend_penalizer
        params.update(
            {f"spend_{k}": float(v) for k, v in dict(spend_fitter.params_).items()}
        )
        spend = np.asarray(
            spend_fitter.conditional_expected_average_profit(
                frequency, pd.Series(np.where(repeat, summary["repeat_mean"], 0.0))
            ),
            dtype=float,
        )
    seconds = time.perf_counter() - started
    names = (
        ("r", "alpha", "a", "b") if kind == clv.BGNBD else ("r", "alpha", "s", "beta")
    )
    fit = clv.Fit(kind, {k: float(params[k]) for k in names}, 0.0, len(x), True)
    churn = clv.NO_PURCHASE[kind](fit.params, x, t_x, T, horizon)
    monthly = {
        month: float(np.sum((cumulative[k + 1] - cumulative[k]) * spend))
        for k, month in enumerate(months)
    }
    return churn, purchases, purchases * spend, monthly, params, seconds


def repeat_spend(summary, evidence="repeat"):
    """The textbook Gamma-Gamma (the project's fitter) on the repeat
    purchase days only. ``evidence="repeat"``: each customer's expected
    spend from their repeat days (one-time buyers get the population mean);
    ``"all"``: from all their purchase days (first included) under that
    population."""
    n = np.where(summary["repeat_mean"] > 0, summary["x"], 0.0)
    fit = clv.fit_gamma_gamma(n[n > 0], summary["repeat_mean"][n > 0])
    if evidence == "repeat":
        return clv.gamma_gamma_expected_spend(fit.params, n, summary["repeat_mean"])
    days = np.where(summary["mean"] > 0, summary["x"] + 1.0, 0.0)
    return clv.gamma_gamma_expected_spend(fit.params, days, summary["mean"])


def naive_predictions(summary, horizon_days, month_days, months):
    rate = (summary["x"] + 1.0) / summary["age_days"]
    purchases = rate * horizon_days
    revenue = purchases * summary["mean"]
    monthly = {
        month: float(np.sum(rate * days * summary["mean"]))
        for month, days in zip(months, month_days, strict=True)
    }
    return summary["recency_days"], purchases, revenue, monthly


# ----------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------


def roc_auc(score, label):
    label = label.astype(bool)
    positives, negatives = label.sum(), (~label).sum()
    if not positives or not negatives:
        return None
    ranks = stats.rankdata(score)
    return float(
        (ranks[label].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    )


def f1(flag, label):
    true_positive = np.sum(flag & label)
    predicted, actual = flag.sum(), label.sum()
    if not predicted or not actual:
        return 0.0
    precision, recall = true_positive / predicted, true_positive / actual
    return (
        float(2 * precision * recall / (precision + recall)) if true_positive else 0.0
    )


def top_capture(predicted, actual, share=TOP_SHARE):
    count = max(1, int(round(len(predicted) * share)))
    top = np.argsort(-predicted, kind="stable")[:count]
    total = actual.sum()
    return float(actual[top].sum() / total) if total else None


def metrics(prediction, threshold, actual, months):
    churn, purchases, revenue, monthly = prediction
    bought, spent, actual_monthly = actual
    churned = bought == 0
    errors = [
        abs(monthly.get(month, 0.0) - value) / value
        for month, value in zip(months, actual_monthly, strict=True)
        if value
    ]
    return {
        "churn_auc": roc_auc(churn, churned),
        "churn_f1": f1(churn >= threshold, churned),
        "flagged": int((churn >= threshold).sum()),
        "purchases_mae": float(np.mean(np.abs(purchases - bought))),
        "purchases_rmse": float(np.sqrt(np.mean((purchases - bought) ** 2))),
        "purchases_r": float(stats.pearsonr(purchases, bought)[0]),
        "purchases_total_error": float(purchases.sum() / bought.sum() - 1.0),
        "revenue_mae": float(np.mean(np.abs(revenue - spent))),
        "revenue_spearman": float(stats.spearmanr(revenue, spent)[0]),
        "top10_capture": top_capture(revenue, spent),
        "monthly_mape": float(np.mean(errors)) if errors else None,
        "monthly": [monthly.get(month, 0.0) for month in months],
    }


# ----------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------


def backtest(registry, months, as_of=None, model_kinds=("bgnbd",)):
    with environment(registry) as env:
        company = env.ref("base.main_company")
        if as_of is None:
            today = fields.Date.context_today(env["res.partner"].with_company(company))
            as_of = month_end_before(today, months)
        first_day = as_of + timedelta(days=1)
        month_starts = engine.forecast_months_from(as_of, months)
        end = engine.add_months(month_starts[0], months)
        company.write(
            {"analytics_horizon_months": months, "analytics_forecast_months": months}
        )
        horizon_days = months * engine.DAYS_PER_MONTH
        boundaries = np.array(engine.forecast_boundaries(as_of, months)) / UNIT
        month_days = [
            (engine.add_months(m, 1) - max(m, first_day)).days for m in month_starts
        ]

        calibration = purchase_days(env.cr, company.id, date(1900, 1, 1), first_day)
        excluded = engine_excluded(env)
        customers = sorted({row[0] for row in calibration} - excluded)
        summary = calibration_summary(
            [row for row in calibration if row[0] not in excluded], customers, as_of
        )
        holdout = purchase_days(env.cr, company.id, first_day, end)
        actual = holdout_actuals(holdout, customers, month_starts)

        threshold = engine.HIGH_RISK / 100.0
        results = {}
        fit_info = {}
        refresh_seconds = {}
        for kind in model_kinds:
            company.analytics_model = kind
            started = time.perf_counter()
            env["relationship.analytics"]._refresh_company(company, as_of=as_of)
            refresh_seconds[kind] = time.perf_counter() - started
            fit = env["relationship.analytics.fit"].search(
                [("company_id", "=", company.id)]
            )
            fit_info[kind] = {
                "kind": fit.model_kind,
                "fallback": fit.fallback_reason or None,
                "parameters": fit.parameters,
                "spend_parameters": fit.spend_parameters,
                "log_likelihood": fit.log_likelihood,
                "other_log_likelihoods": fit.other_log_likelihoods,
                "customers_fitted": fit.fit_customer_count,
                "seasonal_index": fit.seasonal_index,
                "validation": fit.validation or None,
            }
            results[f"project ({kind})"] = metrics(
                project_predictions(env, company, customers, as_of),
                threshold,
                actual,
                month_starts,
            )
            # Spend variants on the first setting's purchases: Gamma-Gamma
            # fitted on repeat purchases only, each customer's spend from
            # their repeat purchases, or from all of them.
            for evidence in ("repeat", "all") if kind == model_kinds[0] else ():
                results[f"project ({kind}, spend fit on repeats, {evidence})"] = (
                    metrics(
                        project_predictions(
                            env,
                            company,
                            customers,
                            as_of,
                            spend=repeat_spend(summary, evidence),
                        ),
                        threshold,
                        actual,
                        month_starts,
                    )
                )
        references = {}
        for kind, name in (
            (clv.BGNBD, "lifetimes BG/NBD"),
            (clv.PARETO_NBD, "lifetimes Pareto/NBD"),
        ):
            *prediction, params, seconds = lifetimes_predictions(
                kind, summary, horizon_days / UNIT, boundaries, month_starts
            )
            results[name] = metrics(tuple(prediction), threshold, actual, month_starts)
            references[name] = {"parameters": params, "seconds": seconds}
        results["naive"] = metrics(
            naive_predictions(summary, horizon_days, month_days, month_starts),
            BASELINE_INACTIVE_DAYS + 0.5,
            actual,
            month_starts,
        )
        env.cr.rollback()

    return {
        "as_of": as_of.isoformat(),
        "months": months,
        "refresh_seconds": refresh_seconds,
        "customers": len(customers),
        "repeat_customers": int((summary["x"] > 0).sum()),
        "holdout_buyers": int((actual[0] > 0).sum()),
        "holdout_purchases": float(actual[0].sum()),
        "actual_monthly": actual[2],
        "month_starts": [m.isoformat() for m in month_starts],
        "fit": fit_info,
        "references": references,
        "models": results,
    }


def engine_excluded(env):
    from odoo.addons.relationship_mgmt.engine.signals import (  # noqa: PLC0415
        excluded_partner_ids,
    )

    return excluded_partner_ids(env.cr)


COLUMNS = (
    ("churn_auc", "churn AUC", "{:.3f}"),
    ("churn_f1", "churn F1", "{:.3f}"),
    ("purchases_mae", "purch. MAE", "{:.3f}"),
    ("purchases_rmse", "purch. RMSE", "{:.3f}"),
    ("purchases_r", "purch. r", "{:.3f}"),
    ("purchases_total_error", "purch. total", "{:+.1%}"),
    ("revenue_mae", "rev. MAE", "{:,.1f}"),
    ("revenue_spearman", "rev. Spearman", "{:.3f}"),
    ("top10_capture", "top-10 % capture", "{:.1%}"),
    ("monthly_mape", "monthly MAPE", "{:.1%}"),
)


def fmt(template, value):
    return "n/a" if value is None else template.format(value)


def report(result):
    print(
        f"As of {result['as_of']}, {result['months']} months hidden: "
        f"{result['customers']:,} customers ({result['repeat_customers']:,} repeat), "
        f"{result['holdout_buyers']:,} bought in the holdout "
        f"({result['holdout_purchases']:,.0f} purchase days)"
    )
    for setting, fit in result["fit"].items():
        print(
            f"project ({setting}): {fit['kind']} "
            f"refresh {result['refresh_seconds'][setting]:.1f} s "
            f"LL {fit['log_likelihood']:.1f} other {fit['other_log_likelihoods']} "
            f"{fit['parameters']} spend {fit['spend_parameters']}"
            + (f" (fallback: {fit['fallback']})" if fit["fallback"] else "")
        )
        if fit.get("validation"):
            figures = fit["validation"]
            scores = {
                kind: {k: round(v, 4) for k, v in score.items() if k != "params"}
                for kind, score in (figures.get("scores") or {}).items()
                if isinstance(score, dict)
            }
            print(
                f"  validation: up to {figures.get('cutoff')}, "
                f"{figures.get('holdout_days')} days held out, "
                f"{figures.get('customers')} customers, chosen "
                f"{figures.get('chosen') or figures.get('skipped')}: {scores}"
            )
    for name, reference in result["references"].items():
        params = {k: round(v, 4) for k, v in reference["parameters"].items()}
        print(f"{name}: {json.dumps(params)} ({reference['seconds']:.1f} s)")
    print("| model | " + " | ".join(label for __, label, __ in COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for name, values in result["models"].items():
        cells = [fmt(template, values[key]) for key, __, template in COLUMNS]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("| month | actual | " + " | ".join(result["models"]) + " |")
    for index, month in enumerate(result["month_starts"]):
        cells = [
            f"{values['monthly'][index]:,.0f}" for values in result["models"].values()
        ]
        print(
            f"| {month[:7]} | {result['actual_monthly'][index]:,.0f} | "
            + " | ".join(cells)
            + " |"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--as-of", type=date.fromisoformat, help="last analysed day")
    parser.add_argument(
        "--models",
        default="bgnbd",
        help="comma-separated company settings of the project's model to "
        "back-test, each refreshed in turn: bgnbd, pareto_nbd, best, auto",
    )
    parser.add_argument("--output", help="JSON file")
    parser.add_argument("--addons-path", default=ADDONS_PATH)
    args = parser.parse_args(argv)
    registry = load_registry(args.db, args.addons_path)
    global engine, clv  # noqa: PLW0603 (the addons path is known only now)
    from odoo.addons.relationship_mgmt.engine import (  # noqa: PLC0415
        analytics as engine,
    )
    from odoo.addons.relationship_mgmt.engine import clv  # noqa: PLC0415

    result = backtest(registry, args.months, args.as_of, args.models.split(","))
    result["date"] = date.today().isoformat()
    report(result)
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
