"""The customer-base model on its own (engine/clv.py, no ORM): fitted on
histories simulated from known parameters, it recovers them."""

import numpy as np

from odoo.tests import BaseCase, tagged

from ..engine import clv


@tagged("post_install", "-at_install")
class TestCustomerBaseModel(BaseCase):
    def _observation_times(self, rng, count):
        # Customers acquired over two years, observed until today (weeks).
        return rng.uniform(1.0, 104.0, count)

    def assertRecovered(self, fitted, truth, tolerance):
        for name, value in truth.items():
            self.assertLess(
                abs(fitted[name] - value) / value,
                tolerance,
                f"{name}: fitted {fitted[name]:.3f}, simulated with {value}",
            )

    def test_bgnbd_recovers_simulated_parameters(self):
        rng = np.random.default_rng(7)
        truth = {"r": 0.8, "alpha": 6.0, "a": 1.5, "b": 4.0}
        T = self._observation_times(rng, 8000)
        x, t_x = clv.simulate_bgnbd(truth, T, rng)

        fit = clv.fit_bgnbd(x, t_x, T)

        self.assertTrue(fit.converged)
        self.assertRecovered(fit.params, truth, 0.2)

    def test_pareto_nbd_recovers_simulated_parameters(self):
        rng = np.random.default_rng(11)
        truth = {"r": 0.7, "alpha": 5.0, "s": 1.2, "beta": 40.0}
        T = self._observation_times(rng, 6000)
        x, t_x = clv.simulate_pareto_nbd(truth, T, rng)

        fit = clv.fit_pareto_nbd(x, t_x, T)

        self.assertTrue(fit.converged)
        # The drop-out parameters are identified only through the customers
        # who stopped: a wider tolerance than for the purchase rate.
        self.assertRecovered(
            {k: fit.params[k] for k in ("r", "alpha")},
            {"r": truth["r"], "alpha": truth["alpha"]},
            0.2,
        )
        self.assertRecovered(
            {k: fit.params[k] for k in ("s", "beta")},
            {"s": truth["s"], "beta": truth["beta"]},
            0.5,
        )
        # The better model of the data it was simulated from.
        best, fits = clv.fit_best(x, t_x, T)
        self.assertEqual(best.kind, clv.PARETO_NBD)
        self.assertGreater(
            fits[clv.PARETO_NBD].log_likelihood, fits[clv.BGNBD].log_likelihood
        )

    def test_grouped_fit_equals_the_fit_per_customer(self):
        # Whole weeks: many customers share their (x, t_x, T) history.
        rng = np.random.default_rng(5)
        T = np.round(rng.uniform(1.0, 30.0, 400))
        x, t_x = clv.simulate_bgnbd(
            {"r": 0.8, "alpha": 6.0, "a": 1.5, "b": 4.0}, T, rng
        )
        t_x = np.round(t_x)
        *distinct, counts = clv.group_histories(x, t_x, T)
        self.assertLess(len(counts), 300)
        self.assertEqual(counts.sum(), 400)
        for kind in (clv.BGNBD, clv.PARETO_NBD):
            with self.subTest(kind=kind):
                grouped = clv.FITTERS[kind](x, t_x, T)
                # Weights of 1: every customer evaluated on their own.
                single = clv.FITTERS[kind](x, t_x, T, np.ones(len(x)))
                self.assertEqual(grouped.extra["histories"], len(counts))
                self.assertEqual(single.extra["histories"], 400)
                self.assertEqual(grouped.customers, single.customers)
                self.assertTrue(grouped.converged and single.converged)
                for name, value in single.params.items():
                    self.assertAlmostEqual(
                        grouped.params[name], value, delta=1e-6 * value
                    )
                self.assertAlmostEqual(
                    grouped.log_likelihood, single.log_likelihood, places=6
                )
                likelihood = (
                    clv.bgnbd_log_likelihood
                    if kind == clv.BGNBD
                    else clv.pareto_log_likelihood
                )
                self.assertAlmostEqual(
                    float(np.dot(likelihood(single.params, *distinct), counts)),
                    float(np.sum(likelihood(single.params, x, t_x, T))),
                    places=6,
                )

    def test_warm_start_reaches_the_maximum_over_every_customer(self):
        rng = np.random.default_rng(13)
        T = self._observation_times(rng, 3000)
        x, t_x = clv.simulate_pareto_nbd(
            {"r": 0.7, "alpha": 5.0, "s": 1.2, "beta": 40.0}, T, rng
        )
        self.patch(clv, "WARM_START_HISTORIES", 500)
        warm = clv.fit_pareto_nbd(x, t_x, T)
        self.patch(clv, "WARM_START_HISTORIES", 10**9)
        cold = clv.fit_pareto_nbd(x, t_x, T)

        self.assertTrue(warm.converged and cold.converged)
        self.assertEqual(warm.customers, 3000)
        self.assertLess(warm.extra["steps"], cold.extra["steps"])
        self.assertAlmostEqual(warm.log_likelihood, cold.log_likelihood, delta=1e-3)
        for name, value in cold.params.items():
            self.assertAlmostEqual(warm.params[name], value, delta=0.01 * value)

    def test_holdout_validation_picks_the_generating_model(self):
        for kind, params, simulate in (
            (
                clv.BGNBD,
                {"r": 0.8, "alpha": 6.0, "a": 1.0, "b": 2.5},
                clv.simulate_bgnbd,
            ),
            (
                clv.PARETO_NBD,
                {"r": 2.0, "alpha": 5.0, "s": 1.5, "beta": 60.0},
                clv.simulate_pareto_nbd,
            ),
        ):
            with self.subTest(kind=kind):
                rng = np.random.default_rng(3)
                T = self._observation_times(rng, 4000)
                x, t_x, later = simulate(params, T, rng, holdout=52.0)

                chosen, scores = clv.holdout_scores(x, t_x, T, later, 52.0)

                self.assertEqual(set(scores), {clv.BGNBD, clv.PARETO_NBD})
                # Picked by the holdout error...
                self.assertEqual(chosen, min(scores, key=lambda k: scores[k]["rmse"]))
                # ... which points at the model the data came from.
                self.assertEqual(chosen, kind)
                for score in scores.values():
                    self.assertGreater(score["rmse"], score["mae"] * 0.99)
                    self.assertLess(abs(score["total_error"]), 0.2)

    def test_gamma_gamma_recovers_simulated_parameters(self):
        rng = np.random.default_rng(3)
        truth = {"p": 6.0, "q": 4.0, "gamma": 15.0}
        nu = rng.gamma(truth["q"], 1.0 / truth["gamma"], 6000)
        n = 1 + rng.poisson(2.0, 6000)
        mean = rng.gamma(truth["p"] * n, 1.0 / nu) / n

        fit = clv.fit_gamma_gamma(n, mean)

        self.assertTrue(fit.converged)
        self.assertRecovered(fit.params, truth, 0.2)
        # Shrinkage: a customer's expected spend lies between their own mean
        # and the population mean p * gamma / (q - 1) = 30.
        spend = clv.gamma_gamma_expected_spend(fit.params, [1, 1], [10.0, 90.0])
        self.assertTrue(10.0 < spend[0] < 30.0 < spend[1] < 90.0)

    def test_gamma_gamma_on_values_that_hardly_vary_converges(self):
        # Values of 60-140 spread alike within and between customers: the
        # likelihood is a flat ridge towards large q and gamma, where BFGS
        # may stop on precision loss; at a tiny gradient that is the maximum.
        # (the purchase days of test_analytics_model's small shop and probes)
        counts = [4 + index % 4 for index in range(12)]
        counts += [3 + index % 3 for index in range(8)] + [1] * 12
        values = [
            [60.0 + 20.0 * ((3 * c + 7 * k) % 5) for k in range(count)]
            for group in (counts, [8, 8, 1, 1])
            for c, count in enumerate(group)
        ]
        n = np.array([len(v) for v in values])
        mean = np.array([np.mean(v) for v in values])

        fit = clv.fit_gamma_gamma(n, mean)

        self.assertTrue(fit.converged, fit.message)
        self.assertGreater(fit.params["q"], 1.0)
        # Almost no heterogeneity: everyone's next purchase is worth about
        # the population's mean value.
        spend = clv.gamma_gamma_expected_spend(fit.params, n, mean)
        self.assertLess(np.ptp(spend), 0.25 * np.mean(mean))

    def test_predictions_order_customers_sensibly(self):
        params = {"r": 0.8, "alpha": 6.0, "a": 1.5, "b": 4.0}
        fit = clv.Fit(clv.BGNBD, params, 0.0, 1, True)
        # Frequent and recent, frequent and lapsed, once long ago, once lately.
        x = np.array([10.0, 10.0, 0.0, 0.0])
        t_x = np.array([50.0, 10.0, 0.0, 0.0])
        T = np.array([52.0, 52.0, 52.0, 1.0])

        result = clv.predict(fit, x, t_x, T, horizon=26.0, boundaries=[4.0, 26.0])

        alive, quiet, expected = (
            result["p_alive"],
            result["p_no_purchase"],
            result["expected"],
        )
        self.assertGreater(alive[0], alive[1])
        self.assertGreater(expected[0], expected[1])
        self.assertLess(quiet[3], quiet[2])
        np.testing.assert_allclose(result["cumulative"][-1], expected)
        self.assertTrue(np.all(result["cumulative"][0] <= result["cumulative"][1]))
        # BG/NBD and Pareto/NBD agree on the direction for the same history.
        pareto = clv.Fit(
            clv.PARETO_NBD,
            {"r": 0.8, "alpha": 6.0, "s": 0.8, "beta": 30.0},
            0.0,
            1,
            True,
        )
        other = clv.predict(pareto, x, t_x, T, horizon=26.0)
        self.assertGreater(other["p_alive"][0], other["p_alive"][1])
        self.assertLess(other["p_no_purchase"][3], other["p_no_purchase"][2])

    def test_pareto_likelihood_matches_the_closed_form(self):
        # Without repeat purchases the integral has a closed form when
        # alpha = beta: s / (r + s) * (alpha^-(r+s) - (alpha + T)^-(r+s)).
        params = {"r": 0.5, "alpha": 4.0, "s": 0.7, "beta": 4.0}
        T = np.array([3.0, 30.0, 90.0])
        expected = np.log(
            params["alpha"] ** (params["r"] + params["s"])
            * (
                (params["alpha"] + T) ** -(params["r"] + params["s"])
                + params["s"]
                / (params["r"] + params["s"])
                * (
                    params["alpha"] ** -(params["r"] + params["s"])
                    - (params["alpha"] + T) ** -(params["r"] + params["s"])
                )
            )
        )
        got = clv.pareto_log_likelihood(params, np.zeros(3), np.zeros(3), T)
        np.testing.assert_allclose(got, expected, rtol=1e-8)

    def test_degenerate_history_does_not_converge_silently(self):
        # Nobody ever bought twice: the likelihood pushes the rate to zero.
        x = np.zeros(50)
        T = np.linspace(1.0, 50.0, 50)
        best, fits = clv.fit_best(x, x, T)
        for fit in fits.values():
            self.assertTrue(np.all(np.isfinite(list(fit.params.values()))))
        if best is not None:
            self.assertTrue(clv.usable(best))
