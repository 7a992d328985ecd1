import logging
import threading
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, format_amount, split_every
from odoo.tools.sql import create_index

from ..engine import bulk, rpc
from ..engine import engagement as engine

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
ENGAGEMENT_LOCK_KEY = 72_410_301
# A full run reads the signals of this many customers per query (their raw
# values stay in memory until the company's percentiles are known).
FULL_READ_BATCH = 50_000
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
RAW_TYPES = {
    "last_order_date": "date",
    "days_since_last_order": "int4",
    "order_count": "int4",
    "revenue": "numeric",
    "invoice_due_count": "int4",
    "invoice_on_time_count": "int4",
    "invoice_late_count": "int4",
    "avg_days_late": "float8",
    "overdue_amount": "numeric",
    "interaction_count": "int4",
    "satisfaction_value": "float8",
    "open_dispute_count": "int4",
}
# RFM quintiles and segment, stored beside the score (see engine.rfm()).
RFM_COLUMNS = ("rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment")
RFM_TYPES = ("int4", "int4", "int4", "varchar")
NO_RFM = (None, None, None, None)
# Position in RAW_COLUMNS of each raw value ranked against the population.
RANKED_INDEXES = {
    column: RAW_COLUMNS.index(column)
    for column, __ in engine.RANKED_COMPONENTS.values()
}


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
    tier = fields.Selection(TIERS, required=True, default="new", readonly=True)
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
                    _("Last order %(days)s days ago", days=self.days_since_last_order),
                )
            )
        else:
            lines.append(
                (
                    _("Recency"),
                    self.recency_score,
                    _(
                        "No confirmed sale order; last invoice %(days)s days ago",
                        days=self.days_since_last_order,
                    ),
                )
            )
        lines.append(
            (
                _("Frequency"),
                self.frequency_score,
                _(
                    "%(count)s confirmed orders in the last %(window)s days",
                    count=self.order_count,
                    window=window,
                ),
            )
        )
        lines.append(
            (
                _("Monetary"),
                self.monetary_score,
                _(
                    "%(amount)s invoiced (net of refunds) in the last %(window)s days",
                    amount=fmt(self.revenue),
                    window=window,
                ),
            )
        )
        if self.invoice_due_count:
            text = _(
                "%(on_time)s of %(due)s invoices paid on time",
                on_time=self.invoice_on_time_count,
                due=self.invoice_due_count,
            )
            if self.invoice_late_count:
                text += _(
                    "; %(late)s paid late or overdue, %(days)s days late on average",
                    late=self.invoice_late_count,
                    days=round(self.avg_days_late),
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
                _(
                    "%(count)s interactions in the last %(window)s days",
                    count=self.interaction_count,
                    window=window,
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
            _("%(count)s open disputes", count=self.open_dispute_count),
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
        result = {"computed": 0, "new": 0, "companies": [], "skipped_companies": []}
        for company in self.env.companies:
            if partners is None:
                counts = self._recompute_company(company, full=True)
            else:
                counts = self._recompute_company(
                    company,
                    partner_ids=partners.ids,
                    create_new=company == self.env.company,
                )
            if counts is None:
                result["skipped_companies"].append(company.id)
                continue
            result["companies"].append(company.id)
            result["computed"] += counts["computed"]
            result["new"] += counts["new"]
        return result

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
        message = self.env._(
            "%(count)s customers scored (%(new)s new).",
            count=result["computed"],
            new=result["new"],
        )
        if result["skipped_companies"]:
            message += " " + self.env._(
                "Some companies were skipped: a recompute is already running."
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Engagement recomputed"),
                "message": message,
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

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
                 WHERE NOT EXISTS (
                       SELECT 1 FROM res_partner
                        WHERE id = v.p AND relationship_no_profiling
                       )
                ON CONFLICT (partner_id, company_id)
                DO UPDATE SET needs_recompute = TRUE
                """,
                uid=self.env.uid,
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
                company, full=True, commit=self._engagement_may_commit()
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
                company, marked_only=True, commit=self._engagement_may_commit()
            )

    # ------------------------------------------------------------------
    # The computation
    # ------------------------------------------------------------------

    @api.model
    def _engagement_may_commit(self):
        return not getattr(threading.current_thread(), "testing", False)

    @api.model
    def _engagement_partners_from_ids(self, partner_ids):
        partners = rpc.existing_records(
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
        batch_size=5000,
    ):
        """Recompute the engagement of one company's customers.

        - ``full``: every customer of the company; resumes an interrupted run;
        - ``marked_only``: the records flagged by ``_mark_for_recompute``;
        - otherwise the commercial partners ``partner_ids`` (rows are created
          for them when they have documents in the company, or ``create_new``).

        Returns ``{"computed": n, "new": n}`` or None when another recompute of
        the company holds its lock.
        """
        cr = self.env.cr
        # Raw SQL below reads documents and writes scores: flush pending ORM
        # writes first so the SQL sees them.
        self.env.flush_all()
        cr.execute(
            SQL("SELECT pg_try_advisory_lock(%s, %s)", ENGAGEMENT_LOCK_KEY, company.id)
        )
        if not cr.fetchone()[0]:
            _logger.info(
                "Engagement of %s is being recomputed elsewhere: skipped", company.name
            )
            return None
        try:
            return self._recompute_company_locked(
                company, partner_ids, full, marked_only, create_new, commit, batch_size
            )
        finally:
            cr.execute(
                SQL(
                    "SELECT pg_advisory_unlock(%s, %s)", ENGAGEMENT_LOCK_KEY, company.id
                )
            )
            self.invalidate_model()

    def _recompute_company_locked(
        self, company, partner_ids, full, marked_only, create_new, commit, batch_size
    ):
        cr = self.env.cr
        now = fields.Datetime.now()
        today = fields.Date.context_today(self.with_company(company))
        date_from = engine.window_start(today, company.engagement_window_days)
        if full:
            return self._engagement_full_run(
                company, now, today, date_from, commit, batch_size
            )
        if marked_only:
            cr.execute(
                SQL(
                    "SELECT partner_id FROM relationship_engagement "
                    "WHERE company_id = %s AND needs_recompute ORDER BY partner_id "
                    "FOR UPDATE SKIP LOCKED",
                    company.id,
                )
            )
            target = pending = [row[0] for row in cr.fetchall()]
        else:
            wanted = sorted(set(partner_ids))
            if create_new:
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
            pending = target
        excluded = engine.excluded_partner_ids(cr)
        target = pending = [pid for pid in target if pid not in excluded]

        # Phase 1: raw signals, batch by batch. The tiers are read first, for
        # the tier-change events: _engagement_write_raw() already moves rows
        # between "new" and scored with a provisional tier.
        tiers_before = {}
        for batch in split_every(batch_size, pending, list):
            tiers_before.update(self._engagement_stored_tiers(company, batch))
            raw = self._engagement_read_signals(company, batch, date_from, today)
            self._engagement_write_raw(company, raw, now)
            if commit:
                cr.commit()  # pylint: disable=invalid-commit

        # Phase 2: rank against the whole company (stored signals), score,
        # snapshot.
        cuts = engine.quantile_cuts(cr, company.id)
        counts = {"computed": 0, "new": 0}
        for batch in split_every(batch_size, target, list):
            batch_counts = self._engagement_write_scores(company, batch, cuts, today)
            counts["computed"] += batch_counts["computed"]
            counts["new"] += batch_counts["new"]
            self._engagement_emit_tier_changes(
                company, tiers_before, batch_counts["tiers"]
            )
            if commit:
                cr.commit()  # pylint: disable=invalid-commit
        return counts

    def _engagement_full_run(self, company, now, today, date_from, commit, batch_size):
        """Every customer of the company in one pass per batch: signals are
        read in large batches and kept in memory (a tuple per customer), the
        company's percentiles are taken from them, then each write batch stores
        signals, scores and the day's snapshot in one statement and commits
        when allowed. Customers written since the run started are not read
        again: an interrupted run resumes with the others and ranks them
        together with the stored signals of those already written."""
        cr = self.env.cr
        run_start = company.engagement_run_started_at
        rows = {}
        if run_start:
            # Resuming: read only the customers not written yet.
            target = engine.population_ids(cr, company.id)
            rows = self._engagement_stored_rows(company, target, run_start)
            pending = [pid for pid in target if pid not in rows]
            batches = split_every(FULL_READ_BATCH, pending, list)
        else:
            company.sudo().engagement_run_started_at = now  # sudo: run state
            company.flush_recordset(["engagement_run_started_at"])
            # Small enough: the whole company in one pass per signal, which
            # also tells the population; else in batches of customers.
            target = (
                engine.population_ids(cr, company.id)
                if self._engagement_population_too_large(company)
                else None
            )
            batches = (
                [None] if target is None else split_every(FULL_READ_BATCH, target, list)
            )
        for batch in batches:
            raw = self._engagement_read_signals(company, batch, date_from, today)
            for pid, values in raw.items():
                rows[pid] = (
                    values["has_history"],
                    now,
                    tuple(values[column] for column in RAW_COLUMNS),
                )
        if target is None:
            target = sorted(rows)
        cuts = {
            column: engine.quantiles_of(
                values[index]
                for has_history, __, values in rows.values()
                if has_history
            )
            for column, index in RANKED_INDEXES.items()
        }
        counts = {"computed": 0, "new": 0}
        for batch in split_every(batch_size, target, list):
            # The stored tiers, before the batch overwrites them: one
            # tier_changed event per customer whose tier the batch changes.
            tiers_before = self._engagement_stored_tiers(company, batch)
            batch_counts = self._engagement_write_rows(
                company, {pid: rows[pid] for pid in batch}, cuts, now, today
            )
            counts["computed"] += batch_counts["computed"]
            counts["new"] += batch_counts["new"]
            self._engagement_emit_tier_changes(
                company, tiers_before, batch_counts["tiers"]
            )
            if commit:
                cr.commit()  # pylint: disable=invalid-commit
        self._engagement_reset_departed(company, target)
        company.sudo().engagement_run_started_at = False  # sudo: run state
        company.flush_recordset(["engagement_run_started_at"])
        if commit:
            cr.commit()  # pylint: disable=invalid-commit
        return counts

    def _engagement_population_too_large(self, company):
        """Whether the company has more customers (as of its stored rows) than
        a full run reads in one pass; its signals are then read in batches."""
        self.env.cr.execute(
            SQL(
                "SELECT COUNT(*) FROM relationship_engagement WHERE company_id = %s",
                company.id,
            )
        )
        return self.env.cr.fetchone()[0] > FULL_READ_BATCH

    def _engagement_stored_rows(self, company, partner_ids, since):
        """``{partner_id: (has history, date read, raw tuple)}`` of the rows an
        interrupted full run already wrote (signals read since ``since``)."""
        self.env.cr.execute(
            SQL(
                "SELECT partner_id, tier != 'new', date_raw, %s "
                "FROM relationship_engagement "
                "WHERE company_id = %s AND date_raw >= %s AND partner_id = ANY(%s)",
                SQL(", ").join(SQL.identifier(column) for column in RAW_COLUMNS),
                company.id,
                since,
                list(partner_ids),
            )
        )
        return {
            row[0]: (row[1], row[2], tuple(row[3:])) for row in self.env.cr.fetchall()
        }

    def _engagement_reset_departed(self, company, population_ids):
        """After a full run, the scored customers outside the population (no
        document left in the company: deleted or moved away) become New again
        instead of keeping an old score."""
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT id, partner_id, tier FROM relationship_engagement "
                "WHERE company_id = %s AND tier != 'new'",
                company.id,
            )
        )
        population = set(population_ids)
        tiers_before = {
            pid: (row_id, tier)
            for row_id, pid, tier in cr.fetchall()
            if pid not in population
        }
        departed = [row_id for row_id, __ in tiers_before.values()]
        if not departed:
            return
        score_columns = [
            "score",
            "score_previous",
            "score_trend",
            *(f"{name}_score" for name in engine.COMPONENTS),
            *RAW_COLUMNS,
            *RFM_COLUMNS,
        ]
        cr.execute(
            SQL(
                "UPDATE relationship_engagement SET tier = 'new', "
                "needs_recompute = FALSE, %s WHERE id = ANY(%s)",
                SQL(", ").join(
                    SQL("%s = NULL", SQL.identifier(column)) for column in score_columns
                ),
                departed,
            )
        )
        # Their tier changed to "new": one event each.
        self._engagement_emit_tier_changes(
            company, tiers_before, dict.fromkeys(tiers_before, "new")
        )

    def _engagement_write_rows(self, company, rows, cuts, now, today):
        """Score a batch from its signals in memory, then store signals,
        scores, trends and today's snapshot: the batch is loaded with COPY into
        a temporary table and written with one statement.

        :param rows: ``{partner_id: (has history, date read, raw tuple)}``
        """
        if not rows:
            return {"computed": 0, "new": 0}
        weights = company._get_engagement_weights()
        bounds = company._get_engagement_tier_bounds()
        lines = []
        ranks = {}
        new_count = 0
        for pid, (has_history, date_raw, values) in rows.items():
            if has_history:
                parts = engine.components(
                    dict(zip(RAW_COLUMNS, values, strict=True)), cuts, ranks
                )
                score = engine.weighted_score(parts, weights)
                rfm = engine.rfm(parts)
            else:
                parts = dict.fromkeys(engine.COMPONENTS)
                score = None
                rfm = NO_RFM
                new_count += 1
            lines.append(
                (
                    pid,
                    date_raw,
                    score,
                    engine.tier_of(score, bounds),
                    *values,
                    *(parts[name] for name in engine.COMPONENTS),
                    *rfm,
                )
            )
        self._engagement_load(lines)

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
                WITH up AS (
                    INSERT INTO relationship_engagement
                           (partner_id, company_id, window_days, needs_recompute,
                            date_raw, date_computed, date_snapshot, create_uid,
                            create_date, write_uid, write_date, score, tier,
                            %(stored)s)
                    SELECT v.partner_id, %(company)s, %(window)s, FALSE,
                           v.date_raw, %(now)s, %(today)s, %(uid)s, %(now)s,
                           %(uid)s, %(now)s, v.score, v.tier, %(v_stored)s
                      FROM relationship_engagement_load v
                    ON CONFLICT (partner_id, company_id) DO UPDATE SET
                           %(previous)s,
                           window_days = EXCLUDED.window_days,
                           needs_recompute = FALSE,
                           date_raw = EXCLUDED.date_raw,
                           date_computed = EXCLUDED.date_computed,
                           date_snapshot = EXCLUDED.date_snapshot,
                           write_uid = EXCLUDED.write_uid,
                           write_date = EXCLUDED.write_date,
                           score = EXCLUDED.score,
                           tier = EXCLUDED.tier,
                           %(updates)s
                    RETURNING partner_id, %(snapshot)s
                )
                INSERT INTO relationship_engagement_snapshot
                       (partner_id, company_id, date, create_uid, create_date,
                        write_uid, write_date, %(snapshot)s)
                SELECT up.partner_id, %(company)s, %(today)s, %(uid)s, %(now)s,
                       %(uid)s, %(now)s, %(snapshot)s
                  FROM up
                ON CONFLICT (partner_id, company_id, date) DO UPDATE SET
                       %(snapshot_updates)s
                """,
                stored=SQL(", ").join(stored),
                v_stored=SQL(", ").join(SQL("v.%s", name) for name in stored),
                previous=self._engagement_previous_sets(
                    SQL("relationship_engagement"), SQL("EXCLUDED.score"), today
                ),
                company=company.id,
                today=today,
                window=company.engagement_window_days,
                now=now,
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
        self.env["relationship.engagement.snapshot"].invalidate_model()
        return {
            "computed": len(rows),
            "new": new_count,
            "tiers": {line[0]: line[3] for line in lines},
        }

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

    def _engagement_load(self, lines):
        """COPY ``lines`` (partner, date read, score, tier, raw signals,
        components, RFM) into a temporary table dropped at commit."""
        bulk.copy_into_temp(
            self.env.cr,
            "relationship_engagement_load",
            [
                ("partner_id", "int4"),
                ("date_raw", "timestamp"),
                ("score", "float8"),
                ("tier", "varchar"),
                *((column, RAW_TYPES[column]) for column in RAW_COLUMNS),
                *((f"{name}_score", "float8") for name in engine.COMPONENTS),
                *zip(RFM_COLUMNS, RFM_TYPES, strict=True),
            ],
            lines,
        )

    def _engagement_read_signals(self, company, partner_ids, date_from, today):
        """``{partner_id: {raw column: value}}`` for a batch, one query per
        signal. ``partner_ids=None`` reads the company's whole population (every
        commercial partner with a sale order or a customer invoice, except the
        companies' own) without a partner filter."""
        cr = self.env.cr
        sql_ids = partner_ids
        orders = engine.order_signals(cr, company.id, sql_ids, date_from)
        invoices = engine.invoice_signals(cr, company.id, sql_ids, date_from)
        if partner_ids is None:
            partner_ids = sorted(
                (orders.keys() | invoices.keys()) - engine.excluded_partner_ids(cr)
            )
        payments = engine.payment_signals(
            cr,
            company.id,
            sql_ids,
            date_from,
            today,
            excluded_move_ids=self._engagement_excluded_invoice_ids(
                company, partner_ids
            ),
        )
        interactions = self._engagement_interaction_counts(
            company, partner_ids, date_from
        )
        satisfaction = self._engagement_satisfaction_values(
            company, partner_ids, date_from
        )
        disputes = self._engagement_open_dispute_counts(company, partner_ids)
        result = {}
        for pid in partner_ids:
            order = orders.get(pid, {})
            invoice = invoices.get(pid, {})
            payment = payments.get(pid, {})
            last_purchase = order.get("last_order_date") or invoice.get(
                "last_invoice_date"
            )
            has_history = bool(
                order.get("last_order_date") or invoice.get("posted_count")
            )
            result[pid] = {
                "has_history": has_history,
                "last_order_date": order.get("last_order_date"),
                "days_since_last_order": (today - last_purchase).days
                if last_purchase
                else None,
                "order_count": order.get("order_count", 0) if has_history else None,
                "revenue": invoice.get("revenue", 0.0) if has_history else None,
                "invoice_due_count": payment.get("invoice_due_count", 0),
                "invoice_on_time_count": payment.get("invoice_on_time_count", 0),
                "invoice_late_count": payment.get("invoice_late_count", 0),
                "avg_days_late": payment.get("avg_days_late", 0.0),
                "overdue_amount": payment.get("overdue_amount", 0.0),
                "interaction_count": interactions.get(pid, 0) if has_history else None,
                "satisfaction_value": satisfaction.get(pid),
                "open_dispute_count": None
                if disputes is None
                else disputes.get(pid, 0),
            }
        return result

    def _engagement_write_raw(self, company, raw, now):
        """Upsert the raw signals of a batch in one statement."""
        if not raw:
            return
        ids = list(raw)
        arrays = [[raw[pid][column] for pid in ids] for column in RAW_COLUMNS]
        tiers = ["scored" if raw[pid]["has_history"] else "new" for pid in ids]
        columns = SQL(", ").join(SQL.identifier(column) for column in RAW_COLUMNS)
        unnest = SQL(", ").join(
            SQL("%s::%s[]", values, SQL(RAW_TYPES[column]))
            for column, values in zip(RAW_COLUMNS, arrays, strict=True)
        )
        updates = SQL(", ").join(
            SQL("%s = EXCLUDED.%s", SQL.identifier(column), SQL.identifier(column))
            for column in RAW_COLUMNS
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO relationship_engagement
                       (partner_id, company_id, tier, window_days, date_raw,
                        needs_recompute, create_uid, create_date, write_uid,
                        write_date, %(columns)s)
                SELECT v.partner_id, %(company)s,
                       CASE WHEN v.kind = 'new' THEN 'new' ELSE 'dormant' END,
                       %(window)s, %(now)s, FALSE, %(uid)s, %(now)s, %(uid)s, %(now)s,
                       %(columns)s
                  FROM unnest(%(partners)s::int[], %(kinds)s::varchar[], %(unnest)s)
                       AS v(partner_id, kind, %(columns)s)
                ON CONFLICT (partner_id, company_id) DO UPDATE SET
                       window_days = EXCLUDED.window_days,
                       date_raw = EXCLUDED.date_raw,
                       needs_recompute = FALSE,
                       tier = CASE WHEN EXCLUDED.tier = 'new' THEN 'new'
                                   WHEN relationship_engagement.tier = 'new'
                                   THEN 'dormant'
                                   ELSE relationship_engagement.tier END,
                       write_uid = EXCLUDED.write_uid,
                       write_date = EXCLUDED.write_date,
                       %(updates)s
                """,
                columns=columns,
                company=company.id,
                window=company.engagement_window_days,
                now=now,
                uid=self.env.uid,
                partners=ids,
                kinds=tiers,
                unnest=unnest,
                updates=updates,
            )
        )

    def _engagement_write_scores(self, company, partner_ids, cuts, today):
        """Score a batch from its stored raw signals, write scores, tiers and
        trends in one statement, then snapshot them in one statement."""
        cr = self.env.cr
        # Read the company's settings first: an ORM read between execute() and
        # fetchall() (cache cleared by a commit) would replace the result set.
        weights = company._get_engagement_weights()
        bounds = company._get_engagement_tier_bounds()
        cr.execute(
            SQL(
                """
                SELECT e.id, e.tier = 'new', %(columns)s
                  FROM relationship_engagement e
                 WHERE e.company_id = %(company)s AND e.partner_id = ANY(%(partners)s)
                """,
                columns=SQL(", ").join(
                    SQL("e.%s", SQL.identifier(column)) for column in RAW_COLUMNS
                ),
                company=company.id,
                partners=list(partner_ids),
            )
        )
        rows = cr.fetchall()
        updates = {name: [] for name in ("id", "score", "tier")}
        parts_by_name = {name: [] for name in engine.COMPONENTS}
        rfm_arrays = [[] for __ in RFM_COLUMNS]
        new_count = 0
        for row in rows:
            record_id, is_new = row[0], row[1]
            raw = dict(zip(RAW_COLUMNS, row[2:], strict=True))
            if is_new:
                parts = dict.fromkeys(engine.COMPONENTS)
                score = None
                rfm = NO_RFM
                new_count += 1
            else:
                raw = {
                    k: float(v)
                    if k in ("revenue", "overdue_amount") and v is not None
                    else v
                    for k, v in raw.items()
                }
                parts = engine.components(raw, cuts)
                score = engine.weighted_score(parts, weights)
                rfm = engine.rfm(parts)
            for values, value in zip(rfm_arrays, rfm, strict=True):
                values.append(value)
            updates["id"].append(record_id)
            updates["score"].append(score)
            updates["tier"].append(engine.tier_of(score, bounds))
            for name in engine.COMPONENTS:
                parts_by_name[name].append(parts[name])
        if not rows:
            return {"computed": 0, "new": 0, "tiers": {}}
        now = fields.Datetime.now()
        component_columns = [
            SQL.identifier(f"{name}_score") for name in engine.COMPONENTS
        ] + [SQL.identifier(column) for column in RFM_COLUMNS]
        cr.execute(
            SQL(
                """
                UPDATE relationship_engagement e
                   SET %(previous)s, score = v.score, tier = v.tier,
                       date_computed = %(now)s, date_snapshot = %(today)s,
                       write_date = %(now)s, write_uid = %(uid)s,
                       %(component_sets)s
                  FROM unnest(%(ids)s::int[], %(scores)s::float8[],
                              %(tiers)s::varchar[], %(component_arrays)s)
                       AS v(id, score, tier, %(component_names)s)
                 WHERE e.id = v.id
             RETURNING e.partner_id, e.tier
                """,
                now=now,
                uid=self.env.uid,
                component_sets=SQL(", ").join(
                    SQL("%s = v.%s", column, column) for column in component_columns
                ),
                ids=updates["id"],
                scores=updates["score"],
                tiers=updates["tier"],
                previous=self._engagement_previous_sets(
                    SQL("e"), SQL("v.score"), today
                ),
                today=today,
                component_arrays=SQL(", ").join(
                    [
                        SQL("%s::float8[]", parts_by_name[name])
                        for name in engine.COMPONENTS
                    ]
                    + [
                        SQL("%s::%s[]", values, SQL(sql_type))
                        for values, sql_type in zip(rfm_arrays, RFM_TYPES, strict=True)
                    ]
                ),
                component_names=SQL(", ").join(component_columns),
            )
        )
        tiers = dict(cr.fetchall())  # the new tier of each partner
        self.env["relationship.engagement.snapshot"]._snapshot_engagements(
            updates["id"], today
        )
        return {"computed": len(rows), "new": new_count, "tiers": tiers}

    # ------------------------------------------------------------------
    # Tier-change events (relationship.event, what automation rules see)
    # ------------------------------------------------------------------

    @api.model
    def _engagement_stored_tiers(self, company, partner_ids):
        """``{partner_id: (engagement id, tier)}`` of the batch's existing
        rows, read before the recompute writes them: one query per batch."""
        self.env.cr.execute(
            SQL(
                "SELECT partner_id, id, tier FROM relationship_engagement "
                "WHERE company_id = %s AND partner_id = ANY(%s)",
                company.id,
                list(partner_ids),
            )
        )
        return {pid: (row_id, tier) for pid, row_id, tier in self.env.cr.fetchall()}

    @api.model
    def _engagement_emit_tier_changes(self, company, tiers_before, tiers_after):
        """One ``tier_changed`` event per partner whose tier in ``tiers_after``
        (``{partner_id: tier}``) differs from the one it had before
        (``tiers_before``, see _engagement_stored_tiers()), all created in one
        batch. A partner without a row before (its first computation, e.g. the
        first run after installation) gets none: "from nothing" is not a change.
        """
        changed = [
            (pid, tiers_before[pid], tier)
            for pid, tier in tiers_after.items()
            if pid in tiers_before and tiers_before[pid][1] != tier
        ]
        if not changed:
            return
        labels = dict(self._fields["tier"]._description_selection(self.env))
        self.env["relationship.event"]._emit(
            [
                {
                    "event_type": "tier_changed",
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
                for pid, (row_id, old), new in changed
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
    # Hooks other features extend (each one query per batch)
    # ------------------------------------------------------------------

    @api.model
    def _engagement_interaction_counts(self, company, partner_ids, date_from):
        """``{partner_id: count}`` of interactions in the window."""
        return engine.message_counts(self.env.cr, partner_ids, date_from, company.id)

    @api.model
    def _engagement_satisfaction_values(self, company, partner_ids, date_from):
        """``{partner_id: 0-100}`` satisfaction; partners without feedback are
        left out (the component then does not apply)."""
        return {}

    @api.model
    def _engagement_open_dispute_counts(self, company, partner_ids):
        """``{partner_id: open disputes}``, or None when no module tracks
        disputes (the service component then does not apply)."""
        return None

    @api.model
    def _engagement_excluded_invoice_ids(self, company, partner_ids):
        """Invoices left out of payment behaviour (e.g. under open dispute)."""
        return []
