import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import psycopg2.errors
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount
from odoo.tools.sql import create_index

from ..engine import engagement as engine
from ..engine import signals
from ..tools import batch_runner, bulk, rpc, texts

_logger = logging.getLogger(__name__)

TIERS = [
    ("champion", "Champion"),
    ("engaged", "Engaged"),
    ("steady", "Steady"),
    ("at_risk", "At risk"),
    ("dormant", "Dormant"),
    ("new", "New"),
]
# Key of the PostgreSQL advisory lock taken per company while its scores are
# recomputed (second key: the company id).
ENGAGEMENT_LOCK_KEY = batch_runner.LOCK_KEYS["engagement"]
# Attempts at writing a batch of a committing run that meets concurrent updates.
WRITE_ATTEMPTS = 5
# Customers a full run scores and writes per batch (see _recompute_company).
FULL_RUN_BATCH = 100000
RAW_COLUMNS = (
    "last_order_date",
    "days_since_last_order",
    "order_count",
    "revenue",
    "invoice_due_count",
    "invoice_on_time_count",
    "invoice_late_count",
    "avg_days_late",
    "overdue_amount",
    "interaction_count",
    "satisfaction_value",
    "open_dispute_count",
)
# RFM quintiles and segment, stored beside the score (see engine.rfm_segment()).
RFM_COLUMNS = ("rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment")


@dataclass(frozen=True)
class Scope:
    """Which customers of a company a recompute scores (see
    ``_recompute_company``)."""

    partner_ids: tuple = ()
    full: bool = False
    marked_only: bool = False
    create_new: bool = False


