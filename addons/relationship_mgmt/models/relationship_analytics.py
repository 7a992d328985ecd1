import logging
from operator import itemgetter

from babel.dates import get_month_names

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression
from odoo.tools import SQL, format_amount, format_date, split_every

from ..engine import analytics as engine
from ..engine.engagement import RFM_SEGMENTS, partner_filter
from ..engine.signals import excluded_partner_ids
from ..tools import batch_runner, bulk, texts

_logger = logging.getLogger(__name__)

CHURN_LEVELS = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
# Stored analytics, in the order engine.customer_analytics() returns them,
# with their SQL types for the bulk load.
VALUE_COLUMNS = {
    "order_count": "int4",
    "first_order_date": "date",
    "last_order_date": "date",
    "revenue_to_date": "numeric",
    "refund_to_date": "numeric",
    "discount_to_date": "numeric",
    "margin_to_date": "numeric",
    "margin_percent": "float8",
    "categ_id": "int4",
    "average_order_value": "numeric",
    "season_mask": "int4",
    "own_gap_days": "float8",
    "expected_gap_days": "float8",
    "days_since_last_order": "int4",
    "churn_risk": "float8",
    "next_order_date": "date",
    "next_order_value": "numeric",
    "predicted_revenue": "numeric",
    "predicted_margin": "numeric",
    "purchase_days": "int4",
    "p_alive": "float8",
    "expected_purchases": "float8",
    "next_window_start": "date",
    "next_window_end": "date",
    "forecast_purchases": "jsonb",
    "fit_id": "int4",
}


