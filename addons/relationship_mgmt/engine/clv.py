"""Probabilistic customer-base models, fitted by maximum likelihood.

Pure numpy/scipy, no ORM: every function takes arrays of the customers'
purchase summary and returns arrays.

- ``x``: repeat purchase days (distinct purchase days - 1);
- ``t_x``: time from the first to the last purchase day;
- ``T``: time from the first purchase day to the end of the observation.

Two models of the purchase process (Poisson purchases while active, gamma
heterogeneity of the rate ``lambda ~ Gamma(r, alpha)``):

- **BG/NBD** (Fader, Hardie & Lee 2005): after each purchase the customer
  drops out with probability ``p ~ Beta(a, b)``;
- **Pareto/NBD** (Schmittlein, Morrison & Colombo 1987): an exponential
  lifetime of rate ``mu ~ Gamma(s, beta)``.

And the **Gamma-Gamma** spend model (Fader, Hardie & Lee 2005, "RFM and
CLV"): the value of a purchase is Gamma(p, nu) with ``nu ~ Gamma(q, gamma)``;
fitted here on every purchase day of positive value, the first included, so
that one-time buyers carry their own basket, shrunk towards the mean.

Likelihoods are computed in log space (``gammaln``, ``logaddexp``); the
Pareto/NBD integral over the unobserved dropout time is a Gauss-Legendre
quadrature in ``log(alpha + tau)`` instead of the Gauss hypergeometric
function, which overflows or loses precision for frequent buyers.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special

BGNBD = "bgnbd"
PARETO_NBD = "pareto_nbd"
# Small ridge on the log parameters, on the total log-likelihood (so it
# fades with the number of customers): keeps the histories of a tiny company
# (almost no repeat purchase) from sending a parameter to 0 or infinity.
PENALTY = 0.01
QUADRATURE_NODES = 16
# Above this many distinct histories the fit starts from a fit on an even
# sample of this many (the maximum is still the one over every customer).
WARM_START_HISTORIES = 2000
# BFGS stops on "precision loss" when no step improves the likelihood in
# floating point (a flat ridge, e.g. values that hardly vary): at a gradient
# this small that is the maximum, not a failure.
PRECISION_LOSS_GTOL = 1e-4
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(QUADRATURE_NODES)


@dataclass
class Fit:
    kind: str
    params: dict
    log_likelihood: float  # total over the customers
    customers: int
    converged: bool
    message: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def bic(self):
        return -2.0 * self.log_likelihood + len(self.params) * np.log(
            max(self.customers, 1)
        )


def _rising_derivative(base, x):
    """d/d base of ``_log_rising``: ``sum(1 / (base + k), k < x)``."""
    if np.all(x == np.floor(x)) and x.size and x.max() < 100_000:
        steps = np.concatenate(([0.0], np.cumsum(1.0 / (base + np.arange(x.max())))))
        return steps[x.astype(np.int64)]
    return special.digamma(base + x) - special.digamma(base)


def _log_rising(base, x):
    """``log(base (base + 1) ... (base + x - 1))`` = ``gammaln(base + x) -
    gammaln(base)``: for integer counts a cumulative sum looked up per
    customer, far cheaper than two ``gammaln`` per customer in a fit."""
    if np.all(x == np.floor(x)) and x.size and x.max() < 100_000:
        steps = np.concatenate(([0.0], np.cumsum(np.log(base + np.arange(x.max())))))
        return steps[x.astype(np.int64)]
    return special.gammaln(base + x) - special.gammaln(base)


def _logsumexp(values, weights):
    top = np.max(values, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return np.log(np.sum(weights * np.exp(values - top), axis=-1)) + top[..., 0]


def _arrays(*values):
    return [np.asarray(value, dtype=float) for value in values]


def _mean(values, weights):
    """Mean over the customers of a per-history array, each history counted
    ``weights`` times (None: once)."""
    if weights is None:
        return float(np.mean(values))
    return float(np.dot(values, weights) / weights.sum())


def group_histories(*columns):
    """The distinct rows of the per-customer ``columns`` (e.g. ``x, t_x, T``)
    and how many customers share each: the likelihood of a company is the
    count-weighted sum over its distinct histories, the same as over its
    customers. Returns ``(*columns, counts)``."""
    stacked = np.column_stack(_arrays(*columns))
    if not len(stacked):
        return (*(np.zeros(0) for __ in columns), np.zeros(0))
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return (*unique.T, counts.astype(float))


def _minimise(
    negative_ll,
    start,
    names,
    kind,
    customers,
    transform=np.exp,
    gradient=None,
    hess_inv=None,
):
    """Minimise a mean negative log-likelihood over log parameters, plus the
    ridge ``PENALTY`` on the total; ``gradient(theta)`` (optional) returns the
    mean's gradient in ``theta``; ``hess_inv``: BFGS's first estimate of the
    inverse Hessian (from a fit on a sample)."""
    penalty = PENALTY / max(customers, 1)

    def objective(theta):
        value = negative_ll(transform(theta)) + penalty * float(theta @ theta)
        return value if np.isfinite(value) else 1e10

    def jacobian(theta):
        value = gradient(theta) + 2.0 * penalty * theta
        return np.where(np.isfinite(value), value, 0.0)

    with np.errstate(all="ignore"):
        # BFGS on the log parameters: unbounded, and no BLAS call per step
        # (L-BFGS-B's threaded BLAS cost seconds on a busy 2-core machine).
        result = optimize.minimize(
            objective,
            np.asarray(start, dtype=float),
            jac=jacobian if gradient else None,
            method="BFGS",
            options={"gtol": 1e-6, "maxiter": 400, "hess_inv0": hess_inv},
        )
        params = transform(result.x)
        ll = -negative_ll(params) * customers
    stopped_at_maximum = result.success or (
        result.status == 2
        and np.all(np.isfinite(result.jac))
        and float(np.max(np.abs(result.jac))) < PRECISION_LOSS_GTOL
    )
    converged = bool(stopped_at_maximum) and bool(np.isfinite(ll))
    # A parameter running to 0 or infinity is no maximum of the likelihood.
    if converged and np.any(np.abs(result.x) >= 12.0):
        converged = False
        message = "a parameter ran to 0 or infinity"
    else:
        message = "" if converged else str(result.message)
    return Fit(
        kind=kind,
        params=dict(zip(names, (float(value) for value in params), strict=True)),
        log_likelihood=float(ll),
        customers=int(round(customers)),
        converged=converged,
        message=message,
        extra={"theta": result.x, "hess_inv": result.hess_inv, "steps": result.nit},
    )


def _fit(kind, names, scaled, log_likelihood, gradient, x, t_x, T, counts=None):
    """Maximum-likelihood fit of a purchase-process model on every customer:
    ``log_likelihood`` and ``gradient`` (the count-weighted mean gradient in
    the log parameters) take ``(params, x, t_x, T[, counts])``. Identical
    histories are evaluated once, weighted by their number (``counts``, or
    grouped here when None). The ``scaled`` parameters (scales of time) are
    fitted in units of the mean ``T`` and returned in the unit of ``T``."""
    if counts is None:
        x, t_x, T, counts = group_histories(x, t_x, T)
    else:
        x, t_x, T, counts = _arrays(x, t_x, T, counts)
    total = float(counts.sum())
    scale = max(float(np.dot(T, counts) / max(total, 1.0)), 1e-9)
    factors = np.array([scale if name in scaled else 1.0 for name in names])

    def unpack(p):
        return dict(zip(names, p * factors, strict=True))

    def run(rows, start, hess_inv=None):
        x, t_x, T, counts = (column[rows] for column in (x_all, t_x_all, T_all, w_all))
        # A sample's counts are scaled to the company's total (same ridge).
        counts = counts * (total / counts.sum())

        def negative_ll(p):
            return -_mean(log_likelihood(unpack(p), x, t_x, T), counts)

        def negative_gradient(theta):
            return -gradient(unpack(np.exp(theta)), x, t_x, T, counts)

        return _minimise(
            negative_ll,
            start,
            names,
            kind,
            total,
            gradient=negative_gradient,
            hess_inv=hess_inv,
        )

    x_all, t_x_all, T_all, w_all = x, t_x, T, counts
    everyone = np.arange(len(x))
    start, hess_inv = np.zeros(len(names)), None
    if len(x) > WARM_START_HISTORIES:
        # Many distinct histories: most of the way on an even sample of
        # them, the last steps (few, from the sample's curvature) on all.
        sample = np.unique(
            np.linspace(0, len(x) - 1, WARM_START_HISTORIES).round().astype(int)
        )
        warm = run(sample, start)
        if usable(warm):
            start, hess_inv = warm.extra["theta"], warm.extra["hess_inv"]
            symmetric = (hess_inv + hess_inv.T) / 2.0
            hess_inv = symmetric if np.all(np.linalg.eigvalsh(symmetric) > 0) else None
    fit = run(everyone, start, hess_inv)
    fit.extra["histories"] = len(x)
    for name in scaled:
        fit.params[name] *= scale
    return fit


# ----------------------------------------------------------------------
# BG/NBD
# ----------------------------------------------------------------------


def bgnbd_log_likelihood(params, x, t_x, T):
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    x, t_x, T = _arrays(x, t_x, T)
    # B(a, b + x) / B(a, b) = rising(b, x) / rising(a + b, x)
    common = (
        _log_rising(r, x)
        + r * np.log(alpha)
        + _log_rising(b, x)
        - _log_rising(a + b, x)
    )
    alive = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    dropped = np.full_like(x, -np.inf)
    # B(a + 1, b + x - 1) / B(a, b + x) = a / (b + x - 1)
    dropped[repeat] = (
        np.log(a)
        - np.log(b + x[repeat] - 1.0)
        - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    )
    return common + np.logaddexp(alive, dropped)


def bgnbd_gradient(params, x, t_x, T, counts=None):
    """Mean gradient of the log-likelihood in the log parameters (histories
    weighted by ``counts``)."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    repeat = x > 0
    log_alive = -(r + x) * np.log(alpha + T)
    log_dropped = np.full_like(x, -np.inf)
    log_dropped[repeat] = (
        np.log(a)
        - np.log(b + x[repeat] - 1.0)
        - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    )
    w = special.expit(log_dropped - log_alive)  # share of the dropped term
    d_ab = _rising_derivative(a + b, x)
    d_r = (
        _rising_derivative(r, x)
        + np.log(alpha)
        - (1.0 - w) * np.log(alpha + T)
        - w * np.log(alpha + t_x)
    )
    d_alpha = r / alpha - (r + x) * ((1.0 - w) / (alpha + T) + w / (alpha + t_x))
    d_a = -d_ab + w / a
    d_b = (
        _rising_derivative(b, x)
        - d_ab
        - np.divide(w, b + x - 1.0, out=np.zeros_like(x), where=repeat)
    )
    return np.array(
        [
            r * _mean(d_r, counts),
            alpha * _mean(d_alpha, counts),
            a * _mean(d_a, counts),
            b * _mean(d_b, counts),
        ]
    )


