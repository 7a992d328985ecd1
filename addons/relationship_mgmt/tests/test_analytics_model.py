"""The customer-base model inside the analytics refresh, on constructed order
histories (real ORM, dates relative to a frozen today)."""

import logging
from datetime import datetime, time, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..engine import analytics as engine
from ..engine import clv
from .common import TODAY, RelationshipCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCustomerBaseModelRefresh(RelationshipCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Analytics = cls.env["relationship.analytics"]
        cls.Fit = cls.env["relationship.analytics.fit"]

    @classmethod
    def _histories(cls, histories, amount=None):
        """``{name: [days ago, ...]}`` -> customers with one confirmed order
        on each of those days, created in one batch, of ``amount`` or by
        default of 60-140 varying from order to order."""
        customers = cls.env["res.partner"].create(
            [{"name": name, "is_company": True} for name in histories]
        )
        days = [d for ago in histories.values() for d in ago]
        orders = cls.env["sale.order"].create(
            [
                {
                    "partner_id": customer.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
                                "product_uom_qty": 1.0,
                                "price_unit": 60.0 + 20.0 * ((3 * c + 7 * k) % 5)
                                if amount is None
                                else amount,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
                for c, (customer, ago) in enumerate(
                    zip(customers, histories.values(), strict=True)
                )
                for k in range(len(ago))
            ]
        )
        orders.action_confirm()
        for order, ago in zip(orders, days, strict=True):
            order.date_order = datetime.combine(TODAY - timedelta(days=ago), time(10))
        return dict(zip(histories, customers, strict=True))

    @classmethod
    def _population(cls):
        """A small shop: regular buyers, lapsed ones, one-time buyers."""
        histories = {}
        for index in range(12):
            last = 2 + 3 * index
            gap = 20 + 2 * index
            histories[f"Regular {index}"] = [
                last + gap * k for k in range(4 + index % 4)
            ]
        for index in range(8):
            last = 180 + 25 * index
            histories[f"Lapsed {index}"] = [last + 30 * k for k in range(3 + index % 3)]
        for index in range(12):
            histories[f"Once {index}"] = [5 + 40 * index]
        return cls._histories(histories)

    def _refresh(self, as_of=None):
        return self.Analytics._refresh_company(self.env.company, as_of=as_of)

    def _row(self, customer):
        return self.Analytics.search(
            [("partner_id", "=", customer.id), ("company_id", "=", self.env.company.id)]
        )

    def _fit(self):
        return self.Fit.search([("company_id", "=", self.env.company.id)])

    def test_model_ranks_recent_frequent_over_lapsed_and_one_time_buyers(self):
        self._population()
        probes = self._histories(
            {
                "Frequent Recent": [3 + 15 * k for k in range(8)],
                "Frequent Lapsed": [300 + 15 * k for k in range(8)],
                "Once Yesterday": [1],
                "Once A Year Ago": [365],
            }
        )

        for kind, label, names in (
            (clv.PARETO_NBD, "Pareto/NBD", {"r", "alpha", "s", "beta"}),
            (clv.BGNBD, "BG/NBD", {"r", "alpha", "a", "b"}),
        ):
            with self.subTest(kind=kind):
                self.env.company.analytics_model = kind
                self._check_ranking(probes, kind, label, names)

    def _check_ranking(self, probes, kind, label, names):
        self._refresh()

        fit = self._fit()
        self.assertFalse(fit.is_fallback, fit.fallback_reason)
        self.assertEqual(fit.model_kind, kind)
        self.assertEqual(fit.customer_count, 36)
        self.assertEqual(fit.repeat_customer_count, 22)
        self.assertEqual(set(fit.parameters), names)
        self.assertEqual(set(fit.spend_parameters), {"p", "q", "gamma"})
        self.assertLess(fit.log_likelihood, 0.0)
        recent, lapsed = (
            self._row(probes["Frequent Recent"]),
            self._row(probes["Frequent Lapsed"]),
        )
        self.assertGreater(recent.p_alive, lapsed.p_alive)
        self.assertGreater(recent.expected_purchases, lapsed.expected_purchases)
        self.assertLess(recent.churn_risk, lapsed.churn_risk)
        self.assertEqual(recent.purchase_days, 8)
        self.assertEqual(recent.fit_id, fit)
        yesterday, year_ago = (
            self._row(probes["Once Yesterday"]),
            self._row(probes["Once A Year Ago"]),
        )
        # A one-time buyer is predicted by the model, not by a company median.
        self.assertLess(yesterday.churn_risk, year_ago.churn_risk)
        self.assertGreater(yesterday.expected_purchases, year_ago.expected_purchases)
        self.assertGreater(yesterday.expected_purchases, 0.0)
        # Risk is P(no purchase within the horizon), in 0-100, with levels.
        for row in (recent, lapsed, yesterday, year_ago):
            self.assertTrue(0.0 <= row.churn_risk <= 100.0)
            self.assertEqual(row.churn_level, engine.risk_level(row.churn_risk))
            self.assertAlmostEqual(
                row.predicted_revenue,
                round(row.expected_purchases * row.next_order_value, 2),
                delta=0.01 * max(1.0, row.next_order_value),
            )
        # The window is after the analysed day, ordered, around the median.
        self.assertGreater(recent.next_window_start, TODAY)
        self.assertLessEqual(recent.next_window_start, recent.next_order_date)
        self.assertLessEqual(recent.next_order_date, recent.next_window_end)
        # The reason says it in words, with the model's numbers.
        self.assertIn(
            f"{label} model of the company (36 customers)", recent.explanation
        )
        self.assertIn(f"churn risk {recent.churn_risk}/100", recent.explanation)
        self.assertIn(f"{recent.p_alive}% probability", recent.explanation)
        self.assertIn("8 purchase days", recent.explanation)
        self.assertIn("A single purchase day, 1 day ago.", yesterday.explanation)

    def test_auto_setting_picks_the_model_on_held_out_history(self):
        self._population()
        company = self.env.company
        company.analytics_model = "auto"
        self._refresh()

        fit = self._fit()
        self.assertFalse(fit.is_fallback, fit.fallback_reason)
        self.assertEqual(fit.model_setting, "auto")
        figures = fit.validation
        # A third of the ~445 days of history, before the 365-day horizon.
        self.assertEqual(figures["holdout_days"], 148)
        cutoff = TODAY - timedelta(days=148)
        self.assertEqual(figures["cutoff"], cutoff.isoformat())
        scores = figures["scores"]
        self.assertEqual(set(scores), {clv.BGNBD, clv.PARETO_NBD})
        chosen = min(scores, key=lambda kind: scores[kind]["rmse"])
        self.assertEqual(figures["chosen"], chosen)
        self.assertEqual(fit.model_kind, chosen)
        # The customers who had bought by the cutoff, and what they bought
        # after it.
        first = {
            row.partner_id.id: row.first_order_date
            for row in self.Analytics.search([("company_id", "=", company.id)])
        }
        self.assertEqual(
            figures["customers"], sum(1 for day in first.values() if day <= cutoff)
        )
        self.assertGreater(figures["holdout_purchases"], 0)
        self.assertIn("Kept:", fit.validation_summary)
        self.assertIn(cutoff.isoformat(), fit.validation_summary)

        # Too short a history, or too few customers by the cutoff: the
        # validation cannot decide and says so; the default model is used.
        self.assertEqual(
            engine.validation_cutoff(
                {1: {"first_order_date": TODAY - timedelta(days=60)}}, TODAY, 365.0
            ),
            None,
        )
        kind, skipped = engine.select_model({}, None, TODAY)
        self.assertEqual(
            (kind, skipped["skipped"]), (engine.AUTO_FALLBACK, "short_history")
        )
        few = {1: (3, cutoff - timedelta(days=90), cutoff, 1)}
        kind, skipped = engine.select_model(few, cutoff, TODAY)
        self.assertEqual(
            (kind, skipped["skipped"]), (engine.AUTO_FALLBACK, "few_customers")
        )
        fit.validation = skipped
        self.assertIn("Not validated: too few customers", fit.validation_summary)
        # Another setting: no validation stored.
        company.analytics_model = clv.BGNBD
        self._refresh()
        self.assertFalse(self._fit().validation)
        self.assertEqual(self._fit().model_setting, clv.BGNBD)

    def test_forecast_view_agrees_with_the_python_rule_and_the_window(self):
        self._population()
        self.env.company.analytics_forecast_months = 4
        self._refresh()

        rows = self.Analytics.search(
            [("company_id", "=", self.env.company.id), ("order_count", ">", 0)]
        )
        report = self.env["relationship.forecast.report"].search(
            [("source", "=", "rhythm"), ("company_id", "=", self.env.company.id)]
        )
        from_view = sorted(
            (r.partner_id.id, r.date, round(r.expected_revenue, 2)) for r in report
        )
        from_rule = sorted(
            (row.partner_id.id, month, amount)
            for row in rows
            for month, amount in engine.monthly_forecast(
                {
                    "forecast_purchases": row.forecast_purchases,
                    "next_order_value": row.next_order_value,
                },
                row.date_as_of,
            )
        )
        self.assertTrue(from_rule)
        self.assertEqual(from_view, from_rule)
        # Months of the window only (June 16th - September), none before.
        self.assertEqual(
            sorted({month for __, month, __ in from_view}),
            [TODAY.replace(month=m, day=1) for m in (6, 7, 8, 9)],
        )
        # The months add up to the model's expected purchases over 4 months
        # (no seasonal index with less than two years of history).
        self.assertFalse(self._fit().seasonal_index)
        row = rows[0]
        self.assertEqual(len(row.forecast_purchases), 4)

    def test_seasonal_index_with_two_years_of_history(self):
        histories = {}
        for index in range(25):
            # Everyone buys in December of each of the last three years, some
            # also in June.
            days = [
                (TODAY - TODAY.replace(year=TODAY.year - y, month=12, day=10)).days
                for y in (1, 2, 3)
            ]
            if index % 2:
                days.append(10 + index)
            histories[f"Christmas {index}"] = days
        self._histories(histories)

        self._refresh()

        fit = self._fit()
        self.assertFalse(fit.is_fallback, fit.fallback_reason)
        index = fit.seasonal_index
        self.assertEqual(len(index), 12)
        self.assertAlmostEqual(sum(index) / 12, 1.0, places=3)
        self.assertEqual(max(range(12), key=lambda m: index[m]), 11)  # December

    def test_too_little_history_falls_back_with_a_reason(self):
        customer = self._histories({"Only One": [40, 10]})["Only One"]
        with self.assertLogs(
            "odoo.addons.relationship_mgmt.models.relationship_analytics_fit",
            logging.WARNING,
        ) as logs:
            self._refresh()

        fit = self._fit()
        self.assertTrue(fit.is_fallback)
        self.assertEqual(fit.model_kind, "rule")
        self.assertIn("1 customers with orders, 20 needed", fit.fallback_reason)
        self.assertIn("1 customers with orders", logs.output[0])
        row = self._row(customer)
        self.assertTrue(row.is_model_fallback)
        self.assertIn("Too little history", row.explanation)
        self.assertIn("rhythm rule", row.explanation)
        # The rule still predicts: 30-day rhythm, last order 10 days ago.
        self.assertEqual(row.next_order_date, TODAY + timedelta(days=20))
        self.assertGreater(row.expected_purchases, 0.0)
        self.assertEqual(row.p_alive, round(100.0 - row.churn_risk, 1))

    def test_orders_on_one_day_are_one_purchase_day(self):
        customers = self._histories(
            {"Twice A Day": [7, 7, 30, 30, 61], "Daily": [7, 30, 61]}
        )
        free = self._histories({"Free Twice": [7, 7, 30]}, amount=0.0)["Free Twice"]

        self.env.flush_all()
        rhythms = engine.order_rhythm(self.env.cr, self.env.company.id, TODAY)

        # Read per day (two orders on one day) or per order (one a day): the
        # same rhythm.
        twice, daily = (
            rhythms[customers[name].id] for name in ("Twice A Day", "Daily")
        )
        for rhythm, orders in ((twice, 5), (daily, 3)):
            self.assertEqual(rhythm["order_count"], orders)
            self.assertEqual(rhythm["purchase_days"], 3)
            self.assertEqual(rhythm["paid_days"], 3)
            self.assertEqual(sum(rhythm["month_counts"]), 3)
            self.assertEqual(rhythm["mean_gap"], 27.0)
            self.assertEqual(rhythm["last_order_date"], TODAY - timedelta(days=7))
        amounts = (
            self.env["sale.order"]
            .search([("partner_id", "=", customers["Twice A Day"].id)])
            .mapped("amount_untaxed")
        )
        self.assertAlmostEqual(twice["paid_amount"], sum(amounts))
        self.assertAlmostEqual(twice["order_amount"], sum(amounts))
        # A day of free orders is a purchase of no value.
        self.assertEqual(rhythms[free.id]["purchase_days"], 2)
        self.assertEqual(rhythms[free.id]["paid_days"], 0)
        self.assertEqual(rhythms[free.id]["paid_amount"], 0.0)

    def test_all_orders_on_one_day_fall_back(self):
        customers = self._histories({f"Same Day {i}": [7] for i in range(25)})

        self._refresh()

        fit = self._fit()
        self.assertTrue(fit.is_fallback)
        self.assertIn(
            "0 of 25 customers bought on more than one day", fit.fallback_reason
        )
        row = self._row(customers["Same Day 0"])
        self.assertEqual(row.order_count, 1)
        self.assertIn("Too few repeat purchases", row.explanation)

    def test_zero_amounts_and_refunds_larger_than_sales_still_refresh(self):
        population = self._population()
        free = self._histories({"Free Orders": [3, 30, 60]}, amount=0.0)["Free Orders"]
        refunded = population["Regular 0"]
        self._invoice(refunded, 2, 5000.0, move_type="out_refund")

        self._refresh()

        self.assertFalse(self._fit().is_fallback)
        free_row, refunded_row = self._row(free), self._row(refunded)
        # Free orders are purchases but carry no spend of their own: the
        # company's spend model gives them the population's expected value.
        self.assertEqual(free_row.purchase_days, 3)
        self.assertGreater(free_row.next_order_value, 0.0)
        self.assertAlmostEqual(refunded_row.refund_to_date, 5000.0)
        self.assertLess(refunded_row.revenue_to_date, 0.0)
        # A credit note of no order line leaves the orders' margin as it is
        # (the margin rule): predictions stay within bounds, never negative.
        self.assertGreaterEqual(refunded_row.predicted_margin, 0.0)
        self.assertGreaterEqual(refunded_row.predicted_revenue, 0.0)

    def test_optimiser_failure_falls_back(self):
        customers = self._population()

        def not_converging(x, t_x, T, counts=None, kind=clv.BGNBD):
            return clv.Fit(
                kind,
                {"r": 1.0, "alpha": 1.0, "a": 2.0, "b": 2.0},
                float("nan"),
                len(x),
                False,
                "ABNORMAL_TERMINATION",
            )

        fitters = dict(clv.FITTERS)
        self.patch(
            clv,
            "FITTERS",
            {
                clv.BGNBD: not_converging,
                clv.PARETO_NBD: lambda x, t_x, T, counts=None: not_converging(
                    x, t_x, T, kind=clv.PARETO_NBD
                ),
            },
        )
        self._refresh()
        self.patch(clv, "FITTERS", fitters)

        fit = self._fit()
        self.assertTrue(fit.is_fallback)
        self.assertIn("could not be fitted", fit.fallback_reason)
        self.assertIn("ABNORMAL_TERMINATION", fit.fallback_reason)
        row = self._row(customers["Regular 0"])
        self.assertTrue(row.churn_risk is not None and row.forecast_purchases)
        # The next refresh fits again and replaces the fit record.
        self._refresh()
        self.assertFalse(self._fit().is_fallback)
        self.assertEqual(len(self._fit()), 1)

    def test_users_read_fits_of_their_companies_only(self):
        self._population()
        self._refresh()
        other = self.setup_other_company(name="Fit Other")["company"]
        self.Analytics._refresh_company(other)
        user_fits = self.env(user=self.user_relationship)["relationship.analytics.fit"]
        self.assertEqual(user_fits.search([]).company_id, self.env.company)
        self.assertTrue(user_fits.get_views([(False, "list"), (False, "form")]))
        with self.assertRaises(AccessError):
            user_fits.search([]).write({"is_fallback": True})
