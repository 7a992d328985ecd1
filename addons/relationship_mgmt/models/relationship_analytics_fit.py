import logging

from odoo import api, fields, models

from ..engine import analytics as engine
from ..engine import clv

_logger = logging.getLogger(__name__)

MODEL_SETTINGS = [
    (clv.BGNBD, "BG/NBD"),
    (clv.PARETO_NBD, "Pareto/NBD"),
    ("best", "Best likelihood of both"),
    (engine.AUTO, "Best on held-out history"),
]
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
    model_setting = fields.Selection(
        MODEL_SETTINGS,
        string="Chosen By",
        readonly=True,
        help="The company's model setting when the model was fitted.",
    )
    is_fallback = fields.Boolean(string="Fallback", readonly=True)
    fallback_reason = fields.Text(readonly=True)
    date_fit = fields.Datetime(string="Fitted On", readonly=True)
    date_as_of = fields.Date(string="Data Up To", readonly=True)
    customer_count = fields.Integer(string="Customers", readonly=True)
    repeat_customer_count = fields.Integer(string="Repeat Customers", readonly=True)
    fit_customer_count = fields.Integer(
        string="Customers Fitted",
        readonly=True,
        help="Customers whose histories the likelihood was maximised on (all "
        "of them; identical histories are evaluated once, weighted by their "
        "number).",
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
    validation = fields.Json(
        string="Validation Figures",
        readonly=True,
        help="Setting 'Best on held-out history': the time-split validation "
        "(calibration end, holdout length, each model's error).",
    )
    validation_summary = fields.Text(
        string="Validation", compute="_compute_validation_summary"
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

    @api.depends("validation")
    def _compute_validation_summary(self):
        _ = self.env._
        labels = dict(MODEL_KINDS)
        skipped = {
            "short_history": _("the history is too short to hold a part out"),
            "few_customers": _(
                "too few customers, repeat customers or purchases around the "
                "calibration end"
            ),
            "not_converged": _("neither model could be fitted on the earlier part"),
        }
        for fit in self:
            figures = fit.validation or {}
            if not figures:
                fit.validation_summary = False
                continue
            lines = []
            if figures.get("cutoff"):
                lines.append(
                    _(
                        "Fitted on the history up to %(cutoff)s (%(customers)s "
                        "customers), scored on the purchases of the %(days)s days "
                        "after it (%(purchases)s purchase days).",
                        cutoff=figures["cutoff"],
                        customers=figures.get("customers", 0),
                        days=figures.get("holdout_days", 0),
                        purchases=figures.get("holdout_purchases", 0),
                    )
                )
            for kind, score in (figures.get("scores") or {}).items():
                if not isinstance(score, dict):
                    continue
                if "rmse" in score:
                    total = score.get("total_error")
                    # Babel's extractor cannot read an f-string inside _().
                    total_text = "-" if total is None else f"{100.0 * total:+.1f} %"
                    lines.append(
                        _(
                            "%(model)s: error per customer %(rmse).3f (root mean "
                            "square), %(mae).3f (mean absolute); total %(total)s.",
                            model=labels.get(kind, kind),
                            rmse=score["rmse"],
                            mae=score["mae"],
                            total=total_text,
                        )
                    )
                else:
                    lines.append(
                        _(
                            "%(model)s: not fitted (%(error)s).",
                            model=labels.get(kind, kind),
                            error=score.get("error", ""),
                        )
                    )
            if figures.get("chosen"):
                lines.append(
                    _(
                        "Kept: %(model)s, the lower error.",
                        model=labels.get(figures["chosen"], figures["chosen"]),
                    )
                )
            elif figures.get("skipped"):
                lines.append(
                    _(
                        "Not validated: %(reason)s; %(model)s is used.",
                        reason=skipped.get(figures["skipped"], figures["skipped"]),
                        model=labels[engine.AUTO_FALLBACK],
                    )
                )
            fit.validation_summary = "\n".join(lines)

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
    def _record_fit(self, company, model, as_of, setting=False):
        """Store the fit of ``company`` (one record per company, replaced at
        each refresh) made with the model ``setting``, and log a fallback."""
        reason = self._fallback_text(model) if model.is_fallback else False
        if reason:
            _logger.warning("Analytics of %s: %s", company.name, reason)
        values = {
            "model_kind": model.kind,
            "model_setting": setting,
            "validation": model.validation or False,
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
