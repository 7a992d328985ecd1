import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, split_every

from odoo.addons.relationship_mgmt.engine import signals
from odoo.addons.relationship_mgmt.tools import actions, batch_runner, rpc, texts

from ..engine import trust as engine

_logger = logging.getLogger(__name__)

# Trust looks back this many days (obligation periods, invoices, volume).
TRUST_WINDOW_DAYS = 365
# Snapshots written per statement.
WRITE_CHUNK = 5000
SNAPSHOT_COLUMNS = (
    "score",
    "compliance_score",
    "payment_score",
    "dispute_score",
    "age_score",
    "volume_score",
    "periods_measured",
    "periods_met",
    "periods_at_risk",
    "periods_breached",
    "invoices_due",
    "invoices_on_time",
    "avg_days_late",
    "has_dispute_data",
    "dispute_count",
    "relationship_days",
    "volume",
)
SNAPSHOT_TYPES = (
    "float8",
    "float8",
    "float8",
    "float8",
    "float8",
    "float8",
    "int4",
    "int4",
    "int4",
    "int4",
    "int4",
    "int4",
    "float8",
    "bool",
    "int4",
    "int4",
    "numeric",
)


class RelationshipTrustSnapshot(models.Model):
    """Trust score of a business partner in a company on a day, with its
    breakdown. The snapshot of the last computation is the current one (shown
    on the partner and on the trust dashboard); earlier ones are history."""

    _name = "relationship.trust.snapshot"
    _description = "Business Partner Trust Snapshot"
    _order = "date desc, score desc, id desc"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        required=True,
        readonly=True,
        ondelete="cascade",
    )  # indexed by the partner_company_date_uniq constraint, which leads with it
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade", index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(required=True, readonly=True, index=True)
    is_current = fields.Boolean(string="Current", readonly=True, index=True)
    score = fields.Float(string="Trust Score", digits=(5, 1), aggregator="avg")
    compliance_score = fields.Float(
        string="Obligation Compliance", digits=(5, 1), aggregator="avg"
    )
    payment_score = fields.Float(
        string="Payment Behaviour", digits=(5, 1), aggregator="avg"
    )
    dispute_score = fields.Float(string="Disputes", digits=(5, 1), aggregator="avg")
    age_score = fields.Float(string="Relationship Age", digits=(5, 1), aggregator="avg")
    volume_score = fields.Float(string="Volume", digits=(5, 1), aggregator="avg")
    periods_measured = fields.Integer()
    periods_met = fields.Integer()
    periods_at_risk = fields.Integer(string="Periods at Risk")
    periods_breached = fields.Integer()
    invoices_due = fields.Integer()
    invoices_on_time = fields.Integer(string="Invoices Paid on Time")
    avg_days_late = fields.Float(string="Average Days Late", digits=(6, 1))
    has_dispute_data = fields.Boolean(string="Disputes Tracked")
    dispute_count = fields.Integer(string="Disputes in Window")
    relationship_days = fields.Integer(string="Relationship Age (days)")
    volume = fields.Monetary(string="Volume in Window")
    breakdown = fields.Html(
        string="Trust Breakdown", compute="_compute_breakdown", sanitize=False
    )
    reasons = fields.Text(compute="_compute_breakdown")

    _sql_constraints = [
        (
            "partner_company_date_uniq",
            "unique(partner_id, company_id, date)",
            "One trust snapshot per partner, company and day.",
        ),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends(*SNAPSHOT_COLUMNS)
    def _compute_breakdown(self):
        for snapshot in self:
            lines = snapshot._trust_reason_lines()
            snapshot.reasons = "\n".join(
                f"{label}: {'-' if value is None else f'{value:g}'} — {text}"
                for label, value, text in lines
            )
            rows = Markup("").join(
                Markup("<tr><td>%s</td><td class='text-end'>%s</td><td>%s</td></tr>")
                % (label, "–" if value is None else f"{value:g}", text)
                for label, value, text in lines
            )
            snapshot.breakdown = (
                Markup(
                    "<table class='table table-sm o_trust_breakdown'><tbody>%s</tbody>"
                    "</table>"
                )
                % rows
            )

    def _trust_reason_lines(self):
        """``[(component, value or None when it does not apply, reason)]``."""
        self.ensure_one()
        _ = self.env._
        lines = []
        if self.periods_measured:
            lines.append(
                (
                    _("Obligation compliance"),
                    self.compliance_score,
                    _(
                        "%(met)s of %(measured)s periods met, %(risk)s at risk, "
                        "%(breached)s breached in the last year",
                        met=self.periods_met,
                        measured=self.periods_measured,
                        risk=self.periods_at_risk,
                        breached=self.periods_breached,
                    ),
                )
            )
        else:
            lines.append(
                (
                    _("Obligation compliance"),
                    None,
                    _("No obligation measured yet: not scored"),
                )
            )
        if self.invoices_due:
            text = texts.plural(
                self.invoices_due,
                _(
                    "%(on_time)s of 1 invoice paid on time",
                    on_time=self.invoices_on_time,
                ),
                _(
                    "%(on_time)s of %(due)s invoices paid on time",
                    on_time=self.invoices_on_time,
                    due=self.invoices_due,
                ),
            )
            if self.invoices_on_time < self.invoices_due:
                text += _(
                    "; %(days)s late on average",
                    days=texts.days_count(self.env, round(self.avg_days_late)),
                )
            lines.append((_("Payment behaviour"), self.payment_score, text))
        else:
            lines.append(
                (
                    _("Payment behaviour"),
                    None,
                    _("No customer invoice due in the last year: not scored"),
                )
            )
        if self.has_dispute_data:
            lines.append(
                (
                    _("Disputes"),
                    self.dispute_score,
                    texts.plural(
                        self.dispute_count,
                        _("1 dispute in the last year"),
                        _(
                            "%(count)s disputes in the last year",
                            count=self.dispute_count,
                        ),
                    ),
                )
            )
        else:
            lines.append((_("Disputes"), None, _("No dispute tracking: not scored")))
        lines.append(
            (
                _("Relationship age"),
                self.age_score,
                _(
                    "Business partner for %(years)s years",
                    years=round(self.relationship_days / 365.0, 1),
                ),
            )
        )
        lines.append(
            (
                _("Volume"),
                self.volume_score,
                _(
                    "%(amount)s ordered in the last year",
                    amount=self.currency_id.format(self.volume or 0.0),
                ),
            )
        )
        return lines

    # ------------------------------------------------------------------
    # Public API
    # ------------------------------------------------------------------

    @api.model
    def action_recompute_all(self):
        """Refresh Now ▸ Recompute All Trust Scores (managers)."""
        result = self.recompute_trust()
        return actions.notification(
            self.env._("Trust recomputed"),
            self.env._(
                "Business partners scored: %(computed)s.",
                computed=result["computed"],
            ),
        )

    @api.model
    def recompute_trust(self, partner_ids=None):
        """Recompute the trust score of ``partner_ids`` (a list of partner
        ids; their commercial entities are scored) in the user's current
        companies, or of every business partner of every company (managers
        only). Returns ``{"computed": n, "companies": n}``: the partners and
        the companies scored (a company whose trust another worker is
        computing is skipped)."""
        if partner_ids is None:
            if not self.env.user.has_group(
                "relationship_mgmt.group_relationship_manager"
            ):
                raise AccessError(
                    self.env._(
                        "Only relationship managers recompute the trust of every "
                        "partner."
                    )
                )
            companies = self.env.companies
            partners = None
        else:
            partners = rpc.checked_records(
                self.env, "res.partner", partner_ids, self.env._("partner ids")
            )
            partners.check_access("read")
            self.check_access("read")
            companies = self.env.companies
        partner_ids = None if partners is None else partners.commercial_partner_id.ids
        result = batch_runner.run_companies(
            self.env,
            "trust",
            companies,
            lambda run: self._trust_score_company(run.company, partner_ids),
            totals=("computed",),
        )
        # The documented XML-RPC result: a count of companies.
        return {"computed": result["computed"], "companies": len(result["companies"])}

    # ------------------------------------------------------------------
    # Computation
    # ------------------------------------------------------------------

    @api.model
    def _recompute_company(self, company, partner_ids=None):
        """Score ``partner_ids`` (commercial partner ids) or the company's
        whole population (partners with an agreement in it), those who opted
        out of profiling excepted, and write today's snapshots. One query per
        signal for all the partners. Returns how many were scored, or None
        while another worker scores the company."""
        result = batch_runner.run_company(
            self.env,
            "trust",
            company,
            lambda run: self._trust_score_company(company, partner_ids),
        )
        return None if result is None else result["computed"]

    @api.model
    def _trust_score_company(self, company, partner_ids):
        cr = self.env.cr
        today = fields.Date.context_today(self.with_company(company))
        date_from = today - timedelta(days=TRUST_WINDOW_DAYS)
        population = engine.population(cr, company.id)
        # Partners who opted out of profiling get no score (their snapshots
        # went when they opted out, see res_partner_privacy.py).
        targets = (
            population if partner_ids is None else signals.profiled_ids(cr, partner_ids)
        )
        if not targets:
            return {"computed": 0}
        compliance = engine.compliance(cr, company.id, targets, date_from)
        payments = engine.payments(
            cr,
            company.id,
            targets,
            date_from,
            today,
            excluded_move_ids=self._trust_excluded_invoice_ids(company, targets),
        )
        first = engine.first_dates(cr, company.id, targets)
        volumes = engine.volumes(
            cr, company.id, sorted(set(population) | set(targets)), date_from
        )
        disputes = self._trust_dispute_counts(company, targets, date_from)
        ranked = sorted(volumes.get(pid, 0.0) for pid in set(population) | set(targets))
        rows = []
        for pid in targets:
            measured, met, at_risk, breached = compliance.get(pid, (0, 0, 0, 0))
            due, on_time, late = payments.get(pid, (0, 0, 0.0))
            days = (today - first[pid]).days if pid in first else 0
            volume = volumes.get(pid, 0.0)
            dispute_count = None if disputes is None else disputes.get(pid, 0)
            parts = {
                "compliance": engine.compliance_component(measured, met, at_risk),
                "payment": engine.payment_component(due, on_time, late),
                "dispute": engine.dispute_component(dispute_count),
                "age": engine.age_component(days),
                "volume": engine.volume_component(volume, ranked),
            }
            parts = {
                name: None if value is None else round(value, 1)
                for name, value in parts.items()
            }
            rows.append(
                (
                    pid,
                    engine.weighted_score(parts),
                    *(parts[name] for name in engine.COMPONENTS),
                    measured,
                    met,
                    at_risk,
                    breached,
                    due,
                    on_time,
                    late,
                    dispute_count is not None,
                    dispute_count or 0,
                    max(days, 0),
                    volume,
                )
            )
        for chunk in split_every(WRITE_CHUNK, rows, list):
            self._write_snapshots(company, today, chunk)
        return {"computed": len(rows)}

    def _write_snapshots(self, company, today, rows):
        """Upsert today's snapshots of ``rows`` and make them the current
        ones of their partners (one statement)."""
        now = fields.Datetime.now()
        columns = list(zip(*rows, strict=True))
        ident = SQL.identifier
        names = SQL(", ").join(ident(column) for column in SNAPSHOT_COLUMNS)
        self.env.cr.execute(
            SQL(
                """
                WITH up AS (
                    INSERT INTO relationship_trust_snapshot
                           (partner_id, company_id, date, is_current, create_uid,
                            create_date, write_uid, write_date, %(names)s)
                    SELECT v.partner_id, %(company)s, %(today)s, TRUE, %(uid)s,
                           %(now)s, %(uid)s, %(now)s, %(v_names)s
                      FROM unnest(%(partners)s::int[], %(arrays)s)
                           AS v(partner_id, %(names)s)
                    ON CONFLICT (partner_id, company_id, date) DO UPDATE SET
                           is_current = TRUE, write_uid = EXCLUDED.write_uid,
                           write_date = EXCLUDED.write_date, %(updates)s
                    RETURNING partner_id
                )
                UPDATE relationship_trust_snapshot s
                   SET is_current = FALSE
                  FROM up
                 WHERE s.partner_id = up.partner_id
                   AND s.company_id = %(company)s
                   AND s.date != %(today)s
                   AND s.is_current
                """,
                names=names,
                v_names=SQL(", ").join(
                    SQL("v.%s", ident(column)) for column in SNAPSHOT_COLUMNS
                ),
                company=company.id,
                today=today,
                uid=self.env.uid,
                now=now,
                partners=list(columns[0]),
                arrays=SQL(", ").join(
                    SQL("%s::%s[]", list(values), SQL(sql_type))
                    for values, sql_type in zip(
                        columns[1:], SNAPSHOT_TYPES, strict=True
                    )
                ),
                updates=SQL(", ").join(
                    SQL("%s = EXCLUDED.%s", ident(column), ident(column))
                    for column in SNAPSHOT_COLUMNS
                ),
            )
        )

    @api.model
    def _trust_dispute_counts(self, company, partner_ids, date_from):
        """``{partner id: disputes opened since date_from}`` in ``company``
        (archived ones excepted), one read_group."""
        # sudo: trust is computed for every partner, whoever runs it.
        groups = (
            self.env["relationship.dispute"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", company.id),
                    ("commercial_partner_id", "in", list(partner_ids)),
                    ("date_open", ">=", date_from),
                ],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        return {partner.id: count for partner, count in groups}

    @api.model
    def _trust_excluded_invoice_ids(self, company, partner_ids):
        """Invoices left out of the payment component: those under an open
        dispute."""
        return self.env["relationship.dispute"]._open_invoice_ids(company, partner_ids)

    # ------------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------------

    @api.model
    def _cron_recompute_trust(self):
        """Daily: the trust of every business partner of every company (a
        company per transaction outside tests). Running it twice on a day
        rewrites the day's snapshots."""
        result = batch_runner.run_companies(
            self.env,
            "trust",
            self.env["res.company"].search([]),
            lambda run: self.with_company(run.company)._trust_score_company(
                run.company, None
            ),
            totals=("computed",),
            options=batch_runner.BatchOptions(commit=batch_runner.may_commit()),
        )
        _logger.info("Trust recomputed for %s partners", result["computed"])
        return result["computed"]
