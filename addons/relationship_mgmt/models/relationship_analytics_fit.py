import logging

from odoo import api, fields, models

from ..engine import analytics as engine
from ..engine import clv

_logger = logging.getLogger(__name__)

MODEL_KINDS = [
    (clv.BGNBD, "BG/NBD"),
    (clv.PARETO_NBD, "Pareto/NBD"),
    ("rule", "Rhythm rule (fallback)"),
]


class RelationshipAnalyticsFit(models.Model):
    """The customer-base model the last analytics refresh fitted for a
    company: its parameters, how well it fits, and why it fell back to the
    rhythm rule when it did."""

    _name = "relationship.analytics.fit"
    _description = "Customer-Base Model Fit"
    _order = "company_id"
    _rec_name = "company_id"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade"
    )
    model_kind = fields.Selection(MODEL_KINDS, string="Model", readonly=True)
    is_fallback = fields.Boolean(string="Fallback", readonly=True)
    fallback_reason = fields.Text(readonly=True)
    date_fit = fields.Datetime(string="Fitted On", readonly=True)
    date_as_of = fields.Date(string="Data Up To", readonly=True)
    customer_count = fields.Integer(string="Customers", readonly=True)
    repeat_customer_count = fields.Integer(string="Repeat Customers", readonly=True)
    fit_customer_count = fields.Integer(
        string="Customers Fitted",
        readonly=True,
        help="Customers whose histories the likelihood was maximised on (an "
        "even sample of at most 5,000).",
    )
    log_likelihood = fields.Float(digits=(16, 3), readonly=True)
    log_likelihood_per_customer = fields.Float(
        string="Log-Likelihood per Customer",
        digits=(16, 4),
        readonly=True,
        help="Fit quality: the mean log-likelihood of the fitted customers' "
        "histories (higher is better; comparable between models of the same "
        "company and data).",
    )
    bic = fields.Float(string="BIC", digits=(16, 2), readonly=True)
    other_log_likelihoods = fields.Json(
        readonly=True, help="Log-likelihood of the other models fitted."
    )
    parameters = fields.Json(readonly=True, help="Time unit: weeks.")
    spend_parameters = fields.Json(readonly=True, help="Gamma-Gamma p, q, gamma.")
    is_spend_fallback = fields.Boolean(string="Spend Fallback", readonly=True)
    seasonal_index = fields.Json(
        readonly=True,
        help="Monthly index of the purchases (January first, mean 1), with two "
        "years of history or more.",
    )
    summary = fields.Text(compute="_compute_summary")

    _sql_constraints = [
        (
            "company_uniq",
            "unique(company_id)",
            "A company has one customer-base model fit.",
        ),
    ]

    @api.depends("model_kind", "parameters", "spend_parameters", "seasonal_index")
    def _compute_summary(self):
        for fit in self:
            parts = [
                f"{name} = {value:.4g}"
                for name, value in (fit.parameters or {}).items()
            ]
            parts += [
                f"{name} = {value:.4g}"
                for name, value in (fit.spend_parameters or {}).items()
            ]
            if fit.seasonal_index:
                parts.append(
                    self.env._(
                        "seasonal index %(index)s",
                        index=", ".join(f"{value:.2f}" for value in fit.seasonal_index),
                    )
                )
            fit.summary = "; ".join(parts)

    def _fallback_text(self, model):
        _ = self.env._
        if model.fallback_code == engine.FALLBACK_FEW_CUSTOMERS:
            reason = _(
                "Too little history to fit the customer-base model: "
                "%(customers)s customers with orders, %(minimum)s needed.",
                customers=model.customers,
                minimum=engine.MIN_FIT_CUSTOMERS,
            )
        elif model.fallback_code == engine.FALLBACK_NO_REPEAT:
            reason = _(
                "Too few repeat purchases to fit the customer-base model: "
                "%(repeat)s of %(customers)s customers bought on more than one "
                "day, %(minimum)s needed.",
                repeat=model.repeat_customers,
                customers=model.customers,
                minimum=engine.MIN_REPEAT_CUSTOMERS,
            )
        else:
            reason = _(
                "The customer-base model could not be fitted (%(detail)s).",
                detail=model.fallback_detail,
            )
        return _(
            "%(reason)s The churn risk and predictions follow the purchase "
            "rhythm rule instead.",
            reason=reason,
        )

    @api.model
    def _record_fit(self, company, model, as_of):
        """Store the fit of ``company`` (one record per company, replaced at
        each refresh) and log a fallback."""
        reason = self._fallback_text(model) if model.is_fallback else False
        if reason:
            _logger.warning("Analytics of %s: %s", company.name, reason)
        values = {
            "model_kind": model.kind,
            "is_fallback": model.is_fallback,
            "fallback_reason": reason,
            "date_fit": fields.Datetime.now(),
            "date_as_of": as_of,
            "customer_count": model.customers,
            "repeat_customer_count": model.repeat_customers,
            "fit_customer_count": model.fit_customers,
            "log_likelihood": model.log_likelihood,
            "log_likelihood_per_customer": model.log_likelihood / model.fit_customers
            if model.fit_customers
            else 0.0,
            "bic": model.bic,
            "other_log_likelihoods": model.other_fits or False,
            "parameters": model.params or False,
            "spend_parameters": model.spend_params or False,
            "is_spend_fallback": model.spend_fallback,
            "seasonal_index": model.seasonal_index or False,
        }
        fit = self.search([("company_id", "=", company.id)])
        if fit:
            fit.write(values)
        else:
            fit = self.create({"company_id": company.id, **values})
        return fit