def fit_bgnbd(x, t_x, T, counts=None):
    return _fit(
        BGNBD,
        ("r", "alpha", "a", "b"),
        ("alpha",),
        bgnbd_log_likelihood,
        bgnbd_gradient,
        x,
        t_x,
        T,
        counts,
    )


def bgnbd_p_alive(params, x, t_x, T):
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    x, t_x, T = _arrays(x, t_x, T)
    log_odds = np.full_like(x, -np.inf)
    repeat = x > 0
    log_odds[repeat] = (
        np.log(a)
        - np.log(b + x[repeat] - 1.0)
        + (r + x[repeat]) * (np.log(alpha + T[repeat]) - np.log(alpha + t_x[repeat]))
    )
    return special.expit(-log_odds)


def bgnbd_expected_purchases(params, x, t_x, T, t, alive=None):
    """Expected purchases in ``(T, T + t]`` (``t`` broadcasts: a column of
    times gives one row per time)."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    x, t_x, T = _arrays(x, t_x, T)
    t = np.asarray(t, dtype=float)
    with np.errstate(all="ignore"):
        z = t / (alpha + T + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1.0, z)
        power = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
        if abs(a - 1.0) < 1e-6:
            a = 1.0 + 1e-6  # a removable singularity at a = 1
        value = (a + b + x - 1.0) / (a - 1.0) * (1.0 - power * hyp)
        if alive is None:
            alive = bgnbd_p_alive(params, x, t_x, T)
        value = value * alive
    return np.clip(np.nan_to_num(value, nan=0.0, posinf=0.0), 0.0, None)


def bgnbd_p_no_purchase(params, x, t_x, T, h, alive=None):
    """P(no purchase in ``(T, T + h]``): dropped out, or active and quiet (a
    BG/NBD customer only drops out right after a purchase)."""
    r, alpha = params["r"], params["alpha"]
    x, t_x, T = _arrays(x, t_x, T)
    if alive is None:
        alive = bgnbd_p_alive(params, x, t_x, T)
    quiet = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + h)))
    return 1.0 - alive + alive * quiet


# ----------------------------------------------------------------------
# Pareto/NBD
# ----------------------------------------------------------------------


def _log_integral(start, end, A, p, B, q):
    """log of the integral over ``[start, end]`` of
    ``(A + tau)^-p (B + tau)^-q``, vectorised, by Gauss-Legendre in
    ``v = log(A + tau)``; ``-inf`` where the interval is empty."""
    start, end, A, p, B, q = np.broadcast_arrays(*_arrays(start, end, A, p, B, q))
    v0, v1 = np.log(A + start), np.log(A + end)
    half = (v1 - v0) / 2.0
    v = v0[..., None] + half[..., None] * (_NODES + 1.0)
    tau = np.exp(v) - A[..., None]
    log_f = (1.0 - p[..., None]) * v - q[..., None] * np.log(B[..., None] + tau)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _logsumexp(log_f, _WEIGHTS) + np.log(half)
    return np.where(half > 0, out, -np.inf)


def _integral_moments(start, end, A, p, B, q):
    """The log-integral of ``_log_integral`` and, under the normalised
    integrand, the means of ``log(A + tau)``, ``1 / (A + tau)``,
    ``log(B + tau)`` and ``1 / (B + tau)`` (for the gradient)."""
    start, end, A, p, B, q = np.broadcast_arrays(*_arrays(start, end, A, p, B, q))
    v0, v1 = np.log(A + start), np.log(A + end)
    half = (v1 - v0) / 2.0
    v = v0[..., None] + half[..., None] * (_NODES + 1.0)
    tau = np.exp(v) - A[..., None]
    log_b = np.log(B[..., None] + tau)
    log_f = (1.0 - p[..., None]) * v - q[..., None] * log_b
    with np.errstate(divide="ignore", invalid="ignore"):
        top = np.max(log_f, axis=-1, keepdims=True)
        weights = _WEIGHTS * np.exp(log_f - top)
        total = weights.sum(axis=-1)
        log_i = np.log(total) + top[..., 0] + np.log(half)
        share = weights / total[..., None]
    moments = [
        np.sum(share * values, axis=-1)
        for values in (v, np.exp(-v), log_b, np.exp(-log_b))
    ]
    return np.where(half > 0, log_i, -np.inf), moments


def pareto_gradient(params, x, t_x, T, counts=None):
    """Mean gradient of the Pareto/NBD log-likelihood in the log parameters
    (histories weighted by ``counts``)."""
    r, alpha, s, beta = (params[k] for k in ("r", "alpha", "s", "beta"))
    log_i, (e_log_a, e_inv_a, e_log_b, e_inv_b) = _integral_moments(
        t_x, T, alpha, r + x, beta, s + 1.0
    )
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    w = special.expit(np.log(s) + log_i - alive)  # share of the drop-out term
    w = np.where(np.isfinite(log_i), w, 0.0)
    e_log_a, e_inv_a, e_log_b, e_inv_b = (
        np.nan_to_num(m) for m in (e_log_a, e_inv_a, e_log_b, e_inv_b)
    )
    d_r = (
        _rising_derivative(r, x)
        + np.log(alpha)
        - (1.0 - w) * np.log(alpha + T)
        - w * e_log_a
    )
    d_alpha = r / alpha - (r + x) * ((1.0 - w) / (alpha + T) + w * e_inv_a)
    d_s = np.log(beta) - (1.0 - w) * np.log(beta + T) + w * (1.0 / s - e_log_b)
    d_beta = s / beta - (1.0 - w) * s / (beta + T) - w * (s + 1.0) * e_inv_b
    return np.array(
        [
            r * _mean(d_r, counts),
            alpha * _mean(d_alpha, counts),
            s * _mean(d_s, counts),
            beta * _mean(d_beta, counts),
        ]
    )


def _pareto_terms(params, x, t_x, T):
    r, alpha, s, beta = (params[k] for k in ("r", "alpha", "s", "beta"))
    x, t_x, T = _arrays(x, t_x, T)
    common = _log_rising(r, x) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    dropped = np.log(s) + _log_integral(t_x, T, alpha, r + x, beta, s + 1.0)
    return common, alive, dropped


def pareto_log_likelihood(params, x, t_x, T):
    common, alive, dropped = _pareto_terms(params, x, t_x, T)
    return common + np.logaddexp(alive, dropped)


def fit_pareto_nbd(x, t_x, T, counts=None):
    return _fit(
        PARETO_NBD,
        ("r", "alpha", "s", "beta"),
        ("alpha", "beta"),
        pareto_log_likelihood,
        pareto_gradient,
        x,
        t_x,
        T,
        counts,
    )


def pareto_p_alive(params, x, t_x, T):
    __, alive, dropped = _pareto_terms(params, x, t_x, T)
    return np.exp(alive - np.logaddexp(alive, dropped))


def pareto_expected_purchases(params, x, t_x, T, t, alive=None):
    r, alpha, s, beta = (params[k] for k in ("r", "alpha", "s", "beta"))
    x, t_x, T = _arrays(x, t_x, T)
    t = np.asarray(t, dtype=float)
    log_ratio = np.log(beta + T) - np.log(beta + T + t)  # <= 0
    if abs(s - 1.0) < 1e-6:
        lifetime = -(beta + T) * log_ratio
    else:
        lifetime = (beta + T) * -np.expm1((s - 1.0) * log_ratio) / (s - 1.0)
    rate = (r + x) / (alpha + T)
    if alive is None:
        alive = pareto_p_alive(params, x, t_x, T)
    return np.clip(alive * rate * lifetime, 0.0, None)


def pareto_p_no_purchase(params, x, t_x, T, h, alive=None):
    """P(no purchase in ``(T, T + h]``): dropped out by ``T``, or active at
    ``T`` and then neither buying before ``T + h`` nor before dying."""
    r, alpha, s, beta = (params[k] for k in ("r", "alpha", "s", "beta"))
    x, t_x, T = _arrays(x, t_x, T)
    A, B = alpha + T, beta + T
    log_scale = (r + x) * np.log(A) + s * np.log(B)
    quiet = log_scale - (r + x) * np.log(A + h) - s * np.log(B + h)
    died = (
        log_scale
        + np.log(s)
        + _log_integral(np.zeros_like(T), np.full_like(T, h), A, r + x, B, s + 1.0)
    )
    if alive is None:
        alive = pareto_p_alive(params, x, t_x, T)
    return 1.0 - alive + alive * np.clip(np.exp(np.logaddexp(quiet, died)), 0.0, 1.0)


# ----------------------------------------------------------------------
# Dispatch on the kind of model
# ----------------------------------------------------------------------

FITTERS = {BGNBD: fit_bgnbd, PARETO_NBD: fit_pareto_nbd}
P_ALIVE = {BGNBD: bgnbd_p_alive, PARETO_NBD: pareto_p_alive}
EXPECTED = {BGNBD: bgnbd_expected_purchases, PARETO_NBD: pareto_expected_purchases}
NO_PURCHASE = {BGNBD: bgnbd_p_no_purchase, PARETO_NBD: pareto_p_no_purchase}


def usable(fit):
    """A fit whose predictions can be trusted: converged, finite."""
    return fit.converged and all(np.isfinite(list(fit.params.values())))


def fit_best(x, t_x, T, kinds=(BGNBD, PARETO_NBD), counts=None):
    """Fit each model kind (histories weighted by ``counts``, see
    ``group_histories``); keep the usable one with the highest
    log-likelihood (both have 4 parameters, so this is also the lower BIC).
    Returns ``(best or None, {kind: fit})``."""
    fits = {kind: FITTERS[kind](x, t_x, T, counts) for kind in kinds}
    candidates = [fit for fit in fits.values() if usable(fit)]
    best = max(candidates, key=lambda fit: fit.log_likelihood, default=None)
    return best, fits


def holdout_scores(x, t_x, T, holdout, length, kinds=(BGNBD, PARETO_NBD)):
    """Time-split validation: fit each kind on the calibration histories
    ``(x, t_x, T)`` (one row per customer), predict each customer's
    purchases in the ``length`` that followed and compare with what they
    bought then (``holdout``). Returns ``(kind or None, scores)``: the usable
    kind with the lowest root mean squared error per customer (the expected
    purchases are a conditional mean, which squared error scores), and per
    kind its ``rmse``, ``mae``, ``total_error`` (predicted / actual - 1) and
    calibration ``log_likelihood`` (or ``error`` when it could not be
    fitted)."""
    x, t_x, T, holdout = _arrays(x, t_x, T, holdout)
    group_x, group_t_x, group_T, counts = group_histories(x, t_x, T)
    actual = float(holdout.sum())
    scores = {}
    for kind in kinds:
        fit = FITTERS[kind](group_x, group_t_x, group_T, counts)
        if not usable(fit):
            scores[kind] = {"error": fit.message or "unusable parameters"}
            continue
        with np.errstate(all="ignore"):
            predicted = EXPECTED[kind](fit.params, x, t_x, T, length)
        error = predicted - holdout
        scores[kind] = {
            "rmse": float(np.sqrt(np.mean(error**2))),
            "mae": float(np.mean(np.abs(error))),
            "total_error": float(predicted.sum() / actual - 1.0) if actual else None,
            "log_likelihood": fit.log_likelihood,
            "params": fit.params,
        }
    scored = [kind for kind in kinds if "rmse" in scores[kind]]
    chosen = min(scored, key=lambda kind: scores[kind]["rmse"], default=None)
    return chosen, scores


def predict(fit, x, t_x, T, horizon, boundaries=None):
    """Per customer: P(active), P(no purchase within ``horizon``), expected
    purchases within it, and (with ``boundaries``, a list of times) the
    expected purchases in ``(T, T + b]`` for each boundary ``b`` (one row per
    boundary)."""
    params = fit.params
    with np.errstate(all="ignore"):
        alive = P_ALIVE[fit.kind](params, x, t_x, T)  # computed once, used thrice
        result = {
            "p_alive": alive,
            "p_no_purchase": NO_PURCHASE[fit.kind](
                params, x, t_x, T, horizon, alive=alive
            ),
            "expected": EXPECTED[fit.kind](params, x, t_x, T, horizon, alive=alive),
        }
        if boundaries is not None and len(boundaries):
            times = np.asarray(boundaries, dtype=float)[:, None]
            result["cumulative"] = EXPECTED[fit.kind](
                params, x, t_x, T, times, alive=alive
            )
    return result


def next_purchase_quantiles(fit, x, T, quantiles=(0.25, 0.5, 0.75)):
    """Time from ``T`` to the next purchase of a customer still active, at
    the given quantiles: the posterior rate is Gamma(r + x, alpha + T) in
    both models, so the waiting time is Lomax. One row per quantile."""
    r, alpha = fit.params["r"], fit.params["alpha"]
    x, T = _arrays(x, T)
    q = np.asarray(quantiles, dtype=float)[:, None]
    return (alpha + T) * np.expm1(-np.log1p(-q) / (r + x))


# ----------------------------------------------------------------------
# Gamma-Gamma spend
# ----------------------------------------------------------------------


def gamma_gamma_log_likelihood(params, n, mean):
    p, q, gamma = params["p"], params["q"], params["gamma"]
    n, mean = _arrays(n, mean)
    return (
        special.gammaln(p * n + q)
        - special.gammaln(p * n)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (p * n - 1.0) * np.log(mean)
        + p * n * np.log(n)
        - (p * n + q) * np.log(gamma + n * mean)
    )


def fit_gamma_gamma(n, mean):
    """``n`` purchases of positive value per customer and their mean value.
    ``q`` is kept above 1 (the population mean ``p gamma / (q - 1)`` must
    exist)."""
    n, mean = _arrays(n, mean)
    scale = max(float(np.mean(mean)), 1e-9)
    scaled = mean / scale

    def transform(theta):
        return np.array([np.exp(theta[0]), 1.0 + np.exp(theta[1]), np.exp(theta[2])])

    def negative_ll(p):
        params = {"p": p[0], "q": p[1], "gamma": p[2]}
        return -float(np.mean(gamma_gamma_log_likelihood(params, n, scaled)))

    def gradient(theta):
        p, q, gamma = transform(theta)
        both = special.digamma(p * n + q)
        log_total = np.log(gamma + n * scaled)
        d_p = n * (
            both - special.digamma(p * n) + np.log(scaled) + np.log(n) - log_total
        )
        d_q = both - special.digamma(q) + np.log(gamma) - log_total
        d_gamma = q / gamma - (p * n + q) / (gamma + n * scaled)
        return -np.array(
            [p * d_p.mean(), (q - 1.0) * d_q.mean(), gamma * d_gamma.mean()]
        )

    fit = _minimise(
        negative_ll,
        [0.0, 0.0, 0.0],
        ("p", "q", "gamma"),
        "gamma_gamma",
        len(n),
        transform=transform,
        gradient=gradient,
    )
    # Undo the scaling of the values in the likelihood too.
    fit.log_likelihood -= float(np.sum(np.log(scale) * np.ones_like(n)))
    fit.params["gamma"] *= scale
    return fit


def gamma_gamma_expected_spend(params, n, mean):
    """Expected value of a customer's next purchase: a weighted average of
    the population mean and the customer's own mean (``n = 0``: the
    population mean)."""
    p, q, gamma = params["p"], params["q"], params["gamma"]
    n, mean = _arrays(n, mean)
    mean = np.where(n > 0, mean, 0.0)
    return p * (gamma + n * mean) / (p * n + q - 1.0)


# ----------------------------------------------------------------------
# Seasonality and simulation (tests, back-tests)
# ----------------------------------------------------------------------


def seasonal_index(month_counts, month_exposure):
    """Monthly index (mean 1) from purchase days per calendar month and the
    number of times each calendar month was observed (partial months as
    fractions). Each month's rate is shrunk towards the average by one month
    of average purchases, so that a month seen twice does not swing to 0."""
    counts, exposure = _arrays(month_counts, month_exposure)
    if exposure.sum() <= 0 or counts.sum() <= 0:
        return np.ones(12)
    average = counts.sum() / exposure.sum()
    rates = (counts + average) / (exposure + 1.0)
    return rates / rates.mean()


def simulate_bgnbd(params, T, rng, holdout=None):
    """Draw ``(x, t_x)`` for customers observed for ``T`` each (tests); with
    ``holdout`` (a length of time), also the purchases in ``(T, T +
    holdout]``: ``(x, t_x, later)``."""
    T = np.asarray(T, dtype=float)
    n = len(T)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    return _simulate(T, lam, rng, holdout, quits=lambda: rng.random(n) < p)


def _simulate(T, lam, rng, holdout, death=None, quits=None):
    """Poisson purchases of rate ``lam`` from 0 (the first purchase, not
    counted) until ``death`` or until ``quits()`` says so after a purchase."""
    n = len(T)
    end = T + (holdout or 0.0)
    if death is not None:
        end = np.minimum(end, death)
    x = np.zeros(n)
    t_x = np.zeros(n)
    later = np.zeros(n)
    now = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        now[active] += rng.exponential(1.0 / lam[active])
        bought = active & (now <= end)
        calibration = bought & (now <= T)
        x[calibration] += 1
        t_x[calibration] = now[calibration]
        later[bought & ~calibration] += 1
        active = bought if quits is None else bought & ~quits()
    return (x, t_x) if holdout is None else (x, t_x, later)


def simulate_pareto_nbd(params, T, rng, holdout=None):
    """As ``simulate_bgnbd``, with an exponential lifetime."""
    T = np.asarray(T, dtype=float)
    n = len(T)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    mu = rng.gamma(params["s"], 1.0 / params["beta"], n)
    death = rng.exponential(1.0 / mu)
    return _simulate(T, lam, rng, holdout, death=death)