class RelationshipAnalytics(models.Model):
    _name = "relationship.analytics"
    _description = "Customer Analytics"
    _order = "predicted_revenue desc, id"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        ondelete="cascade",
    )  # indexed by the partner_company_uniq constraint, which leads with it
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        related="partner_id.user_id", string="Salesperson", readonly=True
    )
    rfm_segment = fields.Selection(
        RFM_SEGMENTS,
        string="RFM Segment",
        readonly=True,
        help="The customer's segment when the analytics were refreshed.",
    )
    date_computed = fields.Datetime(string="Last Computed", readonly=True)
    date_as_of = fields.Date(
        string="Data Up To",
        readonly=True,
        help="Documents up to this day (included) were analysed; the forecast "
        "starts with its month.",
    )
    horizon_months = fields.Integer(string="Horizon (months)", readonly=True)

    order_count = fields.Integer(string="Orders to Date", readonly=True)
    first_order_date = fields.Date(readonly=True)
    last_order_date = fields.Date(readonly=True)
    days_since_last_order = fields.Integer(readonly=True)
    own_gap_days = fields.Float(
        string="Usual Gap (days)",
        digits=(16, 1),
        readonly=True,
        help="Average number of days between two orders of this customer.",
    )
    expected_gap_days = fields.Float(
        string="Expected Wait (days)",
        digits=(16, 1),
        readonly=True,
        help="Median number of days from the analysed day to the next purchase "
        "of a customer like this one who is still active (rhythm rule: the "
        "customer's usual gap, or the company's typical one).",
    )
    churn_risk = fields.Float(
        digits=(5, 1),
        readonly=True,
        aggregator="avg",
        help="Probability (0-100) that the customer makes no purchase within the "
        "horizon.",
    )
    purchase_days = fields.Integer(
        readonly=True, help="Days with at least one confirmed order."
    )
    p_alive = fields.Float(
        string="Probability Active (%)",
        digits=(5, 1),
        readonly=True,
        aggregator="avg",
        help="Probability that the customer is still buying, from the company's "
        "customer-base model.",
    )
    expected_purchases = fields.Float(
        digits=(16, 2),
        readonly=True,
        help="Expected purchase days over the horizon.",
    )
    next_window_start = fields.Date(string="Next Purchase From", readonly=True)
    next_window_end = fields.Date(string="Next Purchase Until", readonly=True)
    forecast_purchases = fields.Json(
        readonly=True,
        help="Expected purchases in each forecast month, from the month of the "
        "day after the analysed day.",
    )
    fit_id = fields.Many2one(
        "relationship.analytics.fit", string="Model Fit", readonly=True
    )
    model_kind = fields.Selection(related="fit_id.model_kind", string="Model")
    is_model_fallback = fields.Boolean(
        related="fit_id.is_fallback", string="Model Fallback"
    )
    model_fallback_reason = fields.Text(related="fit_id.fallback_reason")
    churn_level = fields.Selection(
        CHURN_LEVELS, compute="_compute_churn_level", search="_search_churn_level"
    )
    next_order_date = fields.Date(string="Expected Next Order", readonly=True)
    next_order_value = fields.Monetary(string="Expected Next Value", readonly=True)

    revenue_to_date = fields.Monetary(
        readonly=True, help="Untaxed invoiced revenue, net of refunds."
    )
    refund_to_date = fields.Monetary(string="Refunds to Date", readonly=True)
    discount_to_date = fields.Monetary(string="Discounts to Date", readonly=True)
    margin_to_date = fields.Monetary(
        readonly=True,
        help="Margin of the confirmed orders, less the refunds of their invoices.",
    )
    margin_percent = fields.Float(
        string="Margin (%)", digits=(16, 1), readonly=True, aggregator="avg"
    )
    average_order_value = fields.Monetary(string="Average Basket", readonly=True)
    categ_id = fields.Many2one(
        "product.category", string="Preferred Category", readonly=True
    )
    season_mask = fields.Integer(readonly=True)
    season_months = fields.Char(
        string="Buying Months", compute="_compute_season_months"
    )
    predicted_revenue = fields.Monetary(
        readonly=True,
        help="Expected untaxed revenue over the horizon.",
    )
    predicted_margin = fields.Monetary(readonly=True)
    lifetime_value = fields.Monetary(
        compute="_compute_lifetime_value",
        help="Revenue to date plus the predicted revenue.",
    )
    explanation = fields.Text(compute="_compute_explanation")

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique(partner_id, company_id)",
            "A customer has one analytics record per company.",
        ),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("churn_risk", "order_count")
    def _compute_churn_level(self):
        for record in self:
            risk = record.churn_risk if record.order_count else None
            record.churn_level = engine.risk_level(risk)

    def _search_churn_level(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(
                self.env._(
                    "The churn level is searched with =, !=, in or not in, not "
                    "%(operator)s.",
                    operator=operator,
                )
            )
        levels = {value} if isinstance(value, str) else set(value or [])
        bounds = {
            "low": [("churn_risk", "<", engine.MEDIUM_RISK)],
            "medium": [
                ("churn_risk", ">=", engine.MEDIUM_RISK),
                ("churn_risk", "<", engine.HIGH_RISK),
            ],
            "high": [("churn_risk", ">=", engine.HIGH_RISK)],
        }
        domain = expression.AND(
            [
                [("order_count", ">", 0)],
                expression.OR([bounds[level] for level in levels if level in bounds]),
            ]
        )
        if operator in ("!=", "not in"):
            return ["!", *expression.normalize_domain(domain)]
        return domain

    @api.depends("season_mask")
    @api.depends_context("lang")
    def _compute_season_months(self):
        names = get_month_names(
            "abbreviated", locale=self.env.lang or "en_US"
        )  # 1-based
        for record in self:
            record.season_months = ", ".join(
                names[month]
                for month in range(1, 13)
                if record.season_mask & (1 << (month - 1))
            )

    @api.depends("revenue_to_date", "predicted_revenue")
    def _compute_lifetime_value(self):
        for record in self:
            record.lifetime_value = record.revenue_to_date + record.predicted_revenue

    @api.depends(
        "churn_risk",
        "order_count",
        "expected_gap_days",
        "own_gap_days",
        "days_since_last_order",
        "predicted_revenue",
        "margin_to_date",
        "refund_to_date",
        "p_alive",
        "expected_purchases",
        "next_window_start",
        "next_window_end",
        "fit_id",
    )
    def _compute_explanation(self):
        for record in self:
            record.explanation = "\n".join(record._analytics_reasons())

    def _analytics_reasons(self):
        self.ensure_one()
        _ = self.env._
        if not self.order_count:
            return [_("No confirmed order yet: no rhythm, risk or forecast.")]
        money = self._money
        if self.fit_id and not self.fit_id.is_fallback:
            lines = self._model_reasons()
        else:
            lines = self._rule_reasons()
        lines.append(
            _(
                "Predicted over %(months)s: %(revenue)s of revenue "
                "(%(margin)s margin) from %(basket)s average baskets.",
                months=texts.months_count(self.env, self.horizon_months),
                revenue=money(self.predicted_revenue),
                margin=money(self.predicted_margin),
                basket=money(self.average_order_value),
            )
        )
        if self.refund_to_date:
            lines.append(
                _(
                    "Refunds of %(refunds)s lower the revenue and margin to date.",
                    refunds=money(self.refund_to_date),
                )
            )
        return lines

    def _model_reasons(self):
        _ = self.env._
        fit = self.fit_id
        kind = dict(fit._fields["model_kind"].selection).get(fit.model_kind)
        if self.purchase_days > 1:
            lines = [
                _(
                    "%(days)s purchase days, %(gap)s apart on average; the "
                    "last one %(since)s.",
                    days=self.purchase_days,
                    gap=texts.days_count(self.env, round(self.own_gap_days)),
                    since=texts.days_ago(self.env, self.days_since_last_order),
                )
            ]
        else:
            lines = [
                _(
                    "A single purchase day, %(since)s.",
                    since=texts.days_ago(self.env, self.days_since_last_order),
                )
            ]
        lines.append(
            _(
                "%(model)s model of the company (%(customers)s customers): "
                "%(alive)s%% probability that the customer is still active, "
                "%(purchases)s purchases expected in the next %(months)s, "
                "churn risk %(risk)s/100 (the probability of no purchase in that "
                "time).",
                model=kind,
                customers=fit.customer_count,
                alive=self.p_alive,
                purchases=round(self.expected_purchases, 2),
                months=texts.months_count(self.env, self.horizon_months),
                risk=self.churn_risk,
            )
        )
        if self.next_order_date:
            lines.append(
                _(
                    "If still active, the next purchase is expected around "
                    "%(date)s (half of such customers buy between %(start)s and "
                    "%(end)s).",
                    date=format_date(self.env, self.next_order_date),
                    start=format_date(self.env, self.next_window_start),
                    end=format_date(self.env, self.next_window_end)
                    if self.next_window_end
                    else _("later"),
                )
            )
        return lines

    def _rule_reasons(self):
        _ = self.env._
        lines = []
        if self.fit_id.fallback_reason:
            lines.append(self.fit_id.fallback_reason)
        if self.own_gap_days:
            lines.append(
                _(
                    "Orders every %(gap)s on average; last order %(days)s.",
                    gap=texts.days_count(self.env, round(self.own_gap_days)),
                    days=texts.days_ago(self.env, self.days_since_last_order),
                )
            )
        else:
            lines.append(
                _(
                    "A single order, %(days)s; customers of this company "
                    "reorder every %(gap)s.",
                    days=texts.days_ago(self.env, self.days_since_last_order),
                    gap=texts.days_count(self.env, round(self.expected_gap_days)),
                )
            )
        overdue = self.days_since_last_order - round(self.expected_gap_days)
        if overdue > 0:
            lines.append(
                _(
                    "The next order is %(days)s overdue: churn risk %(risk)s/100.",
                    days=texts.days_count(self.env, overdue),
                    risk=self.churn_risk,
                )
            )
        else:
            lines.append(
                _(
                    "Within the usual rhythm: churn risk %(risk)s/100, next order "
                    "expected on %(date)s.",
                    risk=self.churn_risk,
                    date=format_date(self.env, self.next_order_date),
                )
            )
        return lines

    def _money(self, amount):
        return format_amount(self.env, amount or 0.0, self.currency_id)

    # ------------------------------------------------------------------
    # Public API (buttons, server actions, XML-RPC)
    # ------------------------------------------------------------------

    @api.model
    def refresh_analytics(self):
        """Refresh the analytics of every customer of the companies the caller
        works in (Relationships managers).

        :return: ``{"customers": int, "companies": [ids],
                 "skipped_companies": [ids]}``
        """
        if not self.env.user.has_group("relationship_mgmt.group_relationship_manager"):
            raise AccessError(
                self.env._("Only Relationships managers may refresh the analytics.")
            )
        return batch_runner.run_companies(
            self.env,
            "analytics",
            self.env.companies,
            lambda run: self._analytics_refresh(run.company),
            totals=("customers",),
        )

    @api.model
    def action_refresh_all(self):
        result = self.refresh_analytics()
        return batch_runner.notification(
            self.env,
            self.env._("Customer analytics refreshed"),
            texts.plural(
                result["customers"],
                self.env._("1 customer analysed."),
                self.env._("%(count)s customers analysed.", count=result["customers"]),
            ),
            result,
        )

    # ------------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------------

    @api.model
    def _cron_refresh_all(self):
        """Nightly, after the engagement recompute: every company."""
        batch_runner.run_companies(
            self.env,
            "analytics",
            self.env["res.company"].search([]),
            lambda run: self._analytics_refresh(run.company),
            options=batch_runner.BatchOptions(commit=batch_runner.may_commit()),
        )

    # ------------------------------------------------------------------
    # The computation
    # ------------------------------------------------------------------

    def _refresh_company(self, company, as_of=None, batch_size=20000):
        """Recompute every customer's analytics of one company from its
        documents up to ``as_of`` (default: today), with a few queries for the
        whole company, and the company's customer-base model fitted on them
        (``_analytics_fit``). The report view spreads the stored monthly
        expected purchases. Returns the counts, or None while another refresh
        of the company runs."""
        return batch_runner.run_company(
            self.env,
            "analytics",
            company,
            lambda run: self._analytics_refresh(company, as_of, batch_size),
        )

    def _analytics_refresh(self, company, as_of=None, batch_size=20000):
        """The refresh of every customer of ``company`` in one go: the steps
        of a refresh split in shards (``_analytics_run_inputs``,
        ``_analytics_refresh_shard``, ``_analytics_finish_run``) on every
        customer at once, the documents read once."""
        with bulk.cyclic_gc_paused():
            inputs, readings, model = self._analytics_prepare(company, as_of)
            rows = self._analytics_rows(inputs, readings, model)
            self._analytics_write_rows(company, inputs, rows, batch_size)
        self._analytics_finish_run(company, inputs, readings["customers"])
        return {"customers": len(rows)}

    # ---- A refresh in steps (relationship_queue_job shards it) ----

    @api.model
    def _analytics_run_inputs(self, company, as_of=None):
        """The first step of a refresh of ``company`` split in shards: the
        documents of every customer read once, as a refresh in one go reads
        them, and staged for the shards (``relationship.analytics.stage``:
        each shard then reads its own customers' figures, not the company's
        documents again); the company's customer-base model fitted once on
        them and stored (``relationship.analytics.fit``); and what every
        shard predicts and writes with, JSON-serialisable: the run's time,
        the analysed day, horizon and forecast months, the fit record, the
        company's typical gap, the model's parameters
        (``CustomerModel.shard_inputs``) and the count of customers."""
        self.env.flush_all()
        with bulk.cyclic_gc_paused():
            inputs, readings, __ = self._analytics_prepare(
                company, as_of, predict=False
            )
            self.env["relationship.analytics.stage"]._stage(
                company, fields.Datetime.to_datetime(inputs["now"]), readings
            )
        return inputs

    @api.model
    def _analytics_refresh_shard(self, company, inputs, shard, batch_size=20000):
        """Predict and write shard ``(count, index)`` (partner id modulo
        ``count``) of a refresh with its ``inputs``
        (``_analytics_run_inputs()``), from the figures and the fit the first
        step staged and stored (no read of the documents, no fit here): the
        shard's customers not written since the run started, so a shard run
        again (a retry, a job executed twice) writes nobody twice. Returns
        the counts."""
        self.env.flush_all()
        now = fields.Datetime.to_datetime(inputs["now"])
        readings = self.env["relationship.analytics.stage"]._staged(
            company,
            now,
            tuple(shard),
            skipped=self._analytics_written_since(company, now, tuple(shard)),
        )
        if readings is None:
            raise UserError(
                self.env._(
                    "The figures the first step of this analytics refresh of "
                    "%(company)s read are gone (a later refresh replaced them): "
                    "refresh the analytics again.",
                    company=company.name,
                )
            )
        with bulk.cyclic_gc_paused():
            model = engine.CustomerModel.from_shard_inputs(inputs["model"])
            rhythms = readings["rhythms"]
            model.predictions = engine.predict_customers(
                model,
                {pid: rhythms[pid] for pid in readings["customers"] if pid in rhythms},
                fields.Date.to_date(inputs["as_of"]),
                inputs["horizon_months"] * engine.DAYS_PER_MONTH,
                inputs["forecast_months"],
            )
            rows = self._analytics_rows(inputs, readings, model)
            self._analytics_write_rows(company, inputs, rows, batch_size)
        self.invalidate_model()
        return {"customers": len(rows)}

    @api.model
    def _analytics_finish_run(self, company, inputs, customer_ids=None):
        """The last step of a refresh: remove the rows of the customers who
        left the population (no document left), those not in
        ``customer_ids`` when the caller knows the population (a refresh in
        one go), else those the run did not write (every shard wrote its
        customers with the run's time). Returns the counts."""
        self.env.flush_all()
        removed = self._analytics_drop_departed(
            company,
            customer_ids,
            since=fields.Datetime.to_datetime(inputs["now"]),
        )
        if customer_ids is None:
            self.env["relationship.analytics.stage"]._unstage(company)
        self.invalidate_model()
        self.env["relationship.forecast.report"].invalidate_model()
        return {"removed": removed}

    # ---- Reading, fitting, writing ----

    def _analytics_prepare(self, company, as_of=None, predict=True):
        """Read the documents of every customer of ``company``, fit and store
        its customer-base model and predict them (unless not ``predict``).
        Returns ``(inputs, readings, model)``: the run's inputs (see
        ``_analytics_run_inputs``), what ``_analytics_read`` read and the
        model with its predictions."""
        as_of = as_of or fields.Date.context_today(self.with_company(company))
        readings = self._analytics_read(company, as_of)
        model, fit = self._analytics_fit(company, readings, as_of, predict=predict)
        inputs = {
            "now": fields.Datetime.to_string(fields.Datetime.now()),
            "as_of": fields.Date.to_string(as_of),
            "horizon_months": company.analytics_horizon_months,
            "forecast_months": company.analytics_forecast_months,
            "fit_id": fit.id,
            "company_gap": engine.typical_gap(readings["rhythms"]),
            "model": model.shard_inputs(),
            "customers": len(readings["customers"]),
        }
        return inputs, readings, model

    def _analytics_read(self, company, as_of):
        """The documents' figures of the company's customers up to ``as_of``:
        order rhythms, line patterns, invoiced values, engagement trend and
        segment, and the customers to write, in order: those with a
        confirmed order or an invoice, except the customers who asked not to
        be profiled."""
        cr = self.env.cr
        bulk.disable_jit(cr)
        rhythms = engine.order_rhythm(cr, company.id, as_of)
        invoiced = engine.invoiced_values(cr, company.id, as_of)
        lines = engine.line_patterns(cr, company.id, as_of)
        cr.execute(
            SQL(
                "SELECT partner_id, score_trend, rfm_segment "
                "FROM relationship_engagement WHERE company_id = %s",
                company.id,
            )
        )
        engagement = {row[0]: row[1:] for row in cr.fetchall()}
        skipped = excluded_partner_ids(cr)
        return {
            "rhythms": rhythms,
            "lines": lines,
            "invoiced": invoiced,
            "engagement": engagement,
            "customers": sorted((rhythms.keys() | invoiced.keys()) - skipped),
        }

    def _analytics_written_since(self, company, since, shard):
        """The customers of ``shard`` whose row was written since ``since``
        (by the run that started then)."""
        self.env.cr.execute(
            SQL(
                "SELECT partner_id FROM relationship_analytics "
                "WHERE company_id = %s AND date_computed >= %s AND %s",
                company.id,
                since,
                partner_filter("partner_id", None, shard),
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}

    def _analytics_fit(self, company, readings, as_of, predict=True):
        """Fit the company's customer-base model on ``readings`` (every
        customer), predict them (unless not ``predict``) and store the fit.
        Returns ``(model, fit record)``."""
        horizon_days = company.analytics_horizon_months * engine.DAYS_PER_MONTH
        months = company.analytics_forecast_months
        kind = company.analytics_model or "pareto_nbd"
        rhythms = readings["rhythms"]
        histories = {
            pid: rhythms[pid] for pid in readings["customers"] if pid in rhythms
        }
        validation = None
        if kind == engine.AUTO:
            cutoff = engine.validation_cutoff(histories, as_of, horizon_days)
            validation = (
                cutoff,
                engine.validation_histories(self.env.cr, company.id, cutoff, as_of)
                if cutoff
                else {},
            )
        if predict:
            model = engine.customer_model(
                histories, as_of, horizon_days, months, kind=kind, validation=validation
            )
        else:
            model = engine.fit_customer_model(
                histories, as_of, kind=kind, validation=validation
            )
        fit = self.env["relationship.analytics.fit"]._record_fit(
            company, model, as_of, setting=kind
        )
        return model, fit

    def _analytics_rows(self, inputs, readings, model):
        """The stored rows ``(partner, segment, *VALUE_COLUMNS)`` of the
        customers of ``readings``, from the ``model``'s predictions (or the
        rhythm rule) and the run's ``inputs``."""
        as_of = fields.Date.to_date(inputs["as_of"])
        horizon_days = inputs["horizon_months"] * engine.DAYS_PER_MONTH
        rhythms, lines, invoiced = (
            readings["rhythms"],
            readings["lines"],
            readings["invoiced"],
        )
        stored = itemgetter(*VALUE_COLUMNS)
        rows = []
        for pid in readings["customers"]:
            trend, segment = readings["engagement"].get(pid, (None, None))
            values = engine.customer_analytics(
                rhythms.get(pid),
                lines.get(pid),
                invoiced.get(pid),
                inputs["company_gap"],
                as_of,
                horizon_days,
                trend,
                prediction=model.predictions.get(pid),
                forecast_months=inputs["forecast_months"],
            )
            values["fit_id"] = inputs["fit_id"]
            if values["forecast_purchases"] is not None:
                values["forecast_purchases"] = bulk.json_numbers(
                    values["forecast_purchases"]
                )
            rows.append((pid, segment, *stored(values)))
        return rows

    def _analytics_write_rows(self, company, inputs, rows, batch_size):
        """Write ``rows`` in batches, stamped with the run's time."""
        now = fields.Datetime.to_datetime(inputs["now"])
        as_of = fields.Date.to_date(inputs["as_of"])
        for batch in split_every(batch_size, rows, list):
            self._analytics_write(company, batch, now, as_of, inputs["horizon_months"])

    def _analytics_write(self, company, rows, now, as_of, horizon):
        """Upsert a batch of ``(partner, segment, *VALUE_COLUMNS)`` rows."""
        bulk.copy_into_temp(
            self.env.cr,
            "relationship_analytics_load",
            [
                ("partner_id", "int4"),
                ("rfm_segment", "varchar"),
                *VALUE_COLUMNS.items(),
            ],
            rows,
        )
        names = [SQL.identifier(column) for column in ("rfm_segment", *VALUE_COLUMNS)]
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO relationship_analytics
                       (partner_id, company_id, horizon_months, date_computed,
                        date_as_of, create_uid, create_date, write_uid, write_date,
                        %(names)s)
                SELECT v.partner_id, %(company)s, %(horizon)s, %(now)s, %(as_of)s,
                       %(uid)s, %(now)s, %(uid)s, %(now)s, %(v_names)s
                  FROM relationship_analytics_load v
                ON CONFLICT (partner_id, company_id) DO UPDATE SET
                       horizon_months = EXCLUDED.horizon_months,
                       date_computed = EXCLUDED.date_computed,
                       date_as_of = EXCLUDED.date_as_of,
                       write_uid = EXCLUDED.write_uid,
                       write_date = EXCLUDED.write_date,
                       %(updates)s
                """,
                names=SQL(", ").join(names),
                v_names=SQL(", ").join(SQL("v.%s", name) for name in names),
                updates=SQL(", ").join(
                    SQL("%s = EXCLUDED.%s", name, name) for name in names
                ),
                company=company.id,
                horizon=horizon,
                as_of=as_of,
                now=now,
                uid=self.env.uid,
            )
        )

    def _analytics_drop_departed(self, company, customer_ids=None, since=None):
        """Remove the rows of customers without any document left: those not
        in ``customer_ids``, or, without them, those not written since
        ``since``. Returns how many were removed."""
        if customer_ids is not None:
            kept = SQL("partner_id = ANY(%s)", list(customer_ids))
        else:
            kept = SQL("date_computed >= %s", since)
        self.env.cr.execute(
            SQL(
                "DELETE FROM relationship_analytics "
                "WHERE company_id = %s AND NOT COALESCE(%s, FALSE)",
                company.id,
                kept,
            )
        )
        return self.env.cr.rowcount