class RelationshipEngagement(models.Model):
    _name = "relationship.engagement"
    _description = "Customer Engagement"
    _order = "score desc, id"
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
    tier = fields.Selection(
        TIERS, required=True, default="new", readonly=True, group_expand=True
    )
    score = fields.Float(digits=(5, 1), readonly=True, aggregator="avg")
    score_previous = fields.Float(
        string="Previous Score",
        digits=(5, 1),
        readonly=True,
        help="Score of the last snapshot taken on an earlier day.",
    )
    score_trend = fields.Float(
        string="Trend",
        digits=(5, 1),
        readonly=True,
        aggregator="avg",
        help="Change of the score since the previous snapshot.",
    )
    has_previous_score = fields.Boolean(compute="_compute_score_trend_display")
    score_trend_display = fields.Char(
        string="Score Change",
        compute="_compute_score_trend_display",
        help="Change of the score since the previous snapshot; — for a first score.",
    )
    date_computed = fields.Datetime(string="Last Computed", readonly=True)
    date_snapshot = fields.Date(
        string="Snapshot Date",
        readonly=True,
        help="Day of the snapshot holding the current score.",
    )
    date_raw = fields.Datetime(string="Signals Read", readonly=True)
    # Indexed by a partial index on the few marked rows (see init()): a full
    # index on a boolean would be rewritten for every score update.
    needs_recompute = fields.Boolean(readonly=True)
    window_days = fields.Integer(string="Window (days)", readonly=True)

    recency_score = fields.Float(string="Recency", digits=(5, 1), readonly=True)
    frequency_score = fields.Float(string="Frequency", digits=(5, 1), readonly=True)
    monetary_score = fields.Float(string="Monetary", digits=(5, 1), readonly=True)
    payment_score = fields.Float(string="Payment", digits=(5, 1), readonly=True)
    interaction_score = fields.Float(
        string="Interactions", digits=(5, 1), readonly=True
    )
    satisfaction_score = fields.Float(
        string="Satisfaction", digits=(5, 1), readonly=True
    )
    service_score = fields.Float(string="Service", digits=(5, 1), readonly=True)

    rfm_recency = fields.Integer(
        string="R", readonly=True, help="Recency quintile in the company (5 = best)."
    )
    rfm_frequency = fields.Integer(
        string="F", readonly=True, help="Frequency quintile in the company (5 = best)."
    )
    rfm_monetary = fields.Integer(
        string="M", readonly=True, help="Monetary quintile in the company (5 = best)."
    )
    rfm_segment = fields.Selection(
        engine.RFM_SEGMENTS, string="RFM Segment", readonly=True
    )
    rfm_segment_previous = fields.Selection(
        engine.RFM_SEGMENTS,
        string="Previous RFM Segment",
        readonly=True,
        help="Segment of the last snapshot taken on an earlier day.",
    )

    last_order_date = fields.Date(readonly=True)
    days_since_last_order = fields.Integer(readonly=True)
    order_count = fields.Integer(string="Orders in Window", readonly=True)
    revenue = fields.Monetary(string="Revenue in Window", readonly=True)
    invoice_due_count = fields.Integer(string="Invoices Due", readonly=True)
    invoice_on_time_count = fields.Integer(string="Paid on Time", readonly=True)
    invoice_late_count = fields.Integer(string="Paid Late or Overdue", readonly=True)
    avg_days_late = fields.Float(string="Average Days Late", readonly=True)
    overdue_amount = fields.Monetary(readonly=True)
    interaction_count = fields.Integer(string="Interactions in Window", readonly=True)
    satisfaction_value = fields.Float(string="Satisfaction (0-100)", readonly=True)
    open_dispute_count = fields.Integer(string="Open Disputes", readonly=True)

    breakdown = fields.Html(
        compute="_compute_breakdown", sanitize=False, string="Score Breakdown"
    )
    reasons = fields.Text(compute="_compute_breakdown")

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique(partner_id, company_id)",
            "A customer has one engagement record per company.",
        ),
    ]

    def init(self):
        result = super().init()
        create_index(
            self.env.cr,
            "relationship_engagement_needs_recompute_index",
            self._table,
            ["company_id"],
            where="needs_recompute",
        )
        return result

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends(
        "tier",
        "score",
        *(f"{name}_score" for name in engine.COMPONENTS),
        *RAW_COLUMNS,
        "window_days",
    )
    def _compute_breakdown(self):
        labels = dict(self._fields["tier"]._description_selection(self.env))
        present = self._engagement_optional_presence()
        for record in self:
            lines = record._engagement_reason_lines(present.get(record.id, set()))
            record.reasons = "\n".join(
                f"{label}: {'-' if value is None else f'{value:g}'} — {text}"
                for label, value, text in lines
            )
            rows = Markup("").join(
                Markup("<tr><td>%s</td><td class='text-end'>%s</td><td>%s</td></tr>")
                % (label, "–" if value is None else f"{value:g}", text)
                for label, value, text in lines
            )
            record.breakdown = Markup(
                "<p><strong>%s</strong></p><table class='table table-sm'>"
                "<tbody>%s</tbody></table>"
            ) % (labels.get(record.tier, ""), rows)

    @api.depends("score_previous", "score_trend")
    def _compute_score_trend_display(self):
        # The ORM reads a NULL previous score as 0.0: ask the column whether
        # there is one, for the whole recordset in one query.
        ids = [record_id for record_id in self.ids if isinstance(record_id, int)]
        with_previous = set()
        if ids:
            self.flush_recordset(["score_previous"])
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM relationship_engagement "
                    "WHERE id = ANY(%s) AND score_previous IS NOT NULL",
                    ids,
                )
            )
            with_previous = {row[0] for row in self.env.cr.fetchall()}
        for record in self:
            record.has_previous_score = record.id in with_previous
            record.score_trend_display = (
                f"{record.score_trend:+.1f}" if record.has_previous_score else "—"
            )

    def _engagement_optional_presence(self):
        """``{id: {"satisfaction", "service"}}``: which optional components
        were scored. NULL in the database means "does not apply", which the
        ORM would read as 0, hence one query for the whole recordset."""
        ids = [record_id for record_id in self.ids if isinstance(record_id, int)]
        if not ids:
            return {}
        self.flush_recordset(["satisfaction_score", "service_score"])
        self.env.cr.execute(
            SQL(
                "SELECT id, satisfaction_score IS NOT NULL, service_score IS NOT NULL "
                "FROM relationship_engagement WHERE id = ANY(%s)",
                ids,
            )
        )
        return {
            record_id: {
                name for name, flag in (("satisfaction", sat), ("service", srv)) if flag
            }
            for record_id, sat, srv in self.env.cr.fetchall()
        }

    def _engagement_reason_lines(self, present=()):
        """``[(component label, component value or None, reason in words)]``."""
        self.ensure_one()
        _ = self.env._
        window = self.window_days or self.company_id.engagement_window_days
        fmt = self._format_company_amount
        if self.tier == "new":
            return [
                (
                    _("History"),
                    None,
                    _("No confirmed order or posted invoice yet: a new customer."),
                )
            ]
        lines = []
        if self.last_order_date:
            lines.append(
                (
                    _("Recency"),
                    self.recency_score,
                    _(
                        "Last order %(when)s",
                        when=texts.days_ago(self.env, self.days_since_last_order),
                    ),
                )
            )
        else:
            lines.append(
                (
                    _("Recency"),
                    self.recency_score,
                    _(
                        "No confirmed sale order; last invoice %(when)s",
                        when=texts.days_ago(self.env, self.days_since_last_order),
                    ),
                )
            )
        lines.append(
            (
                _("Frequency"),
                self.frequency_score,
                texts.plural(
                    self.order_count,
                    _(
                        "1 confirmed order in the last %(window)s",
                        window=texts.days_count(self.env, window),
                    ),
                    _(
                        "%(count)s confirmed orders in the last %(window)s",
                        count=self.order_count,
                        window=texts.days_count(self.env, window),
                    ),
                ),
            )
        )
        lines.append(
            (
                _("Monetary"),
                self.monetary_score,
                _(
                    "%(amount)s invoiced (net of refunds) in the last %(window)s",
                    amount=fmt(self.revenue),
                    window=texts.days_count(self.env, window),
                ),
            )
        )
        if self.invoice_due_count:
            text = texts.plural(
                self.invoice_due_count,
                _(
                    "%(on_time)s of 1 invoice paid on time",
                    on_time=self.invoice_on_time_count,
                ),
                _(
                    "%(on_time)s of %(due)s invoices paid on time",
                    on_time=self.invoice_on_time_count,
                    due=self.invoice_due_count,
                ),
            )
            if self.invoice_late_count:
                text += _(
                    "; %(late)s paid late or overdue, %(days)s late on average",
                    late=self.invoice_late_count,
                    days=texts.days_count(self.env, round(self.avg_days_late)),
                )
            if self.overdue_amount > 0:
                text += _("; %(amount)s overdue", amount=fmt(self.overdue_amount))
        else:
            text = _("No invoice due yet: not scored")
        lines.append(
            (_("Payment"), self.payment_score if self.invoice_due_count else None, text)
        )
        lines.append(
            (
                _("Interactions"),
                self.interaction_score,
                texts.plural(
                    self.interaction_count,
                    _(
                        "1 interaction in the last %(window)s",
                        window=texts.days_count(self.env, window),
                    ),
                    _(
                        "%(count)s interactions in the last %(window)s",
                        count=self.interaction_count,
                        window=texts.days_count(self.env, window),
                    ),
                ),
            )
        )
        satisfaction = self._engagement_optional_line(
            present,
            "satisfaction",
            _("Satisfaction"),
            _("Satisfaction %(value)s/100", value=round(self.satisfaction_value)),
            _("No satisfaction feedback: not scored"),
        )
        service = self._engagement_optional_line(
            present,
            "service",
            _("Service"),
            texts.plural(
                self.open_dispute_count,
                _("1 open dispute"),
                _("%(count)s open disputes", count=self.open_dispute_count),
            ),
            _("No dispute tracking: not scored"),
        )
        return lines + [satisfaction, service]

    def _engagement_optional_line(
        self, present, component, label, text_present, text_absent
    ):
        if component in present:
            return (label, self[f"{component}_score"], text_present)
        return (label, None, text_absent)

    def _format_company_amount(self, amount):
        return format_amount(self.env, amount or 0.0, self.company_id.currency_id)

    # ------------------------------------------------------------------
    # Public API (web client buttons, server actions, XML-RPC)
    # ------------------------------------------------------------------

    @api.model
    def recompute_engagement(self, partner_ids=None):
        """Recompute the engagement of the given partners (their commercial
        entities), or of every customer when ``partner_ids`` is empty/None, in
        each company the caller works in.

        :param partner_ids: list of ``res.partner`` ids, or None for all
        :return: dict ``{"computed": int, "new": int, "companies": [ids],
                 "skipped_companies": [ids]}``; a company is skipped while
                 another recompute of it runs.
        """
        if not self.env.user.has_group("relationship_mgmt.group_relationship_user"):
            raise AccessError(
                self.env._("Only Relationships users may recompute engagement scores.")
            )
        partners = None
        if partner_ids:
            partners = self._engagement_partners_from_ids(partner_ids)
        elif not self.env.user.has_group(
            "relationship_mgmt.group_relationship_manager"
        ):
            raise AccessError(
                self.env._(
                    "Only Relationships managers may recompute the scores of every "
                    "customer."
                )
            )

        def work(run):
            if partners is None:
                scope = Scope(full=True)
            else:
                scope = Scope(
                    partner_ids=tuple(partners.ids),
                    create_new=run.company == self.env.company,
                )
            return self._recompute_company_locked(run, scope)

        return batch_runner.run_companies(
            self.env,
            "engagement",
            self.env.companies,
            work,
            totals=("computed", "new"),
            # Every customer in one batch, as the nightly run scores them
            # (batches of 5,000 read the company's invoices once each: 32 s
            # instead of 15 s at 97,000 customers).
            options=batch_runner.BatchOptions(batch_size=FULL_RUN_BATCH),
        )

    def action_recompute(self):
        """Recompute the selected engagement records (button, list action)."""
        if not self:
            return False
        self.recompute_engagement(self.partner_id.ids)
        return False

    @api.model
    def action_recompute_all(self):
        """Manager button: recompute every customer of the current companies."""
        result = self.recompute_engagement(None)
        return self._engagement_recompute_notification(
            result, {"type": "ir.actions.act_window_close"}
        )

    @api.model
    def _engagement_recompute_notification(self, result, next_action):
        """The notification telling a user what a recompute did
        (``recompute_engagement``'s result), then ``next_action``."""
        return batch_runner.notification(
            self.env,
            self.env._("Engagement recomputed"),
            self.env._(
                "Customers scored: %(count)s (%(new)s new).",
                count=result["computed"],
                new=result["new"],
            ),
            result,
            next_action=next_action,
        )

    # ------------------------------------------------------------------
    # Marking for incremental recompute (called by sale/account hooks)
    # ------------------------------------------------------------------

    @api.model
    def _mark_for_recompute(self, partner_company_pairs):
        """Flag ``(commercial partner id, company id)`` pairs for the
        incremental recompute and wake its cron up."""
        pairs = {(p, c) for p, c in partner_company_pairs if p and c}
        if not pairs:
            return
        partner_ids, company_ids = zip(*sorted(pairs), strict=True)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO relationship_engagement
                       (partner_id, company_id, tier, needs_recompute,
                        create_uid, create_date, write_uid, write_date)
                SELECT p, c, 'new', TRUE, %(uid)s, NOW() AT TIME ZONE 'UTC',
                       %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM unnest(%(partners)s::int[], %(companies)s::int[]) AS v(p, c)
                 WHERE %(profiled)s
                ON CONFLICT (partner_id, company_id)
                DO UPDATE SET needs_recompute = TRUE
                """,
                uid=self.env.uid,
                profiled=signals.is_profiled(SQL("v.p"), customers=True),
                partners=list(partner_ids),
                companies=list(company_ids),
            )
        )
        self.invalidate_model(["needs_recompute"])
        cron = self.env.ref(
            "relationship_mgmt.ir_cron_engagement_incremental", raise_if_not_found=False
        )
        if cron:
            # sudo: waking a cron up is a technical side effect of any document
            # change; the cron itself runs with its own user and rights.
            cron.sudo()._trigger(fields.Datetime.now() + timedelta(minutes=1))

    # ------------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------------

    @api.model
    def _cron_recompute_all(self):
        """Nightly: recompute every customer of every company, in batches that
        commit, so an interrupted run resumes where it stopped."""
        for company in self.env["res.company"].search([]):
            self.with_company(company)._recompute_company(
                company, full=True, commit=batch_runner.may_commit()
            )
            self._purge_snapshots(company)

    @api.model
    def _cron_recompute_marked(self):
        """Every few minutes: recompute the customers whose documents changed."""
        self.flush_model(["needs_recompute"])
        self.env.cr.execute(
            "SELECT DISTINCT company_id FROM relationship_engagement "
            "WHERE needs_recompute"
        )
        company_ids = [row[0] for row in self.env.cr.fetchall()]
        for company in self.env["res.company"].browse(company_ids):
            self.with_company(company)._recompute_company(
                company, marked_only=True, commit=batch_runner.may_commit()
            )

    # ------------------------------------------------------------------
    # The computation
    # ------------------------------------------------------------------

    @api.model
    def _engagement_partners_from_ids(self, partner_ids):
        partners = rpc.checked_records(
            self.env, "res.partner", partner_ids, self.env._("partner ids")
        )
        partners.check_access("read")
        return partners.commercial_partner_id

    def _recompute_company(
        self,
        company,
        partner_ids=None,
        full=False,
        marked_only=False,
        create_new=False,
        commit=False,
        batch_size=FULL_RUN_BATCH,
    ):
        """Recompute the engagement of one company's customers.

        - ``full``: every customer of the company; resumes an interrupted run;
        - ``marked_only``: the records flagged by ``_mark_for_recompute``;
        - otherwise the commercial partners ``partner_ids`` (rows are created
          for them when they have documents in the company, or ``create_new``).

        Returns ``{"computed": n, "new": n}`` or None when another recompute of
        the company holds its lock (see ``tools/batch_runner.py``).

        ``batch_size`` customers are scored and written per batch: each batch
        reads the company's documents, invoice and reconciliation lines once
        for its customers (a scan whatever the batch's size), so the cost of
        small batches grows with the square of the company (20,000: 1.87 s
        against 2.44 s with 5,000 at size M; one batch of 96,961 at L: 4.2-4.6
        s against 9.0-9.1 s in five of 20,000). A batch is one transaction:
        100,000 customers write in about a second.
        """
        scope = Scope(
            partner_ids=tuple(partner_ids or ()),
            full=full,
            marked_only=marked_only,
            create_new=create_new,
        )
        return batch_runner.run_company(
            self.env,
            "engagement",
            company,
            lambda run: self._recompute_company_locked(run, scope),
            batch_runner.BatchOptions(commit=commit, batch_size=batch_size),
        )

    def _recompute_company_locked(self, run, scope):
        company = run.company
        cr = self.env.cr
        now = fields.Datetime.now()
        today = fields.Date.context_today(self.with_company(company))
        date_from = engine.window_start(today, company.engagement_window_days)
        # An incremental run ranks its customers against every stored customer
        # of the company.
        pool_filter = SQL("TRUE")
        since = None
        if scope.full:
            # A full run scores the company's population and ranks it against
            # itself. Resuming an interrupted run, it reads only the customers
            # not written since that run started, and ranks them with those.
            target = None
            since = company.engagement_run_started_at or None
            pool_filter = SQL("e.date_raw >= %s", since) if since else SQL("FALSE")
            if not since:
                company.sudo().engagement_run_started_at = now  # sudo: run state
                company.flush_recordset(["engagement_run_started_at"])
        elif scope.marked_only:
            cr.execute(
                SQL(
                    "SELECT partner_id FROM relationship_engagement "
                    "WHERE company_id = %s AND needs_recompute ORDER BY partner_id "
                    "FOR UPDATE SKIP LOCKED",
                    company.id,
                )
            )
            target = [row[0] for row in cr.fetchall()]
        else:
            wanted = sorted(set(scope.partner_ids))
            if scope.create_new:
                target = wanted
            else:
                population = set(engine.population_ids(cr, company.id))
                cr.execute(
                    SQL(
                        "SELECT partner_id FROM relationship_engagement "
                        "WHERE company_id = %s AND partner_id = ANY(%s)",
                        company.id,
                        wanted,
                    )
                )
                population.update(row[0] for row in cr.fetchall())
                target = [pid for pid in wanted if pid in population]
        if target is not None:
            excluded = signals.excluded_partner_ids(cr)
            target = [pid for pid in target if pid not in excluded]

        counts = {"computed": 0, "new": 0}
        steps = {
            "now": now,
            "today": today,
            "date_from": date_from,
            "since": since,
            "pool_filter": pool_filter,
        }
        if target is None or target:
            counts = self._engagement_score_and_write(company, target, steps, run)
        if scope.full:
            self._engagement_reset_departed(
                company,
                since,
                population=engine.signals_population()
                if steps.get("signals_hold_all")
                else None,
            )
            company.sudo().engagement_run_started_at = False  # sudo: run state
            company.flush_recordset(["engagement_run_started_at"])
        engine.drop_tables(cr)
        return counts

    # ---- A full run in steps (relationship_queue_job shards it) ----

    @api.model
    def _engagement_run_inputs(self, company):
        """The first step of a full run of ``company`` split in shards: the
        signals of every customer read once, as a run in one batch reads
        them, and staged for the shards (``relationship.engagement.stage``:
        each shard then scores its own customers' staged rows instead of
        reading the company's documents again); and the run's dates and the
        company-wide percentile cut points every shard scores with, as a
        JSON-serialisable dict (with the counts of customers to score and of
        new ones)."""
        now = fields.Datetime.now()
        today = fields.Date.context_today(self.with_company(company))
        run = {
            "now": now,
            "today": today,
            "date_from": engine.window_start(today, company.engagement_window_days),
            "since": None,
            "pool_filter": SQL("FALSE"),
        }
        partner_ids, options, new = self._engagement_inputs(company, None, run)
        Stage = self.env["relationship.engagement.stage"]
        if partner_ids:
            Stage._stage(company, now, partner_ids, options, run)
            # The staged signals hold what the marked customers changed until
            # now; the shards keep the marks set after this (see
            # ``_engagement_score_shard``).
            self.env.cr.execute(
                SQL(
                    "UPDATE relationship_engagement e SET needs_recompute = FALSE "
                    "  FROM %s s "
                    " WHERE e.company_id = %s AND e.needs_recompute "
                    "   AND e.partner_id = s.partner_id",
                    SQL.identifier(engine.SIGNALS_TABLE),
                    company.id,
                )
            )
            self.invalidate_model(["needs_recompute"])
        else:
            Stage._unstage(company)
        engine.drop_tables(self.env.cr)
        return {
            "now": fields.Datetime.to_string(now),
            "today": fields.Date.to_string(today),
            "date_from": fields.Date.to_string(run["date_from"]),
            "cuts": options["cuts"] if options else None,
            "disputes_tracked": bool(options) and options["disputes"] is not None,
            "computed": len(partner_ids),
            "new": new,
        }

    @api.model
    def _engagement_score_shard(self, company, inputs, shard):
        """Score and write shard ``(count, index)`` of a full run with its
        ``inputs`` (``_engagement_run_inputs()``), from the signals the first
        step staged: the shard's customers not written since the run
        started, so a shard run again (a retry, a job executed twice) scores
        nobody twice. The recompute marks are kept: the first step cleared
        those its signals cover, the ones left were set by a document or an
        interaction after it (the incremental run scores them again).
        Returns the counts."""
        now = fields.Datetime.to_datetime(inputs["now"])
        run = {
            "now": now,
            "today": fields.Date.to_date(inputs["today"]),
            "date_from": fields.Date.to_date(inputs["date_from"]),
            "since": now,
            "pool_filter": SQL("FALSE"),
            "cuts": inputs["cuts"],
            "disputes_tracked": inputs.get("disputes_tracked", False),
            "shard": tuple(shard),
            "keep_marks": True,
        }
        # A shard is one transaction (a job): its customers in one batch, as
        # a full run scores them.
        batch_run = batch_runner.CompanyRun(
            self.env,
            "engagement",
            company,
            batch_runner.BatchOptions(batch_size=FULL_RUN_BATCH),
        )
        self.env.flush_all()
        try:
            counts = self._engagement_score_and_write(company, None, run, batch_run)
        finally:
            self.env.invalidate_all()
        # Not in ``finally``: after a failed statement the transaction only
        # accepts a rollback, which drops the temporary tables anyway, and a
        # DROP would replace the error (a serialization failure the job queue
        # retries) by "current transaction is aborted".
        engine.drop_tables(self.env.cr)
        return counts

    @api.model
    def _engagement_finish_run(self, company, inputs):
        """The last step of a full run in shards: the customers outside the
        population its first step staged (no document left in the company)
        become New, the staged signals are removed, and old snapshots are
        purged. When the staged rows are gone (a later run replaced them),
        the population is read from the documents."""
        self.env.flush_all()
        Stage = self.env["relationship.engagement.stage"]
        date_run = fields.Datetime.to_datetime(inputs["now"])
        population = None
        if Stage._has_run(company, date_run) or not inputs["computed"]:
            population = Stage._staged_population(company, date_run)
        self._engagement_reset_departed(company, None, population=population)
        Stage._unstage(company)
        self._purge_snapshots(company)
        self.env.invalidate_all()

    # ---- Scoring and writing ----

    def _engagement_inputs(self, company, target, run):
        """Read the signals of ``target`` (partner ids, or None for the
        company's population, less the customers written since
        ``run["since"]``, of the shard ``run["shard"]`` if any) into the
        signals table, with the hooks' values and the ranking cut points
        (``run["cuts"]`` when given, else computed from them). Returns
        ``(partner ids, scoring options, count of customers without
        history)``."""
        cr = self.env.cr
        bulk.disable_jit(cr)
        if "shard" in run:
            return self._engagement_staged_inputs(company, run)
        partner_ids = engine.load_document_signals(
            cr, company.id, target, run["date_from"], since=run["since"]
        )
        if not partner_ids:
            return [], None, 0
        # Read the company's settings before the statements below (an ORM read
        # after a commit would replace a pending result set).
        options = {
            "weights": company._get_engagement_weights(),
            "bounds": company._get_engagement_tier_bounds(),
            "excluded_move_ids": self._engagement_excluded_invoice_ids(
                company, partner_ids
            ),
            "interactions": self._engagement_interaction_counts(
                company, partner_ids, run["date_from"]
            ),
            "satisfaction": self._engagement_satisfaction_values(
                company, partner_ids, run["date_from"]
            ),
            "disputes": self._engagement_open_dispute_counts(company, partner_ids),
            "pool_filter": run["pool_filter"],
        }
        if "cuts" in run:
            options["cuts"] = run["cuts"]
        else:
            options["cuts"] = engine.ranking_cuts(
                cr, company.id, partner_ids, run["today"], options
            )
        return partner_ids, options, engine.count_new(cr)

    def _engagement_staged_inputs(self, company, run):
        """``_engagement_inputs()`` of the shard ``run["shard"]`` of a full
        run in shards: its customers' signals, payments and hooks' values as
        the run's first step staged them, scored on the run's cut points."""
        loaded = self.env["relationship.engagement.stage"]._load_staged(
            company, run["now"], run["since"], run["shard"]
        )
        if loaded is None:
            raise UserError(
                self.env._(
                    "The signals the first step of this engagement recompute of "
                    "%(company)s staged are gone (the run finished, or a later "
                    "recompute replaced them): recompute the engagement again.",
                    company=company.name,
                )
            )
        partner_ids, hooks = loaded
        if not partner_ids:
            return [], None, 0
        if not run["disputes_tracked"]:
            hooks["disputes"] = None
        options = {
            "weights": company._get_engagement_weights(),
            "bounds": company._get_engagement_tier_bounds(),
            **hooks,
            "payments": engine.staged_payments(),
            "pool_filter": run["pool_filter"],
            "cuts": run["cuts"],
        }
        return partner_ids, options, engine.count_new(self.env.cr)

    def _engagement_score_and_write(self, company, target, run, batch_run):
        """Read the signals of ``target`` and the ranking cut points
        (``_engagement_inputs()``), then score and write scores, tiers, trends
        and the day's snapshot batch by batch (committing each when the run
        commits), with one ``tier_changed`` event per customer whose tier
        changed. A handful of queries per batch, whatever its number of
        customers. ``batch_run`` is the company's
        ``tools.batch_runner.CompanyRun``."""
        partner_ids, options, new = self._engagement_inputs(company, target, run)
        size = batch_run.options.batch_size
        # The signals table lives until the end of the transaction. A run in
        # one batch scores from it and the run's end commits that batch; a run
        # that commits several batches commits its start first (it outlives a
        # failed batch) and loads each batch's signals again.
        several = batch_run.options.commit and len(partner_ids) > size
        run["signals_hold_all"] = not several
        if not partner_ids:
            return {"computed": 0, "new": 0}
        loaded = True
        if several:
            batch_run.checkpoint()
            loaded = False
        for start in range(0, len(partner_ids), size):
            chunk = partner_ids[start : start + size]
            # One pass over the invoices for a whole population in one batch.
            payment_ids = chunk
            if len(chunk) == len(partner_ids) and "shard" not in run:
                payment_ids = target
            changed = self._engagement_write_batch_retried(
                company,
                chunk,
                {**options, "payment_partner_ids": payment_ids},
                run,
                batch_run,
                loaded,
            )
            self._engagement_emit_tier_changes(company, changed)
            if start + size < len(partner_ids):
                batch_run.checkpoint()
        return {"computed": len(partner_ids), "new": new}

    def _engagement_score_batch(self, company, chunk, options, run, loaded):
        """Fill the scored table with the customers ``chunk``, loading their
        signals first unless the signals table holds them (``loaded``)."""
        cr = self.env.cr
        if not loaded:
            # A new transaction (the previous batch committed).
            bulk.disable_jit(cr)
            engine.load_document_signals(cr, company.id, chunk, run["date_from"])
        engine.score_signals(
            cr, company.id, chunk, run["date_from"], run["today"], options
        )

    def _engagement_write_batch_retried(
        self, company, chunk, options, run, batch_run, loaded
    ):
        """Score and write the customers ``chunk`` (``_engagement_write_batch()``),
        retried when a committing run (the crons) meets a concurrent update
        of one of its rows: a document or an interaction marking a customer
        for recompute while the batch writes it (REPEATABLE READ refuses to
        overwrite it). The retry keeps such marks: the incremental cron then
        rescores those customers from what changed after the signals were
        read."""
        first, last = chunk[0], chunk[-1]
        for attempt in range(WRITE_ATTEMPTS):
            try:
                self._engagement_score_batch(company, chunk, options, run, loaded)
                return self._engagement_write_batch(
                    company,
                    first,
                    last,
                    run,
                    keep_marks=attempt > 0 or run.get("keep_marks", False),
                )
            except psycopg2.errors.SerializationFailure:
                if not batch_run.options.commit or attempt == WRITE_ATTEMPTS - 1:
                    raise
                self.env.cr.rollback()
                # The rollback ended the transaction, its temporary tables and
                # its company lock.
                loaded = False
                if not batch_runner.try_lock(self.env.cr, batch_run.batch, company.id):
                    raise batch_runner.LockLost(company.id) from None
                _logger.info(
                    "Engagement batch %s-%s of company %s met a concurrent update: "
                    "retried",
                    first,
                    last,
                    company.id,
                )

    def _engagement_write_batch(self, company, first, last, run, keep_marks=False):
        """Write the scored rows of partners ``first``..``last`` (ids) of the
        scored table: signals, components, score, tier, RFM, previous score and trend
        on the engagement rows, and the day's snapshot, in one statement.
        ``keep_marks`` leaves the rows' recompute marks as they are (instead
        of clearing them: the run has scored those customers).

        :return: ``[(partner id, engagement id, old tier, new tier)]`` of the
            existing rows whose tier changed
        """
        ident = SQL.identifier
        stored = [
            *(ident(column) for column in RAW_COLUMNS),
            *(ident(f"{name}_score") for name in engine.COMPONENTS),
            *(ident(column) for column in RFM_COLUMNS),
        ]
        snapshot = [
            ident("score"),
            ident("tier"),
            *(ident(f"{name}_score") for name in engine.COMPONENTS),
            ident("rfm_segment"),
        ]
        self.env.cr.execute(
            SQL(
                """
                WITH old AS (
                    SELECT e.id, e.partner_id, e.tier
                      FROM relationship_engagement e
                      JOIN %(scored)s v ON v.partner_id = e.partner_id
                     WHERE e.company_id = %(company)s
                       AND v.partner_id BETWEEN %(first)s AND %(last)s
                ), up AS (
                    INSERT INTO relationship_engagement
                           (partner_id, company_id, window_days, needs_recompute,
                            date_raw, date_computed, date_snapshot, create_uid,
                            create_date, write_uid, write_date, score, tier,
                            %(stored)s)
                    SELECT v.partner_id, %(company)s, %(window)s, FALSE,
                           %(now)s, %(now)s, %(today)s, %(uid)s, %(now)s,
                           %(uid)s, %(now)s, v.score, v.tier, %(v_stored)s
                      FROM %(scored)s v
                     WHERE v.partner_id BETWEEN %(first)s AND %(last)s
                    ON CONFLICT (partner_id, company_id) DO UPDATE SET
                           %(previous)s,
                           window_days = EXCLUDED.window_days,
                           needs_recompute = %(needs_recompute)s,
                           date_raw = EXCLUDED.date_raw,
                           date_computed = EXCLUDED.date_computed,
                           date_snapshot = EXCLUDED.date_snapshot,
                           write_uid = EXCLUDED.write_uid,
                           write_date = EXCLUDED.write_date,
                           score = EXCLUDED.score,
                           tier = EXCLUDED.tier,
                           %(updates)s
                    RETURNING id, partner_id, %(snapshot)s
                ), snap AS (
                    INSERT INTO relationship_engagement_snapshot
                           (partner_id, company_id, date, create_uid, create_date,
                            write_uid, write_date, %(snapshot)s)
                    SELECT up.partner_id, %(company)s, %(today)s, %(uid)s, %(now)s,
                           %(uid)s, %(now)s, %(snapshot)s
                      FROM up
                    ON CONFLICT (partner_id, company_id, date) DO UPDATE SET
                           %(snapshot_updates)s
                )
                SELECT up.partner_id, up.id, old.tier, up.tier
                  FROM up JOIN old ON old.partner_id = up.partner_id
                 WHERE old.tier != up.tier
                """,
                scored=ident(engine.SCORED_TABLE),
                first=first,
                last=last,
                needs_recompute=(
                    SQL("relationship_engagement.needs_recompute")
                    if keep_marks
                    else SQL("FALSE")
                ),
                stored=SQL(", ").join(stored),
                v_stored=SQL(", ").join(SQL("v.%s", name) for name in stored),
                previous=self._engagement_previous_sets(
                    SQL("relationship_engagement"), SQL("EXCLUDED.score"), run["today"]
                ),
                company=company.id,
                today=run["today"],
                window=company.engagement_window_days,
                now=run["now"],
                uid=self.env.uid,
                updates=SQL(", ").join(
                    SQL("%s = EXCLUDED.%s", name, name) for name in stored
                ),
                snapshot=SQL(", ").join(snapshot),
                snapshot_updates=SQL(", ").join(
                    SQL("%s = EXCLUDED.%s", name, name) for name in snapshot
                ),
            )
        )
        changed = self.env.cr.fetchall()
        self.env["relationship.engagement.snapshot"].invalidate_model()
        return changed

    def _engagement_reset_departed(self, company, since, population=None):
        """After a full run, the scored customers outside its population (no
        document left in the company: deleted or moved away) become New again
        instead of keeping an old score, and the New rows outside it (marked
        by an interaction, a response... of a customer without sales
        documents) are cleared of their mark: no longer picked by every
        incremental run for a recompute that has nothing to score. The
        population is read again from the documents (no temporary table
        outlives the run's batches), or given as ``population`` (SQL of
        ``customer_id`` rows: the signals table the run's only batch was
        scored from, which in the same transaction holds the whole
        population, or the customers a run in shards staged); when the run
        resumed one started at ``since``, the rows written since then are
        kept as well."""
        score_columns = [
            "score",
            "score_previous",
            "score_trend",
            *(f"{name}_score" for name in engine.COMPONENTS),
            *RAW_COLUMNS,
            *RFM_COLUMNS,
        ]
        bulk.disable_jit(self.env.cr)
        self.env.cr.execute(
            SQL(
                """
                WITH old AS (
                    SELECT e.id, e.partner_id, e.tier
                      FROM relationship_engagement e
                     WHERE e.company_id = %(company)s
                       AND (e.tier != 'new' OR e.needs_recompute)
                       -- An anti-join, not NOT IN: a population too large
                       -- for a hashed subplan made NOT IN quadratic (two
                       -- minutes for 97,000 customers).
                       AND NOT EXISTS (
                           SELECT 1 FROM (%(population)s) population
                            WHERE population.customer_id = e.partner_id
                       )
                       AND %(not_written)s
                )
                UPDATE relationship_engagement e
                   SET tier = 'new', needs_recompute = FALSE, %(resets)s
                  FROM old
                 WHERE e.id = old.id
             RETURNING old.partner_id, old.id, old.tier, e.tier
                """,
                company=company.id,
                population=population or engine.population(company.id),
                not_written=SQL("TRUE")
                if since is None
                else SQL("(e.date_raw IS NULL OR e.date_raw < %s)", since),
                resets=SQL(", ").join(
                    SQL("%s = NULL", SQL.identifier(column)) for column in score_columns
                ),
            )
        )
        # The scored ones changed to "new": one event each.
        self._engagement_emit_tier_changes(
            company, [row for row in self.env.cr.fetchall() if row[2] != "new"]
        )

    @api.model
    def _engagement_previous_sets(self, row, new_score, today):
        """``SET`` items for the previous score and RFM segment and the trend
        of a row getting ``new_score``: the previous values are the row's own
        when they were snapshotted on an earlier day (the last snapshot before
        today), else the ones it already had (a second run on the same day)."""
        previous = SQL(
            "CASE WHEN %(row)s.date_snapshot < %(today)s "
            "OR %(row)s.date_snapshot IS NULL "
            "THEN %(row)s.score ELSE %(row)s.score_previous END",
            row=row,
            today=today,
        )
        earlier = SQL(
            "%(row)s.date_snapshot < %(today)s OR %(row)s.date_snapshot IS NULL",
            row=row,
            today=today,
        )
        return SQL(
            "score_previous = %(previous)s, "
            "score_trend = ROUND((%(new)s - %(previous)s)::numeric, 1), "
            "rfm_segment_previous = CASE WHEN %(earlier)s THEN %(row)s.rfm_segment "
            "ELSE %(row)s.rfm_segment_previous END",
            previous=previous,
            new=new_score,
            earlier=earlier,
            row=row,
        )

    # ------------------------------------------------------------------
    # Tier-change events (relationship.event, what automation rules see)
    # ------------------------------------------------------------------

    @api.model
    def _engagement_emit_tier_changes(self, company, changed):
        """One event per ``(partner id, engagement id, old tier, new tier)``
        in ``changed``, all created in one batch: ``first_scored`` when the
        old tier is New (a first score is no drop nor rise, and rules on tier
        changes must not fire for it), ``tier_changed`` otherwise. A partner
        without a row before (its first computation, e.g. the first run after
        installation) is never in ``changed``: "from nothing" is not a change.
        """
        if not changed:
            return
        labels = dict(self._fields["tier"]._description_selection(self.env))
        self.env["relationship.event"]._emit(
            [
                {
                    "event_type": "first_scored" if old == "new" else "tier_changed",
                    "partner_id": pid,
                    "company_id": company.id,
                    "res_model": self._name,
                    "res_id": row_id,
                    "old_value": old,
                    "new_value": new,
                    "description": self.env._(
                        "Engagement tier: %(old)s → %(new)s",
                        old=labels.get(old, old),
                        new=labels.get(new, new),
                    ),
                }
                for pid, row_id, old, new in changed
            ]
        )

    @api.model
    def _purge_snapshots(self, company):
        today = fields.Date.context_today(self.with_company(company))
        limit = today - timedelta(days=company.engagement_snapshot_retention_days)
        self.env.cr.execute(
            SQL(
                "DELETE FROM relationship_engagement_snapshot "
                "WHERE company_id = %s AND date < %s",
                company.id,
                limit,
            )
        )
        self.env["relationship.engagement.snapshot"].invalidate_model()

    # ------------------------------------------------------------------
    # Interaction and satisfaction signals (one query per batch each)
    # ------------------------------------------------------------------

    @api.model
    def _engagement_interaction_counts(self, company, partner_ids, date_from):
        """``{partner_id: count}`` of interactions in the window: chatter
        messages (counted by the engine) plus logged interactions. An
        interaction logged from a message the engine already counts for the
        same customer is not added again; the conditions below mirror
        ``engine.message_counts``."""
        counts = engine.message_counts(self.env.cr, partner_ids, date_from, company.id)
        self.env["relationship.interaction"].flush_model()
        self.env["mail.message"].flush_model(
            ["model", "res_id", "message_type", "date", "author_id"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT i.partner_id, COUNT(*)
                  FROM relationship_interaction i
                 WHERE i.partner_id = ANY(%(partner_ids)s::int[])
                   AND i.company_id = %(company_id)s
                   AND i.date >= %(date_from)s
                   AND NOT EXISTS (
                       SELECT 1
                         FROM mail_message m
                         JOIN res_partner c
                           ON c.commercial_partner_id = i.partner_id
                        WHERE m.id = i.message_id
                          AND m.date >= %(date_from)s
                          AND ((m.model = 'res.partner' AND m.res_id = c.id
                                AND m.message_type IN ('email', 'comment')
                                AND (m.record_company_id IS NULL
                                     OR m.record_company_id = %(company_id)s))
                               OR (m.author_id = c.id
                                   AND m.message_type = 'email'
                                   AND (m.record_company_id IS NULL
                                        OR m.record_company_id = %(company_id)s)))
                   )
                 GROUP BY 1
                """,
                partner_ids=signals.array_literal(partner_ids),
                company_id=company.id,
                date_from=datetime.combine(date_from, time.min),
            )
        )
        for partner_id, count in self.env.cr.fetchall():
            counts[partner_id] = counts.get(partner_id, 0) + count
        return counts

    @api.model
    def _engagement_satisfaction_values(self, company, partner_ids, date_from):
        """``{partner_id: 0-100}`` satisfaction: the average score (CSAT
        1 → 0 … 5 → 100, NPS 0 → 0 … 10 → 100) of the customer's responses in
        the window; customers without any response are left out (the
        component then does not apply)."""
        self.env["relationship.satisfaction"].flush_model(
            ["partner_id", "company_id", "date", "score"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id, AVG(score)
                  FROM relationship_satisfaction
                 WHERE partner_id = ANY(%(partner_ids)s::int[])
                   AND company_id = %(company_id)s
                   AND date >= %(date_from)s
                 GROUP BY 1
                """,
                partner_ids=signals.array_literal(partner_ids),
                company_id=company.id,
                date_from=datetime.combine(date_from, time.min),
            )
        )
        return dict(self.env.cr.fetchall())

    # ------------------------------------------------------------------
    # Hooks relationship_brm extends (disputes)
    # ------------------------------------------------------------------

    @api.model
    def _engagement_open_dispute_counts(self, company, partner_ids):
        """``{partner_id: open disputes}``, or None when no module tracks
        disputes (the service component then does not apply)."""
        return None

    @api.model
    def _engagement_excluded_invoice_ids(self, company, partner_ids):
        """Invoices left out of payment behaviour (e.g. under open dispute)."""
        return []
